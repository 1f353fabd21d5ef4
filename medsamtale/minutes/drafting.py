"""The employee's draft of the minutes (R12): opened when the meeting ends, one point per
discussed agenda item with both parties' notes to rewrite, and the agreed actions (R11).

Every change here is made on a conversation the caller has locked and raises Refused, with
a message for the person, when the rules forbid it; texts come validated from the forms.
Emails are queued in the same transaction; the caller commits.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..errors import Refused
from ..extensions import db
from ..models import Action, ActionUpdate, AgendaItem, Conversation, Minutes, MinutesPoint
from ..outbox import queue_email
from ..urls import public_url


def minutes_of(conversation: Conversation) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation.id))


def open_minutes(conversation: Conversation, discussed: list[AgendaItem],
                 notify: bool = True) -> Minutes:
    """The conversation's minutes, started from the `discussed` agenda items. The employee
    is asked by email to write them, unless `notify` is False."""
    minutes = minutes_of(conversation)
    if minutes is not None:
        return minutes
    minutes = Minutes(conversation=conversation)
    employee = conversation.employee
    with force_locale(employee.locale):
        for position, item in enumerate(discussed):
            notes = render_template("minutes/_draft_point.txt", item=item,
                                    conversation=conversation)
            minutes.points.append(
                MinutesPoint(position=position, heading=item.text, body=text.from_plain(notes))
            )
    db.session.add(minutes)
    if notify:
        queue_email(employee, "minutes_requested", **email_links(conversation))
    return minutes


def email_links(conversation: Conversation) -> dict:
    return {
        "conversation": conversation,
        "link": public_url("minutes.show", conversation_id=conversation.id),
    }


def _point(minutes: Minutes, point_id: int) -> MinutesPoint:
    point = next((p for p in minutes.points if p.id == point_id), None)
    if point is None:
        raise Refused(_l("That point is not in these minutes."))
    return point


def save_point(minutes: Minutes, point_id: int, heading: str, body: str) -> None:
    minutes.check_editable()
    point = _point(minutes, point_id)
    point.heading, point.body = heading, body


def add_point(minutes: Minutes) -> MinutesPoint:
    minutes.check_editable()
    position = max((p.position for p in minutes.points), default=-1) + 1
    point = MinutesPoint(position=position, heading="", body="")
    minutes.points.append(point)
    return point


def remove_point(minutes: Minutes, point_id: int) -> None:
    minutes.check_editable()
    minutes.points.remove(_point(minutes, point_id))


def actions_of(conversation: Conversation, with_updates: bool = False) -> list[Action]:
    query = (
        select(Action)
        .where(Action.conversation_id == conversation.id)
        .order_by(Action.position, Action.id)
    )
    if with_updates:
        query = query.options(selectinload(Action.updates).joinedload(ActionUpdate.author))
    return db.session.scalars(query.options(joinedload(Action.conversation))).all()


def _action(conversation: Conversation, action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or action.conversation_id != conversation.id:
        raise Refused(_l("That action is not in these minutes."))
    return action


def save_action(minutes: Minutes, action_id: int | None, details: dict) -> Action:
    """Add an action (action_id None) or change one; `details` come validated from the form."""
    minutes.check_editable()
    conversation = minutes.conversation
    if action_id is None:
        position = max((a.position for a in actions_of(conversation)), default=-1) + 1
        action = Action(conversation=conversation, position=position, **details)
        db.session.add(action)
        minutes.no_actions = False
    else:
        action = _action(conversation, action_id)
        for name, value in details.items():
            setattr(action, name, value)
    return action


def remove_action(minutes: Minutes, action_id: int) -> None:
    minutes.check_editable()
    db.session.delete(_action(minutes.conversation, action_id))


def set_no_actions(minutes: Minutes, none_agreed: bool) -> None:
    minutes.check_editable()
    if none_agreed and actions_of(minutes.conversation):
        raise Refused(_l(
            "The minutes list actions. Remove them first if none were agreed after all."
        ))
    minutes.no_actions = none_agreed


def content_of(minutes: Minutes) -> dict:
    """The draft as a version keeps it."""
    return {
        "points": [{"heading": p.heading, "body": p.body} for p in minutes.points],
        "actions": [a.as_content() for a in actions_of(minutes.conversation)],
        "no_actions": minutes.no_actions,
    }
