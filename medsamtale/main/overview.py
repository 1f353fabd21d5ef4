"""What the home page shows each role (R1, R14): the leader's people with where each one's
conversation is and the leader's next step, the employee's own next step, and the HR
admin's tasks. Every function here is a fixed number of queries, however many people and
conversations there are, and none reads what a conversation says.

A step is a name (`Step.kind`) the template turns into a button or a line of text; who
takes it is in the name (`leader_*`, `employee_*`) or it is a wait for the other party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..admin import changes
from ..conversations.services import ReportRow, leader_overview
from ..deputies.services import active_deputyships
from ..extensions import db
from ..minutes.sharing import shared_with_leader
from ..models import Conversation, Deputy, Minutes, MinutesShare, User
from ..models.conversations import (
    ACCEPTED,
    CLOSED_STATES,
    HELD,
    IN_PROGRESS,
    INVITED,
    PLANNED,
    PREPARING,
    READY,
    TIME_PROPOSED,
)
from ..models.minutes import APPROVED, DRAFT, RETURNED, SUBMITTED
from ..rounds.services import NOT_PLANNED, LeaderRound, leader_rounds

# The leader's next step for a conversation in each state (the minutes come after HELD).
LEADER_STEPS = {
    PLANNED: "leader_send",
    INVITED: "leader_prepare",
    TIME_PROPOSED: "leader_answer_time",
    ACCEPTED: "leader_prepare",
    PREPARING: "leader_prepare",
    READY: "leader_prepare",
    IN_PROGRESS: "open_agenda",
}
# The employee's, for a conversation they have been invited to.
EMPLOYEE_STEPS = {
    INVITED: "employee_answer",
    TIME_PROPOSED: "wait_for_leader_time",
    ACCEPTED: "employee_prepare",
    PREPARING: "employee_prepare",
    READY: "employee_ready",
    IN_PROGRESS: "open_agenda",
}
# Whose turn it is with the minutes, and what they do.
LEADER_MINUTES_STEPS = {DRAFT: "wait_for_minutes", RETURNED: "wait_for_minutes",
                        SUBMITTED: "leader_approve"}
EMPLOYEE_MINUTES_STEPS = {DRAFT: "employee_write", RETURNED: "employee_revise",
                          SUBMITTED: "wait_for_approval"}
# Steps that wait for the other party: shown as a sentence, with a quieter link.
WAITING = {"wait_for_leader_time", "wait_for_minutes", "wait_for_approval", "employee_ready"}
# The leader's steps that someone waits for (preparing is the leader's own affair).
LEADER_TASKS = {"leader_send", "leader_answer_time", "open_agenda", "leader_approve",
                "leader_reopen"}


@dataclass
class Step:
    kind: str
    conversation: Conversation
    minutes: Minutes | None = None

    @property
    def waits(self) -> bool:
        return self.kind in WAITING


@dataclass
class PersonRow:
    """One of the leader's people: the overview's row and the leader's next step."""

    row: ReportRow
    step: Step | None  # None: nothing under way, a conversation can be planned
    in_round_unplanned: bool = False  # a member of an open round with no conversation in it
    # The open conversation is a deputy's (medsamtale/deputies), held for this leader: it is
    # theirs and the employee's, so the leader gets no link to it.
    with_deputy: User | None = None

    @property
    def person(self) -> User:
        return self.row.person

    @property
    def under_way(self) -> bool:
        return self.step is not None

    @property
    def is_due(self) -> bool:
        """Due a conversation (R1): none in the last twelve months, or in an open round
        without one in it; and none under way."""
        return (self.row.overdue or self.in_round_unplanned) and not self.under_way

    @property
    def waits_on(self) -> str | None:
        """Whose turn it is: "leader" (a step someone waits for), "employee" (answering,
        preparing, writing the minutes), or None."""
        if self.step is None:
            return None
        if self.step.kind in LEADER_TASKS - {"open_agenda"}:
            return "leader"
        if self.step.kind == "wait_for_minutes" or (
            self.step.kind == "leader_prepare"
            and self.step.conversation.state in (INVITED, ACCEPTED, PREPARING)
        ):
            return "employee"
        return None


@dataclass
class NextMeeting:
    """A next meeting agreed in approved minutes (minutes/next_meeting.py)."""

    person: User
    kind: str
    on: date


