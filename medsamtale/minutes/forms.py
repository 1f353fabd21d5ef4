"""The minutes' forms: a point of the draft, an agreed action, and a required comment."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from .. import text
from ..forms import at_most, strip
from ..models.followup import (
    ACTION_WHAT_MAX,
    EMPLOYEE,
    GOAL_MAX,
    LEADER,
    OTHER,
    RESPONSIBLE_NAME_MAX,
)
from ..models.minutes import (
    BODY_MAX,
    COMMENT_MAX,
    FOLLOW_UP,
    HEADING_MAX,
    NEXT_CONVERSATION,
    REMARK_MAX,
)
from ..timeutil import oslo_today

RESPONSIBLE_CHOICES = (
    (EMPLOYEE, _l("The employee")),
    (LEADER, _l("The leader")),
    (OTHER, _l("Someone else")),
)


def plain(value):
    """Headings and actions are plain text: tags are taken out, the words kept."""
    return text.plain(value).strip() if value else value


class PointForm(FlaskForm):
    """One main point: a heading (plain text) and its text, written in Markdown and kept as
    sanitised HTML."""

    heading = StringField(_l("Heading"), filters=[plain], validators=[at_most(HEADING_MAX)])
    body = TextAreaField(_l("Text"), filters=[text.from_markdown],
                         validators=[at_most(BODY_MAX)])


class ActionForm(FlaskForm):
    """An agreed action (R11): what, who is responsible, by when, and for which goal."""

    what = TextAreaField(
        _l("What is to be done"),
        filters=[plain],
        validators=[DataRequired(_l("Say what is to be done.")), at_most(ACTION_WHAT_MAX)],
    )
    responsible = RadioField(
        _l("Responsible"),
        validators=[InputRequired(_l("Choose who is responsible."))],
    )
    responsible_name = StringField(
        _l("Name of the responsible person"),
        filters=[plain],
        validators=[at_most(RESPONSIBLE_NAME_MAX)],
    )
    deadline = DateField(
        _l("Deadline"), validators=[InputRequired(_l("Choose a deadline."))]
    )
    goal = StringField(
        _l("Goal or theme it serves (optional)"),
        filters=[plain],
        validators=[Optional(), at_most(GOAL_MAX)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible.choices = list(RESPONSIBLE_CHOICES)

    def validate_responsible_name(self, field):
        if self.responsible.data == OTHER and not field.data:
            raise ValidationError(_l("Name the person who is responsible."))

    def validate_deadline(self, field):
        if field.data and field.data < oslo_today():
            raise ValidationError(_l("The deadline has passed. Choose a date from today on."))

    def details(self) -> dict:
        return {
            "what": self.what.data,
            "responsible": self.responsible.data,
            "responsible_name": self.responsible_name.data if self.responsible.data == OTHER
            else "",
            "deadline": self.deadline.data,
            "goal": self.goal.data or "",
        }


class CommentForm(FlaskForm):
    """A required comment: sending minutes back, or asking to reopen them."""

    comment = TextAreaField(
        _l("Comment"),
        filters=[strip],
        validators=[DataRequired(_l("Write a comment.")), at_most(COMMENT_MAX)],
    )


class RemarkForm(FlaskForm):
    """The employee's remark on approved minutes: plain text, kept beside them."""

    body = TextAreaField(
        _l("Your remark"),
        filters=[strip],
        validators=[DataRequired(_l("Write your remark.")), at_most(REMARK_MAX)],
        description=_l("What you disagree with, or want corrected, and why. The approved "
                       "minutes do not change; your remark is kept beside them."),
    )


class SendBackForm(CommentForm):
    """The leader's comment when sending the minutes back: what should be changed."""

    comment = TextAreaField(
        _l("What should be changed?"),
        filters=[strip],
        validators=[DataRequired(_l("Say what should be changed.")), at_most(COMMENT_MAX)],
    )


class NextMeetingForm(FlaskForm):
    """After approval: when the next conversation, or a shorter follow-up, should be."""

    kind = RadioField(_l("Next meeting"), validate_choice=False)
    on = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(NEXT_CONVERSATION, _l("The next conversation")),
                             (FOLLOW_UP, _l("A follow-up conversation (shorter)"))]

    def validate_kind(self, field):
        if field.data not in (NEXT_CONVERSATION, FOLLOW_UP):
            raise ValidationError(_l("Choose the next conversation or a follow-up "
                                     "conversation."))

    def validate_on(self, field):
        if field.data and field.data <= oslo_today():
            raise ValidationError(_l("Choose a date after today for the next meeting."))
