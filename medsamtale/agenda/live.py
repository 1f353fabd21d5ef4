"""The live part of the agenda: every change raises the conversation's `agenda_version`
and is announced (on PostgreSQL: NOTIFY, which every process's hub hears); each party's
event stream passes the announcements on to their browser, with who is here and typing
where; a browser that polls instead asks what changed since the version it has.
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import time
from collections.abc import Callable, Iterator

from sqlalchemy import select, text, update

from ..extensions import db
from ..models import AgendaItem, Conversation, User
from .hub import CHANNEL, HERE_EVERY_SECONDS, POLL, Note, Presence, hub

EVENT_STREAM_SECONDS = 300  # the browser reconnects by itself after this
KEEP_ALIVE_SECONDS = 3  # so a party who leaves is noticed within seconds


def has_push() -> bool:
    """Server-sent events need PostgreSQL's LISTEN/NOTIFY; SQLite polls."""
    return db.engine.dialect.name == "postgresql"


def _announce(note: Note) -> None:
    """Tell every process, with the transaction that makes the change (PostgreSQL), or
    this process's hub (SQLite, one process)."""
    if has_push():
        db.session.execute(text("SELECT pg_notify(:channel, :payload)"),
                           {"channel": CHANNEL, "payload": note.payload()})
    else:
        hub.heard(note)


def bump(conversation: Conversation) -> int:
    """Raise agenda_version in the database (which also serialises concurrent changes of
    one agenda) and announce it; returns the new version."""
    version = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(agenda_version=Conversation.agenda_version + 1)
        .returning(Conversation.agenda_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    conversation.agenda_version = version
    if has_push():
        _announce(Note(conversation.id, "changed", 0, str(version)))
    return version


def typing(conversation: Conversation, user_id: int, item_id: int) -> None:
    """`user_id` is typing in the item (they just saved a text of it)."""
    _announce(Note(conversation.id, "typing", user_id, str(item_id)))


def changes_since(conversation: Conversation, since: int) -> list[AgendaItem]:
    """Items changed after agenda version `since`, removed ones included."""
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == conversation.id, AgendaItem.changed_in > since)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def poll_state(conversation_id: int, session_id: str | None):
    """(employee_id, leader_id, agenda_version) of a sent conversation, if the session's
    user is active, its session current, and a party of it; else None. All a poll needs to
    answer that nothing changed, in one small query, without loading the user."""
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, session_version = parsed
    return db.session.execute(
        select(Conversation.employee_id, Conversation.leader_id, Conversation.agenda_version)
        .join(User, User.id == user_id)
        .where(
            Conversation.id == conversation_id,
            Conversation.invited_at.is_not(None),
            (Conversation.employee_id == user_id) | (Conversation.leader_id == user_id),
            User.active, User.session_version == session_version,
        )
    ).first()


def polled(conversation_id: int, user_id: int) -> Presence:
    """A party polls (no PostgreSQL): they are here. Who is here and typing where."""
    return hub.heard(Note(conversation_id, "here", user_id, POLL))


# The event stream (PostgreSQL) --------------------------------------------------------------


def sse(data: str = "", event: str | None = None) -> str:
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def event_stream(conversation: Conversation, user_id: int,
                 presence_block: Callable[[Presence], str]) -> Iterator[str]:
    """The events of one party's open agenda: "update" when the agenda changed (the browser
    then fetches what changed), and, as it changes, who is here and typing where, as
    `presence_block` renders it. The stream holds no database connection: the request's is
    given back before it starts."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conversation_id = conversation.id
    db.session.remove()
    name = secrets.token_hex(4)
    follower = hub.follow(url, conversation_id)
    presence, others = Presence(), set()
    try:
        hub.publish(url, Note(conversation_id, "here", user_id, name))
        yield "retry: 1000\n" + sse(event="update")  # whatever changed since the page
        last_said, shown = time.monotonic(), presence.state(time.monotonic())
        deadline = last_said + EVENT_STREAM_SECONDS
        while time.monotonic() < deadline:
            try:
                note = follower.get(timeout=KEEP_ALIVE_SECONDS)
            except queue.Empty:
                note = None
            now = time.monotonic()
            if note is not None and note.kind in ("changed", "listening"):
                yield sse(event="update")
            elif note is not None and note.user_id != user_id:
                presence.hear(note, now)
                if note.kind == "here" and note.rest not in others:  # a newcomer: say so
                    others.add(note.rest)
                    hub.publish(url, Note(conversation_id, "here", user_id, name))
                    last_said = now
            if now - last_said >= HERE_EVERY_SECONDS:
                hub.publish(url, Note(conversation_id, "here", user_id, name))
                last_said = now
            if presence.state(now) != shown:
                shown = presence.state(now)
                yield sse(presence_block(presence))
            elif note is None:
                yield ": still here\n\n"
    finally:
        hub.unfollow(conversation_id, follower)
        # The database may be gone too; then the others' presence expires by itself.
        with contextlib.suppress(Exception):
            hub.publish(url, Note(conversation_id, "gone", user_id, name))
