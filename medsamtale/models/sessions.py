"""Sessions the server keeps: the cookie carries a random token, the database its hash, so
that logging out, an idle time, a password change or HR's deactivation ends a session for
good, and a person sees where they are logged in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .tokens import new_token

TOUCH_SECONDS = 60  # last_seen_at is written at most this often for a session
AGENT_MAX = 200
ADDRESS_MAX = 45

# Why a session ended.
LOGGED_OUT = "logout"
IDLE = "idle"
EXPIRED = "expired"
ENDED_BY_PERSON = "ended"  # "end all my other sessions", or one of them
PASSWORD_CHANGED = "password"
DEACTIVATED = "deactivated"
EMAIL_CHANGED = "email"  # the person confirmed a new address
RESET_BY_HR = "reset"  # HR sent a link to set a new password


class UserSession(db.Model):
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_why: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(AGENT_MAX), default="")
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")

    @classmethod
    def begin(cls, user_id: int, lifetime: timedelta, user_agent: str, address: str
              ) -> tuple[UserSession, str]:
        """A new session for the person, and the token its cookie carries. (People are
        found from their sessions by the caller's query: this module knows no User, so
        that User can end its sessions.)"""
        token, digest = new_token()
        now = utcnow()
        row = cls(user_id=user_id, token_hash=digest, created_at=now,
                  last_seen_at=now, expires_at=now + lifetime,
                  user_agent=(user_agent or "")[:AGENT_MAX],
                  address=(address or "")[:ADDRESS_MAX])
        db.session.add(row)
        return row, token

    def problem(self, idle: timedelta, now: datetime | None = None) -> str | None:
        """Why this session can no longer be used (IDLE, EXPIRED, or why it was ended)."""
        now = now or utcnow()
        if self.ended_at is not None:
            return self.ended_why or LOGGED_OUT
        if self.expires_at <= now:
            return EXPIRED
        if self.last_seen_at + idle <= now:
            return IDLE
        return None

    def end(self, why: str) -> None:
        if self.ended_at is None:
            self.ended_at, self.ended_why = utcnow(), why

    @classmethod
    def end_all(cls, user_id: int, why: str, keep: UserSession | None = None) -> int:
        """End every open session of the person (but `keep`); how many were ended."""
        query = update(cls).where(cls.user_id == user_id, cls.ended_at.is_(None))
        if keep is not None:
            query = query.where(cls.id != keep.id)
        result = db.session.execute(query.values(ended_at=utcnow(), ended_why=why),
                                    execution_options={"synchronize_session": "fetch"})
        return result.rowcount

    @classmethod
    def open_for(cls, user_id: int, idle: timedelta) -> list[UserSession]:
        """The person's sessions that can still be used, the latest seen first."""
        now = utcnow()
        rows = db.session.scalars(select(cls).where(
            cls.user_id == user_id, cls.ended_at.is_(None), cls.expires_at > now,
            cls.last_seen_at > now - idle).order_by(cls.last_seen_at.desc())).all()
        return list(rows)
