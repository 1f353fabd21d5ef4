"""Following up the agreed actions between conversations (R14): each party's list of open
actions, progress and done, and reminders before and after a deadline.

An action is followed up once the minutes that agreed it have been approved.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..errors import Refused
from ..extensions import db
from ..models import Action, ActionUpdate, Conversation, Minutes
from ..models.followup import DONE, PROGRESS, REOPENED
from ..timeutil import utcnow


def followed_up_actions():
    """Actions whose minutes have been approved at least once."""
    return select(Action).join(
        Minutes,
        and_(Minutes.conversation_id == Action.conversation_id,
             Minutes.first_approved_at.is_not(None)),
    )


def open_actions(user) -> list[Action]:
    """The open actions `user` follows up, soonest deadline first: the employee's of their
    own conversations, the leader's of those they follow up now (`Action.leader_id`: the
    leader who agreed them, or the one who took over the person since)."""
    return db.session.scalars(
        followed_up_actions()
        .join(Conversation, Conversation.id == Action.conversation_id)
        .where(
            or_(Conversation.employee_id == user.id, Action.leader_id == user.id),
            Action.done_at.is_(None),
        )
        .order_by(Action.deadline, Action.id)
        .options(
            selectinload(Action.updates).joinedload(ActionUpdate.author),
            joinedload(Action.conversation).joinedload(Conversation.employee),
            joinedload(Action.conversation).joinedload(Conversation.leader),
        )
    ).all()


def actions_to_review(employee_id: int, previous_id: int | None) -> list[Action]:
    """What the next conversation starts with (R7): the actions agreed in the employee's
    last conversation, done or not, and those of earlier ones that are still open."""
    if previous_id is None:
        return []
    return db.session.scalars(
        followed_up_actions()
        .join(Conversation, Conversation.id == Action.conversation_id)
        .options(contains_eager(Action.conversation))
        .where(
            Conversation.employee_id == employee_id,
            or_(Action.conversation_id == previous_id, Action.done_at.is_(None)),
        )
        .order_by(Conversation.starts_at, Action.position, Action.id)
    ).all()


def followed_up(action_id: int) -> Action | None:
    return db.session.scalar(followed_up_actions().where(Action.id == action_id))


def record_progress(action: Action, author, comment: str, done: bool) -> ActionUpdate:
    """Either party writes how the action is going, or marks it done, with a comment."""
    if action.is_done:
        raise Refused(_l("This action is already done."))
    if done:
        action.done_at = utcnow()
    return _update(action, author, comment, DONE if done else PROGRESS)


def reopen_action(action: Action, author, comment: str) -> ActionUpdate:
    """Either party opens a done action again (not done after all), saying why."""
    if not action.is_done:
        raise Refused(_l("This action is not done."))
    action.done_at = None
    return _update(action, author, comment, REOPENED)


def _update(action: Action, author, comment: str, kind: str) -> ActionUpdate:
    update = ActionUpdate(author=author, comment=comment, kind=kind)
    action.updates.append(update)
    return update
