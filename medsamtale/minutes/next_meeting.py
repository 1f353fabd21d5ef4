"""The next meeting agreed after the minutes are approved (R14): the next conversation or a
shorter follow-up (oppfølgingssamtale), and the date it should be. The leader is reminded
by email NEXT_MEETING_REMINDER_DAYS before that date, once: the employee's leader at that
time, so a new leader gets the reminder and the old one does not."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Minutes, User
from ..models.minutes import APPROVED, FOLLOW_UP, NEXT_CONVERSATION
from ..outbox import queue_email
from ..timeutil import oslo_today, to_oslo, utcnow
from ..urls import public_url

# Two weeks ahead, so the time can be agreed with the employee in good time (R2).
NEXT_MEETING_REMINDER_DAYS = 14
KIND_LABELS = {
    NEXT_CONVERSATION: _l("The next conversation"),
    FOLLOW_UP: _l("A follow-up conversation"),
}


def set_next_meeting(minutes: Minutes, kind: str | None, on: date | None) -> None:
    """The leader says when the next meeting should be; the caller commits."""
    if minutes.state != APPROVED:
        raise Refused(_l("The next meeting is set once the minutes are approved."))
    if kind not in KIND_LABELS:
        raise Refused(_l("Choose the next conversation or a follow-up conversation."))
    if on is None or on <= oslo_today():
        raise Refused(_l("Choose a date after today for the next meeting."))
    minutes.next_meeting_kind, minutes.next_meeting_on = kind, on
    minutes.next_meeting_reminded_at = None


def queue_next_meeting_reminders(now: datetime | None = None) -> int:
    """Remind the employee's current leader of each next meeting that is near; returns how
    many were queued; commits. Each is claimed by a conditional update first, so two
    workers never send the same reminder."""
    now = now or utcnow()
    horizon = to_oslo(now).date() + timedelta(days=NEXT_MEETING_REMINDER_DAYS)
    due = db.session.scalars(
        select(Minutes).join(Conversation, Conversation.id == Minutes.conversation_id)
        .join(User, User.id == Conversation.employee_id)
        .where(Minutes.next_meeting_on.is_not(None), Minutes.next_meeting_on <= horizon,
               Minutes.next_meeting_reminded_at.is_(None), Minutes.state == APPROVED,
               User.active, User.leader_id.is_not(None))
        .options(joinedload(Minutes.conversation).joinedload(Conversation.employee)
                 .joinedload(User.leader))
    ).all()
    queued = 0
    for minutes in due:
        employee = minutes.conversation.employee
        leader = employee.leader
        if leader is None or not leader.active:
            continue
        claimed = db.session.execute(
            update(Minutes)
            .where(Minutes.id == minutes.id, Minutes.next_meeting_reminded_at.is_(None))
            .values(next_meeting_reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        queue_email(leader, "next_meeting_reminder", person=employee,
                    kind=minutes.next_meeting_kind, on=minutes.next_meeting_on,
                    link=public_url("conversations.plan", employee=employee.id))
        queued += 1
    db.session.commit()
    return queued
