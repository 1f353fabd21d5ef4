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


class _Sealed(TypeDecorator):
    """Seals what is written with the key it comes with (`key_id`), and opens what is read;
    a subclass says how its values become bytes and back."""

    impl = Text
    cache_ok = True  # each subclass says so again: SQLAlchemy asks the class itself

    def to_bytes(self, value) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes):
        raise NotImplementedError

    def from_plain(self, stored: str):
        """A value stored before sealing began (0015), or the empty text."""
        return stored

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        key_id = getattr(value, "key_id", None)
        if key_id is None:
            raise Unsealed("content written without its conversation's key")
        return keyring().seal(key_id, self.to_bytes(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if not value.startswith(PREFIX):
            return self.from_plain(value)
        return self.from_bytes(keyring().open(value, _load))


class SealedText(_Sealed):
    cache_ok = True

    def to_bytes(self, value) -> bytes:
        return str(value).encode()

    def from_bytes(self, data: bytes) -> str:
        return data.decode()


class SealedJSON(_Sealed):
    cache_ok = True

    def to_bytes(self, value) -> bytes:
        return json.dumps(value, ensure_ascii=False).encode()

    def from_bytes(self, data: bytes):
        return json.loads(data)

    def from_plain(self, stored: str):
        return json.loads(stored)


class SealedBytes(_Sealed):
    """A file (an employee's export), stored as the sealed value's ASCII bytes."""

    impl = LargeBinary
    cache_ok = True

    def to_bytes(self, value) -> bytes:
        return bytes(value)

    def from_bytes(self, data: bytes) -> bytes:
        return data

    def process_bind_param(self, value, dialect):
        sealed = super().process_bind_param(value, dialect)
        return sealed.encode() if isinstance(sealed, str) else sealed

    def process_result_value(self, value, dialect):
        return None if value is None else super().process_result_value(
            bytes(value).decode("ascii"), dialect)
