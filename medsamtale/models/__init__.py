"""The database models, one module per area."""

from .accounts import PasswordToken
from .agenda import AgendaItem, AgendaText
from .conversations import Conversation, Pick
from .followup import Action, ActionUpdate
from .minutes import Minutes, MinutesPoint, MinutesVersion
from .outbox import OutboxMessage
from .people import Organisation, User
from .questions import FollowUpPrompt, Question, QuestionSet, Theme

__all__ = [
    "Action",
    "ActionUpdate",
    "AgendaItem",
    "AgendaText",
    "Conversation",
    "FollowUpPrompt",
    "Minutes",
    "MinutesPoint",
    "MinutesVersion",
    "Organisation",
    "OutboxMessage",
    "PasswordToken",
    "Pick",
    "Question",
    "QuestionSet",
    "Theme",
    "User",
]
