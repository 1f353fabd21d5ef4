"""Rounds of conversations (samtalerunder, R1): the HR admin opens one for some units (with
their sub-units) and a period; its members are frozen when it opens (the active employees
of those units), and people who join a covered unit while it is open are added
(`person_moved`). A conversation planned in the period for a member belongs to the round
(`assign_round`). Closing a round keeps its figures.

The HR admin sees counts only (`figures`): never what any conversation says (R9).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import joinedload

from ..audit import record
from ..dates import day
from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Minutes, QuestionSet, User
from ..models.conversations import CANCELLED, HELD, PLANNED
from ..models.rounds import ROUND_MESSAGE_MAX, ROUND_NAME_MAX, Round, RoundMember, RoundUnit
from ..models.units import Unit
from ..outbox import queue_email
from ..timeutil import from_oslo, oslo_today, to_oslo, utcnow
from ..units.services import load_tree
from ..urls import public_url

# Where a member stands in a round, from nothing planned to approved minutes.
NOT_PLANNED = "not_planned"
STANDINGS = (NOT_PLANNED, "planned", "invited", "held", "approved")
STANDING_LABELS = {
    NOT_PLANNED: _l("Not planned"),
    "planned": _l("Planned, not sent"),
    "invited": _l("Invited"),
    "held": _l("Held"),
    "approved": _l("Minutes approved"),
}


def standing(state: str | None, approved: bool) -> str:
    """Where a member stands, from their conversation in the round (None: there is none)."""
    if state is None or state == CANCELLED:
        return NOT_PLANNED
    if state == HELD:
        return "approved" if approved else "held"
    return "planned" if state == PLANNED else "invited"


def period_bounds(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The period's first and (excluded) last moment, as naive UTC, on the Oslo calendar."""
    return from_oslo(starts_on, time(0)), from_oslo(ends_on + timedelta(days=1), time(0))


# Opening --------------------------------------------------------------------------------------


def covered_people(unit_ids: list[int]) -> list[int]:
    """The active employees in the units and their sub-units: two queries."""
    tree = load_tree()
    covered = {sub for unit_id in unit_ids if unit_id in tree.units
               for sub in tree.subtree_ids(unit_id)}
    if not covered:
        return []
    return list(db.session.scalars(
        select(User.id).where(User.unit_id.in_(covered), User.active, User.is_employee)
        .order_by(User.id)))


def _in_other_round(people: list[int], starts_on: date, ends_on: date,
                    except_round: int | None = None):
    """(round, how many) of an open round whose period overlaps with this one and that has
    some of `people` in it, or None."""
    if not people:
        return None
    found = db.session.execute(
        select(Round, func.count(RoundMember.id))
        .join(RoundMember, RoundMember.round_id == Round.id)
        .where(Round.closed_at.is_(None), Round.starts_on <= ends_on, Round.ends_on >= starts_on,
               RoundMember.user_id.in_(people),
               Round.id != (except_round or 0))
        .group_by(Round.id).order_by(Round.starts_on).limit(1)
    ).first()
    return tuple(found) if found else None


def check_period(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is None or ends_on is None:
        raise Refused(_l("Give the round a start and an end."))
    if ends_on < starts_on:
        raise Refused(_l("The round ends before it starts. Choose an end on or after the start."))
    if ends_on < oslo_today():
        raise Refused(_l("The end of the round has passed. Choose an end from today on."))


def open_round(by: User, *, name: str, unit_ids: list[int], starts_on: date, ends_on: date,
               question_set_id: int | None, message: str) -> Round:
    """Open a round: freeze its members, attach their conversations already planned in the
    period, and email each of their leaders once. The caller commits."""
    name, message = (name or "").strip(), (message or "").strip()
    if not name:
        raise Refused(_l("Give the round a name."))
    if len(name) > ROUND_NAME_MAX or len(message) > ROUND_MESSAGE_MAX:
        raise Refused(_l("The name or the message is too long."))
    check_period(starts_on, ends_on)
    unit_ids = sorted(set(unit_ids or []))
    known = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids)))) if unit_ids \
        else set()
    if not unit_ids or known != set(unit_ids):
        raise Refused(_l("Choose at least one unit for the round."))
    if question_set_id is not None and db.session.get(QuestionSet, question_set_id) is None:
        raise Refused(_l("Choose one of the question sets."))
    people = covered_people(unit_ids)
    clash = _in_other_round(people, starts_on, ends_on)
    if clash:
        other, count = clash
        raise Refused(_l(
            "%(count)d of the people in these units are already in the open round "
            "“%(name)s” (%(start)s–%(end)s), whose period overlaps. A person can be in one "
            "round at a time: choose other units or another period, or close that round "
            "first.", count=count, name=other.name, start=day(other.starts_on, "short"),
            end=day(other.ends_on, "short")))
    round_ = Round(name=name, starts_on=starts_on, ends_on=ends_on,
                   question_set_id=question_set_id, message=message, created_by_id=by.id)
    db.session.add(round_)
    db.session.flush()
    db.session.add_all(RoundUnit(round_id=round_.id, unit_id=unit_id) for unit_id in unit_ids)
    db.session.add_all(RoundMember(round_id=round_.id, user_id=user_id) for user_id in people)
    db.session.flush()
    _attach_planned(round_, people)
    record("round_opened", actor=by, round_id=round_.id, units=unit_ids, members=len(people))
    _tell_leaders(round_, people)
    return round_


