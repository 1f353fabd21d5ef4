"""Deputies (issue 15, point 6): the HR admin gives a leader on leave a deputy for a period,
who plans and holds conversations for the leader's people meanwhile.

A conversation a deputy plans is the deputy's: its leader is the deputy, and
`on_behalf_of_id` names the leader they hold it for. So every check that lets a
conversation's leader in lets the deputy into the conversations they hold, and nobody
else: the deputy never reaches the leader's earlier conversations and minutes (their
leader is the leader), and the leader does not read the ones the deputy holds. An open
conversation the deputy planned stays theirs until it is held, also after the period.

A period runs from `starts_on` to `ends_on`, both days included, unless the HR admin ended
it early (`ended_at`): it is over from that moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit import record
from ..dates import day
from ..errors import Refused
from ..extensions import db
from ..models import Deputy, User
from ..outbox import queue_email
from ..timeutil import oslo_today, to_oslo, utcnow
from ..urls import public_url

# Why a deputy period cannot be given, by the form's field.
LEADER_PROBLEMS = {
    "missing": _l("Choose the leader who is away."),
    "inactive": _l("The chosen leader is deactivated."),
    "not_leader": _l("The chosen person is not a leader, so nobody can stand in for them."),
}
DEPUTY_PROBLEMS = {
    "missing": _l("Choose the deputy."),
    "same": _l("A leader cannot be their own deputy. Choose another leader."),
    "own_person": _l("%(deputy)s is one of %(leader)s's people and cannot stand in for "
                     "them: they would hold conversations with their colleagues and "
                     "themselves. Choose a leader who does not report to %(leader)s."),
    "inactive": _l("The chosen deputy is deactivated. Choose an active leader."),
    "not_leader": _l("The chosen deputy does not have the leader role. Choose a leader."),
    "hr_admin": _l("An HR admin leads nobody, and cannot be a deputy either. Choose a leader "
                   "who is not an HR admin."),
}
PERIOD_PROBLEMS = {
    "backwards": _l("The period ends before it starts. Choose an end on or after the start."),
    "passed": _l("The period has already ended. Choose an end from today on."),
    "overlap": _l("%(leader)s already has a deputy from %(start)s to %(end)s. Choose a period "
                  "that does not overlap, or end that one first."),
}

CURRENT = "current"
COMING = "coming"
PAST = "past"


# Periods ------------------------------------------------------------------------------------


def last_day(deputy: Deputy) -> date:
    """The last day the deputy stands in: `ends_on`, or, ended early, the day before it was
    ended (the day it was ended on is the leader's again, or a new deputy's)."""
    if deputy.ended_at is None:
        return deputy.ends_on
    return min(deputy.ends_on, to_oslo(deputy.ended_at).date() - timedelta(days=1))


def status(deputy: Deputy, on: date | None = None) -> str:
    """CURRENT, COMING or PAST, on `on` (today)."""
    on = on or oslo_today()
    if deputy.ended_at is not None or last_day(deputy) < on:
        return PAST
    return COMING if deputy.starts_on > on else CURRENT


def active_deputyships(user: User, on: date | None = None) -> list[Deputy]:
    """The deputy periods `user` stands in during on `on` (today), each with its leader
    (`.leader`), soonest end first: one query."""
    on = on or oslo_today()
    return db.session.scalars(
        select(Deputy)
        .where(Deputy.deputy_id == user.id, Deputy.ended_at.is_(None),
               Deputy.starts_on <= on, Deputy.ends_on >= on)
        .options(joinedload(Deputy.leader))
        .order_by(Deputy.ends_on, Deputy.id)
    ).all()


def deputized_leader(deputy: User, employee: User, on: date | None = None) -> User | None:
    """The leader `deputy` stands in for as `employee`'s leader on `on` (today), or None
    when they do not: the deputy must be an active leader (not an HR admin), the employee
    active, one of that leader's people, and not the deputy themselves."""
    if not (deputy.active and deputy.is_leader and employee.active) or deputy.is_hr_admin:
        return None
    if employee.leader_id is None or employee.id == deputy.id:
        return None
    return next((d.leader for d in active_deputyships(deputy, on)
                 if d.leader_id == employee.leader_id), None)


def can_plan_for(deputy: User, employee: User, on: date | None = None) -> bool:
    """Whether `deputy` may plan a conversation with `employee` as a leader's deputy."""
    return deputized_leader(deputy, employee, on) is not None


# The HR admin's list ------------------------------------------------------------------------


@dataclass
class Listing:
    current: list[Deputy]
    coming: list[Deputy]
    past: list[Deputy]


