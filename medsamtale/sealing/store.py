"""The process's keyring, and opening a stored data key into it."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .keys import KeyProblem, Keyring


def keyring() -> Keyring:
    return current_app.extensions["sealing"]


def open_data_key(key_id: str, session=None) -> None:
    """Open the data key `key_id` into this process's keyring (once per process)."""
    from ..models.keys import DataKey

    ring = keyring()
    if ring.knows(key_id):
        return
    session = session or db.session
    found = session.connection().execute(
        select(DataKey.master_id, DataKey.wrapped).where(DataKey.id == key_id)).first()
    if found is None:
        raise KeyProblem(f"Data key {key_id} is not stored: the content it sealed is gone.")
    ring.remember(key_id, ring.unwrap(found.master_id, found.wrapped))
