"""Reminders to whoever has not finished preparing, PREPARATION_REMINDER_DAYS before the
conversation (R4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..conversations.services import email_links
from ..extensions import db
from ..models import Conversation
from ..models.conversations import PREPARATION_STATES, READY
from ..outbox import queue_email
from ..timeutil import utcnow


def queue_preparation_reminders(now: datetime | None = None) -> int:
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

