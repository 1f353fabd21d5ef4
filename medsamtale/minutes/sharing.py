"""An employee's share of earlier approved minutes with their current leader (issue 15,
point 5).

Minutes stay with the leader who held the conversation (admin.changes.hand_over). The
employee may let their current leader read the approved minutes of a conversation held
with an earlier leader, and take that back at any time. A share gives access only while
that leader is still the employee's leader: after another change of leader it gives
nothing, and it is not moved to the next leader. The reader reads the approved minutes
only, never the agenda, the preparation, the drafts or the other versions (access.py,
minutes/views.py). Each share and withdrawal is in the audit log, without content; the
leader is told by email. The caller commits.
"""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from ..access import PARTY, WITH_PARTIES, held_conversation_for
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Minutes, MinutesShare, User
from ..models.conversations import HELD
from ..models.minutes import APPROVED
from ..outbox import queue_email
from ..urls import public_url

SHARED = "minutes_shared"
WITHDRAWN = "minutes_share_withdrawn"


def _minutes(conversation: Conversation) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation.id))


def share_target(conversation: Conversation) -> User | None:
    """The leader the employee may share these minutes with: their current, active leader,
    if that is not the leader who held the conversation (who reads them already)."""
    leader = conversation.employee.leader
    if leader is None or not leader.active or leader.id == conversation.leader_id:
        return None
    return leader


def current_share(conversation: Conversation) -> MinutesShare | None:
    """The share that gives access now: with the employee's current leader."""
    leader_id = conversation.employee.leader_id
    if leader_id is None:
        return None
    return db.session.scalar(select(MinutesShare).where(
        MinutesShare.conversation_id == conversation.id, MinutesShare.leader_id == leader_id))


def shared_with(conversation: Conversation, user) -> bool:
    """Whether `user` reads these minutes because the employee shared them: only while the
    share's leader is the employee's current leader and is `user`."""
    if user is None or not getattr(user, "id", None):
        return False
    if conversation.employee.leader_id != user.id or conversation.leader_id == user.id:
        return False
    share = current_share(conversation)
    return share is not None and share.leader_id == conversation.employee.leader_id == user.id


def _check_employee(conversation: Conversation, employee: User) -> None:
    if conversation.employee_id != employee.id:
        raise Refused(_l("Only %(name)s can share or withdraw these minutes: they are the "
                         "employee's to share. Nothing was changed.",
                         name=conversation.employee.name))


def share(conversation: Conversation, employee: User) -> MinutesShare:
    """The employee lets their current leader read the approved minutes."""
    _check_employee(conversation, employee)
    minutes = _minutes(conversation) if conversation.state == HELD else None
    if minutes is None or minutes.state != APPROVED:
        raise Refused(_l("Only approved minutes can be shared. Nothing was changed."))
    leader = conversation.employee.leader
    if leader is None or not leader.active:
        raise Refused(_l("You have no leader to share the minutes with. Nothing was "
                         "changed."))
    if leader.id == conversation.leader_id:
        raise Refused(_l("%(name)s held this conversation and reads the minutes already. "
                         "Nothing was changed.", name=leader.name))
    if current_share(conversation) is not None:
        raise Refused(_l("The minutes are already shared with %(name)s. Nothing was "
                         "changed.", name=leader.name))
    # Earlier shares, with leaders who are no longer the employee's, give nothing: gone.
    db.session.execute(delete(MinutesShare).where(
        MinutesShare.conversation_id == conversation.id)
        .execution_options(synchronize_session=False))
    made = MinutesShare(conversation_id=conversation.id, leader_id=leader.id)
    db.session.add(made)
    db.session.flush()
    record(SHARED, subject=leader, conversation=conversation, share_id=made.id)
    queue_email(leader, "minutes_shared", conversation=conversation,
                link=public_url("minutes.show", conversation_id=conversation.id))
    return made


def withdraw(conversation: Conversation, employee: User) -> User:
    """The employee takes the share back: the leader no longer reads the minutes. Returns
    that leader."""
    _check_employee(conversation, employee)
    share = current_share(conversation)
    if share is None:
        raise Refused(_l("The minutes are not shared with anybody. Nothing was changed."))
    leader_id = share.leader_id
    db.session.execute(delete(MinutesShare).where(
        MinutesShare.conversation_id == conversation.id)
        .execution_options(synchronize_session=False))
    record(WITHDRAWN, subject=leader_id, conversation=conversation)
    return db.session.get(User, leader_id)


def shared_with_leader(leader: User) -> list[MinutesShare]:
    """The shares that give `leader` access now, of their own people, newest conversation
    first: one query, with each conversation and its two parties."""
    return db.session.scalars(
        select(MinutesShare)
        .join(Conversation, Conversation.id == MinutesShare.conversation_id)
        .join(User, User.id == Conversation.employee_id)
        .where(MinutesShare.leader_id == leader.id, User.leader_id == leader.id,
               Conversation.leader_id != leader.id)
        .order_by(Conversation.starts_at.desc(), Conversation.id.desc())
        .options(joinedload(MinutesShare.conversation).joinedload(Conversation.employee),
                 joinedload(MinutesShare.conversation).joinedload(Conversation.leader))
    ).all()


def readable_minutes_for(conversation_id: int) -> tuple[Conversation, bool]:
    """For the pages that show approved minutes only: the held conversation, if the current
    user is one of its parties (as held_conversation_for(PARTY)), or the employee's current
    leader they were shared with (minutes/sharing.py), who reads the approved minutes and
    nothing else. Returns (conversation, whether the reader is a party); 404 or 403
    otherwise."""
    conversation = db.session.get(Conversation, conversation_id, options=WITH_PARTIES)
    if conversation is None:
        abort(404)
    if current_user.id in (conversation.leader_id, conversation.employee_id):
        return held_conversation_for(PARTY, conversation_id), True
    if conversation.state != HELD or not shared_with(conversation, current_user):
        abort(403)
    return conversation, False
