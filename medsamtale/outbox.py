"""The email outbox: queue mail with the change that causes it, and deliver it later.

`queue_email` only adds a row to the current transaction, so a message exists exactly when
the change that caused it was committed. `send_due` delivers what is due through Flask-Mail,
one message per transaction, with exponential back-off, and gives up after
OUTBOX_MAX_ATTEMPTS tries; `work` keeps doing so (`flask outbox worker`, in cli.py).

This is infrastructure: it knows nothing of conversations; what to remind of is handed to
`work` by its caller (medsamtale.scheduled).
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from .extensions import db, mail
from .models import OutboxMessage
from .models.outbox import DEAD, PENDING, SENT
from .timeutil import utcnow

MAX_BACKOFF = timedelta(hours=6)


def queue_email(
    recipient, template: str, *, calendar: tuple[str, str] | None = None, **context
) -> OutboxMessage:
    """Render email/<template>.{txt,html} in the recipient's language and add it to the outbox.

    `recipient` is a User. The subject is the `subject` block of the HTML template.
    `calendar` is (iCalendar text, METHOD), sent as an invite.ics attachment.
    """
    with force_locale(recipient.locale):
        context = {"recipient": recipient, **context}
        html = render_template(f"email/{template}.html", **context)
        text = render_template(f"email/{template}.txt", **context)
        subject = render_block(f"email/{template}.html", "subject", **context)
    message = OutboxMessage(
        recipient=recipient.email,
        kind=template,
        subject=" ".join(subject.split()),
        body_text=text,
        body_html=html,
    )
    if calendar:
        message.calendar_ics, message.calendar_method = calendar
    db.session.add(message)
    return message


def _next_due_message(now) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


def _as_mail(message: OutboxMessage) -> Message:
    mail_message = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    mail_message.msgId = message.message_id
    if message.calendar_ics:
        mail_message.attach(
            "invite.ics",
            f"text/calendar; method={message.calendar_method}; charset=UTF-8",
            message.calendar_ics.encode(),
        )
    return mail_message


def _record_failure(message: OutboxMessage, error: Exception, now) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = DEAD
        return
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_BASE_SECONDS"])
    message.next_attempt_at = now + min(base * 2 ** (message.attempts - 1), MAX_BACKOFF)


def send_due(now=None, limit: int = 100) -> tuple[int, int]:
    """Deliver up to `limit` due messages; return (sent, failed).

    Each message is locked, sent and marked in its own transaction, so several workers can
    run at once on PostgreSQL without sending a message twice.
    """
    sent = failed = 0
    connection = None
    try:
        for _ in range(limit):
            current = now or utcnow()
            message = _next_due_message(current)
            if message is None:
                break
            try:
                if connection is None:
                    connection = mail.connect().__enter__()
                connection.send(_as_mail(message))
            except Exception as error:  # any SMTP or socket failure means: try again later
                connection = None
                _record_failure(message, error, current)
                failed += 1
            else:
                message.status = SENT
                message.sent_at = utcnow()
                message.attempts += 1
                sent += 1
            db.session.commit()
    finally:
        db.session.rollback()
        if connection is not None and connection.host is not None:
            # The server may already have gone; nothing is lost by it.
            with contextlib.suppress(Exception):
                connection.host.quit()
    return sent, failed


def work(scheduled, should_stop, pause: float, say=print) -> None:
    """Deliver due mail until `should_stop()`, and run `scheduled()` (the reminders that
    fall due by the calendar) once a minute, pausing `pause` seconds between rounds."""
    next_schedule = 0.0
    while not should_stop():
        if time.monotonic() >= next_schedule:
            scheduled()
            next_schedule = time.monotonic() + 60
        sent, failed = send_due()
        if sent or failed:
            say(f"sent {sent}, failed {failed}")
        for _ in range(int(pause * 10)):
            if should_stop():
                break
            time.sleep(0.1)
