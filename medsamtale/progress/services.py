"""How far each unit and each leader has come: counts, states and dates, never content.

The scope is either a round (its members, and the conversations that belong to it:
`Conversation.round_id`), or, with no round chosen, every active employee and their
conversations planned from twelve months ago onwards ("the year"). For each person in the
scope:

- **people in scope**: the person is a member of the round (whatever they are now), or,
  with no round, an active user who is an employee;
- **planned**: the person has a conversation in the scope that is not cancelled (in any
  state: planned, invited, preparing, held …);
- **invited**: one of those has had its invitation sent (`invited_at`), or was held;
- **held**: one of those has been held (the meeting ended: `held_at`); it was held on the
  day it began (`Conversation.held_on`);
- **minutes approved**: the minutes of one of those have been approved (at least once:
  reopened minutes were approved all the same);
- **overdue actions**: the number of the person's agreed actions, from any of their
  conversations, in the round or not, that are followed up (their minutes approved at
  least once), not done, with a deadline before today (Oslo), as followup/ counts them;
- **none in the last twelve months**: the person has held no conversation (in or out of
  the round) that began on or after this day twelve months ago.

The figures of a unit are those of the people in it and in all its sub-units; those of a
leader, of the people who report to them now (`users.leader_id`). They are counted in SQL,
per (unit, leader) in one grouped query, and summed over each unit's subtree and each
leader in Python: the queries a page runs do not grow with its units or people. Only ids,
names, states and times are read: no text a party wrote (no question, note, topic, agenda
item, minutes text, action text or comment) is even loaded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import g
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, load_only

from ..extensions import db
from ..models import Action, Conversation, Minutes, Round, RoundMember, User
from ..models.conversations import CANCELLED, CLOSED_STATES, STATE_LABELS
from ..timeutil import from_oslo, oslo_today, to_oslo
from ..units.services import UnitTree, load_tree

WEEKS_WITHOUT_ROUND = 52  # the chart's weeks when no round is chosen: the last year

# A person's stage, beyond the open conversation's own state (STATE_LABELS).
NO_CONVERSATION = "none"
HELD_NOT_APPROVED = "held"
APPROVED = "approved"
STAGE_LABELS = {
    NO_CONVERSATION: _l("No conversation planned"),
    HELD_NOT_APPROVED: _l("Held, minutes not approved"),
    APPROVED: _l("Held, minutes approved"),
}


def stage_labels() -> dict[str, str]:
    """Every stage's name in the request's language, translated once per request (a page
    or an export names thousands)."""
    cache = g.setdefault("progress_stage_labels", {})
    locale = str(get_locale())
    if locale not in cache:
        cache[locale] = {stage: str(label) for stage, label in
                         {**STATE_LABELS, **STAGE_LABELS}.items()}
    return cache[locale]


@dataclass
class Figures:
    """The figures of a group of people (see the module's docstring)."""

    people: int = 0
    planned: int = 0
    invited: int = 0
    held: int = 0
    approved: int = 0
    overdue_actions: int = 0
    none_in_twelve_months: int = 0

    def add(self, other: Figures) -> None:
        # Spelled out: called for every unit up the tree of every group (thousands a page).
        self.people += other.people
        self.planned += other.planned
        self.invited += other.invited
        self.held += other.held
        self.approved += other.approved
        self.overdue_actions += other.overdue_actions
        self.none_in_twelve_months += other.none_in_twelve_months

    def share(self, name: str) -> float:
        """`name`'s part of the people, 0 to 1."""
        return getattr(self, name) / self.people if self.people else 0.0


@dataclass
class UnitRow:
    unit_id: int | None  # None: the people in no unit
    name: str
    path: str
    depth: int
    figures: Figures


@dataclass
class LeaderRow:
    leader_id: int | None  # None: the people with no leader
    name: str
    figures: Figures


@dataclass
class Week:
    monday: date
    number: int  # ISO week number
    held: int


@dataclass
class Overview:
    round: Round | None
    units: list[UnitRow]
    leaders: list[LeaderRow]
    total: Figures
    weeks: list[Week]

    @property
    def most_in_a_week(self) -> int:
        return max((week.held for week in self.weeks), default=0)


@dataclass
class PersonRow:
    """One person's state and dates; no content."""

    user_id: int
    name: str
    unit_path: str
    leader_name: str
    stage: str  # a key of STAGE_LABELS or of conversations.STATE_LABELS
    planned_for: datetime | None  # the latest planned start in the scope
    invited: bool
    held_on: datetime | None
    approved_on: datetime | None
    overdue_actions: int
    last_held_on: datetime | None  # in or out of the scope
    none_in_twelve_months: bool

    @property
    def stage_label(self) -> str:
        return stage_labels()[self.stage]


@dataclass
class Drilldown:
    round: Round | None
    title: str
    people: list[PersonRow]
    figures: Figures = field(default_factory=Figures)


# The scope ----------------------------------------------------------------------------------


def rounds() -> list[Round]:
    """Every round, newest first, for choosing the scope (no message loaded)."""
    return db.session.scalars(
        select(Round).options(load_only(Round.id, Round.name, Round.starts_on, Round.ends_on,
                                        Round.closed_at))
        .order_by(Round.starts_on.desc(), Round.id.desc())
    ).all()


def chosen_round(value: str | None, known: list[Round]) -> Round | None:
    """The round named by the `round` argument among `known`; None when none is named.
    Raises LookupError for a value that names no round."""
    if not value:
        return None
    found = next((each for each in known if value.isdigit() and each.id == int(value)), None)
    if found is None:
        raise LookupError(value)
    return found


def twelve_months_ago(today: date) -> date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


@dataclass
class _Scope:
    round: Round | None
    today: date

    @property
    def since(self) -> datetime:
        """This day twelve months ago, at midnight in Oslo (naive UTC)."""
        return from_oslo(twelve_months_ago(self.today), datetime.min.time())

    def people(self, query):
        """`query` (from users) limited to the people in the scope."""
        if self.round is None:
            return query.where(User.active.is_(True), User.is_employee.is_(True))
        return query.join(RoundMember, and_(RoundMember.user_id == User.id,
                                            RoundMember.round_id == self.round.id))

    def conversations(self):
        """The condition on a conversation in the scope."""
        if self.round is None:
            return Conversation.starts_at >= self.since
        return Conversation.round_id == self.round.id

    def per_person(self):
        """Subqueries, one row per employee: their conversations in the scope, their
        overdue actions, their last held conversation."""
        began = func.coalesce(Conversation.started_at, Conversation.starts_at)
        held = Conversation.held_at.is_not(None)
        conversations = (
            select(
                Conversation.employee_id.label("employee_id"),
                func.max(Conversation.starts_at).label("planned_for"),
                func.max(case((or_(Conversation.invited_at.is_not(None), held), 1),
                              else_=0)).label("invited"),
                func.max(case((held, began))).label("held_on"),
                func.max(Minutes.first_approved_at).label("approved_on"),
                # At most one open conversation per employee (a unique index).
                func.max(case((Conversation.state.not_in(CLOSED_STATES),
                               Conversation.state))).label("open_state"),
            )
            .outerjoin(Minutes, Minutes.conversation_id == Conversation.id)
            .where(Conversation.state != CANCELLED, self.conversations())
            .group_by(Conversation.employee_id)
            .subquery("in_scope")
        )
        overdue = (
            select(Conversation.employee_id.label("employee_id"),
                   func.count(Action.id).label("overdue"))
            .join(Conversation, Conversation.id == Action.conversation_id)
            .join(Minutes, and_(Minutes.conversation_id == Action.conversation_id,
                                Minutes.first_approved_at.is_not(None)))
            .where(Action.done_at.is_(None), Action.deadline < self.today)
            .group_by(Conversation.employee_id)
            .subquery("overdue")
        )
        last = (
            select(Conversation.employee_id.label("employee_id"),
                   func.max(began).label("last_held"))
            .where(held)
            .group_by(Conversation.employee_id)
            .subquery("last_held")
        )
        return conversations, overdue, last

    def none_in_twelve_months(self, last):
        return case((or_(last.c.last_held.is_(None), last.c.last_held < self.since), 1),
                    else_=0)


def _scope(round_: Round | None, today: date | None) -> _Scope:
    return _Scope(round_, today or oslo_today())


# The overview -------------------------------------------------------------------------------


def overview(round_: Round | None, today: date | None = None) -> Overview:
    """The figures of every unit (with its sub-units, in the tree's order) and of every
    leader, and the held conversations per week."""
    scope = _scope(round_, today)
    tree = load_tree()
    own: dict[int | None, Figures] = {}
    by_leader: dict[int | None, Figures] = {}
    total = Figures()
    for unit_id, leader_id, *counts in db.session.execute(_grouped(scope)):
        figures = Figures(*(int(n or 0) for n in counts))
        own.setdefault(unit_id, Figures()).add(figures)
        by_leader.setdefault(leader_id, Figures()).add(figures)
        total.add(figures)
    return Overview(round_, _unit_rows(tree, own), _leader_rows(by_leader), total,
                    _weeks(scope))


def _grouped(scope: _Scope):
    conversations, overdue, last = scope.per_person()
    return scope.people(
        select(
            User.unit_id, User.leader_id,
            func.count(User.id),
            func.sum(case((conversations.c.employee_id.is_not(None), 1), else_=0)),
            func.sum(func.coalesce(conversations.c.invited, 0)),
            func.sum(case((conversations.c.held_on.is_not(None), 1), else_=0)),
            func.sum(case((conversations.c.approved_on.is_not(None), 1), else_=0)),
            func.sum(func.coalesce(overdue.c.overdue, 0)),
            func.sum(scope.none_in_twelve_months(last)),
        )
        .select_from(User)
        .outerjoin(conversations, conversations.c.employee_id == User.id)
        .outerjoin(overdue, overdue.c.employee_id == User.id)
        .outerjoin(last, last.c.employee_id == User.id)
    ).group_by(User.unit_id, User.leader_id)


def _unit_rows(tree: UnitTree, own: dict[int | None, Figures]) -> list[UnitRow]:
    """Every unit in the tree's order, each with the figures of its whole subtree (the
    subtrees summed bottom up, children before their parents); the people in no unit (or
    in a unit that is gone) last, if any."""
    walked = list(tree.walk())
    subtree = {unit.id: Figures() for unit, _depth in walked}
    for unit, _depth in reversed(walked):
        subtree[unit.id].add(own.get(unit.id, Figures()))
        if unit.parent_id in subtree:
            subtree[unit.parent_id].add(subtree[unit.id])
    rows = [UnitRow(unit.id, unit.name, tree.path(unit.id), depth, subtree[unit.id])
            for unit, depth in walked]
    outside = Figures()
    for unit_id, figures in own.items():
        if unit_id not in subtree:
            outside.add(figures)
    if outside.people:
        rows.append(UnitRow(None, _("No unit"), _("No unit"), 0, outside))
    return rows


def _leader_rows(by_leader: dict[int | None, Figures]) -> list[LeaderRow]:
    ids = [leader_id for leader_id in by_leader if leader_id is not None]
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    rows = sorted((LeaderRow(leader_id, names.get(leader_id, ""), figures)
                   for leader_id, figures in by_leader.items() if leader_id is not None),
                  key=lambda row: (row.name.casefold(), row.leader_id))
    if None in by_leader:
        rows.append(LeaderRow(None, _("No leader"), by_leader[None]))
    return rows


def chart_weeks(scope: _Scope) -> list[date]:
    """The Mondays of the chart's weeks: the round's, or the last year's up to this one."""
    if scope.round is not None:
        first, last = scope.round.starts_on, max(scope.round.ends_on, scope.round.starts_on)
    else:
        last = scope.today
        first = last - timedelta(weeks=WEEKS_WITHOUT_ROUND - 1)
    monday = first - timedelta(days=first.weekday())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(weeks=1)
    return mondays


def _weeks(scope: _Scope) -> list[Week]:
    """Held conversations of the people in the scope per week (of the day each began, in
    UTC: a meeting is not held at midnight)."""
    mondays = chart_weeks(scope)
    began = func.date(func.coalesce(Conversation.started_at, Conversation.starts_at))
    rows = db.session.execute(scope.people(
        select(began, func.count(Conversation.id))
        .select_from(User)
        .join(Conversation, Conversation.employee_id == User.id)
        .where(Conversation.held_at.is_not(None), scope.conversations())
    ).group_by(began)).all()
    held = dict.fromkeys(mondays, 0)
    for day, count in rows:
        if isinstance(day, str):  # SQLite
            day = date.fromisoformat(day)
        monday = day - timedelta(days=day.weekday())
        if monday in held:
            held[monday] += count
    return [Week(monday, monday.isocalendar().week, n) for monday, n in held.items()]


# Drilling down ------------------------------------------------------------------------------


def unit_people(round_: Round | None, unit_id: int, today: date | None = None) -> Drilldown:
    """The people of a unit and its sub-units, each with their state and dates. Raises
    LookupError for a unit that does not exist."""
    tree = load_tree()
    if unit_id not in tree.units:
        raise LookupError(unit_id)
    people = _people(_scope(round_, today), tree,
                     User.unit_id.in_(tree.subtree_ids(unit_id)))
    return _drilldown(round_, tree.path(unit_id), people)


def leader_people(round_: Round | None, leader_id: int, today: date | None = None) -> Drilldown:
    """The people who report to a leader, each with their state and dates. Raises
    LookupError for a person who does not exist."""
    name = db.session.scalar(select(User.name).where(User.id == leader_id))
    if name is None:
        raise LookupError(leader_id)
    people = _people(_scope(round_, today), load_tree(), User.leader_id == leader_id)
    return _drilldown(round_, name, people)


def everyone(round_: Round | None, today: date | None = None) -> list[PersonRow]:
    """Every person in the scope (for the exports)."""
    return _people(_scope(round_, today), load_tree(), None)


def _drilldown(round_, title, people: list[PersonRow]) -> Drilldown:
    figures = Figures()
    for person in people:
        figures.add(person_figures(person))
    return Drilldown(round_, title, people, figures)


def person_figures(person: PersonRow) -> Figures:
    return Figures(1, int(person.planned_for is not None), int(person.invited),
                   int(person.held_on is not None), int(person.approved_on is not None),
                   person.overdue_actions, int(person.none_in_twelve_months))


def _people(scope: _Scope, tree: UnitTree, which) -> list[PersonRow]:
    conversations, overdue, last = scope.per_person()
    leader = aliased(User)
    query = scope.people(
        select(User.id, User.name, User.unit_id, leader.name,
               conversations.c.planned_for, conversations.c.invited, conversations.c.held_on,
               conversations.c.approved_on, conversations.c.open_state, overdue.c.overdue,
               last.c.last_held, scope.none_in_twelve_months(last))
        .select_from(User)
        .outerjoin(leader, leader.id == User.leader_id)
        .outerjoin(conversations, conversations.c.employee_id == User.id)
        .outerjoin(overdue, overdue.c.employee_id == User.id)
        .outerjoin(last, last.c.employee_id == User.id)
    ).order_by(User.name, User.id)
    if which is not None:
        query = query.where(which)
    return [
        PersonRow(user_id, name, tree.path(unit_id) if unit_id in tree.units else "",
                  leader_name or "", _stage(held_on, approved_on, open_state), planned_for,
                  bool(invited), held_on, approved_on, int(overdue_count or 0), last_held,
                  bool(none))
        for (user_id, name, unit_id, leader_name, planned_for, invited, held_on, approved_on,
             open_state, overdue_count, last_held, none) in db.session.execute(query)
    ]


def _stage(held_on, approved_on, open_state) -> str:
    if approved_on is not None:
        return APPROVED
    if held_on is not None:
        return HELD_NOT_APPROVED
    return open_state or NO_CONVERSATION


# Exports ------------------------------------------------------------------------------------

FIGURE_HEADINGS = (
    ("people", _l("People")),
    ("planned", _l("Planned")),
    ("invited", _l("Invited")),
    ("held", _l("Held")),
    ("approved", _l("Minutes approved")),
    ("overdue_actions", _l("Overdue actions")),
    ("none_in_twelve_months", _l("None in the last twelve months")),
)
# The exports' file names, in bokmål: framdrift-enheter-2026-12-02.csv …
FILE_NAMES = {"units": "enheter", "leaders": "ledere", "people": "personer", "all": "alle"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_tables(round_: Round | None, today: date | None = None) -> dict[str, list[list]]:
    """The overview's figures per unit and per leader, and every person's state and dates,
    as tables (a heading row, then values: text, numbers, dates), headed in bokmål."""
    found = overview(round_, today)
    people = everyone(round_, today)
    with force_locale("nb"):
        figures = [str(label) for _name, label in FIGURE_HEADINGS]
        yes_no = {True: _("Yes"), False: _("No")}  # translated once, not per person
        return {
            "units": [[_("Unit"), *figures]] + [
                [row.path, *_values(row.figures)] for row in found.units],
            "leaders": [[_("Leader"), *figures]] + [
                [row.name, *_values(row.figures)] for row in found.leaders],
            "people": [[_("Name"), _("Unit"), _("Leader"), _("State"), _("Planned for"),
                        _("Invited"), _("Held on"), _("Minutes approved on"),
                        _("Overdue actions"), _("Last held on"),
                        _("None in the last twelve months")]] + [
                [person.name, person.unit_path, person.leader_name, person.stage_label,
                 _oslo_day(person.planned_for), yes_no[bool(person.invited)],
                 _oslo_day(person.held_on), _oslo_day(person.approved_on),
                 person.overdue_actions, _oslo_day(person.last_held_on),
                 yes_no[bool(person.none_in_twelve_months)]]
                for person in people],
        }


def _values(figures: Figures) -> list[int]:
    return [getattr(figures, name) for name, _label in FIGURE_HEADINGS]


def _oslo_day(value: datetime | None) -> date | None:
    return to_oslo(value).date() if value else None


def safe_cell(value) -> str:
    """A value as a CSV cell that no spreadsheet takes for a formula: text that begins
    like one (= + - @, a tab or a carriage return) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_csv(table: list[list]) -> bytes:
    """A table as CSV for a Norwegian spreadsheet: UTF-8 with a byte order mark,
    semicolons between the cells."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in table:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()


SHEET_NAMES = {"units": _l("Units"), "leaders": _l("Leaders"), "people": _l("People")}


def as_xlsx(tables: dict[str, list[list]]) -> bytes:
    """The tables as one workbook, a sheet each, named in bokmål. Every text is written as
    text, never as a formula, whatever it begins with."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    with force_locale("nb"):
        for key, rows in tables.items():
            sheet = workbook.create_sheet(str(SHEET_NAMES[key]))
            for number, row in enumerate(rows):
                cells = []
                for value in row:
                    cell = WriteOnlyCell(sheet, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"
                    elif isinstance(value, date):
                        cell.number_format = "yyyy-mm-dd"
                    if number == 0:
                        cell.font = Font(bold=True)
                    cells.append(cell)
                sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

