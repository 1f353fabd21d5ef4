"""The database models, one module per area."""

from .accounts import PasswordToken
from .conversations import Conversation, Pick
from .outbox import OutboxMessage
from .people import Organisation, User
from .questions import FollowUpPrompt, Question, QuestionSet, Theme

__all__ = [
    "Conversation",
    "FollowUpPrompt",
    "Organisation",
    "OutboxMessage",
    "PasswordToken",
    "Pick",
    "Question",
    "QuestionSet",
    "Theme",
    "User",
]
