"""The column types of sealed content. A value is sealed as it is written, with the key the
flush named for it (scoping.py wraps it as `Scoped`); a plain text reaching the database
any other way is refused, so no content is ever written unencrypted. The empty text stays
empty (that a note is empty is no secret, and retention's rules ask it)."""

from __future__ import annotations

import json

from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from .keys import PREFIX
from .store import keyring
from .store import open_data_key as _load


class Unsealed(RuntimeError):
    """Content about to be written without a key: a bug, never written."""


class Scoped(str):
    """A text and the id of the data key that seals it."""

    def __new__(cls, value: str, key_id: str):
        text = super().__new__(cls, value)
        text.key_id = key_id
        return text


class ScopedBytes(bytes):
    """Bytes and the id of the data key that seals them."""

    def __new__(cls, value: bytes, key_id: str):
        data = super().__new__(cls, value)
        data.key_id = key_id
        return data


class ScopedJSON(dict):
    """A JSON object and the id of the data key that seals it."""

    def __init__(self, value: dict, key_id: str):
        super().__init__(value)
        self.key_id = key_id


class SealedText(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        key_id = getattr(value, "key_id", None)
        if key_id is None:
            raise Unsealed("content written without its conversation's key")
        return keyring().seal(key_id, str(value).encode())

    def process_result_value(self, value, dialect):
        if not value or not value.startswith(PREFIX):
            return value  # empty, or written before 0015 sealed what was there
        return keyring().open(value, _load).decode()


class SealedJSON(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        key_id = getattr(value, "key_id", None)
        if key_id is None:
            raise Unsealed("content written without its conversation's key")
        return keyring().seal(key_id, json.dumps(value, ensure_ascii=False).encode())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if not value.startswith(PREFIX):
            return json.loads(value)
        return json.loads(keyring().open(value, _load))


class SealedBytes(TypeDecorator):
    """A file (an employee's export): sealed the same way, stored as the sealed value's
    ASCII bytes."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        key_id = getattr(value, "key_id", None)
        if key_id is None:
            raise Unsealed("content written without its key")
        return keyring().seal(key_id, bytes(value)).encode()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keyring().open(bytes(value).decode(), _load)
