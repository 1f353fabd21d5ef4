"""The data keys that seal a conversation's content (medsamtale/sealing): one per
conversation, stored only wrapped (encrypted) by a master key the database never holds."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


def new_key_id() -> str:
    return secrets.token_hex(12)


class DataKey(db.Model):
    __tablename__ = "data_key"

    # Made here, not by the database: a conversation's first save names its key before the
    # rows are written (medsamtale/sealing/scoping.py).
    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_key_id)
    # The master key that wraps it: the first 16 hex digits of its SHA-256.
    master_id: Mapped[str] = mapped_column(String(16), index=True)
    # AES-GCM: 12 bytes of nonce, then the 32-byte key and its 16-byte tag.
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
