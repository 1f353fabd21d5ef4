"""The audit log (models/audit.py): who did what, when and from where; never what was said.

`record` adds one event to the current transaction (it is kept if the change it records
is), chained to the event before it by its hash, so that an edited or removed event shows
(`verify`, `flask audit verify`). The chain has one writer at a time:

- on PostgreSQL a transaction-scoped advisory lock is taken before the last hash is read,
  and held until the transaction ends (the table refuses UPDATE, so the row is written
  once, complete);
- on SQLite the row is written first, with placeholder hashes: once that INSERT has run,
  the transaction holds SQLite's write lock, so no other writer can add an event until it
  ends, and the event before it, read then, is the last one for good; its hashes are then
  set in the same transaction.

Once a transaction that recorded events is committed, they are also written as JSON lines
to AUDIT_LOG_FILE and AUDIT_SYSLOG when set (`sinks`), for the organisation's log system.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..extensions import client_address, db
from ..models import AuditEvent
from ..timeutil import utcnow
from . import sinks

GENESIS = "0" * 64
CURRENT = object()  # the logged-in person, if any
CHAIN_LOCK = 7012  # PostgreSQL advisory lock of the chain's writer

# Actions about something that did not happen: the request changes nothing else and will
# not commit, so the event is committed at once.
COMMITTED_AT_ONCE = frozenset({"login_failed"})

READ = "conversation_read"  # a page showing a conversation's content was opened
# Retention deleted rows of a kind (medsamtale/retention); for the log's own oldest events
# (kind CUT), `first_kept` and `anchor`: where the chain now starts, and the hash before it.
RETENTION_DELETED = "retention_deleted"
CUT = "audit"


def _id(value) -> int | None:
    return getattr(value, "id", value)


def digest(event: AuditEvent) -> str:
    """The hash of an event: its fields and the hash of the event before it."""
    fields = [event.previous_hash, event.at.isoformat(timespec="microseconds"),
              event.actor_id, event.action, event.subject_user_id, event.conversation_id,
              event.address, event.detail]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def record(action: str, *, actor=CURRENT, subject=None, conversation=None, **detail) -> AuditEvent:
    """Add an event to the log, in the current transaction (it is kept if the change it
    records is). `detail` names things (a page, a field, a count), never content."""
    if actor is CURRENT:
        actor = current_user if has_request_context() and current_user.is_authenticated else None
    session = db.session
    event = AuditEvent(at=utcnow(), actor_id=_id(actor), action=action,
                       subject_user_id=_id(subject), conversation_id=_id(conversation),
                       address=client_address()[:45] if has_request_context() else "",
                       detail=detail)
    if db.engine.dialect.name == "postgresql":  # one writer of the chain at a time
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
        event.previous_hash = _last_hash()
        event.hash = digest(event)
        session.add(event)
        session.flush()
    else:
        # Written first, to hold the write lock while the previous event is read.
        event.previous_hash, event.hash = "", "pending-" + uuid.uuid4().hex
        session.add(event)
        session.flush()
        event.previous_hash = _last_hash(before=event.id)
        event.hash = digest(event)
        session.flush()
    session.info.setdefault("audit_written", []).append(sinks.as_line(event))
    if action in COMMITTED_AT_ONCE:
        session.commit()
    return event


def _last_hash(before: int | None = None) -> str:
    query = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return db.session.scalar(query) or GENESIS


# After the commit: the events of the transaction go to the sinks; after a rollback they
# are forgotten, as the database forgot them.


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    lines = session.info.pop("audit_written", None)
    if lines:
        sinks.write(lines)


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop("audit_written", None)


# Checking the chain ------------------------------------------------------------------------


def _start() -> str:
    """The hash the first event kept follows: GENESIS, or the anchor of the last cut."""
    first = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
    if first is None or first.previous_hash == GENESIS:
        return GENESIS
    for event in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == RETENTION_DELETED).order_by(AuditEvent.id.desc())):
        if event.detail.get("kind") == CUT:
            if event.detail.get("first_kept") == first.id:
                return event.detail.get("anchor", GENESIS)
            break  # the last cut is not where the log starts: events went otherwise
    return GENESIS


class Broken(Exception):
    """The chain is broken at event `event_id`; `reason` says how."""

    def __init__(self, event_id: int, reason: str):
        super().__init__(f"event {event_id}: {reason}")
        self.event_id, self.reason = event_id, reason


def verify(batch: int = 1000) -> int:
    """Recompute every event's hash in order; returns how many there are, or raises
    `Broken` at the first event that was edited or whose predecessor is missing or was
    changed. The chain starts from nothing, or where retention last cut its oldest events,
    as the event recording that cut says."""
    previous, count, last_id = _start(), 0, 0
    while True:
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                  .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return count
        for row in rows:
            if row.previous_hash != previous:
                raise Broken(row.id, "it does not follow the event before it (an event "
                                     "before it is missing or was changed)")
            if digest(row) != row.hash:
                raise Broken(row.id, "its content does not match its hash (it was edited)")
            previous, count, last_id = row.hash, count + 1, row.id
        db.session.expunge_all()
