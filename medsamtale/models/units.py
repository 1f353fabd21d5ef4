"""The organisation's units (enheter: avdeling, seksjon …) in a tree, each with a leader;
every person belongs to at most one. The tree is small (hundreds of units): it is read
whole, in one query, and walked in Python (units/services.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .people import User

UNIT_NAME_MAX = 120
UNIT_KIND_MAX = 40
PATH_SEPARATOR = "/"  # a unit's path, as the CSV import and the pages write it


class Unit(db.Model):
    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(UNIT_NAME_MAX))
    kind: Mapped[str] = mapped_column(String(UNIT_KIND_MAX), default="")  # "avdeling" …
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
