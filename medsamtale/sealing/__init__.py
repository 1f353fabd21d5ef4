"""Encryption at rest of what is said in a conversation (issue 16, point 6).

The content columns (notes, topics, agenda texts, minutes, actions, comments, remarks, the
outbox's mail) are of the types in types.py: sealed with AES-256-GCM as they are written and
opened as they are read, so a database dump or a backup holds none of it readable. keys.py
holds the keys, scoping.py says which key seals what, cli.py rotates them.

The app does not start without its key, nor with a key that does not open the data keys
stored (`KeyProblem`, with the reason).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from .keys import KeyProblem, Keyring, master_keys_from
from .scoping import scoped
from .types import SealedBytes, SealedJSON, SealedText

__all__ = ["KeyProblem", "SealedBytes", "SealedJSON", "SealedText", "init_app", "scoped"]


def init_app(app) -> None:
    ring = Keyring(master_keys_from(app.config, app.instance_path))
    app.extensions["sealing"] = ring
    with app.app_context():
        _check_stored_keys(ring)


def _check_stored_keys(ring: Keyring) -> None:
    """Refuse a key that does not open the stored data keys: one of each master key's is
    opened. Before the first migration there is nothing to check."""
    from ..extensions import db
    from ..models.keys import DataKey

    try:
        with db.engine.connect() as connection:
            samples = connection.execute(
                select(DataKey.master_id, func.min(DataKey.id)).group_by(DataKey.master_id)
            ).all()
            for master_id, key_id in samples:
                wrapped = connection.scalar(select(DataKey.wrapped).where(DataKey.id == key_id))
                ring.unwrap(master_id, wrapped)
    except (OperationalError, ProgrammingError):  # no data_key table yet
        return
