"""What is typed on the agenda: a new item, and one text of an item typed on its version."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import at_most, strip
from ..models.agenda import ITEM_TEXT_MAX, TEXT_FIELDS
from .editing import SENT


class ItemForm(FlaskForm):
    text = StringField(filters=[strip], validators=[DataRequired(_l("An item needs a text.")),
                                                    at_most(ITEM_TEXT_MAX)])


class TextForm(FlaskForm):
    """One of an item's texts (`field`: its text or a party's note), typed on `version`."""

    field = StringField()
    value = TextAreaField()
    version = IntegerField(
        validators=[InputRequired(_l("The version sent with the text is missing."))]
    )
    # "sent": typed on what this person sent for `version`, not on what it became.
    basis = StringField(validators=[Optional(), AnyOf((SENT,))])
    caret = IntegerField(validators=[Optional(), NumberRange(min=0)])

    @property
    def text(self) -> str:
        """The item's text without spaces around it; a note without trailing ones."""
        value = self.value.data or ""
        return value.strip() if self.field.data == "text" else value.rstrip()

    def validate_field(self, field):
        if field.data not in TEXT_FIELDS:
            raise ValidationError(_l("That is not a text of an agenda item."))

    def validate_value(self, field):
        if self.field.data not in TEXT_FIELDS:
            return  # said by validate_field
        if self.field.data == "text" and not self.text:
            raise ValidationError(_l("An item needs a text."))
        at_most(TEXT_FIELDS[self.field.data])(self, field)
