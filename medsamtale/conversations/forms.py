from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import at_most, strip
from ..models.conversations import (
    COMMENT_MAX,
    DEFAULT_DURATION,
    DURATION_MAX,
    DURATION_MIN,
    MESSAGE_MAX,
    PLACE_MAX,
)
from ..timeutil import from_oslo, utcnow
from .services import is_short_notice, looks_like_leaders_office


class WhenForm(FlaskForm):
    """A date and a time on the Oslo clock, which must lie ahead."""

    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    clock = TimeField(_l("Time"), validators=[InputRequired(_l("Choose a time."))])

    @property
    def starts_at(self):
        return from_oslo(self.day.data, self.clock.data)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.starts_at <= utcnow():
            self.day.errors.append(_l("The time has passed. Choose a time ahead."))
            return False
        return True


class PlanForm(WhenForm):
    """Plan or change a conversation. The leader confirms short notice (R2) and a place that
    looks like their own office (R3), after being told why they matter."""

    employee = SelectField(_l("Employee"), coerce=int, validate_choice=False)
    duration_minutes = IntegerField(
        _l("Length in minutes"),
        default=DEFAULT_DURATION,
        validators=[
            InputRequired(_l("Give the length in minutes.")),
            NumberRange(
                DURATION_MIN,
                DURATION_MAX,
                _l("Between %(min)d and %(max)d minutes.", min=DURATION_MIN, max=DURATION_MAX),
            ),
        ],
        description=_l("Set aside 60 to 90 minutes, so nothing has to be rushed."),
    )
    place = StringField(
        _l("Place"),
        validators=[DataRequired(_l("Say where you will meet.")), at_most(PLACE_MAX)],
        filters=[strip],
        description=_l("A quiet room where you will not be interrupted."),
    )
    question_set_id = SelectField(_l("Question set"), coerce=int, validate_choice=False)
    message = TextAreaField(
        _l("Personal message"), validators=[Optional(), at_most(MESSAGE_MAX)], filters=[strip]
    )
    confirm_short_notice = BooleanField(
        _l("I have agreed the time with the employee, or they are fine with short notice.")
    )
    confirm_place = BooleanField(_l("We will meet here all the same."))
    version = HiddenField()

    def __init__(self, *args, leader, reports, question_sets, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.leader = leader
        self.current = current  # the conversation being changed; its confirmed values stand
        self.employee.choices = [(0, _l("Choose a person"))] + [(p.id, p.name) for p in reports]
        self.question_set_id.choices = [(s.id, s.name) for s in question_sets]
        self.short_notice = False
        self.leaders_office = False

    def validate_employee(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose one of your own people."))

    def validate_question_set_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of the question sets."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.day.data and self.clock.data and self.starts_at > utcnow():
            self.short_notice = is_short_notice(self.starts_at) and not (
                self.current and self.current.starts_at == self.starts_at
            )
        if self.short_notice and not self.confirm_short_notice.data:
            self.confirm_short_notice.errors.append(
                _l(
                    "This is less than two weeks away. The time should be agreed with the "
                    "employee two weeks ahead, so you both have time to prepare. Confirm to "
                    "go ahead."
                )
            )
            valid = False
        self.leaders_office = looks_like_leaders_office(self.place.data, self.leader) and not (
            self.current and self.current.place == self.place.data
        )
        if self.leaders_office and not self.confirm_place.data:
            self.confirm_place.errors.append(
                _l(
                    "This looks like your own office. Meet on neutral ground, where the "
                    "employee is at ease and nobody interrupts you. Confirm to keep this place."
                )
            )
            valid = False
        return valid

    def details(self) -> dict:
        return {
            "starts_at": self.starts_at,
            "duration_minutes": self.duration_minutes.data,
            "place": self.place.data,
            "question_set_id": self.question_set_id.data,
            "message": self.message.data or "",
        }


class ProposeTimeForm(WhenForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), at_most(COMMENT_MAX)],
        filters=[strip],
        description=_l("Why the time does not suit you, or which times would."),
    )
