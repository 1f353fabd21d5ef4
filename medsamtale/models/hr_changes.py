"""Changes to people that HR asks for and someone else must confirm: a new email address,
confirmed by its owner from that address while logged in; and, when the organisation asks
for four eyes, a change of someone's leader or roles that a second HR admin approves."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .people import EMAIL_MAX, User
from .tokens import new_token, token_digest


class EmailChange(db.Model):
    """A new address for a person, waiting for the person to confirm it from that address."""

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    new_email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])

    @classmethod
    def issue(cls, user: User, new_email: str, requested_by: User | None,
              lifetime: timedelta) -> tuple[EmailChange, str]:
        """A change to confirm, retiring any earlier open one of the same person."""
        now = utcnow()
        db.session.execute(update(cls).where(
            cls.user_id == user.id, cls.confirmed_at.is_(None), cls.cancelled_at.is_(None)
        ).values(cancelled_at=now))
        token, digest = new_token()
        row = cls(user=user, new_email=new_email.strip().lower(), token_hash=digest,
                  requested_by=requested_by, created_at=now, expires_at=now + lifetime)
        db.session.add(row)
        return row, token

    @classmethod
    def find(cls, token: str) -> EmailChange | None:
        return db.session.scalar(select(cls).where(cls.token_hash == token_digest(token)))

    @classmethod
    def open_for(cls, user: User) -> EmailChange | None:
        return db.session.scalar(select(cls).where(
            cls.user_id == user.id, cls.confirmed_at.is_(None), cls.cancelled_at.is_(None),
            cls.expires_at > utcnow()).order_by(cls.id.desc()).limit(1))

    @property
    def problem(self) -> str | None:
        """'used' or 'expired' when the link can no longer be used."""
        if self.confirmed_at is not None or self.cancelled_at is not None:
            return "used"
        if self.expires_at <= utcnow():
            return "expired"
        return None


PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


class PendingChange(db.Model):
    """A change of a person's leader or roles asked for by one HR admin, waiting for a
    second one (the organisation's four-eyes setting). `change` holds the new values."""

    __tablename__ = "pending_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    change: Mapped[dict] = mapped_column(JSON)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
