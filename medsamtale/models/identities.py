"""Accounts linked to an OpenID provider: (issuer, subject) per person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

ISSUER_MAX = 255
SUBJECT_MAX = 255  # OpenID Connect Core 2: sub is at most 255 ASCII characters


class OidcIdentity(db.Model):
    """A person's account at an OpenID provider: the provider (`issuer`) and the person's
    stable id there (`subject`, the ID token's `sub`). Made on the first sign-in that
    matched the person by a verified address; later sign-ins match by it alone, so a
    changed address at the provider still finds the same person."""

    __tablename__ = "oidc_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(ISSUER_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user = relationship("User")

    @classmethod
    def find(cls, issuer: str, subject: str) -> OidcIdentity | None:
        return db.session.scalar(select(cls).where(cls.issuer == issuer, cls.subject == subject))

    @classmethod
    def of(cls, user_id: int, issuer: str) -> OidcIdentity | None:
        """The person's link to `issuer`, if any (one per provider and person)."""
        return db.session.scalar(select(cls).where(cls.user_id == user_id, cls.issuer == issuer))
