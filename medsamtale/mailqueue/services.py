"""Mail that could not be delivered, as the HR admin handles it, and the pruning of sent
mail. Nothing here reads a message's subject or body: the HR admin sees the recipient, the
kind of message, the attempts and the last error, and nothing of what it says."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import load_only

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import OutboxMessage
from ..models.outbox import DEAD, PENDING, SENT
from ..timeutil import utcnow

PAGE_SIZE = 100
PRUNE_BATCH = 1000

# The kinds of message (their templates) as the HR admin reads them.
KIND_LABELS = {
    "action_reminder": _l("Reminder of an agreed action"),
    "cancellation": _l("Cancelled conversation"),
    "deputy_assigned": _l("Deputy named or ended"),
    "email_change_confirm": _l("Confirmation of a new email address"),
    "email_change_requested": _l("Notice of a requested email change"),
    "email_changed": _l("Notice of a changed email address"),
    "factors_reset": _l("Second factors reset"),
    "minutes_shared": _l("Minutes shared by an employee"),
    "minutes_remark": _l("Remark on approved minutes"),
    "invitation": _l("Invitation to a conversation"),
    "invitation_accepted": _l("Invitation accepted"),
    "leader_changed": _l("New leader"),
    "minutes_approved": _l("Minutes approved"),
    "minutes_reopen_requested": _l("Request to reopen minutes"),
    "minutes_reopened": _l("Minutes reopened"),
    "minutes_requested": _l("Minutes to write"),
    "minutes_returned": _l("Minutes sent back"),
    "minutes_submitted": _l("Minutes to approve"),
    "next_meeting_reminder": _l("Reminder of the next meeting agreed"),
    "password_reset": _l("Password link"),
    "password_reset_by_hr": _l("Password link sent by HR"),
    "preparation_ready": _l("Preparation ready"),
    "preparation_reminder": _l("Reminder to prepare"),
    "roles_changed": _l("Roles changed"),
    "round_opened": _l("Round of conversations opened"),
    "round_reminder": _l("Reminder of a round of conversations"),
    "time_kept": _l("Planned time kept"),
    "time_proposed": _l("New time proposed"),
    "welcome": _l("Welcome and password link"),
}
# What the HR admin's list reads of a message: never its subject, body or attachment.
SHOWN_COLUMNS = (OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.kind,
                 OutboxMessage.attempts, OutboxMessage.created_at,
                 OutboxMessage.next_attempt_at, OutboxMessage.last_error)


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else str(_l("Other message"))


def undelivered() -> list[OutboxMessage]:
    """The messages given up on (newest first, at most PAGE_SIZE), without their content."""
    return list(db.session.scalars(
        select(OutboxMessage).options(load_only(*SHOWN_COLUMNS))
        .where(OutboxMessage.status == DEAD)
        .order_by(OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc())
        .limit(PAGE_SIZE)))


def undelivered_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == DEAD))


def _take_dead(message_id: int, values: dict | None) -> None:
    """Change a dead message (or delete it, with no `values`), once: a message retried or
    discarded by another HR admin meanwhile is refused."""
    where = (OutboxMessage.id == message_id, OutboxMessage.status == DEAD)
    statement = (delete(OutboxMessage).where(*where) if values is None
                 else update(OutboxMessage).where(*where).values(**values))
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Refused(_l("This message has already been retried or discarded."))


def retry(message_id: int) -> None:
    """Try the message again now, with a new set of attempts."""
    _take_dead(message_id, {"status": PENDING, "attempts": 0, "next_attempt_at": utcnow()})
    record("mail_retried", message_id=message_id)


def discard(message_id: int) -> None:
    """Give the message up for good: it is deleted."""
    _take_dead(message_id, None)
    record("mail_discarded", message_id=message_id)


def prune_sent(now=None) -> int:
    """Delete sent messages older than OUTBOX_KEEP_SENT_DAYS, in batches; how many."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["OUTBOX_KEEP_SENT_DAYS"])
    pruned = 0
    while True:
        batch = select(OutboxMessage.id).where(
            OutboxMessage.status == SENT, OutboxMessage.sent_at < cutoff).limit(PRUNE_BATCH)
        ids = list(db.session.scalars(batch))
        if not ids:
            break
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        db.session.commit()
        pruned += len(ids)
    return pruned
