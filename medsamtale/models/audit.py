"""The audit log: who did what, when and from where; never what was said. Rows are only
ever added (on PostgreSQL a trigger refuses UPDATE and DELETE), and each carries the hash of
the one before it, so a gap or an edit shows (medsamtale.audit.verify)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject_user_id_at", "subject_user_id", "at"),
        Index("ix_audit_event_conversation_id_at", "conversation_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who acted (None: someone not logged in, or the system), and the email they gave
    # when no account matched (failed log-ins).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    # Whom or what it concerned.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    address: Mapped[str] = mapped_column(String(45), default="")
    # What else identifies the event (a page's name, a changed field's name, a count);
    # never content.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
