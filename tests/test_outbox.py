"""Email goes through the outbox: written with the change, delivered once, retried, never lost."""

from datetime import timedelta

from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import OutboxMessage, User
from medsamtale.models.outbox import DEAD, PENDING, SENT
from medsamtale.outbox import send_due
from medsamtale.timeutil import utcnow

from .fixtures.app import SET_LINK
from .helpers import html_of, outbox, text_of


def _new_user(client, email="ny@example.no"):
    return client.post("/admin/users/new", data={
        "name": "Nina Ny", "email": email, "leader_id": "0", "is_employee": "y",
        "locale": "nb",
    })


def test_mail_is_written_in_the_same_transaction_as_the_change(app, client, hr_admin, mailbox):
    _new_user(client)
    (message,) = outbox(app)
    assert message.recipient == "ny@example.no"
    assert message.status == PENDING
    # Nothing is sent by the request itself: only the sender delivers.
    assert mailbox.messages == []


def test_a_failed_change_writes_no_mail(app, client, hr_admin, make_user):
    make_user("Nina Ny", "ny@example.no")
    response = _new_user(client, "NY@example.no")
    assert response.status_code == 422
    assert outbox(app) == []


def test_sender_delivers_html_and_plain_text_in_the_recipients_language(
    app, client, hr_admin, deliver
):
    _new_user(client)
    client.post("/admin/users/new", data={
        "name": "Emma English", "email": "emma@example.no", "leader_id": "0",
        "is_employee": "y", "locale": "en",
    })
    messages = {m["To"]: m for m in deliver()}
    norwegian, english = messages["ny@example.no"], messages["emma@example.no"]
    assert english["Subject"] == "Your account in Medsamtale"
    assert norwegian["Subject"] != english["Subject"]
    for message in (norwegian, english):
        text = text_of(message)
        html = html_of(message)
        assert SET_LINK in text
        assert f'href="{SET_LINK}' in html
    assert "Nina Ny" in text_of(norwegian)
    assert all(m.status == SENT and m.sent_at for m in outbox(app))


def test_smtp_down_then_back_delivers_exactly_once(
    app, client, runner, hr_admin, smtp_server, mailbox
):
    smtp_server.stop()
    _new_user(client)
    result = runner.invoke(args=["outbox", "send"])
    assert "sent 0, failed 1" in result.output
    (message,) = outbox(app)
    assert message.status == PENDING
    assert message.attempts == 1
    assert message.last_error
    assert message.next_attempt_at > utcnow()

    smtp_server.start()
    # Not due yet: the back-off holds it back.
    assert "sent 0, failed 0" in runner.invoke(args=["outbox", "send"]).output
    with app.app_context():
        send_due(now=utcnow() + timedelta(hours=1))
        send_due(now=utcnow() + timedelta(hours=2))
    assert "sent 0, failed 0" in runner.invoke(args=["outbox", "send"]).output

    assert [m["To"] for m in mailbox.messages] == ["ny@example.no"]
    (message,) = outbox(app)
    assert message.status == SENT
    assert message.attempts == 2
    assert mailbox.messages[0]["Message-ID"] == message.message_id


def test_retries_back_off_and_a_message_dies_after_the_last_try(app, smtp_server, make_user):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    app.config["OUTBOX_RETRY_BASE_SECONDS"] = 60
    user_id = make_user("Nina Ny", "ny@example.no")
    from medsamtale.auth.services import RESET, send_password_link

    with app.app_context():
        send_password_link(db.session.get(User, user_id), RESET)
        db.session.commit()
    smtp_server.stop()
    try:
        now = utcnow()
        waits = []
        for _ in range(3):
            with app.app_context():
                assert send_due(now=now) == (0, 1)
                message = db.session.scalars(select(OutboxMessage)).one()
                waits.append(message.next_attempt_at - now)
                now = message.next_attempt_at
        assert waits[1] == 2 * waits[0] == timedelta(seconds=120)
        with app.app_context():
            message = db.session.scalars(select(OutboxMessage)).one()
            assert message.status == DEAD
            assert message.attempts == 3
            assert message.kind == "password_reset"  # what the HR admin's list names it by
            # A dead message is kept, and never sent again.
            assert send_due(now=now + timedelta(days=1)) == (0, 0)
    finally:
        smtp_server.start()


def test_worker_command_is_registered(runner):
    result = runner.invoke(args=["outbox", "--help"])
    assert "worker" in result.output
    assert "send" in result.output


def test_outbox_keeps_every_message(app, client, hr_admin, deliver):
    for n in range(3):
        _new_user(client, f"ny{n}@example.no")
    deliver()
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3
    assert sorted(m["To"] for m in deliver()) == [f"ny{n}@example.no" for n in range(3)]
