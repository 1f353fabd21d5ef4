"""The email outbox: queue mail with the change that causes it, and deliver it later.

`queue_email` only adds a row to the current transaction, so a message exists exactly when
the change that caused it was committed. `send_due` delivers what is due through Flask-Mail,
one message per transaction, with exponential back-off, and gives up after
OUTBOX_MAX_ATTEMPTS tries.
"""

from __future__ import annotations

import contextlib
import signal
import time
from datetime import timedelta

import click
from flask import current_app, render_template
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_mail import Message
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from .extensions import db, mail
from .models import OutboxMessage
from .models.outbox import DEAD, PENDING, SENT
from .timeutil import utcnow

MAX_BACKOFF = timedelta(hours=6)


def public_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built on PUBLIC_BASE_URL rather than on a request.

    It works outside a request too, as in the outbox worker and other commands.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path


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


outbox_cli = AppGroup("outbox", help="Deliver queued email.")


def queue_scheduled() -> int:
    """Queue the mail that is due by the calendar rather than by a change: reminders."""
    from .followup.services import queue_action_reminders
    from .preparation.services import queue_due_reminders

    return queue_due_reminders() + queue_action_reminders()


@outbox_cli.command("send")
def send_command():
    """Queue due reminders, send every message that is due, once, and report how it went."""
    reminders = queue_scheduled()
    sent, failed = send_due(limit=10_000)
    click.echo(f"reminders {reminders}, sent {sent}, failed {failed}")


@outbox_cli.command("worker")
def worker_command():
    """Keep sending due messages until stopped (SIGTERM or Ctrl-C)."""
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = current_app.config["OUTBOX_POLL_SECONDS"]
    click.echo(f"outbox worker: polling every {pause}s")
    next_schedule = 0.0
    while not stopping:
        if time.monotonic() >= next_schedule:
            queue_scheduled()
            next_schedule = time.monotonic() + 60
        sent, failed = send_due()
        if sent or failed:
            click.echo(f"sent {sent}, failed {failed}")
        for _ in range(pause * 10):
            if stopping:
                break
            time.sleep(0.1)