def listing(on: date | None = None) -> Listing:
    """Every deputy period, current, coming and past: one query."""
    rows = db.session.scalars(
        select(Deputy)
        .options(joinedload(Deputy.leader), joinedload(Deputy.deputy))
        .order_by(Deputy.starts_on, Deputy.id)
    ).all()
    found = Listing([], [], [])
    for row in rows:
        getattr(found, status(row, on)).append(row)
    found.past.reverse()  # the latest first
    return found


# The HR admin's changes ---------------------------------------------------------------------


def leader_problem(leader: User | None) -> str | None:
    """Why `leader` cannot be given a deputy, as a key of LEADER_PROBLEMS."""
    if leader is None:
        return "missing"
    if not leader.active:
        return "inactive"
    if not leader.is_leader:
        return "not_leader"
    return None


def reports_to(person: User, leader: User) -> bool:
    """Whether `person` is one of `leader`'s people, directly or through leaders under
    them (the reporting line walked upwards, one query a step; it is short)."""
    seen, current = set(), person
    while current is not None and current.leader_id is not None and current.id not in seen:
        if current.leader_id == leader.id:
            return True
        seen.add(current.id)
        current = db.session.get(User, current.leader_id)
    return False


def deputy_problem(leader: User | None, deputy: User | None) -> tuple[str, dict] | None:
    """Why `deputy` cannot stand in for `leader`: a key of DEPUTY_PROBLEMS and its values."""
    if deputy is None:
        return "missing", {}
    if leader is not None and deputy.id == leader.id:
        return "same", {}
    if leader is not None and reports_to(deputy, leader):
        return "own_person", {"deputy": deputy.name, "leader": leader.name}
    if not deputy.active:
        return "inactive", {}
    if not deputy.is_leader:
        return "not_leader", {}
    if deputy.is_hr_admin:
        return "hr_admin", {}
    return None


def period_problem(starts_on: date, ends_on: date, on: date | None = None) -> str | None:
    if ends_on < starts_on:
        return "backwards"
    if ends_on < (on or oslo_today()):
        return "passed"
    return None


def overlapping(leader_id: int, starts_on: date, ends_on: date) -> Deputy | None:
    """A deputy period of the same leader that shares a day with this one (a period ended
    early counts up to the day before it was ended)."""
    candidates = db.session.scalars(
        select(Deputy).where(Deputy.leader_id == leader_id, Deputy.starts_on <= ends_on,
                             Deputy.ends_on >= starts_on)
        .options(joinedload(Deputy.leader)).order_by(Deputy.starts_on, Deputy.id)
    ).all()
    return next((d for d in candidates if d.starts_on <= last_day(d) >= starts_on), None)


def message(problems: dict, key: str, values: dict):
    return problems[key] % values if values else problems[key]


def assign(by: User, leader: User | None, deputy: User | None, starts_on: date,
           ends_on: date) -> Deputy:
    """Give `leader` a deputy from `starts_on` to `ends_on`; audited, and both are told by
    email. Checked again here, whatever the form saw."""
    problem = leader_problem(leader)
    if problem:
        raise Refused(LEADER_PROBLEMS[problem])
    found = deputy_problem(leader, deputy)
    if found:
        raise Refused(message(DEPUTY_PROBLEMS, *found))
    problem = period_problem(starts_on, ends_on)
    if problem:
        raise Refused(PERIOD_PROBLEMS[problem])
    clash = overlapping(leader.id, starts_on, ends_on)
    if clash:
        raise Refused(overlap_message(clash))
    row = Deputy(leader=leader, deputy=deputy, starts_on=starts_on, ends_on=ends_on,
                 created_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    record("deputy_assigned", subject=leader, deputy_row_id=row.id, deputy_id=deputy.id,
           starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    _tell(row, by, ended=False)
    return row


def overlap_message(clash: Deputy) -> str:
    return str(PERIOD_PROBLEMS["overlap"] % {
        "leader": clash.leader.name, "start": day(clash.starts_on, "long"),
        "end": day(last_day(clash), "long")})


def end_early(row: Deputy, by: User) -> Deputy:
    """End a current or coming deputy period now; audited, and both are told. The open
    conversations the deputy planned stay theirs until they are held."""
    if status(row) == PAST:
        raise Refused(_l("This deputy period is already over."))
    row.ended_at = utcnow()
    record("deputy_ended", subject=row.leader, deputy_row_id=row.id, deputy_id=row.deputy_id)
    _tell(row, by, ended=True)
    return row


def _tell(row: Deputy, by: User, *, ended: bool) -> None:
    context = {"deputyship": row, "by": by.name, "ended": ended,
               "link": public_url("main.home")}
    queue_email(row.deputy, "deputy_assigned", audience="deputy", **context)
    queue_email(row.leader, "deputy_assigned", audience="leader", **context)
