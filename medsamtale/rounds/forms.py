"""The HR admin's form to open a round of conversations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..forms import at_most, strip
from ..models.rounds import ROUND_MESSAGE_MAX, ROUND_NAME_MAX
from ..timeutil import oslo_today


class RoundForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[strip],
        validators=[DataRequired(_l("Give the round a name.")), at_most(ROUND_NAME_MAX)],
        description=_l("For example «Medarbeidersamtaler høsten 2027»."),
    )
    unit_ids = SelectMultipleField(
        _l("Units"), coerce=int, validate_choice=False,
        description=_l("Each unit chosen comes with all its sub-units. Hold Ctrl (or ⌘) to "
                       "choose more than one."),
    )
    starts_on = DateField(_l("From"), validators=[InputRequired(_l("Choose the first day."))])
    ends_on = DateField(_l("To"), validators=[InputRequired(_l("Choose the last day."))])
    question_set_id = SelectField(_l("Question set"), coerce=int, validate_choice=False)
    message = TextAreaField(
        _l("Message to the leaders"), filters=[strip],
        validators=[Optional(), at_most(ROUND_MESSAGE_MAX)],
        description=_l("Sent by email to every leader with people in the round."),
    )

    def __init__(self, *args, units, question_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_ids.choices = units  # [(id, path)]
        self.question_set_id.choices = [(s.id, s.name) for s in question_sets]

    def validate_unit_ids(self, field):
        known = {value for value, _label in field.choices}
        if not field.data:
            raise ValidationError(_l("Choose at least one unit for the round."))
        if not set(field.data) <= known:
            raise ValidationError(_l("Choose among the units listed."))

    def validate_question_set_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of the question sets."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(
                _l("The round ends before it starts. Choose an end on or after the start."))
        if field.data and field.data < oslo_today():
            raise ValidationError(_l("The end of the round has passed. Choose an end from "
                                     "today on."))

    def details(self) -> dict:
        return {
            "name": self.name.data, "unit_ids": self.unit_ids.data,
            "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
            "question_set_id": self.question_set_id.data, "message": self.message.data or "",
        }
