"""Submitting the minutes, and the leader's decision on them (R13): approve, which locks
them, or send back with a comment; the employee may ask to reopen approved minutes and the
leader reopens them. Each step emails the other party; the caller commits.

The state moves only through the Minutes model's methods, each a conditional update of the
row that a second, simultaneous request finds already made (it is refused, and sends no
email); here are the rules about the content and the emails.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Minutes, MinutesVersion
from ..models.minutes import APPROVED, EDITABLE_STATES, RETURNED, SUBMITTED
from ..outbox import queue_email
from ..timeutil import oslo_today
from .drafting import content_of, email_links


def submit(minutes: Minutes) -> MinutesVersion:
    """Freeze the draft as a new version and send it to the leader. The draft is read and
    checked once the minutes are ours (Minutes.submit), so a second submit made at the same
    moment is refused rather than making a second version."""
    conversation = minutes.conversation
    version = minutes.submit(lambda: _submittable(minutes), conversation.employee.name)
    queue_email(conversation.leader, "minutes_submitted", version=version,
                **email_links(conversation))
    return version


def _submittable(minutes: Minutes) -> dict:
    """The draft's content, if it can be submitted: main points, and at least one action
    (none past its deadline) or a plain "none agreed"."""
    content = content_of(minutes)
    if not any(p["heading"].strip() or p["body"].strip() for p in content["points"]):
        raise Refused(_l("The minutes are empty. Write the main points first."))
    if not content["actions"] and not content["no_actions"]:
        raise Refused(_l(
            "Add at least one action, or say plainly that no actions were agreed."
        ))
    today = oslo_today()
    late = [a for a in content["actions"] if date.fromisoformat(a["deadline"]) < today]
    if late:
        raise Refused(_l(
            "The deadline of “%(what)s” has passed. Give it a new deadline first.",
            what=late[0]["what"],
        ))
    return content


def approve(minutes: Minutes, number: int | None) -> None:
    """The leader approves the version they read; the minutes are locked (R13)."""
    conversation = minutes.conversation
    version = minutes.decide(number, APPROVED, conversation.leader.name)
    queue_email(conversation.employee, "minutes_approved", version=version,
                **email_links(conversation))


def send_back(minutes: Minutes, number: int | None, comment: str) -> None:
    """The leader returns the version with a comment; the employee revises the draft."""
    conversation = minutes.conversation
    version = minutes.decide(number, RETURNED, conversation.leader.name, comment)
    queue_email(conversation.employee, "minutes_returned", version=version,
                **email_links(conversation))


def request_reopen(minutes: Minutes, comment: str) -> None:
    """The employee asks the leader to reopen approved minutes, saying why."""
    minutes.ask_to_reopen(comment)
    queue_email(minutes.conversation.leader, "minutes_reopen_requested", comment=comment,
                **email_links(minutes.conversation))


def reopen(minutes: Minutes) -> None:
    """The leader reopens approved minutes; the next submission is a new version."""
    minutes.reopen()
    queue_email(minutes.conversation.employee, "minutes_reopened",
                **email_links(minutes.conversation))


def minutes_tasks(user) -> list[Minutes]:
    """Minutes waiting for `user`: to write or revise as the employee, to decide on or
    reopen as the leader."""
    return db.session.scalars(
        select(Minutes)
        .join(Conversation, Conversation.id == Minutes.conversation_id)
        .where(or_(
            (Conversation.employee_id == user.id) & Minutes.state.in_(EDITABLE_STATES),
            (Conversation.leader_id == user.id)
            & ((Minutes.state == SUBMITTED) | Minutes.reopen_requested_at.is_not(None)),
        ))
        .order_by(Conversation.starts_at)
        .options(joinedload(Minutes.conversation).joinedload(Conversation.employee),
                 joinedload(Minutes.conversation).joinedload(Conversation.leader))
    ).all()
