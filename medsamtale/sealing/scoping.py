"""Which key seals what: before each flush, every sealed text that is about to be written
is given the data key of its conversation, found from the row by the relationships its
model names in `__sealed_in__` (() for the conversation itself; None for what belongs to no
conversation, sealed with the derived system key). A conversation's data key is made on its
first sealed text. Core statements that write content seal it with `scoped()`."""

from __future__ import annotations

from functools import cache

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..extensions import db
from .keys import KeyProblem
from .store import keyring, open_data_key
from .types import Scoped, ScopedBytes, ScopedJSON, SealedBytes, SealedJSON, SealedText


@cache
def sealed_fields(model) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(model).column_attrs
                 if isinstance(attr.columns[0].type, (SealedText, SealedJSON, SealedBytes)))


def scoped(row, values: dict) -> dict:
    """`values` to be written into `row` by a Core statement, its sealed ones sealed."""
    fields = sealed_fields(type(row))
    if not any(values.get(name) for name in fields):
        return values
    key_id = _key_of(db.session, row)
    return {name: _wrap(value, key_id) if name in fields and value else value
            for name, value in values.items()}


@event.listens_for(Session, "before_flush")
def _seal_what_is_written(session, flush_context, instances) -> None:
    for row in [*session.new, *session.dirty]:
        fields = sealed_fields(type(row))
        if not fields:
            continue
        state = inspect(row)
        written = [name for name in fields if name in state.dict and (
            state.pending or name in state.committed_state)]
        values = [(name, state.dict[name]) for name in written if state.dict[name]]
        if not values:
            continue
        key_id = _key_of(session, row)
        for name, value in values:
            if getattr(value, "key_id", None) != key_id:
                state.dict[name] = _wrap(value, key_id)


def _wrap(value, key_id: str):
    if isinstance(value, dict):
        return ScopedJSON(value, key_id)
    if isinstance(value, bytes):
        return ScopedBytes(value, key_id)
    return Scoped(value, key_id)


def _key_of(session, row) -> str:
    path = type(row).__sealed_in__
    if path is None:
        return keyring().system_id
    conversation = row
    for name in path:
        conversation = _parent(session, conversation, name)
        if conversation is None:
            raise KeyProblem(f"{type(row).__name__} has no conversation to seal it with")
    return _conversation_key(session, conversation)


def _parent(session, row, name: str):
    """The row `name` points to, without loading anything the session already holds."""
    state = inspect(row)
    if name in state.dict:
        return state.dict[name]
    relationship = state.mapper.relationships[name]
    ids = [state.dict.get(state.mapper.get_property_by_column(local).key)
           for local, _ in relationship.local_remote_pairs]
    if None in ids:
        return None
    return session.get(relationship.mapper.class_, ids[0] if len(ids) == 1 else tuple(ids))


def _conversation_key(session, conversation) -> str:
    from ..models.keys import DataKey, new_key_id

    made = inspect(conversation).dict.get("data_key")  # earlier in this flush
    key_id = made.id if made is not None else conversation.data_key_id
    if key_id is not None:
        open_data_key(key_id, session)
        return key_id
    ring = keyring()
    key, wrapped = ring.new_data_key()
    data_key = DataKey(id=new_key_id(), master_id=ring.current_id, wrapped=wrapped)
    ring.remember(data_key.id, key)
    session.add(data_key)
    conversation.data_key = data_key
    return data_key.id
