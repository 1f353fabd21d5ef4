"""Who may see what: a conversation belongs to its leader and its employee, and nobody
else reads it, not another leader, not the HR admin (R9, docs/rules.md). Every view that
shows or changes a conversation finds it through `conversation_for`; only the pages of
approved minutes use minutes.sharing's `readable_minutes_for`, which also lets in the
employee's current leader they shared them with, to read.

Also here: the check that a form was not opened on an older state of the conversation.
"""

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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


# What changed since the page was opened, by Conversation.last_change.
STALE_REASONS = {
    "plan": _l("The time, place or length of the conversation was changed after you opened "
               "this page."),
    "invited": _l("The invitation was sent after you opened this page."),
    "cancelled": _l("The conversation was cancelled after you opened this page."),
    "accepted": _l("The employee accepted the time after you opened this page."),
    "proposed": _l("The employee proposed another time after you opened this page."),
    "time_kept": _l("The leader kept the planned time after you opened this page."),
    "ready": _l("The employee said the preparation is ready after you opened this page."),
    "reopened": _l("The preparation was opened again after you opened this page."),
    "started": _l("The meeting began after you opened this page."),
    "ended": _l("The meeting ended after you opened this page."),
}


def is_stale(conversation: Conversation) -> bool:
    """True when the form came from a page older than the conversation's last change."""
    sent = request.form.get("version")
    return sent is not None and sent != str(conversation.version)


def stale_message(conversation: Conversation | None = None) -> str:
    """Says what changed since the page was opened, and that nothing was saved."""
    reason = STALE_REASONS.get(conversation.last_change) if conversation is not None else None
    if reason is None:
        return _(
            "The conversation changed after you opened this page, so nothing was saved. "
            "Look at it again and repeat what you meant to do."
        )
    return _("%(what)s Nothing was saved: look at the page again and repeat what you meant "
             "to do.", what=reason)
