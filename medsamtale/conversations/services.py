"""Planning a conversation, the invitation and its answers, and the leader's overview (R1–R3).

Each function changes one conversation and queues the email that tells the other party, in
the same transaction; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..deputies import services as deputies
from ..errors import Refused
from ..extensions import db
from ..models import Conversation, User
from ..models.conversations import CLOSED_STATES, HELD, NOTICE_DAYS
from ..outbox import queue_email
from ..rounds import services as rounds
from ..timeutil import utcnow
from ..urls import public_url
from . import calendar

OVERDUE_AFTER = timedelta(days=365)  # rule R1: at least one conversation a year


# Rules of planning ---------------------------------------------------------------------------

def looks_like_leaders_office(place: str, leader: User) -> bool:
    """Rule R3: the talk is not held in the leader's own office.

    True for "mitt kontor", "kontoret mitt", "lederkontoret", "Lars' kontor", "kontoret til
    Lie": a word for office together with a word or name that makes it the leader's.
    """
    text = (place or "").lower()
    if "kontor" not in text and "office" not in text:
        return False
    if re.search(r"\b(mitt|my|leder\w*|leader\w*|sjef\w*)\b|lederkontor", text):
        return True
    names = [part.lower() for part in leader.name.split() if len(part) > 1]
    return any(re.search(rf"\b{re.escape(name)}", text) for name in names)


def is_short_notice(starts_at: datetime, now: datetime | None = None) -> bool:
    """Rule R2: the time is agreed two weeks ahead."""
    return starts_at - (now or utcnow()) < timedelta(days=NOTICE_DAYS)


def open_conversation(employee_id: int) -> Conversation | None:
    return db.session.scalar(
        select(Conversation)
        .where(Conversation.employee_id == employee_id, Conversation.state.not_in(CLOSED_STATES))
        .limit(1)
    )


# Changes -------------------------------------------------------------------------------------


def plan(leader: User, employee: User, **details) -> Conversation:
    """A new conversation, planned but not yet sent: by the employee's leader, or by a
    deputy standing in for that leader today (deputies/services.py), whose conversation it
    then is, held on behalf of the leader."""
    on_behalf_of = None
    if employee.leader_id != leader.id:
        on_behalf_of = deputies.deputized_leader(leader, employee)
    if not employee.active or (employee.leader_id != leader.id and on_behalf_of is None):
        raise Refused(_l("You can only plan conversations with your own people."))
    if open_conversation(employee.id):
        raise Refused(
            _l("%(name)s already has a conversation that is not finished.", name=employee.name)
        )
    conversation = Conversation(leader=leader, employee=employee,
                                on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
                                **details)
    db.session.add(conversation)
    db.session.flush()
    rounds.assign_round(conversation)  # planned in an open round's period: it belongs to it
    return conversation


def change(conversation: Conversation, **details) -> bool:
    """Change time, place or other details; True when the employee was sent an update."""
    if not conversation.is_open or conversation.started_at:
        raise Refused(_l("This conversation can no longer be changed."))
    if (
        details.get("question_set_id", conversation.question_set_id)
        != conversation.question_set_id
        and conversation.picks
    ):
        raise Refused(
            _l("The employee has already picked questions; the question set cannot change.")
        )
    moved = any(
        details.get(key, getattr(conversation, key)) != getattr(conversation, key)
        for key in ("starts_at", "duration_minutes", "place")
    )
    if details.get("starts_at", conversation.starts_at) <= utcnow():
        raise Refused(_l("The time has passed. Choose a time ahead."))
    for key, value in details.items():
        setattr(conversation, key, value)
    if moved:
        rounds.assign_round(conversation)
        conversation.proposed_starts_at = None
        conversation.proposal_comment = ""
        conversation.accepted_at = None
        conversation.employee_reminded_at = conversation.leader_reminded_at = None
    conversation.refresh_state()
    conversation.record_change("plan")
    if moved and conversation.is_sent:
        conversation.calendar_sequence += 1
        _send(conversation, "invitation", calendar.REQUEST, update=True)
        return True
    return False


def send_invitation(conversation: Conversation) -> None:
    if conversation.is_sent:
        raise Refused(_l("The invitation has already been sent."))
    if conversation.starts_at <= utcnow():
        raise Refused(_l("The time has passed. Choose a new time first."))
    conversation.invited_at = utcnow()
    conversation.refresh_state()
    conversation.record_change("invited")
    _send(conversation, "invitation", calendar.REQUEST, update=False)


def cancel(conversation: Conversation) -> None:
    if not conversation.is_open or conversation.started_at:
        raise Refused(_l("This conversation can no longer be cancelled."))
    conversation.cancelled_at = utcnow()
    conversation.refresh_state()
    conversation.record_change("cancelled")
    if conversation.is_sent:
        conversation.calendar_sequence += 1
        _send(conversation, "cancellation", calendar.CANCEL)


def accept(conversation: Conversation) -> None:
    if not conversation.is_sent or not conversation.employee_can_prepare:
        raise Refused(_l("This invitation can no longer be answered."))
    if conversation.accepted_at and not conversation.has_proposal:
        raise Refused(_l("You have already accepted this time."))
    conversation.accepted_at = utcnow()
    conversation.proposed_starts_at = None
    conversation.proposal_comment = ""
    conversation.refresh_state()
    conversation.record_change("accepted")
    queue_email(conversation.leader, "invitation_accepted", **email_links(conversation))


def propose_time(conversation: Conversation, starts_at: datetime, comment: str) -> None:
    if not conversation.is_sent or not conversation.employee_can_prepare:
        raise Refused(_l("This invitation can no longer be answered."))
    conversation.proposed_starts_at = starts_at
    conversation.proposal_comment = comment
    conversation.accepted_at = None
    conversation.refresh_state()
    conversation.record_change("proposed")
    queue_email(conversation.leader, "time_proposed", **email_links(conversation))


def use_proposed_time(conversation: Conversation) -> None:
    """The leader moves the conversation to the time the employee proposed."""
    if not conversation.has_proposal:
        raise Refused(_l("There is no proposed time to answer."))
    change(conversation, starts_at=conversation.proposed_starts_at)


def keep_time(conversation: Conversation) -> None:
    """The leader keeps the planned time; the employee is told and asked again."""
    if not conversation.has_proposal:
        raise Refused(_l("There is no proposed time to answer."))
    proposed = conversation.proposed_starts_at
    conversation.proposed_starts_at = None
    conversation.proposal_comment = ""
    conversation.refresh_state()
    conversation.record_change("time_kept")
    queue_email(conversation.employee, "time_kept", proposed=proposed, **email_links(conversation))


def email_links(conversation: Conversation) -> dict:
    return {
        "conversation": conversation,
        # The leader a deputy holds it for (the invitation says so), or None.
        "on_behalf_of": db.session.get(User, conversation.on_behalf_of_id)
        if conversation.on_behalf_of_id else None,
        "leader_link": public_url("conversations.show", conversation_id=conversation.id),
        "employee_link": public_url("preparation.prepare", conversation_id=conversation.id),
    }


def _send(conversation: Conversation, template: str, method: str, **context) -> None:
    queue_email(
        conversation.employee,
        template,
        calendar=(calendar.conversation_ics(conversation, method), method),
        **email_links(conversation),
        **context,
    )


# The leader's overview (R1) ------------------------------------------------------------------


@dataclass
class ReportRow:
    person: User
    last_held: datetime | None
    next: Conversation | None
    overdue: bool


def leader_overview(leader: User, now: datetime | None = None) -> list[ReportRow]:
    """Each active direct report with their last held and next open conversation.

    Three queries, however many people and conversations there are.
    """
    now = now or utcnow()
    people = db.session.scalars(
        select(User).where(User.leader_id == leader.id, User.active).order_by(User.name)
    ).all()
    ids = [person.id for person in people]
    last_held = dict(
        db.session.execute(
            select(Conversation.employee_id, func.max(Conversation.starts_at))
            .where(Conversation.employee_id.in_(ids), Conversation.state == HELD)
            .group_by(Conversation.employee_id)
        ).all()
    )
    upcoming = {
        conversation.employee_id: conversation
        for conversation in db.session.scalars(
            select(Conversation).where(
                Conversation.employee_id.in_(ids), Conversation.state.not_in(CLOSED_STATES)
            )
        )
    }
    return [
        ReportRow(
            person=person,
            last_held=last_held.get(person.id),
            next=upcoming.get(person.id),
            overdue=last_held.get(person.id) is None
            or now - last_held[person.id] > OVERDUE_AFTER,
        )
        for person in people
    ]
