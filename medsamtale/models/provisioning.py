"""Provisioning from the directory (SCIM 2.0, medsamtale/scim): the bearer tokens the HR
admin issues to the directory (stored as digests, as every secret token is, models/tokens.py),
and what the directory calls a person beyond our own columns (their userName, externalId and
the parts of their name), one row per person the directory has touched."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .people import EMAIL_MAX, NAME_MAX, User
from .tokens import new_token, token_digest

TOKEN_NAME_MAX = 80
EXTERNAL_ID_MAX = 255
# last_used_at is written at most this often for a token (every request would be a write).
USE_NOTED_EVERY = timedelta(seconds=60)


class ScimToken(db.Model):
    """A bearer token the directory sends with each SCIM request: named by the HR admin,
    shown once when it is made, revocable."""

    __tablename__ = "scim_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @classmethod
    def issue(cls, name: str, by: User) -> tuple[ScimToken, str]:
        """A new token named `name`; the token itself is returned once and never kept."""
        token, digest = new_token()
        row = cls(name=name, token_hash=digest, created_by=by)
        db.session.add(row)
        return row, token

    @classmethod
    def find(cls, token: str) -> ScimToken | None:
        """The token a request presents, revoked or not (None when it is no token of ours)."""
        if not token or len(token) > 200:
            return None
        return db.session.scalar(select(cls).where(cls.token_hash == token_digest(token)))

    @classmethod
    def listed(cls) -> list[ScimToken]:
        return list(db.session.scalars(select(cls).order_by(cls.revoked_at.is_not(None),
                                                            cls.id.desc())))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def note_use(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        if self.last_used_at is None or now - self.last_used_at >= USE_NOTED_EVERY:
            self.last_used_at = now

    def revoke(self, by: User) -> bool:
        """Revoke the token; False when it already was."""
        if self.revoked_at is not None:
            return False
        self.revoked_at, self.revoked_by_id = utcnow(), by.id
        return True


class ScimIdentity(db.Model):
    """A person as the directory knows them: the userName it matches them by (their email
    address for people the directory has not touched), its own id for them (externalId)
    and the parts of their name, from which `User.name` is made."""

    __tablename__ = "scim_identity"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # Lower-cased: SCIM's userName is not case-exact, and unique across the service.
    user_name: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    given_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    family_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def formatted_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def shown_name(self) -> str:
        """The person's name as the app shows it: the directory's displayName, else the
        given and family name."""
        return (self.display_name or self.formatted_name).strip()


def user_name_owner(user_name: str) -> int | None:
    """The id of the person whose userName `user_name` is (case does not matter): the one
    the directory calls so, or a person the directory has not touched whose address it is."""
    wanted = user_name.strip().lower()
    found = db.session.scalar(select(ScimIdentity.user_id)
                              .where(ScimIdentity.user_name == wanted))
    if found is not None:
        return found
    return db.session.scalar(
        select(User.id).outerjoin(ScimIdentity, ScimIdentity.user_id == User.id)
        .where(func.lower(User.email) == wanted, ScimIdentity.user_id.is_(None)))
