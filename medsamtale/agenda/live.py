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
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..auth import sessions
from ..extensions import db
from ..models import AgendaItem, Conversation, User, UserSession
from ..models.tokens import token_digest
from ..timeutil import utcnow
from .hub import CHANNEL, HERE_EVERY_SECONDS, POLL, Note, Presence, hub

EVENT_STREAM_SECONDS = 300  # the browser reconnects by itself after this
KEEP_ALIVE_SECONDS = 3  # so a party who leaves is noticed within seconds


def has_push() -> bool:
    """Server-sent events need PostgreSQL's LISTEN/NOTIFY; SQLite polls."""
    return db.engine.dialect.name == "postgresql"


def listen_url() -> str:
    """The database's address for psycopg itself (the listener and its publisher)."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


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
    set_committed_value(conversation, "agenda_version", version)  # as read: nothing to flush
    if has_push():
        _announce(Note(conversation.id, "changed", 0, str(version)))
    else:  # polls answered from memory read it again once this is committed
        db.session.info.setdefault(BUMPED, set()).add(conversation.id)
    return version


BUMPED = "agenda_bumped"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    bumped = session.info.pop(BUMPED, None)
    if bumped:
        hub.changed_here(bumped)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(BUMPED, None)


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


def _poll_statement():
    """The one query of a poll, built once: (employee_id, leader_id, agenda_version) of a
    sent conversation, and the session's id and last activity, if the session is open,
    its user active and a party."""
    user = bindparam("user_id")
    return (
        select(Conversation.employee_id, Conversation.leader_id, Conversation.agenda_version,
               UserSession.id, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == user)
        .join(User, User.id == user)
        .where(
            Conversation.id == bindparam("conversation_id"),
            Conversation.invited_at.is_not(None),
            (Conversation.employee_id == user) | (Conversation.leader_id == user),
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > bindparam("now"),
            UserSession.last_seen_at > bindparam("idle_since"),
            User.active,
        )
    )


POLL_STATEMENT = _poll_statement()


@dataclass(frozen=True)
class PollState:
    employee_id: int
    leader_id: int
    agenda_version: int
    session_id: int
    last_seen_at: datetime


def poll_state(conversation_id: int, session_id: str | None) -> PollState | None:
    """All a poll needs to answer that nothing changed (see _poll_statement), or None: one
    small query (its SQL compiled once, in SQLAlchemy's cache), without a transaction
    (PostgreSQL: no BEGIN and ROLLBACK; SQLite begins none for a SELECT) and without
    loading the user. A poll counts as activity on the session. On PostgreSQL what it
    finds is also kept, for known_unchanged."""
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return None
    generation, push = hub.generation, has_push()
    now = utcnow()
    values = {"conversation_id": conversation_id, "user_id": parsed[0],
              "token_hash": token_digest(parsed[1]), "now": now,
              "idle_since": now - sessions.idle_limit()}
    connection = db.engine.connect()
    if push:  # SQLite begins no transaction for a SELECT; asking it to costs a tenth
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    with connection:
        found = connection.execute(POLL_STATEMENT, values).first()
    row = PollState(*found) if found else None
    if row is not None:
        sessions.note_use(row.session_id, row.last_seen_at, now)  # a meeting's polls are use
    if row is not None and push:
        hub.listen(listen_url())
        hub.learn_version(conversation_id, row.agenda_version, generation)
        hub.allow(conversation_id, session_id)
    elif row is not None:
        hub.confirm(conversation_id, row.agenda_version, row.employee_id, row.leader_id,
                    generation)
        hub.allow(conversation_id, session_id)
    return row


def known_unchanged(conversation_id: int, session_id: str | None, since: int | None,
                    latest: int | None, shown: str | None) -> bool:
    """True when this process knows without the database that a party's agenda has not
    changed since `since`, and the session was found to be a party's within the last
    minute. On PostgreSQL its listener heard every change and the page has not heard of a
    newer version from its stream (`latest`); without it, the version was read within
    CONFIRMED_SECONDS and this process, the one that makes every change, made none since,
    and who is here is still as `shown`. Only a 204 is answered so; it tells nothing but
    that."""
    if since is None or session_id is None or not hub.allowed(conversation_id, session_id):
        return False
    if has_push():
        return latest == since and hub.known_version(conversation_id) == since
    confirmed = hub.confirmed(conversation_id)
    if confirmed is None or confirmed[0] != since:
        return False
    _version, employee_id, leader_id = confirmed
    viewer = User.parse_session_id(session_id)[0]  # it parsed when it was allowed
    other = leader_id if viewer == employee_id else employee_id
    return shown == polled(conversation_id, viewer).shown(other)


def polled(conversation_id: int, user_id: int) -> Presence:
    """A party polls (no PostgreSQL): they are here. Who is here and typing where."""
    return hub.heard(Note(conversation_id, "here", user_id, POLL))


# The event stream (PostgreSQL) --------------------------------------------------------------


def sse(data: str = "", event: str | None = None) -> str:
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def event_stream(conversation: Conversation, user_id: int, block: Callable[..., str],
                 session_open: Callable[[], bool]) -> Iterator[str]:
    """The events of one party's open agenda: "update" when the agenda changed (the browser
    then fetches what changed) and, as they change, who is here and typing where and the
    meeting's minutes so far. `block(name, **context)` renders a block of the agenda page
    for the browser to swap in: "latest" (the version the stream told of, so the poll that
    follows asks the database), "presence" and "elapsed". The stream holds no database
    connection: the request's is given back before it starts, and after each block. It
    ends when its session does (`session_open()`, asked every SESSION_CHECK_SECONDS)."""
    url = listen_url()
    conversation_id, version = conversation.id, conversation.agenda_version
    db.session.remove()

    def swap(name: str, **context) -> str:
        html = block(name, **context)
        db.session.remove()
        return sse(html)

    def update(version: int | None) -> str:  # None: notes may have been missed
        return swap("latest", latest="" if version is None else version) + sse(event="update")

    def minutes() -> int:
        return int((utcnow() - conversation.started_at).total_seconds() // 60)

    check_every = current_app.config["SESSION_CHECK_SECONDS"]
    name = secrets.token_hex(4)
    follower = hub.follow(url, conversation_id)
    presence, others = Presence(), set()
    try:
        hub.publish(url, Note(conversation_id, "here", user_id, name))
        yield "retry: 1000\n" + update(version)  # whatever changed since the page
        last_said, shown, minute = time.monotonic(), presence.state(time.monotonic()), minutes()
        deadline = last_said + EVENT_STREAM_SECONDS
        checked = last_said
        while time.monotonic() < deadline:
            try:
                note = follower.get(timeout=min(KEEP_ALIVE_SECONDS, check_every))
            except queue.Empty:
                note = None
            now = time.monotonic()
            if now - checked >= check_every:
                if not session_open():
                    return
                checked = now
            if note is not None and note.kind in ("changed", "listening"):
                yield update(int(note.rest) if note.rest.isdigit() else None)
            elif note is not None and note.user_id != user_id:
                presence.hear(note, now)
                if note.kind == "here" and note.rest not in others:  # a newcomer: say so
                    others.add(note.rest)
                    hub.publish(url, Note(conversation_id, "here", user_id, name))
                    last_said = now
            if now - last_said >= HERE_EVERY_SECONDS:
                hub.publish(url, Note(conversation_id, "here", user_id, name))
                last_said = now
            if minutes() != minute:
                minute = minutes()
                yield swap("elapsed", now=utcnow())
            if presence.state(now) != shown:
                shown = presence.state(now)
                yield swap("presence", presence=presence, moment=now)
            elif note is None:
                yield ": still here\n\n"
    finally:
        hub.unfollow(conversation_id, follower)
        # The database may be gone too; then the others' presence expires by itself.
        with contextlib.suppress(Exception):
            hub.publish(url, Note(conversation_id, "gone", user_id, name))
