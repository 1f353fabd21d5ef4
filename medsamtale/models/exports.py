"""The employee's copy of everything the app holds about them (issue 16, point 3): asked
for on their own page, built by the outbox worker (medsamtale/account/export.py), fetched
once through an emailed link. Only the SHA-256 of the link's token is stored; the ZIP is
kept until it is fetched or the link expires, then deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..sealing.types import SealedBytes
from ..timeutil import utcnow
from .people import User

LINK_LIFETIME = timedelta(days=7)


class PersonalExport(db.Model):
    __tablename__ = "personal_export"
    __table_args__ = (
        # One request waiting to be built per person, also under concurrent requests.
        Index(
            "uq_personal_export_pending_per_user",
            "user_id",
            unique=True,
            sqlite_where=text("ready_at IS NULL"),
            postgresql_where=text("ready_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Set when it is built; None again once the copy is fetched, expired or replaced.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    # Sealed with the system key (medsamtale/sealing); read only when the link is used.
    zip_data: Mapped[bytes | None] = mapped_column(SealedBytes, deferred=True)

    user: Mapped[User] = relationship()
    __sealed_in__ = None

    @property
    def is_pending(self) -> bool:
        return self.ready_at is None

    @property
    def expires_at(self) -> datetime | None:
        return self.ready_at + LINK_LIFETIME if self.ready_at else None

    @property
    def problem(self) -> str | None:
        """'used' or 'expired' when the link can no longer be used. (A copy replaced by a
        newer one has no ZIP left: account/export.py's `take` then finds nothing, which
        counts as used, without the ZIP being read here.)"""
        if self.used_at is not None:
            return "used"
        if self.ready_at is None or self.expires_at <= utcnow():
            return "expired"
        return None