def _attach_planned(round_: Round, people: list[int]) -> None:
    """The members' conversations already planned in the period join the round."""
    if not people:
        return
    first, after = period_bounds(round_.starts_on, round_.ends_on)
    for conversation in db.session.scalars(
        select(Conversation).where(
            Conversation.employee_id.in_(people), Conversation.round_id.is_(None),
            Conversation.state != CANCELLED, Conversation.starts_at >= first,
            Conversation.starts_at < after)
    ):
        conversation.round_id = round_.id


def _tell_leaders(round_: Round, people: list[int]) -> None:
    """One email to each active leader of the members, with how many of them are theirs."""
    if not people:
        return
    counts: dict[int, int] = defaultdict(int)
    for leader_id in db.session.scalars(
        select(User.leader_id).where(User.id.in_(people), User.leader_id.is_not(None))
    ):
        counts[leader_id] += 1
    leaders = db.session.scalars(
        select(User).where(User.id.in_(counts), User.active).order_by(User.id)).all()
    for leader in leaders:
        queue_email(leader, "round_opened", round=round_, count=counts[leader.id],
                    link=public_url("main.home", _anchor=f"round-{round_.id}"))


def person_moved(user: User) -> list[Round]:
    """`user` joined a unit (or became active): add them to each open round that covers
    their unit, unless they already are in an open round for an overlapping period. Their
    conversation planned in the period joins the round. Returns the rounds they joined; the
    caller commits."""
    if user.unit_id is None or not user.active or not user.is_employee:
        return []
    tree = load_tree()
    open_rounds = db.session.scalars(
        select(Round).where(Round.closed_at.is_(None)).order_by(Round.starts_on, Round.id)
        .options(joinedload(Round.units))).unique().all()
    joined = []
    for round_ in open_rounds:
        covered = {sub for unit in round_.units for sub in tree.subtree_ids(unit.id)}
        if user.unit_id not in covered:
            continue
        if _in_other_round([user.id], round_.starts_on, round_.ends_on) is not None:
            continue  # already a member of this one, or of another at the same time
        db.session.add(RoundMember(round_id=round_.id, user_id=user.id))
        db.session.flush()
        _attach_planned(round_, [user.id])
        joined.append(round_)
    return joined


# Conversations in a round -------------------------------------------------------------------


def round_for(employee_id: int, starts_at: datetime) -> int | None:
    """The open round the employee is a member of whose period holds `starts_at`."""
    on = to_oslo(starts_at).date()
    return db.session.scalar(
        select(Round.id).join(RoundMember, RoundMember.round_id == Round.id)
        .where(RoundMember.user_id == employee_id, Round.closed_at.is_(None),
               Round.starts_on <= on, Round.ends_on >= on)
        .order_by(Round.starts_on, Round.id).limit(1))


def assign_round(conversation: Conversation) -> None:
    """Put the conversation in the round its time falls in (or in none); a conversation of
    a round already closed stays where it is, so the closed round's figures hold."""
    if conversation.round_id is not None:
        current = db.session.get(Round, conversation.round_id)
        if current is not None and not current.is_open:
            return
    conversation.round_id = round_for(conversation.employee_id, conversation.starts_at)


# Figures (counts only) ----------------------------------------------------------------------


