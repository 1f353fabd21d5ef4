"""The unit tree: read whole in one query and walked in Python (it is small: hundreds of
units), so every page that groups people by unit costs one query for the tree. And the HR
admin's changes of units: creating, renaming, moving (a new parent) and deleting, each
checked against the tree first (no unit its own parent or under its own sub-units, no two
units of one name under the same parent), and audited with the units' names (a unit's
name is no conversation content). A person's conversations belong to the person, not to
a unit: moving a person or a unit changes no conversation."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import RoundUnit, User
from ..models.units import PATH_SEPARATOR, Unit

# Why a unit cannot have the name or parent asked for, by the form's field.
NAME_PROBLEMS = {
    "empty": _l("Write the unit's name."),
    "separator": _l("A unit's name cannot contain “%(separator)s”, which separates the units "
                    "in a path.", separator=PATH_SEPARATOR),
    "taken": _l("Another unit under the same parent already has this name."),
}
PARENT_PROBLEMS = {
    "self": _l("A unit cannot be its own parent."),
    "loop": _l("The parent cannot be one of the unit's own sub-units: that would make a "
               "loop."),
    "unknown": _l("The chosen parent unit no longer exists."),
}


@dataclass
class UnitTree:
    """Every unit by id, with each one's children, in name order."""

    units: dict[int, Unit]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    def subtree_ids(self, unit_id: int) -> list[int]:
        """The unit and all its sub-units, depth first."""
        found, todo = [], [unit_id]
        while todo:
            current = todo.pop()
            found.append(current)
            todo.extend(reversed(self.children.get(current, [])))
        return found

    def walk(self, parent_id: int | None = None, depth: int = 0):
        """(unit, depth) for every unit under `parent_id` (all of them from the roots),
        depth first, each level in name order."""
        for child_id in self.children.get(parent_id, []):
            yield self.units[child_id], depth
            yield from self.walk(child_id, depth + 1)

    def ancestors(self, unit_id: int) -> list[Unit]:
        """From the root down to the unit itself."""
        chain, current = [], self.units.get(unit_id)
        while current is not None and len(chain) <= len(self.units):
            chain.append(current)
            current = self.units.get(current.parent_id)
        return list(reversed(chain))

    def path(self, unit_id: int) -> str:
        """The unit's path as the CSV import and the pages write it: "Helse/Sykehjem"."""
        return PATH_SEPARATOR.join(unit.name for unit in self.ancestors(unit_id))

    def choices(self) -> list[tuple[int, str]]:
        """(id, path) of every unit in the tree's order, for a select."""
        return [(unit.id, self.path(unit.id)) for unit, _depth in self.walk()]

    def find(self, written: str) -> tuple[Unit | None, list[Unit]]:
        """The unit a person wrote (the CSV import): a path ("Helse/Sykehjem Nord") or a
        name alone, compared without regard to case or spaces around the parts. Returns
        the unit, or None and the units of that name when a name alone names several."""
        parts = [_folded(part) for part in written.split(PATH_SEPARATOR)]
        if len(parts) > 1:
            for unit_id in self.units:
                if [_folded(unit.name) for unit in self.ancestors(unit_id)] == parts:
                    return self.units[unit_id], []
            return None, []
        named = [unit for unit, _depth in self.walk() if _folded(unit.name) == parts[0]]
        return (named[0], []) if len(named) == 1 else (None, named)

    def name_problem(self, name: str, parent_id: int | None, unit_id: int | None) -> str | None:
        """Why unit `unit_id` (None: a new one) cannot be called `name` under `parent_id`,
        as a key of NAME_PROBLEMS; None when it can."""
        if not name.strip():
            return "empty"
        if PATH_SEPARATOR in name:
            return "separator"
        if any(_folded(self.units[sibling].name) == _folded(name)
               for sibling in self.children.get(parent_id, []) if sibling != unit_id):
            return "taken"
        return None

    def parent_problem(self, unit_id: int | None, parent_id: int | None) -> str | None:
        """Why unit `unit_id` (None: a new one) cannot be put under `parent_id` (None: at
        the top), as a key of PARENT_PROBLEMS; None when it can."""
        if parent_id is None:
            return None
        if parent_id not in self.units:
            return "unknown"
        if unit_id is not None and parent_id == unit_id:
            return "self"
        if unit_id is not None and parent_id in self.subtree_ids(unit_id):
            return "loop"
        return None


# Why a person cannot lead a unit: an HR admin leads nobody (admin/changes.py).
LEADER_PROBLEMS = {
    "inactive": _l("The chosen leader is deactivated. Choose another leader."),
    "not_leader": _l("The chosen person does not have the leader role."),
    "hr_admin": _l("An HR admin cannot be anyone's leader. Choose a leader who is not an HR "
                   "admin."),
}


