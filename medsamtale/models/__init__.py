"""The database models, one module per area."""

from .accounts import PasswordToken
from .outbox import OutboxMessage
from .people import Organisation, User
from .questions import FollowUpPrompt, Question, QuestionSet, Theme

__all__ = [
    "FollowUpPrompt",
    "Organisation",
    "OutboxMessage",
    "PasswordToken",
    "Question",
    "QuestionSet",
    "Theme",
    "User",
]
