"""A round of conversations (samtalerunde): HR opens it for some units (with their
sub-units) and a period; the people in those units when it opens (and those who join them
while it is open) are its members, and a conversation planned in the period for a member
belongs to it (`Conversation.round_id`). A closed round keeps its figures (`figures`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .people import User
from .questions import QuestionSet
from .units import Unit

ROUND_NAME_MAX = 160
ROUND_MESSAGE_MAX = 4000

# The points at which leaders with people still without a planned conversation are reminded.
HALFWAY = "halfway"
TWO_WEEKS_LEFT = "two_weeks_left"


class Round(db.Model):
    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(ROUND_NAME_MAX))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    question_set_id: Mapped[int | None] = mapped_column(ForeignKey("question_set.id"))
    message: Mapped[str] = mapped_column(Text, default="")  # to the leaders
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The figures as they were when it closed (rounds/figures.py), so they stay.
    figures: Mapped[dict | None] = mapped_column(JSON)

    question_set: Mapped[QuestionSet | None] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary="round_unit", order_by="Unit.name")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RoundUnit(db.Model):
    """A unit a round covers, with its sub-units."""

    __tablename__ = "round_unit"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)


class RoundMember(db.Model):
    """A person in a round's scope."""

    __tablename__ = "round_member"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class RoundReminder(db.Model):
    """That a leader was reminded at one of a round's points (HALFWAY, TWO_WEEKS_LEFT):
    each reminder is sent once."""

    __tablename__ = "round_reminder"
    __table_args__ = (UniqueConstraint("round_id", "leader_id", "point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    point: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
