"""Local mail you can see: the mail catcher writes each message it receives to a folder,
and /dev/mail lists and shows them, only while that catcher is the mail server and never
with production settings."""

from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from medsamtale.devmail import mailbox
from medsamtale.devmail.catcher import Folder
from medsamtale.outbox import send_due
from tests.fixtures.mail import free_port


@pytest.fixture
def catcher(tmp_path):
    """The real catcher on a free port, writing to a folder of its own."""
    folder, port = tmp_path / "mail", free_port()
    controller = Controller(Folder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    yield folder, port
    controller.stop()


@pytest.fixture
def app_config(app_config, catcher):
    """The app as scripts/start runs it: its mail goes to the catcher."""
    folder, port = catcher
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
            "MAIL_CATCHER_PORT": port, "MAIL_CATCHER_DIR": str(folder),
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}


def caught_mail(app, client, people):
    """Anne asks for a new password; the outbox delivers it to the catcher."""
    client.post("/password/forgot", data={"email": "anne@example.no"})
    with app.app_context():
        assert send_due() == (1, 0)


def test_a_sent_message_lands_in_the_folder_and_is_shown(app, client, people, as_, catcher):
    folder, _port = catcher
    caught_mail(app, client, people)
    files = list(folder.glob("*.eml"))
    assert len(files) == 1
    caught = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert caught["To"] == "anne@example.no"
    subject = caught["Subject"]
    assert "passord" in subject

    page = as_("lars").get("/dev/mail/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert subject in body and "anne@example.no" in body
    assert str(folder) in body
    assert '<a href="/dev/mail/' in as_("lars").get("/").get_data(as_text=True)  # the footer

    shown = as_("lars").get(f"/dev/mail/{files[0].name}")
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert subject in body and "/password/set/" in body  # the text part, with its link
    # The HTML part, escaped into a sandbox that allows nothing.
    assert '<iframe class="caught-html" sandbox="" srcdoc="&lt;' in body


def test_only_the_catchers_own_files_are_read(app, as_, catcher):
    folder, _port = catcher
    folder.mkdir(exist_ok=True)
    (folder / "notes.eml").write_text("Subject: not caught\n\nx")
    for name in ("notes.eml", "..%2F..%2Fetc%2Fpasswd", "20261224T100000000000-deadbeef.eml"):
        assert as_("anne").get(f"/dev/mail/{name}").status_code == 404, name
    assert "not caught" not in as_("anne").get("/dev/mail/").get_data(as_text=True)


@pytest.mark.parametrize("change", [
    {"MAIL_CATCHER_DIR": ""},                      # scripts/start did not start a catcher
    {"MAIL_SERVER": "smtp.example.no"},            # the mail goes to a real server
    {"MAIL_PORT": 587},                            # … or to another port than the catcher's
    {"SESSION_COOKIE_SECURE": True},               # production: behind HTTPS
    {"PUBLIC_BASE_URL": "https://medsamtale.example.no"},
])
def test_the_pages_are_not_there_unless_the_catcher_is_the_mail_server(
        app, client, people, as_, catcher, change):
    caught_mail(app, client, people)
    name = next(catcher[0].glob("*.eml")).name
    anne = as_("anne")
    assert anne.get("/dev/mail/").status_code == 200
    app.config.update(change)
    assert anne.get("/dev/mail/").status_code == 404
    assert anne.get(f"/dev/mail/{name}").status_code == 404
    assert "/dev/mail" not in anne.get("/").get_data(as_text=True)


def test_the_test_settings_and_the_defaults_have_no_catcher(app_config):
    from medsamtale.config import from_environment

    assert not mailbox.catching({**app_config, "MAIL_CATCHER_DIR": "", "MAIL_CATCHER_PORT": 0})
    assert not mailbox.catching(from_environment("/tmp/nowhere"))


def test_the_pages_need_a_log_in(client, catcher):
    assert client.get("/dev/mail/").status_code == 302
