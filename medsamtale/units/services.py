"""The unit tree: read whole in one query and walked in Python (it is small: hundreds of
units), so every page that groups people by unit costs one query for the tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models.units import PATH_SEPARATOR, Unit


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


def load_tree() -> UnitTree:
    """The whole tree, one query."""
    units = db.session.scalars(select(Unit).order_by(Unit.name, Unit.id)).all()
    tree = UnitTree({unit.id: unit for unit in units})
    for unit in units:
        tree.children.setdefault(unit.parent_id, []).append(unit.id)
    return tree
