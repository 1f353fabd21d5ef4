"""Email waiting to be sent, written in the same transaction as the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..sealing.types import SealedText
from ..timeutil import utcnow

PENDING = "pending"
SENT = "sent"
DEAD = "dead"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    # The kind of message: the name of its template ("invitation", "action_reminder" …);
    # what the HR admin sees of a message that could not be delivered, never its body.
    kind: Mapped[str] = mapped_column(String(40), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(255))
    # Sealed (medsamtale/sealing) with the system key: a mail may quote a conversation.
    body_text: Mapped[str] = mapped_column(SealedText)
    body_html: Mapped[str] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A calendar invitation (iCalendar text) and its METHOD, attached as invite.ics.
    calendar_ics: Mapped[str | None] = mapped_column(SealedText)
    calendar_method: Mapped[str | None] = mapped_column(String(10))

    __sealed_in__ = None

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiving server can recognise a repeat."""
        return f"<outbox-{self.id}-{self.created_at:%Y%m%d%H%M%S}@medsamtale>"
