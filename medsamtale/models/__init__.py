"""The database models, one module per area."""

# Issue 14: sign-in through OpenID Connect, second factors, provisioning (their tables).
from . import factors, identities, provisioning  # noqa: E402,F401,I001
from .accounts import PasswordToken
from .agenda import AgendaItem, AgendaText
from .audit import AuditEvent
from .conversations import Conversation, Pick
from .exports import PersonalExport
from .followup import Action, ActionUpdate
from .hr_changes import EmailChange, PendingChange
from .keys import DataKey
from .leadership import Deputy, MinutesShare
from .minutes import Minutes, MinutesPoint, MinutesRemark, MinutesVersion
from .outbox import OutboxMessage
from .people import Organisation, User
from .questions import FollowUpPrompt, Question, QuestionSet, Theme
from .rounds import Round, RoundMember, RoundReminder, RoundUnit
from .sessions import UserSession
from .units import Unit

__all__ = [
    "Deputy",
    "MinutesShare",
    "Round",
    "RoundMember",
    "RoundReminder",
    "RoundUnit",
    "Unit",
    "Action",
    "ActionUpdate",
    "AgendaItem",
    "AgendaText",
    "AuditEvent",
    "Conversation",
    "DataKey",
    "EmailChange",
    "FollowUpPrompt",
    "Minutes",
    "MinutesPoint",
    "MinutesRemark",
    "MinutesVersion",
    "Organisation",
    "OutboxMessage",
    "PasswordToken",
    "PendingChange",
    "PersonalExport",
    "Pick",
    "Question",
    "QuestionSet",
    "Theme",
    "User",
    "UserSession",
]
