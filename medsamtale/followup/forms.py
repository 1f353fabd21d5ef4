"""Following up an action: a comment on progress or on why it is done, or why it is not."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from ..forms import at_most, strip
from ..models.followup import UPDATE_COMMENT_MAX


class ProgressForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), filters=[strip],
                            validators=[at_most(UPDATE_COMMENT_MAX)])
    done = HiddenField()  # "1": the comment says why the action is done

    @property
    def marks_done(self) -> bool:
        return self.done.data == "1"

    def validate_comment(self, field):
        if not field.data:
            raise ValidationError(_l("Write a comment on what was done.") if self.marks_done
                                  else _l("Write how it is going."))


class ReopenActionForm(FlaskForm):
    comment = TextAreaField(
        _l("Why is it not done?"), filters=[strip],
        validators=[DataRequired(_l("Say why the action is not done after all.")),
                    at_most(UPDATE_COMMENT_MAX)],
    )
