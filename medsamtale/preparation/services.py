"""Preparing for the conversation: the employee's ten questions (R5), each party's notes
(R10) and topics (R4), ready, and reminders to whoever has not finished.

Every change here is made on a conversation the caller has locked (services.locked), and
raises PreparationRefused, with a message for the person, when the rules do not allow it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..conversations.services import ConversationRefused, email_links
from ..extensions import db
from ..models import Conversation, Pick, Question, Theme
from ..models.conversations import MAX_PICKS, NOTE_MAX, PREPARATION_STATES, READY, TOPICS_MAX
from ..models.questions import swap_positions
from ..outbox import queue_email
from ..timeutil import utcnow


class PreparationRefused(ConversationRefused):
    pass


def _employee_may_change(conversation: Conversation) -> None:
    if conversation.state == READY:
        raise PreparationRefused(
            _l("You have said your preparation is ready. Open it again to make changes.")
        )
    if not conversation.employee_can_prepare:
        raise PreparationRefused(_l("The preparation for this conversation is closed."))


def _started(conversation: Conversation) -> None:
    if conversation.preparation_started_at is None:
        conversation.preparation_started_at = utcnow()
    conversation.refresh_state()


def _pick(conversation: Conversation, pick_id: int) -> Pick:
    pick = db.session.get(Pick, pick_id)
    if pick is None or pick.conversation_id != conversation.id:
        raise PreparationRefused(
            _l("That question is no longer among your picks. The page was out of date.")
        )
    return pick


def add_pick(conversation: Conversation, question_id: int) -> Pick:
    """Pick a question: from this conversation's set, not retired, not twice, ten at most."""
    _employee_may_change(conversation)
    # Take the write lock first (SQLite), so the count below cannot be overtaken.
    conversation.refresh_state()
    db.session.flush()
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
        raise PreparationRefused(_l("That question cannot be picked for this conversation."))
    picks = db.session.execute(
        select(Pick.question_id, Pick.position).where(Pick.conversation_id == conversation.id)
    ).all()
    if any(picked == question.id for picked, _position in picks):
        raise PreparationRefused(_l("You have already picked that question."))
    if len(picks) >= MAX_PICKS:
        raise PreparationRefused(
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


def remove_pick(conversation: Conversation, pick_id: int) -> None:
    _employee_may_change(conversation)
    db.session.delete(_pick(conversation, pick_id))
    _started(conversation)


def move_pick(conversation: Conversation, pick_id: int, step: int) -> None:
    _employee_may_change(conversation)
    pick = _pick(conversation, pick_id)
    if step not in (-1, 1) or not swap_positions(conversation.picks, pick, step):
        raise PreparationRefused(_l("That question cannot move further."))
    _started(conversation)


def _text(value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise PreparationRefused(_l("At most %(max)d characters.", max=limit))
    return value


def save_employee_note(conversation: Conversation, pick_id: int, note: str) -> None:
    _employee_may_change(conversation)
    _pick(conversation, pick_id).employee_note = _text(note, NOTE_MAX)
    _started(conversation)


def save_employee_topics(conversation: Conversation, topics: str) -> None:
    _employee_may_change(conversation)
    conversation.employee_topics = _text(topics, TOPICS_MAX)
    _started(conversation)


def mark_employee_ready(conversation: Conversation) -> None:
    _employee_may_change(conversation)
    if not conversation.picks:
        raise PreparationRefused(_l("Pick at least one question first."))
    conversation.employee_ready_at = utcnow()
    _started(conversation)
    queue_email(conversation.leader, "preparation_ready", **email_links(conversation))


def reopen_employee_preparation(conversation: Conversation) -> None:
    if conversation.state != READY:
        raise PreparationRefused(_l("The preparation is already open."))
    conversation.employee_ready_at = None
    conversation.refresh_state()


def _leader_may_change(conversation: Conversation) -> None:
    if not conversation.leader_can_prepare:
        raise PreparationRefused(_l("The preparation for this conversation is closed."))


def save_leader_note(conversation: Conversation, pick_id: int, note: str) -> None:
    _leader_may_change(conversation)
    if not conversation.leader_may_see_picks:
        raise PreparationRefused(_l("The employee has not finished picking questions yet."))
    _pick(conversation, pick_id).leader_note = _text(note, NOTE_MAX)
    conversation.version += 1


def save_leader_topics(conversation: Conversation, topics: str) -> None:
    _leader_may_change(conversation)
    conversation.leader_topics = _text(topics, TOPICS_MAX)
    conversation.version += 1


def mark_leader_ready(conversation: Conversation, ready: bool = True) -> None:
    _leader_may_change(conversation)
    conversation.leader_ready_at = utcnow() if ready else None
    conversation.version += 1


# Reminders ------------------------------------------------------------------------------------


def queue_due_reminders(now: datetime | None = None) -> int:
    """Remind each party who has not finished preparing, PREPARATION_REMINDER_DAYS ahead.

    Each party is reminded once per time; moving the conversation allows a new reminder.
    Returns how many reminders were queued; commits.
    """
    now = now or utcnow()
    horizon = now + timedelta(days=current_app.config["PREPARATION_REMINDER_DAYS"])
    due = db.session.scalars(
        select(Conversation)
        .where(
            Conversation.state.in_((*PREPARATION_STATES, READY)),
            Conversation.starts_at > now,
            Conversation.starts_at <= horizon,
            or_(
                Conversation.employee_ready_at.is_(None)
                & Conversation.employee_reminded_at.is_(None),
                Conversation.leader_ready_at.is_(None)
                & Conversation.leader_reminded_at.is_(None),
            ),
        )
        .with_for_update(of=Conversation, skip_locked=True)
    ).all()
    queued = 0
    for conversation in due:
        for role in ("employee", "leader"):
            if getattr(conversation, f"{role}_ready_at") or getattr(
                conversation, f"{role}_reminded_at"
            ):
                continue
            queue_email(
                getattr(conversation, role),
                "preparation_reminder",
                role=role,
                **email_links(conversation),
            )
            setattr(conversation, f"{role}_reminded_at", now)
            queued += 1
    db.session.commit()
    return queued