def unit_leader_problem(user: User | None) -> str | None:
    """Why `user` cannot lead a unit, as a key of LEADER_PROBLEMS; None when they can."""
    if user is None:
        return None
    if not user.active:
        return "inactive"
    if not user.is_leader:
        return "not_leader"
    if user.is_hr_admin:
        return "hr_admin"
    return None


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def load_tree(with_leaders: bool = False) -> UnitTree:
    """The whole tree, one query (with each unit's leader, when asked)."""
    query = select(Unit).order_by(Unit.name, Unit.id)
    if with_leaders:
        query = query.options(joinedload(Unit.leader))
    units = db.session.scalars(query).all()
    tree = UnitTree({unit.id: unit for unit in units})
    for unit in units:
        tree.children.setdefault(unit.parent_id, []).append(unit.id)
    return tree


# The HR admin's changes ---------------------------------------------------------------------


def people_counts() -> dict[int, int]:
    """How many active people each unit has itself (not counting its sub-units), one
    query."""
    return dict(db.session.execute(
        select(User.unit_id, func.count(User.id))
        .where(User.unit_id.is_not(None), User.active).group_by(User.unit_id)).all())


def save_unit(unit: Unit, form) -> Unit:
    """Save a validated UnitForm onto `unit` (new when it has no id): its name, kind,
    parent and leader. The tree is checked again here, so that a change the form did not
    see (another HR admin's, meanwhile) cannot make a loop or a second unit of one name
    under one parent."""
    tree = load_tree()
    parent_id = form.parent_id.data or None
    name = form.name.data
    problem = tree.parent_problem(unit.id, parent_id)
    if problem:
        raise Refused(PARENT_PROBLEMS[problem])
    problem = tree.name_problem(name, parent_id, unit.id)
    if problem:
        raise Refused(NAME_PROBLEMS[problem])
    leader = db.session.get(User, form.leader_id.data) if form.leader_id.data else None
    problem = unit_leader_problem(leader)
    if problem:
        raise Refused(LEADER_PROBLEMS[problem])
    is_new = unit.id is None
    before = None if is_new else (unit.name, unit.parent_id, unit.kind, unit.leader_id)
    unit.name, unit.kind, unit.parent_id = name, form.kind.data or "", parent_id
    unit.leader = leader
    if is_new:
        db.session.add(unit)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same name saved at the same moment
        raise Refused(NAME_PROBLEMS["taken"]) from error
    parent_path = tree.path(parent_id) if parent_id else ""
    if is_new:
        record("unit_created", unit_id=unit.id, name=name, parent=parent_path)
        return unit
    if before[1] != parent_id:
        record("unit_moved", unit_id=unit.id, name=name,
               old_parent=tree.path(before[1]) if before[1] else "", parent=parent_path)
    if before[0] != name or before[2:] != (unit.kind, unit.leader_id):
        record("unit_changed", unit_id=unit.id, name=name, old_name=before[0],
               kind=unit.kind, leader_id=unit.leader_id)
    return unit


def deletion_problem(unit: Unit) -> str | None:
    """Why the unit cannot be deleted now (it has people, sub-units, or a round covers
    it), said for the HR admin; None when it can be."""
    people = db.session.scalar(select(func.count(User.id)).where(User.unit_id == unit.id))
    subunits = db.session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id))
    rounds = db.session.scalar(
        select(func.count()).select_from(RoundUnit).where(RoundUnit.unit_id == unit.id))
    reasons = []
    if people:
        reasons.append(ngettext("%(num)d person belongs to it", "%(num)d people belong to it",
                                people))
    if subunits:
        reasons.append(ngettext("it has %(num)d sub-unit", "it has %(num)d sub-units",
                                subunits))
    if rounds:
        reasons.append(ngettext("%(num)d round of conversations covers it",
                                "%(num)d rounds of conversations cover it", rounds))
    if not reasons:
        return None
    return str(_l("“%(name)s” cannot be deleted: %(reasons)s. Only a unit without people, "
                  "sub-units and rounds can be deleted.",
                  name=unit.name, reasons="; ".join(reasons)))


def delete_unit(unit: Unit) -> str:
    """Delete a unit that has no people, no sub-units and no round covering it; returns
    its name."""
    problem = deletion_problem(unit)
    if problem:
        raise Refused(problem)
    record("unit_deleted", unit_id=unit.id, name=unit.name)
    db.session.delete(unit)
    return unit.name


def move_person(user: User, unit: Unit | None, tree: UnitTree | None = None) -> bool:
    """Put a person in `unit` (None: in none); audited when it changes. Their
    conversations, minutes and actions stay theirs: none of them names a unit. Returns
    whether the unit changed. (The rounds' people follow from here: issue 15, point 2.)"""
    new_id = unit.id if unit is not None else None
    if user.unit_id == new_id:
        return False
    user.unit = unit
    if user.id is not None:
        path = (tree or load_tree()).path(new_id) if new_id else ""
        record("person_unit_changed", subject=user, unit_id=new_id, unit=path)
    return True
