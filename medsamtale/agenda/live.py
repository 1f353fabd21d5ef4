"""The live part of the agenda: every change raises the conversation's `agenda_version`
(and, on PostgreSQL, NOTIFYs its channel with it), clients ask for the items changed since
the version they have, each party's presence, and the event stream that passes the
NOTIFYs on to the browser.
"""

from __future__ import annotations

import time

import psycopg
from sqlalchemy import func, select, text, update

from ..extensions import db
from ..models import AgendaItem, AgendaPresence, Conversation
from ..timeutil import utcnow

PRESENT_SECONDS = 20  # a party counts as present this long after their last heartbeat
EVENT_STREAM_SECONDS = 300  # the browser reconnects by itself after this
KEEP_ALIVE_SECONDS = 15


def channel(conversation_id: int) -> str:
    return f"agenda_{conversation_id}"


def has_push() -> bool:
    """Server-sent events need PostgreSQL's LISTEN/NOTIFY; SQLite polls."""
    return db.engine.dialect.name == "postgresql"


def bump(conversation: Conversation) -> int:
    """Raise agenda_version in the database (which also serialises concurrent changes of
    one agenda) and tell listeners on PostgreSQL; returns the new version."""
    version = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(agenda_version=Conversation.agenda_version + 1)
        .returning(Conversation.agenda_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    conversation.agenda_version = version
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_notify(:channel, :version)"),
            {"channel": channel(conversation.id), "version": str(version)},
        )
    return version


def changes_since(conversation: Conversation, since: int) -> list[AgendaItem]:
    """Items changed after agenda version `since`, removed ones included."""
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == conversation.id, AgendaItem.changed_in > since)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def current_version(conversation_id: int):
    """(employee_id, leader_id, invited_at, agenda_version) of a conversation, or None: all
    a poll needs to answer that nothing changed, in one small query."""
    return db.session.execute(
        select(
            Conversation.employee_id, Conversation.leader_id, Conversation.invited_at,
            Conversation.agenda_version,
        ).where(Conversation.id == conversation_id)
    ).first()


def mark_present(conversation: Conversation, user_id: int) -> bool:
    """Record the heartbeat of `user_id`; True when the other party is present too."""
    now = utcnow()
    presence = db.session.get(AgendaPresence, (conversation.id, user_id))
    if presence is None:
        db.session.add(AgendaPresence(conversation_id=conversation.id, user_id=user_id,
                                      seen_at=now))
    else:
        presence.seen_at = now
    other = conversation.leader_id if user_id == conversation.employee_id else (
        conversation.employee_id
    )
    seen = db.session.scalar(
        select(func.max(AgendaPresence.seen_at)).where(
            AgendaPresence.conversation_id == conversation.id, AgendaPresence.user_id == other
        )
    )
    return seen is not None and (now - seen).total_seconds() <= PRESENT_SECONDS


def event_stream(conversation_id: int):
    """Server-sent "changed" events carrying the agenda version. The stream has a database
    connection of its own; the request's is given back before it starts."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    db.session.remove()
    return _events(url, conversation_id)


def _events(url: str, conversation_id: int):
    with psycopg.connect(url, autocommit=True) as connection:
        # Listen first, then read the version, so no change falls in between.
        connection.execute(f'LISTEN "{channel(conversation_id)}"')
        version = connection.execute(
            "SELECT agenda_version FROM conversation WHERE id = %s", (conversation_id,)
        ).fetchone()[0]
        yield f"retry: 1000\nevent: changed\ndata: {version}\n\n"
        deadline = time.monotonic() + EVENT_STREAM_SECONDS
        while time.monotonic() < deadline:
            quiet = True
            for note in connection.notifies(timeout=KEEP_ALIVE_SECONDS, stop_after=1):
                quiet = False
                yield f"event: changed\ndata: {note.payload}\n\n"
            if quiet:
                yield ": still here\n\n"