@dataclass
class LeaderHome:
    people: list[PersonRow]
    other_minutes: list[Minutes]  # waiting for the leader, of people no longer theirs
    rounds: list[LeaderRound] = field(default_factory=list)  # open rounds with their people
    next_meetings: list[NextMeeting] = field(default_factory=list)  # soonest first
    # Earlier leaders' approved minutes their people shared with them (minutes/sharing.py)
    shared_minutes: list[MinutesShare] = field(default_factory=list)
    # The leaders they stand in for as a deputy, and what they hold for them (see deputy_home)
    deputy: DeputyHome | None = None

    @property
    def due(self) -> int:
        return sum(1 for p in self.people if p.is_due)

    @property
    def due_people(self) -> list[PersonRow]:
        return [p for p in self.people if p.is_due]

    def waiting_on(self, party: str) -> list[PersonRow]:
        return [p for p in self.people if p.waits_on == party]

    @property
    def under_way(self) -> int:
        return sum(1 for p in self.people if p.under_way)

    @property
    def yours(self) -> int:
        """How many next steps are the leader's own."""
        return sum(1 for p in self.people if p.step and p.step.kind in LEADER_TASKS) + len(
            self.other_minutes)


def _open_minutes(party) -> list[Minutes]:
    """Minutes not yet approved, or approved with a request to reopen, of the conversations
    `party` selects, oldest first: one query, with each conversation and its two parties."""
    return db.session.scalars(
        select(Minutes)
        .join(Conversation, Conversation.id == Minutes.conversation_id)
        .where(party, or_(Minutes.state != APPROVED, Minutes.reopen_requested_at.is_not(None)))
        .order_by(Conversation.starts_at, Conversation.id)
        .options(joinedload(Minutes.conversation).joinedload(Conversation.employee),
                 joinedload(Minutes.conversation).joinedload(Conversation.leader))
    ).all()


def _minutes_step(minutes: Minutes | None, steps: dict, reopen_kind: str | None) -> Step | None:
    if minutes is None:
        return None
    kind = reopen_kind if minutes.state == APPROVED else steps.get(minutes.state)
    return Step(kind, minutes.conversation, minutes) if kind else None


def _next_step(conversation: Conversation | None, steps: dict,
               minutes_step: Step | None) -> Step | None:
    """The one step to show: a meeting under way first, then what the minutes ask of this
    person, then the open conversation's step, then a wait for the other party's minutes."""
    step = None
    if conversation is not None and conversation.state in steps:
        step = Step(steps[conversation.state], conversation)
    if step is not None and step.kind == "open_agenda":
        return step
    if minutes_step is not None and not minutes_step.waits:
        return minutes_step
    return step or minutes_step


def _next_meetings(rows: list[ReportRow]) -> list[NextMeeting]:
    """The next meeting agreed in each person's latest approved minutes that set one, unless
    a conversation was held after them: one query."""
    last_held = {row.person.id: row.last_held for row in rows}
    people = {row.person.id: row.person for row in rows}
    if not people:
        return []
    latest: dict[int, tuple] = {}
    for employee_id, held_at, kind, on in db.session.execute(
        select(Conversation.employee_id, Conversation.starts_at, Minutes.next_meeting_kind,
               Minutes.next_meeting_on)
        .join(Conversation, Conversation.id == Minutes.conversation_id)
        .where(Conversation.employee_id.in_(people), Minutes.state == APPROVED,
               Minutes.next_meeting_on.is_not(None))
        .order_by(Conversation.starts_at)
    ):
        latest[employee_id] = (held_at, kind, on)
    meetings = [NextMeeting(people[employee_id], kind, on)
                for employee_id, (held_at, kind, on) in latest.items()
                if not (last_held[employee_id] and last_held[employee_id] > held_at)]
    return sorted(meetings, key=lambda meeting: (meeting.on, meeting.person.name))


def leader_home(leader: User, now: datetime | None = None) -> LeaderHome:
    """The leader's people (R1), each with their conversation's next step: the open
    conversation's, or what the minutes of the last one wait for; the open rounds they are
    in, the next meetings agreed, and the minutes shared with them. Seven queries."""
    rows = leader_overview(leader, now)
    rounds = leader_rounds([row.person for row in rows])
    unplanned = {entry.person.id for in_round in rounds for entry in in_round.people
                 if entry.state == NOT_PLANNED}
    minutes_of: dict[int, Minutes] = {}
    for minutes in _open_minutes(Conversation.leader_id == leader.id):
        minutes_of[minutes.conversation.employee_id] = minutes  # the latest counts
    people = []
    for row in rows:
        minutes_step = _minutes_step(minutes_of.pop(row.person.id, None),
                                     LEADER_MINUTES_STEPS, "leader_reopen")
        if row.next is not None and row.next.leader_id != leader.id:
            people.append(PersonRow(row, None, False, with_deputy=row.next.leader))
            continue
        people.append(PersonRow(row, _next_step(row.next, LEADER_STEPS, minutes_step),
                                row.person.id in unplanned))
    others = [m for m in minutes_of.values()
              if m.state == SUBMITTED or m.reopen_requested_at is not None]
    return LeaderHome(people, others, rounds, _next_meetings(rows),
                      shared_minutes=shared_with_leader(leader),  # one query more
                      deputy=deputy_home(leader))  # two or three more


