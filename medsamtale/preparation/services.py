"""Preparing for the conversation: the employee's ten questions (R5), each party's notes
(R10) and topics (R4), and saying that one is ready.

Every change here is made on a conversation the caller has locked (access.conversation_for
with lock), and raises Refused, with a message for the person, when the rules do not allow
it. The texts come validated (lengths included) from the forms.

The conversation's `version` (what a stale form is recognised by, access.is_stale) stands
for its plan and its stage: the time, the place, the invitation and its answer, saying the
preparation is ready or opening it again, the meeting. What each party writes while
preparing (picks, notes, topics, the leader's "prepared") does not raise it: it saves itself
as it is typed, its own rules guard it (`_employee_may_change`, `_leader_may_change`), and
no decision of the other party depends on it. So a page's own autosaves never make its
"ready" button stale, nor does the leader's private preparation make the employee's page
stale (or tell her that something she cannot see has changed).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..conversations.services import email_links
from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Pick, Question, Theme
from ..models.conversations import EMPLOYEE, LEADER, MAX_PICKS, READY
from ..models.questions import swap_positions
from ..outbox import queue_email
from ..timeutil import utcnow


def _employee_may_change(conversation: Conversation) -> None:
    if conversation.state == READY:
        raise Refused(
            _l("You have said your preparation is ready. Open it again to make changes.")
        )
    if not conversation.employee_can_prepare:
        raise Refused(_l("The preparation for this conversation is closed."))


def _started(conversation: Conversation) -> None:
    """The employee has prepared something: the conversation is under preparation. Not a
    change of the plan or the stage, so the version stays (see the module's docstring)."""
    if conversation.preparation_started_at is None:
        conversation.preparation_started_at = utcnow()
    conversation.refresh_state()


def _pick(conversation: Conversation, pick_id: int) -> Pick:
    pick = db.session.get(Pick, pick_id)
    if pick is None or pick.conversation_id != conversation.id:
        raise Refused(
            _l("That question is no longer among your picks. The page was out of date.")
        )
    return pick


def add_pick(conversation: Conversation, question_id: int) -> Pick:
    """Pick a question: from this conversation's set, not retired, not twice, ten at most."""
    _employee_may_change(conversation)
    # The caller holds the conversation's lock (on SQLite the write lock), so the count
    # below cannot be overtaken.
    question = db.session.scalar(
        select(Question)
        .join(Theme)
        .where(
            Question.id == question_id,
            Theme.question_set_id == conversation.question_set_id,
            Question.retired_at.is_(None),
            Theme.retired_at.is_(None),
        )
    )
    if question is None:
        raise Refused(_l("That question cannot be picked for this conversation."))
    picks = db.session.execute(
        select(Pick.question_id, Pick.position).where(Pick.conversation_id == conversation.id)
    ).all()
    if any(picked == question.id for picked, _position in picks):
        raise Refused(_l("You have already picked that question."))
    if len(picks) >= MAX_PICKS:
        raise Refused(
            _l(
                "You have already picked %(max)d questions. Remove one to pick another.",
                max=MAX_PICKS,
            )
        )
    pick = Pick(
        conversation_id=conversation.id,
        question_id=question.id,
        position=max((position for _q, position in picks), default=-1) + 1,
    )
    db.session.add(pick)
    _started(conversation)
    return pick


def remove_pick(conversation: Conversation, pick_id: int) -> int:
    """Remove a pick; returns the place (from 0) it had among the picks."""
    _employee_may_change(conversation)
    pick = _pick(conversation, pick_id)
    place = conversation.picks.index(pick)
    db.session.delete(pick)
    _started(conversation)
    return place


def move_pick(conversation: Conversation, pick_id: int, step: int) -> None:
    _employee_may_change(conversation)
    pick = _pick(conversation, pick_id)
    if step not in (-1, 1) or not swap_positions(conversation.picks, pick, step):
        raise Refused(_l("That question cannot move further."))
    _started(conversation)


def save_note(conversation: Conversation, role: str, pick_id: int, note: str) -> None:
    """The employee's or the leader's own note on a picked question (R10)."""
    _may_write(conversation, role)
    if role == LEADER and not conversation.leader_may_see_picks:
        raise Refused(_l("The employee has not finished picking questions yet."))
    setattr(_pick(conversation, pick_id), f"{role}_note", note)
    _written(conversation, role)


def save_topics(conversation: Conversation, role: str, topics: str) -> None:
    """What else the employee or the leader wants to raise (R4), one per line."""
    _may_write(conversation, role)
    setattr(conversation, f"{role}_topics", topics)
    _written(conversation, role)


def _may_write(conversation: Conversation, role: str) -> None:
    if role == EMPLOYEE:
        _employee_may_change(conversation)
    else:
        _leader_may_change(conversation)


def _written(conversation: Conversation, role: str) -> None:
    if role == EMPLOYEE:
        _started(conversation)


def mark_employee_ready(conversation: Conversation) -> None:
    _employee_may_change(conversation)
    if not conversation.picks:
        raise Refused(_l("Pick at least one question first."))
    conversation.employee_ready_at = utcnow()
    _started(conversation)
    conversation.record_change("ready")
    queue_email(conversation.leader, "preparation_ready", **email_links(conversation))


def reopen_employee_preparation(conversation: Conversation) -> None:
    if conversation.state != READY:
        raise Refused(_l("The preparation is already open."))
    conversation.employee_ready_at = None
    conversation.refresh_state()
    conversation.record_change("reopened")


def _leader_may_change(conversation: Conversation) -> None:
    if not conversation.leader_can_prepare:
        raise Refused(_l("The preparation for this conversation is closed."))


def mark_leader_ready(conversation: Conversation, ready: bool = True) -> None:
    _leader_may_change(conversation)
    conversation.leader_ready_at = utcnow() if ready else None
