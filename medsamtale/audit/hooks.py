"""What the audit log records by itself, in two places rather than in every view:

- every HR action: a request to the HR admin's areas (HR_AREAS) that changes something
  is recorded, in the same transaction as the change, as one `hr_change` event naming the
  page, its ids and what changed: each changed row's table, id and the names of its changed
  fields; values only of the fields that are not content (VALUES_SHOWN: roles, leader,
  active). Many new rows (a CSV import) are counted, not listed.
- every read of a conversation's content: a full page of CONTENT_PAGES answered 200 is a
  `conversation_read` event (who, which conversation, which page), and so is each
  conversation a page says it showed (`showed`: the home page's actions); htmx requests, polls and
  streams are not (the page that opened them was). The same person reading the same page of
  the same conversation again within READ_REPEAT is not recorded again.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, g, has_request_context, make_response, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ..errors import error_page
from ..extensions import db
from ..htmx import is_partial
from ..models import AuditEvent
from . import READ, record

log = logging.getLogger(__name__)

HR_AREAS = frozenset({"admin", "questionbank"})
HR_CHANGE = "hr_change"
# Requests to HR_AREAS that change nothing whatever they answer (the import's preview).
NOT_CHANGES = frozenset({"admin.import_users"})
VALUES_SHOWN = frozenset({"is_employee", "is_leader", "is_hr_admin", "leader_id", "active"})
ROWS_LISTED = 10  # more new rows of one table than this are only counted
CHANGES_LISTED = 50

CONTENT_PAGES = frozenset({
    "conversations.show", "conversations.respond",
    "preparation.prepare", "preparation.leader",
    "agenda.show", "agenda.end",
    "minutes.show", "minutes.version", "minutes.print_version", "minutes.pdf_version",
})
READ_REPEAT = 600  # seconds


# HR actions ---------------------------------------------------------------------------------


def _in_hr_request() -> bool:
    return (has_request_context() and request.blueprint in HR_AREAS
            and request.method not in ("GET", "HEAD")
            and request.endpoint not in NOT_CHANGES)


@sa_event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    """Note what an HR request's flush wrote, while its history is still there."""
    if not _in_hr_request():
        return
    noted = session.info.setdefault("hr_changes", {"new": {}, "changed": []})
    for row in session.new:
        if not isinstance(row, AuditEvent):
            noted["new"].setdefault(row.__tablename__, []).append(_key(row))
    for row in session.dirty:
        if isinstance(row, AuditEvent) or not session.is_modified(row):
            continue
        state = inspect(row)
        columns = state.mapper.column_attrs.keys()
        fields = sorted(attr.key for attr in state.attrs
                        if attr.key in columns and attr.history.has_changes())
        if fields:
            values = {name: getattr(row, name) for name in fields if name in VALUES_SHOWN}
            _note_change(noted, row.__tablename__, _key(row), fields, values)
    for row in session.deleted:
        if not isinstance(row, AuditEvent):
            noted["changed"].append({"table": row.__tablename__, "id": _key(row),
                                     "removed": True})


def _note_change(noted: dict, table: str, key, fields: list[str], values: dict) -> None:
    """One entry per changed row, however many flushes of the request changed it."""
    found = noted.setdefault("rows", {})
    index = (table, tuple(key) if isinstance(key, list) else key)
    change = found.get(index)
    if change is None:
        change = found[index] = {"table": table, "id": key, "fields": fields}
        noted["changed"].append(change)
    else:
        change["fields"] = sorted(set(change["fields"]) | set(fields))
    if values:
        change.setdefault("values", {}).update(values)


def _key(row):
    key = inspect(row).mapper.primary_key_from_instance(row)
    return key[0] if len(key) == 1 else list(key)


@sa_event.listens_for(Session, "before_commit")
def _record_changes(session: Session) -> None:
    """An HR request that changed something records it with the change."""
    if not _in_hr_request():
        return
    session.flush()  # the commit flushes after this hook: note what it would write now
    noted = session.info.pop("hr_changes", None)
    if not noted or not (noted["new"] or noted["changed"]):
        return
    args = dict(request.view_args or {})
    new = {table: (ids if len(ids) <= ROWS_LISTED else len(ids))
           for table, ids in noted["new"].items()}
    subject = args.get("user_id")
    if subject is None and isinstance(new.get("users"), list) and len(new["users"]) == 1:
        subject = new["users"][0]
    changed = noted["changed"]
    detail = {"page": request.endpoint, "args": args, "new": new,
              "changed": changed[:CHANGES_LISTED]}
    if len(changed) > CHANGES_LISTED:
        detail["more_changed"] = len(changed) - CHANGES_LISTED
    if db.session.registry.has() and session is db.session():
        record(HR_CHANGE, subject=subject, **detail)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous) -> None:
    session.info.pop("hr_changes", None)


# Reads of conversations --------------------------------------------------------------------


class RecentReads:
    """Who read which page of which conversation in the last READ_REPEAT seconds, in this
    process (per app)."""

    def __init__(self, seconds: float = READ_REPEAT, kept: int = 50_000):
        self.seconds, self.kept = seconds, kept
        self.seen: dict[tuple, float] = {}
        self.lock = threading.Lock()

    def is_recent(self, key: tuple) -> bool:
        with self.lock:
            at = self.seen.get(key)
            return at is not None and time.monotonic() - at < self.seconds

    def remember(self, key: tuple) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) >= self.kept:
                self.seen = {k: at for k, at in self.seen.items() if now - at < self.seconds}
            self.seen[key] = now


def showed(conversation_ids) -> None:
    """A page that is not one conversation's (the home page with the actions to follow up)
    says which conversations' content it showed: each is recorded as read."""
    g.audit_shown = set(conversation_ids)


def _record_read(response):
    if request.endpoint not in CONTENT_PAGES and "audit_shown" not in g:
        return response  # most requests: nothing of a conversation shown
    if (request.method != "GET" or response.status_code != 200 or is_partial()
            or not current_user.is_authenticated):
        return response
    args = dict(request.view_args or {})
    if request.endpoint in CONTENT_PAGES:
        shown = {args.pop("conversation_id", None)} - {None}
    else:
        shown = g.get("audit_shown", set())
    recent: RecentReads = current_app.extensions["audit_reads"]
    keys = {conversation_id: (current_user.id, conversation_id, request.endpoint,
                              tuple(sorted(args.items())))
            for conversation_id in shown}
    unrecorded = {c: key for c, key in keys.items() if not recent.is_recent(key)}
    if not unrecorded:
        return response
    try:
        for conversation_id in sorted(unrecorded):
            record(READ, subject=None, conversation=conversation_id, page=request.endpoint,
                   **args)
        db.session.commit()
    except Exception:  # a read that cannot be recorded is not shown
        db.session.rollback()
        log.exception("reads of conversations %s could not be recorded", sorted(unrecorded))
        return make_response(error_page(500))
    for key in unrecorded.values():
        recent.remember(key)
    return response


def init_app(app: Flask) -> None:
    app.extensions["audit_reads"] = RecentReads()
    app.after_request(_record_read)

