"""Following up the agreed actions between conversations (R14): each party's list of open
actions, progress and done, and reminders before and after a deadline.

An action is followed up once the minutes that agreed it have been approved.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..conversations.services import ConversationRefused
from ..extensions import db
from ..models import Action, ActionUpdate, Conversation, Minutes
from ..models.minutes import COMMENT_MAX, DONE, PROGRESS, REOPENED
from ..outbox import public_url, queue_email
from ..timeutil import to_oslo, utcnow


class FollowUpRefused(ConversationRefused):
    pass


def _followed_up():
    """Actions whose minutes have been approved at least once."""
    return select(Action).join(
        Minutes,
        and_(Minutes.conversation_id == Action.conversation_id,
             Minutes.first_approved_at.is_not(None)),
    )


def open_actions(user) -> list[Action]:
    """The open actions of the conversations `user` took part in, soonest deadline first."""
    return db.session.scalars(
        _followed_up()
        .join(Conversation, Conversation.id == Action.conversation_id)
        .where(
            or_(Conversation.employee_id == user.id, Conversation.leader_id == user.id),
            Action.done_at.is_(None),
        )
        .order_by(Action.deadline, Action.id)
        .options(selectinload(Action.updates))
    ).all()


def actions_to_review(employee_id: int, previous_id: int | None) -> list[Action]:
    """What the next conversation starts with (R7): the actions agreed in the employee's
    last conversation, done or not, and those of earlier ones that are still open."""
    if previous_id is None:
        return []
    return db.session.scalars(
        _followed_up()
        .join(Conversation, Conversation.id == Action.conversation_id)
        .where(
            Conversation.employee_id == employee_id,
            or_(Action.conversation_id == previous_id, Action.done_at.is_(None)),
        )
        .order_by(Conversation.starts_at, Action.position, Action.id)
    ).all()


def followed_up(action_id: int) -> Action | None:
    return db.session.scalar(_followed_up().where(Action.id == action_id))


def record_progress(action: Action, author, comment: str, done: bool) -> ActionUpdate:
    """Either party writes how the action is going, or marks it done, with a comment."""
    if action.is_done:
        raise FollowUpRefused(_l("This action is already done."))
    update = _update(
        action, author, comment, DONE if done else PROGRESS,
        _l("Write a comment on what was done.") if done else _l("Write how it is going."),
    )
    if done:
        action.done_at = utcnow()
    return update


def reopen_action(action: Action, author, comment: str) -> ActionUpdate:
    """Either party opens a done action again (not done after all), saying why."""
    if not action.is_done:
        raise FollowUpRefused(_l("This action is not done."))
    update = _update(action, author, comment, REOPENED,
                     _l("Say why the action is not done after all."))
    action.done_at = None
    return update


def _update(action: Action, author, comment: str, kind: str, missing) -> ActionUpdate:
    comment = (comment or "").strip()
    if not comment:
        raise FollowUpRefused(missing)
    if len(comment) > COMMENT_MAX:
        raise FollowUpRefused(_l("At most %(max)d characters.", max=COMMENT_MAX))
    update = ActionUpdate(author=author, comment=comment, kind=kind)
    action.updates.append(update)
    return update


def queue_action_reminders(now: datetime | None = None) -> int:
    """Remind both parties ACTION_REMINDER_DAYS before an open action's deadline, and once
    more when it has passed. Returns how many emails were queued; commits."""
    now = now or utcnow()
    today = to_oslo(now).date()
    ahead = today + timedelta(days=current_app.config["ACTION_REMINDER_DAYS"])
    due = db.session.scalars(
        _followed_up()
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
