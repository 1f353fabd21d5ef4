"""The audit log's copies for the organisation's log system: one JSON object per event and
line, written once the transaction that recorded it is committed, to the file
AUDIT_LOG_FILE and to the syslog AUDIT_SYSLOG (`/dev/log`, or `host:port` over UDP), when
they are set."""

from __future__ import annotations

import json
import logging
import logging.handlers
import threading

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_file_lock = threading.Lock()


def as_line(event) -> str:
    return json.dumps({
        "id": event.id, "at": event.at.isoformat(timespec="microseconds") + "Z",
        "action": event.action, "actor_id": event.actor_id,
        "subject_user_id": event.subject_user_id, "conversation_id": event.conversation_id,
        "address": event.address, "detail": event.detail,
        "previous_hash": event.previous_hash, "hash": event.hash,
    }, sort_keys=True, default=str, ensure_ascii=False)


def syslog_address(setting: str):
    """`/dev/log` (a socket's path) or `host:port` (UDP)."""
    if setting.startswith("/"):
        return setting
    host, _sep, port = setting.rpartition(":")
    return (host or "localhost", int(port or logging.handlers.SYSLOG_UDP_PORT))


def _syslog(app) -> logging.Handler | None:
    setting = app.config.get("AUDIT_SYSLOG")
    if not setting:
        return None
    handler = app.extensions.get("audit_syslog")
    if handler is None:
        handler = logging.handlers.SysLogHandler(
            address=syslog_address(setting), facility=logging.handlers.SysLogHandler.LOG_AUTH)
        handler.setFormatter(logging.Formatter("medsamtale-audit: %(message)s"))
        app.extensions["audit_syslog"] = handler
    return handler


def write(lines: list[str]) -> None:
    """Write committed events' lines to the sinks that are set. The database keeps the
    events whatever happens here; a sink that fails is logged, not raised."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    path = app.config.get("AUDIT_LOG_FILE")
    if path:
        try:
            with _file_lock, open(path, "a", encoding="utf-8") as file:
                file.write("".join(line + "\n" for line in lines))
        except OSError:
            log.exception("the audit log file %s could not be written", path)
    handler = _syslog(app)
    if handler is not None:
        for line in lines:
            handler.handle(logging.makeLogRecord(
                {"msg": line, "levelno": logging.INFO, "levelname": "INFO",
                 "name": "medsamtale.audit"}))
