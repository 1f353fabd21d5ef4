"""The database models, one module per area."""

from .accounts import PasswordToken
from .agenda import AgendaItem, AgendaPresence
from .conversations import Conversation, Pick
from .outbox import OutboxMessage
from .people import Organisation, User
from .questions import FollowUpPrompt, Question, QuestionSet, Theme

__all__ = [
    "AgendaItem",
    "AgendaPresence",
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
