"""The minutes: opened from the agenda when the meeting ends, written by the employee (R12),
submitted, approved or sent back by the leader, locked when approved (R13), reopened.

Every change here is made on a conversation the caller has locked (conversations.services.
locked) and raises MinutesRefused, with a message for the person, when the rules forbid it.
Emails are queued in the same transaction; the caller commits.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import text
from ..conversations.services import ConversationRefused
from ..extensions import db
from ..models import Action, Conversation, Minutes, MinutesPoint, MinutesVersion
from ..models.minutes import (
    APPROVED,
    BODY_MAX,
    DRAFT,
    EDITABLE_STATES,
    HEADING_MAX,
    RETURNED,
    SUBMITTED,
)
from ..outbox import public_url, queue_email
from ..timeutil import oslo_today, utcnow

REOPEN_COMMENT_MAX = 2000


class MinutesRefused(ConversationRefused):
    pass


# Opening -----------------------------------------------------------------------------------------


def minutes_of(conversation: Conversation) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation.id))


def open_minutes(conversation: Conversation, notify: bool = True) -> Minutes:
    """The conversation's minutes, started when the meeting ends: one point per discussed
    agenda item, with both parties' notes, for the employee to rewrite. The employee is
    asked by email to write them, unless `notify` is False."""
    from ..agenda.services import live_items

    minutes = minutes_of(conversation)
    if minutes is not None:
        return minutes
    minutes = Minutes(conversation=conversation)
    employee, leader = conversation.employee, conversation.leader
    with force_locale(employee.locale):
        by_employee = _("%(name)s (employee)", name=employee.name)
        by_leader = _("%(name)s (leader)", name=leader.name)
    for position, item in enumerate(i for i in live_items(conversation) if i.discussed):
        notes = [
            f"{who}: {note.strip()}"
            for who, note in ((by_employee, item.employee_note), (by_leader, item.leader_note))
            if note.strip()
        ]
        minutes.points.append(MinutesPoint(
            position=position,
            heading=item.text[:HEADING_MAX],
            body=text.clean("\n\n".join(notes)[:BODY_MAX]),
        ))
    db.session.add(minutes)
    if notify:
        queue_email(employee, "minutes_requested", **_links(conversation))
    return minutes


def _links(conversation: Conversation) -> dict:
    return {
        "conversation": conversation,
        "link": public_url("minutes.show", conversation_id=conversation.id),
    }


# The employee's draft ----------------------------------------------------------------------------


def ensure_editable(minutes: Minutes) -> None:
    if minutes.state == SUBMITTED:
        raise MinutesRefused(_l(
            "The minutes have been sent for approval and cannot change now. Your text was "
            "not saved; it is still in the field."
        ))
    if minutes.state == APPROVED:
        raise MinutesRefused(_l(
            "The minutes are approved and locked. Ask your leader to reopen them to make "
            "changes. Your text was not saved; it is still in the field."
        ))


def _point(minutes: Minutes, point_id: int) -> MinutesPoint:
    point = next((p for p in minutes.points if p.id == point_id), None)
    if point is None:
        raise MinutesRefused(_l("That point is not in these minutes."))
    return point


def save_point(minutes: Minutes, point_id: int, heading: str, body: str) -> None:
    ensure_editable(minutes)
    point = _point(minutes, point_id)
    heading = text.plain(heading).strip()
    body = text.clean(body)
    if len(heading) > HEADING_MAX:
        raise MinutesRefused(_l("A heading has at most %(max)d characters.", max=HEADING_MAX))
    if len(body) > BODY_MAX:
        raise MinutesRefused(_l("A point has at most %(max)d characters.", max=BODY_MAX))
    point.heading, point.body = heading, body


def add_point(minutes: Minutes) -> MinutesPoint:
    ensure_editable(minutes)
    position = max((p.position for p in minutes.points), default=-1) + 1
    point = MinutesPoint(position=position, heading="", body="")
    minutes.points.append(point)
    return point


def remove_point(minutes: Minutes, point_id: int) -> None:
    ensure_editable(minutes)
    minutes.points.remove(_point(minutes, point_id))


def actions_of(conversation: Conversation, with_updates: bool = False) -> list[Action]:
    query = (
        select(Action)
        .where(Action.conversation_id == conversation.id)
        .order_by(Action.position, Action.id)
    )
    if with_updates:
        query = query.options(selectinload(Action.updates))
    return db.session.scalars(query).all()


def _action(conversation: Conversation, action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or action.conversation_id != conversation.id:
        raise MinutesRefused(_l("That action is not in these minutes."))
    return action


def save_action(minutes: Minutes, action_id: int | None, details: dict) -> Action:
    """Add an action (action_id None) or change one; `details` come validated from the form."""
    ensure_editable(minutes)
    conversation = minutes.conversation
    if action_id is None:
        position = max((a.position for a in actions_of(conversation)), default=-1) + 1
        action = Action(conversation_id=conversation.id, position=position, **details)
        action.conversation = conversation
        db.session.add(action)
        minutes.no_actions = False
    else:
        action = _action(conversation, action_id)
        for name, value in details.items():
            setattr(action, name, value)
    return action


def remove_action(minutes: Minutes, action_id: int) -> None:
    ensure_editable(minutes)
    db.session.delete(_action(minutes.conversation, action_id))


def set_no_actions(minutes: Minutes, none_agreed: bool) -> None:
    ensure_editable(minutes)
    if none_agreed and actions_of(minutes.conversation):
        raise MinutesRefused(_l(
            "The minutes list actions. Remove them first if none were agreed after all."
        ))
    minutes.no_actions = none_agreed


# Submitting and deciding -------------------------------------------------------------------------


def content_of(minutes: Minutes) -> dict:
    """The draft as a version keeps it."""
    return {
        "points": [{"heading": p.heading, "body": p.body} for p in minutes.points],
        "actions": [a.as_content() for a in actions_of(minutes.conversation)],
        "no_actions": minutes.no_actions,
    }


def submit(minutes: Minutes) -> MinutesVersion:
    """Freeze the draft as a new version and send it to the leader."""
    if minutes.state == SUBMITTED:
        raise MinutesRefused(_l("The minutes are already sent for approval. Nothing was "
                                "changed."))
    ensure_editable(minutes)
    content = content_of(minutes)
    if not any(p["heading"].strip() or p["body"].strip() for p in content["points"]):
        raise MinutesRefused(_l("The minutes are empty. Write the main points first."))
    if not content["actions"] and not content["no_actions"]:
        raise MinutesRefused(_l(
            "Add at least one action, or say plainly that no actions were agreed."
        ))
    today = oslo_today()
    late = [a for a in content["actions"] if date.fromisoformat(a["deadline"]) < today]
    if late:
        raise MinutesRefused(_l(
            "The deadline of “%(what)s” has passed. Give it a new deadline first.",
            what=late[0]["what"],
        ))
    previous = minutes.latest_version
    version = MinutesVersion(
        number=(previous.number if previous else 0) + 1,
        content=content,
        submitted_at=utcnow(),
        submitted_by_name=minutes.conversation.employee.name,
        decided_by_name="",
        comment="",
    )
    minutes.versions.append(version)
    minutes.state = SUBMITTED
    minutes.reopen_requested_at = None
    minutes.reopen_request_comment = ""
    conversation = minutes.conversation
    queue_email(conversation.leader, "minutes_submitted", version=version,
                **_links(conversation))
    return version


def _deciding(minutes: Minutes, number: int | None) -> MinutesVersion:
    if minutes.state != SUBMITTED:
        raise MinutesRefused(_l(
            "There is nothing to decide: the minutes are not waiting for approval."
        ))
    version = minutes.latest_version
    if number != version.number:
        raise MinutesRefused(_l(
            "A newer version of the minutes has been submitted. Read it before you decide."
        ))
    return version


def approve(minutes: Minutes, number: int | None) -> None:
    """The leader approves the version they read; the minutes are locked (R13)."""
    version = _deciding(minutes, number)
    now = utcnow()
    version.decision, version.decided_at = APPROVED, now
    version.decided_by_name = minutes.conversation.leader.name
    minutes.state = APPROVED
    minutes.first_approved_at = minutes.first_approved_at or now
    queue_email(minutes.conversation.employee, "minutes_approved", version=version,
                **_links(minutes.conversation))


def send_back(minutes: Minutes, number: int | None, comment: str) -> None:
    """The leader returns the version with a comment; the employee revises the draft."""
    comment = (comment or "").strip()
    if not comment:
        raise MinutesRefused(_l("Say what should change, so the employee knows."))
    version = _deciding(minutes, number)
    version.decision, version.decided_at = RETURNED, utcnow()
    version.decided_by_name = minutes.conversation.leader.name
    version.comment = comment[:REOPEN_COMMENT_MAX]
    minutes.state = RETURNED
    queue_email(minutes.conversation.employee, "minutes_returned", version=version,
                **_links(minutes.conversation))


def request_reopen(minutes: Minutes, comment: str) -> None:
    """The employee asks the leader to reopen approved minutes."""
    if minutes.state != APPROVED:
        raise MinutesRefused(_l("Only approved minutes need reopening."))
    comment = (comment or "").strip()
    if not comment:
        raise MinutesRefused(_l("Say what you want to change, so your leader knows."))
    minutes.reopen_requested_at = utcnow()
    minutes.reopen_request_comment = comment[:REOPEN_COMMENT_MAX]
    queue_email(minutes.conversation.leader, "minutes_reopen_requested", comment=comment,
                **_links(minutes.conversation))


def reopen(minutes: Minutes) -> None:
    """The leader reopens approved minutes; the next submission is a new version."""
    if minutes.state != APPROVED:
        raise MinutesRefused(_l("Only approved minutes can be reopened."))
    minutes.state = DRAFT
    minutes.reopened_at = utcnow()
    minutes.reopen_requested_at = None
    minutes.reopen_request_comment = ""
    queue_email(minutes.conversation.employee, "minutes_reopened", **_links(minutes.conversation))


# Reading -----------------------------------------------------------------------------------------


@dataclass
class Line:
    kind: str  # "same", "added" or "removed"
    text: str


def content_lines(content: dict) -> list[str]:
    """A version as plain lines, to compare two versions."""
    lines = []
    for point in content["points"]:
        lines.append(f"## {point['heading']}")
        lines += text.as_lines(point["body"])
    for action in content["actions"]:
        lines.append(" · ".join(part for part in (
            _("Action: %(what)s", what=action["what"]),
            _("Responsible: %(name)s", name=action["responsible_name"]),
            _("Deadline: %(date)s", date=action["deadline"]),
            action["goal"],
        ) if part))
    if content["no_actions"]:
        lines.append(_("No actions were agreed."))
    return lines


def changes(old: dict, new: dict) -> list[Line]:
    """What changed from version `old` to `new`, line by line."""
    before, after = content_lines(old), content_lines(new)
    result = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result += [Line("same", line) for line in before[i1:i2]]
            continue
        result += [Line("removed", line) for line in before[i1:i2]]
        result += [Line("added", line) for line in after[j1:j2]]
    return result



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
    ).all()
