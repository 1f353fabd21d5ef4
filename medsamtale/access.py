"""Who may see what: a conversation belongs to its leader and its employee, and nobody
else reads it, not another leader, not the HR admin (R9, docs/rules.md). Every view that
shows or changes a conversation finds it through `conversation_for`.

Also here: the check that a form was not opened on an older state of the conversation.
"""

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Conversation
from .models.conversations import EMPLOYEE, HELD, LEADER

PARTY = "party"  # either of the two
WITH_PARTIES = (joinedload(Conversation.employee), joinedload(Conversation.leader))


def conversation_for(role: str, conversation_id: int, *, lock: bool = False) -> Conversation:
    """The conversation, if the current user is its `role`: LEADER, EMPLOYEE, or PARTY for
    either of the two; 404 or 403 otherwise.

    The employee sees it once it is sent; until then it is the leader's draft. With `lock`,
    the row is locked (PostgreSQL) so that concurrent changes of it take their turn.
    """
    if lock:
        conversation = Conversation.locked(conversation_id)
    else:  # with both parties, whom its pages name
        conversation = db.session.get(Conversation, conversation_id, options=WITH_PARTIES)
    if conversation is None:
        abort(404)
    if role == PARTY:
        role = LEADER if conversation.leader_id == current_user.id else EMPLOYEE
    if getattr(conversation, f"{role}_id") != current_user.id:
        abort(403)
    if role == EMPLOYEE and not conversation.is_sent:
        abort(404)
    return conversation


def held_conversation_for(role: str, conversation_id: int, *, lock: bool = False):
    """As conversation_for, for a conversation that has been held (it has minutes)."""
    conversation = conversation_for(role, conversation_id, lock=lock)
    if conversation.state != HELD:
        abort(404)
    return conversation


def is_employee(conversation: Conversation) -> bool:
    return conversation.employee_id == current_user.id


def is_stale(conversation: Conversation) -> bool:
    """True when the form came from a page older than the conversation's last change."""
    sent = request.form.get("version")
    return sent is not None and sent != str(conversation.version)


def stale_message() -> str:
    return _(
        "The conversation changed after you opened this page, so nothing was saved. "
        "Look at it again and repeat what you meant to do."
    )
