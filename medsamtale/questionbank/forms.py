"""The question bank's forms: a theme, and a question with its follow-up prompts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from ..forms import at_most, strip
from ..models.questions import (
    PROMPT_MAX,
    PROMPTS_PER_QUESTION,
    QUESTION_MAX,
    THEME_DESCRIPTION_MAX,
    THEME_NAME_MAX,
)
from .services import salary_theme_taken


class ThemeForm(FlaskForm):
    """A theme of question set `set_id`; `theme_id` is the theme changed (None: new)."""

    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), at_most(THEME_NAME_MAX)])
    description = TextAreaField(_l("Description"), filters=[strip],
                                validators=[at_most(THEME_DESCRIPTION_MAX)])
    is_salary = BooleanField(
        _l("Salary and conditions"),
        description=_l("Always placed last in the conversation (or taken in a separate meeting)."),
    )

    def __init__(self, *args, set_id: int, theme_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_id, self.theme_id = set_id, theme_id

    def validate_is_salary(self, field):
        """Rule R8: one salary theme per set, always last."""
        if field.data and salary_theme_taken(self.set_id, self.theme_id):
            raise ValidationError(_l("This question set already has a salary theme."))


class QuestionForm(FlaskForm):
    theme_id = SelectField(_l("Theme"), coerce=int)
    text = TextAreaField(
        _l("Question"), filters=[strip], validators=[DataRequired(), at_most(QUESTION_MAX)],
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
