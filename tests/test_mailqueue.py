"""Undelivered mail: the HR admin sees who it was for, what kind it is and why it failed,
never what it says, and sends it again or discards it; sent mail is pruned."""

from datetime import timedelta

from sqlalchemy import select

from medsamtale.extensions import db
from medsamtale.mailqueue.services import prune_sent
from medsamtale.models import AuditEvent, OutboxMessage
from medsamtale.models.outbox import DEAD, PENDING, SENT
from medsamtale.outbox import send_due
from medsamtale.timeutil import utcnow

from .helpers import flashed_error, row

SECRET_SUBJECT = "Hemmelig emne om Anne"
SECRET_BODY = "Brødteksten som HR aldri skal lese"


def _message(app, status=DEAD, *, kind="invitation", recipient="anne@example.no",
             sent_days_ago=None, error="SMTPRecipientsRefused: 550 no such user") -> int:
    with app.app_context():
        message = OutboxMessage(
            recipient=recipient, kind=kind, subject=SECRET_SUBJECT,
            body_text=SECRET_BODY, body_html=f"<p>{SECRET_BODY}</p>", status=status,
            attempts=8 if status == DEAD else 1, last_error=error if status == DEAD else None,
            sent_at=utcnow() - timedelta(days=sent_days_ago) if sent_days_ago is not None
            else None)
        db.session.add(message)
        db.session.commit()
        return message.id


def test_hr_sees_recipient_kind_attempts_and_error_but_never_what_it_says(
        app, people, as_):
    _message(app)
    _message(app, kind="minutes_submitted", recipient="lars@example.no")
    _message(app, status=PENDING, recipient="pending@example.no")
    _message(app, status=SENT, recipient="sent@example.no", sent_days_ago=1)
    page = as_("hr").get("/admin/mail/").get_data(as_text=True)
    assert "anne@example.no" in page and "lars@example.no" in page
    assert "Invitasjon til en samtale" in page and "Referat til godkjenning" in page
    assert "550 no such user" in page
    assert "<td>8</td>" in page
    # Only the messages given up on, and nothing of what any message says.
    assert "pending@example.no" not in page and "sent@example.no" not in page
    assert SECRET_SUBJECT not in page and SECRET_BODY not in page


def test_the_page_says_when_nothing_is_undelivered(app, people, as_):
    page = as_("hr").get("/admin/mail/").get_data(as_text=True)
    assert "All e-post er levert eller blir fortsatt forsøkt sendt." in page


def test_send_again_delivers_the_message_with_a_new_set_of_attempts(
        app, people, as_, smtp_server, mailbox):
    message_id = _message(app)
    response = as_("hr").post(f"/admin/mail/{message_id}/retry")
    assert response.status_code == 302
    again = row(app, OutboxMessage, message_id)
    assert (again["status"], again["attempts"]) == (PENDING, 0)
    with app.app_context():
        assert send_due() == (1, 0)
    assert [m["To"] for m in mailbox.messages] == ["anne@example.no"]
    assert mailbox.messages[0]["Subject"] == SECRET_SUBJECT
    page = as_("hr").get("/admin/mail/").get_data(as_text=True)
    assert "anne@example.no" not in page
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "mail_retried")).one()
        assert event.actor_id == people["hr"] and event.detail == {"message_id": message_id}


def test_discard_deletes_the_message_once(app, people, as_):
    message_id = _message(app)
    hr = as_("hr")
    assert hr.post(f"/admin/mail/{message_id}/discard").status_code == 302
    assert row(app, OutboxMessage, message_id) is None
    again = hr.post(f"/admin/mail/{message_id}/discard")
    assert again.status_code == 404
    assert "Siden finnes ikke" in again.get_data(as_text=True)


def test_a_message_still_being_tried_cannot_be_retried_or_discarded(app, people, as_):
    message_id = _message(app, status=PENDING)
    before = row(app, OutboxMessage, message_id)
    hr = as_("hr")
    for decision in ("retry", "discard"):
        response = hr.post(f"/admin/mail/{message_id}/{decision}")
        assert "allerede sendt på nytt eller forkastet" in flashed_error(hr, response)
    assert row(app, OutboxMessage, message_id) == before


def test_only_the_hr_admin_sees_or_handles_undelivered_mail(app, people, as_):
    message_id = _message(app)
    before = row(app, OutboxMessage, message_id)
    for who in ("lars", "anne"):
        assert as_(who).get("/admin/mail/").status_code == 403
        for decision in ("retry", "discard"):
            assert as_(who).post(f"/admin/mail/{message_id}/{decision}").status_code == 403
    assert row(app, OutboxMessage, message_id) == before
    assert as_("hr").post("/admin/mail/999999/retry").status_code == 404
    assert as_("hr").post(f"/admin/mail/{message_id}/resend").status_code == 404


def test_sent_mail_older_than_the_setting_is_pruned_and_nothing_else(app):
    app.config["OUTBOX_KEEP_SENT_DAYS"] = 30
    old = _message(app, status=SENT, sent_days_ago=31)
    recent = _message(app, status=SENT, sent_days_ago=29)
    dead = _message(app)
    pending = _message(app, status=PENDING)
    with app.app_context():
        assert prune_sent() == 1
    assert row(app, OutboxMessage, old) is None
    assert all(row(app, OutboxMessage, kept) for kept in (recent, dead, pending))
    with app.app_context():
        assert prune_sent(now=utcnow() + timedelta(days=2)) == 1
    assert row(app, OutboxMessage, recent) is None
