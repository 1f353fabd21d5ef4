"""Reminders of the agreed actions (R14): both parties ACTION_REMINDER_DAYS before an
open action's deadline, and once more when it has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from ..extensions import db
from ..models import Action
from ..outbox import queue_email
from ..timeutil import to_oslo, utcnow
from ..urls import public_url
from .services import followed_up_actions


def queue_action_reminders(now: datetime | None = None) -> int:
    """Remind both parties ACTION_REMINDER_DAYS before an open action's deadline, and once
    more when it has passed. Returns how many emails were queued; commits."""
    now = now or utcnow()
    today = to_oslo(now).date()
    ahead = today + timedelta(days=current_app.config["ACTION_REMINDER_DAYS"])
    due = db.session.scalars(
        followed_up_actions()
        .where(
            Action.done_at.is_(None),
            or_(
                and_(Action.reminded_ahead_at.is_(None), Action.deadline >= today,
                     Action.deadline <= ahead),
                and_(Action.reminded_overdue_at.is_(None), Action.deadline < today),
            ),
        )
        .with_for_update(of=Action, skip_locked=True)
    ).all()
    queued = 0
    for action in due:
        overdue = action.deadline < today
        conversation = action.conversation
        for person in (conversation.employee, conversation.leader):
            queue_email(person, "action_reminder", action=action, overdue=overdue,
                        link=public_url("main.home", _anchor=f"action-{action.id}"))
            queued += 1
        action.reminded_ahead_at = action.reminded_ahead_at or now
        if overdue:
            action.reminded_overdue_at = now
    db.session.commit()
    return queued
