"""Who leads whom beyond the reporting line: a deputy for a leader on leave, and an
employee's share of earlier approved minutes with their new leader."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .conversations import Conversation
from .people import User


class Deputy(db.Model):
    """For a period, `deputy` plans and holds conversations for `leader`'s people; they
    never read the leader's earlier minutes."""

    __tablename__ = "deputy"

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]  # ended early by HR

    leader: Mapped[User] = relationship(foreign_keys=[leader_id])
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id])


class MinutesShare(db.Model):
    """The employee lets their current leader read the approved minutes of a conversation
    held with an earlier leader; withdrawn by deleting the row."""

    __tablename__ = "minutes_share"
    __table_args__ = (UniqueConstraint("conversation_id", "leader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship()
    leader: Mapped[User] = relationship()
