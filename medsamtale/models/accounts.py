"""Single-use, expiring links for setting a first password and resetting one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .people import User
from .tokens import new_token, token_digest

WELCOME = "welcome"
RESET = "reset"


class PasswordToken(db.Model):
    """Only the hash of a token is stored; the token itself travels in the email."""

    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, purpose: str, lifetime: timedelta) -> str:
        """Create a token for `user`, retiring any earlier unused one, and return it."""
        now = utcnow()
        db.session.execute(
            update(cls)
            .where(cls.user_id == user.id, cls.used_at.is_(None))
            .values(used_at=now)
        )
        token, digest = new_token()
        db.session.add(
            cls(user=user, purpose=purpose, token_hash=digest, expires_at=now + lifetime)
        )
        return token

    @classmethod
    def find(cls, token: str) -> PasswordToken | None:
        return db.session.scalar(select(cls).where(cls.token_hash == token_digest(token)))

    @property
    def problem(self) -> str | None:
        """'used' or 'expired' when the link can no longer be used."""
        if self.used_at is not None:
            return "used"
        if self.expires_at <= utcnow():
            return "expired"
        if not self.user.active:
            return "used"
        return None

    def use(self) -> None:
        self.used_at = utcnow()