# A deputy's part of the home page (deputies/services.py) --------------------------------------


@dataclass
class DeputyPerson:
    """One of the people of a leader the user stands in for, and their open conversation
    (with the user, or still with their leader), if any."""

    person: User
    conversation: Conversation | None


@dataclass
class StandingIn:
    deputyship: Deputy
    people: list[DeputyPerson]


@dataclass
class DeputyHome:
    standing_in: list[StandingIn]  # the leaders the user stands in for today
    # Open conversations the user holds on behalf of a leader they no longer stand in for
    # (the period is over): they stay the user's until held.
    held_after: list[Conversation]

    def __bool__(self) -> bool:
        return bool(self.standing_in or self.held_after)


def deputy_home(user: User) -> DeputyHome:
    """The leaders `user` stands in for today, each with their active people and each
    person's open conversation, and the open conversations `user` holds for a leader whose
    period is over. Two queries, three when they stand in for someone, however many people."""
    deputyships = active_deputyships(user)
    leader_ids = [d.leader_id for d in deputyships]
    people = db.session.scalars(
        select(User).where(User.leader_id.in_(leader_ids), User.active, User.id != user.id)
        .order_by(User.name, User.id)
    ).all() if leader_ids else []
    held_by_user = and_(Conversation.leader_id == user.id,
                        Conversation.on_behalf_of_id.is_not(None))
    conversations = db.session.scalars(
        select(Conversation)
        .where(Conversation.state.not_in(CLOSED_STATES),
               or_(held_by_user, Conversation.employee_id.in_([p.id for p in people])))
        .options(joinedload(Conversation.employee), joinedload(Conversation.leader))
        .order_by(Conversation.starts_at, Conversation.id)
    ).all()
    open_of = {c.employee_id: c for c in conversations}
    standing_in = [
        StandingIn(d, [DeputyPerson(p, open_of.get(p.id)) for p in people
                       if p.leader_id == d.leader_id])
        for d in deputyships]
    shown = {p.id for p in people}
    held_after = [c for c in conversations
                  if c.leader_id == user.id and c.on_behalf_of_id and c.employee_id not in shown]
    return DeputyHome(standing_in, held_after)


@dataclass
class EmployeeHome:
    step: Step | None
    last_held: datetime | None
    leader: User | None


def employee_home(employee: User) -> EmployeeHome:
    """The employee's next step: the invitation to answer, the preparation, the agenda, or
    the minutes to write; and when they last had a conversation. Three queries."""
    open_minutes = _open_minutes(Conversation.employee_id == employee.id)
    minutes_step = _minutes_step(open_minutes[-1] if open_minutes else None,
                                 EMPLOYEE_MINUTES_STEPS, None)
    conversation = db.session.scalar(
        select(Conversation)
        .where(Conversation.employee_id == employee.id, Conversation.state.not_in(CLOSED_STATES))
        .options(joinedload(Conversation.leader))
        .limit(1)
    )
    last_held = db.session.scalar(
        select(func.max(Conversation.starts_at))
        .where(Conversation.employee_id == employee.id, Conversation.state == HELD)
    )
    return EmployeeHome(_next_step(conversation, EMPLOYEE_STEPS, minutes_step), last_held,
                        employee.leader)


@dataclass
class AdminHome:
    active_people: int
    without_leader: int  # active employees with no leader: they appear in no overview (R1)
    waiting_changes: int


def admin_home() -> AdminHome:
    """The HR admin's tasks, as counts of people and waiting changes: nothing about any
    conversation (R9). Two queries."""
    active, without_leader = db.session.execute(
        select(func.count(User.id),
               func.count(User.id).filter(User.is_employee, User.leader_id.is_(None)))
        .where(User.active)
    ).one()
    return AdminHome(active, without_leader, len(changes.pending()))