@dataclass
class Figures:
    people: int = 0
    planned: int = 0  # a conversation in the round, planned or further
    invited: int = 0  # the invitation sent, or further
    held: int = 0
    approved: int = 0  # the minutes approved

    @classmethod
    def of(cls, stored: dict | None) -> Figures:
        return cls(**{key: int((stored or {}).get(key, 0)) for key in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _standings(round_ids: list[int]) -> dict[int, dict[int, str]]:
    """{round: {member: standing}} for the rounds' members: one query."""
    if not round_ids:
        return {}
    rows = db.session.execute(
        select(RoundMember.round_id, RoundMember.user_id, Conversation.state,
               Minutes.first_approved_at)
        .outerjoin(Conversation, and_(Conversation.round_id == RoundMember.round_id,
                                      Conversation.employee_id == RoundMember.user_id,
                                      Conversation.state != CANCELLED))
        .outerjoin(Minutes, Minutes.conversation_id == Conversation.id)
        .where(RoundMember.round_id.in_(round_ids))
    ).all()
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for round_id, user_id, state, approved_at in rows:
        here = standing(state, approved_at is not None)
        before = found[round_id].get(user_id, NOT_PLANNED)
        found[round_id][user_id] = max(here, before, key=STANDINGS.index)
    return found


def _count(standings: dict[int, str]) -> Figures:
    reached = [STANDINGS.index(s) for s in standings.values()]
    return Figures(
        people=len(reached),
        planned=sum(1 for r in reached if r >= 1),
        invited=sum(1 for r in reached if r >= 2),
        held=sum(1 for r in reached if r >= 3),
        approved=sum(1 for r in reached if r >= 4),
    )


def figures_of(rounds: list[Round]) -> dict[int, Figures]:
    """Each round's figures: those stored when it closed, or counted now (one query for
    all the open ones)."""
    counted = _standings([r.id for r in rounds if r.is_open])
    return {r.id: _count(counted.get(r.id, {})) if r.is_open else Figures.of(r.figures)
            for r in rounds}


def all_rounds() -> list[Round]:
    """Open rounds first (soonest end first), then closed ones, newest first."""
    return db.session.scalars(
        select(Round).order_by(Round.closed_at.is_not(None), Round.closed_at.desc(),
                               Round.ends_on, Round.id)).all()


def close_round(round_: Round, by: User) -> Figures:
    """Close the round and keep its figures as they are now. The caller commits."""
    if not round_.is_open:
        raise Refused(_l("This round is already closed."))
    figures = figures_of([round_])[round_.id]
    closed = db.session.execute(
        update(Round)
        .where(Round.id == round_.id, Round.closed_at.is_(None))
        .values(closed_at=utcnow(), closed_by_id=by.id, figures=figures.as_dict())
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise Refused(_l("This round is already closed."))
    db.session.expire(round_)
    record("round_closed", actor=by, round_id=round_.id, **figures.as_dict())
    return figures


def unit_paths(round_: Round) -> list[str]:
    tree = load_tree()
    return sorted(tree.path(unit.id) for unit in round_.units)


# The leader's view of a round ----------------------------------------------------------------


@dataclass
class RoundPerson:
    person: User
    state: str  # one of STANDINGS

    @property
    def label(self) -> str:
        return str(STANDING_LABELS[self.state])


@dataclass
class LeaderRound:
    round: Round
    people: list[RoundPerson]  # each of the leader's people in it, and where they stand

    @property
    def not_planned(self) -> int:
        return sum(1 for entry in self.people if entry.state == NOT_PLANNED)


def leader_rounds(people: list[User]) -> list[LeaderRound]:
    """The open rounds that have some of `people` in them, each with those people and where
    each stands: one query, however many people and rounds."""
    by_id = {person.id: person for person in people}
    if not by_id:
        return []
    rows = db.session.execute(
        select(Round, RoundMember.user_id, Conversation.state, Minutes.first_approved_at)
        .join(RoundMember, RoundMember.round_id == Round.id)
        .outerjoin(Conversation, and_(Conversation.round_id == Round.id,
                                      Conversation.employee_id == RoundMember.user_id,
                                      Conversation.state != CANCELLED))
        .outerjoin(Minutes, Minutes.conversation_id == Conversation.id)
        .where(Round.closed_at.is_(None), RoundMember.user_id.in_(list(by_id)))
        .order_by(Round.ends_on, Round.id)
    ).all()
    rounds: dict[int, Round] = {}
    standings: dict[int, dict[int, str]] = defaultdict(dict)
    for round_, user_id, state, approved_at in rows:
        rounds[round_.id] = round_
        here = standing(state, approved_at is not None)
        before = standings[round_.id].get(user_id, NOT_PLANNED)
        standings[round_.id][user_id] = max(here, before, key=STANDINGS.index)
    return [
        LeaderRound(round_, sorted((RoundPerson(by_id[user_id], state)
                                    for user_id, state in standings[round_id].items()),
                                   key=lambda entry: entry.person.name))
        for round_id, round_ in rounds.items()
    ]
