from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..models.questions import PROMPT_MAX, PROMPTS_PER_QUESTION, QUESTION_MAX, THEME_NAME_MAX


class ThemeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=THEME_NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=1000)])
    is_salary = BooleanField(
        _l("Salary and conditions"),
        description=_l("Always placed last in the conversation (or taken in a separate meeting)."),
    )


class QuestionForm(FlaskForm):
    theme_id = SelectField(_l("Theme"), coerce=int)
    text = TextAreaField(
        _l("Question"), validators=[DataRequired(), Length(max=QUESTION_MAX)],
        description=_l("Ask an open question."),
    )
    prompts = TextAreaField(
        _l("Follow-up prompts"),
        description=_l("One to three deeper questions, one per line."),
    )

    @property
    def prompt_lines(self) -> list[str]:
        return [line.strip() for line in (self.prompts.data or "").splitlines() if line.strip()]

    def validate_prompts(self, _field):
        lines = self.prompt_lines
        if not 1 <= len(lines) <= PROMPTS_PER_QUESTION:
            raise ValidationError(_l("Write one to three follow-up prompts, one per line."))
        if any(len(line) > PROMPT_MAX for line in lines):
            raise ValidationError(
                _l("Each follow-up prompt can have at most %(n)d characters.", n=PROMPT_MAX)
            )
