"""Reminders of an open round (R1): at its points (halfway, two weeks before the end) each
leader who still has people in it without a conversation planned in the round gets one
email, naming them. Each leader is reminded once per point (RoundReminder's unique row,
inserted conditionally, so two workers never send the same reminder)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Conversation, User
from ..models.conversations import CANCELLED
from ..models.rounds import HALFWAY, TWO_WEEKS_LEFT, Round, RoundMember, RoundReminder
from ..outbox import queue_email
from ..timeutil import to_oslo, utcnow
from ..urls import public_url

TWO_WEEKS = timedelta(days=14)


def point_dates(round_: Round) -> dict[str, date]:
    """The day each reminder of the round falls due."""
    return {
        HALFWAY: round_.starts_on + (round_.ends_on - round_.starts_on) / 2,
        TWO_WEEKS_LEFT: round_.ends_on - TWO_WEEKS,
    }


def due_points(round_: Round, today: date) -> list[str]:
    """The points that have come (the latest last), while the round still runs."""
    if not round_.starts_on <= today <= round_.ends_on:
        return []
    dates = point_dates(round_)
    return sorted((point for point, day in dates.items() if day <= today), key=dates.get)


def _claim(round_id: int, leader_id: int, point: str, now: datetime) -> bool:
    """Record that the leader is reminded at this point; False when that was done before
    (by this worker or another at the same moment)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(  # RETURNING: an ORM insert's rowcount is not reliable
        insert(RoundReminder)
        .values(round_id=round_id, leader_id=leader_id, point=point, sent_at=now)
        .on_conflict_do_nothing(index_elements=["round_id", "leader_id", "point"])
        .returning(RoundReminder.round_id)
    ).scalar()
    return inserted is not None


def _waiting_people(round_id: int) -> dict[int, list[User]]:
    """{leader: their active people in the round with no conversation in it}: one query."""
    planned = aliased(Conversation)
    people = db.session.scalars(
        select(User).join(RoundMember, RoundMember.user_id == User.id)
        .where(RoundMember.round_id == round_id, User.active, User.leader_id.is_not(None),
               ~exists().where(and_(planned.round_id == round_id,
                                    planned.employee_id == User.id,
                                    planned.state != CANCELLED)))
        .order_by(User.name)
    ).all()
    by_leader: dict[int, list[User]] = defaultdict(list)
    for person in people:
        by_leader[person.leader_id].append(person)
    return by_leader


def queue_round_reminders(now: datetime | None = None) -> int:
    """Queue the round reminders that have fallen due; returns how many; commits."""
    now = now or utcnow()
    today = to_oslo(now).date()
    queued = 0
    rounds = db.session.scalars(
        select(Round).where(Round.closed_at.is_(None), Round.starts_on <= today,
                            Round.ends_on >= today)).all()
    for round_ in rounds:
        points = due_points(round_, today)
        if not points:
            continue
        waiting = _waiting_people(round_.id)
        leaders = db.session.scalars(
            select(User).where(User.id.in_(list(waiting)), User.active)).all() if waiting else []
        for leader in leaders:
            # Every point that has come is claimed; one email, for the latest of them.
            claimed = [point for point in points if _claim(round_.id, leader.id, point, now)]
            if not claimed:
                continue
            queue_email(leader, "round_reminder", round=round_, people=waiting[leader.id],
                        days_left=(round_.ends_on - today).days,
                        link=public_url("main.home", _anchor=f"round-{round_.id}"))
            queued += 1
    db.session.commit()
    return queued
