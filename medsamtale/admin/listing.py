"""The people list: one page of people at a time, searched by name or email and filtered by
role, leader and whether they are active. Four queries for any page, however many people
there are: the count, the page with each person's leader, the unit tree (for each person's
unit, by its path) and the leaders to filter by."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import event, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from ..extensions import db
from ..models import User
from ..units.services import load_tree

PER_PAGE = 50
ROLES = ("employee", "leader", "hr_admin")
NO_LEADER = "none"


class folded(FunctionElement):
    """A text in lower case for comparing without regard to case, Norwegian letters too:
    lower() on PostgreSQL; on SQLite, whose lower() knows only A to Z, Python's casefold."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"casefold({compiler.process(element.clauses, **kw)})"


@event.listens_for(Engine, "connect")
def _sqlite_casefold(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "casefold", 1, lambda text: text.casefold() if isinstance(text, str) else text,
            deterministic=True,
        )


@dataclass
class Filters:
    """What the list is narrowed to; None (or "") is no narrowing."""

    q: str = ""
    role: str | None = None
    leader: str | None = None  # a leader's id, or NO_LEADER
    active: bool | None = None

    @property
    def any(self) -> bool:
        return bool(self.q or self.role or self.leader or self.active is not None)


@dataclass
class PeoplePage:
    people: list[User]
    total: int
    number: int
    pages: int
    per_page: int = PER_PAGE
    unit_paths: dict[int, str] = field(default_factory=dict)  # each person's unit's path

    @property
    def first(self) -> int:
        """The place of the page's first person in the whole list (1-based)."""
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return self.first + len(self.people) - 1 if self.total else 0


def _where(query, filters: Filters):
    if filters.q:
        wanted = filters.q.casefold()
        query = query.where(or_(folded(User.name).contains(wanted, autoescape=True),
                                User.email.contains(wanted.lower(), autoescape=True)))
    if filters.role in ROLES:
        query = query.where(getattr(User, f"is_{filters.role}"))
    if filters.leader == NO_LEADER:
        query = query.where(User.leader_id.is_(None))
    elif filters.leader:
        query = query.where(User.leader_id == int(filters.leader))
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    return query


def people_page(filters: Filters, number: int, per_page: int = PER_PAGE) -> PeoplePage:
    """Page `number` of the people `filters` leave, active first and then by name; a number
    past the last page gives the last page."""
    total = db.session.scalar(_where(select(func.count(User.id)), filters))
    pages = max(1, ceil(total / per_page))
    number = min(max(number, 1), pages)
    people = db.session.scalars(
        _where(select(User), filters)
        .order_by(User.active.desc(), User.name, User.id)
        .offset((number - 1) * per_page).limit(per_page)
        .options(joinedload(User.leader))
    ).all()
    tree = load_tree()
    paths = {p.unit_id: tree.path(p.unit_id) for p in people if p.unit_id in tree.units}
    return PeoplePage(list(people), total, number, pages, per_page, paths)


def leaders() -> list[tuple[int, str]]:
    """Everyone with the leader role, to filter by: (id, name)."""
    return db.session.execute(
        select(User.id, User.name).where(User.is_leader).order_by(User.name, User.id)
    ).all()


def page_number(raw: str | None) -> tuple[int, str | None]:
    """The page asked for (?page=), and, when it is not a page number, what was asked for:
    the list then shows its first page and says so."""
    if raw is None or raw == "":
        return 1, None
    if raw.isascii() and raw.isdigit() and int(raw) >= 1:
        return int(raw), None
    return 1, raw
