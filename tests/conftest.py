"""Fixtures: the app on a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
a real SMTP server (aiosmtpd), a live server and a real Chromium (Playwright)."""

import os
import shutil
import socket
import threading
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from medsamtale import create_app
from medsamtale.extensions import db, limiter
from medsamtale.models import User
from medsamtale.outbox import send_due
from medsamtale.passwords import hash_password

IN_CI = os.environ.get("CI") == "true"
PASSWORD = "correct-horse-battery"


def unavailable(reason: str):
    """Skip on a developer's machine; fail under CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run in CI)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Database -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    from medsamtale.config import database_url as normalise

    engine = sa.create_engine(normalise(url))
    try:
        with engine.begin() as conn:
            # The test database is ours: start from an empty schema every run.
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {error}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_database(database_url):
    """The schema, made by the migrations alone."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


# Email --------------------------------------------------------------------------------------


class Mailbox:
    """Collects what the SMTP server receives, as parsed email messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    if smtp_server.controller is None:
        smtp_server.start()
    smtp_server.mailbox.messages.clear()
    return smtp_server.mailbox


# The app ------------------------------------------------------------------------------------


@pytest.fixture
def app_config(migrated_database, smtp_server, tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": migrated_database,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "Medsamtale <medsamtale@test.example>",
        "PUBLIC_BASE_URL": "https://medsamtale.test.example",
        "RATELIMIT_STORAGE_URI": "memory://",
        "HTMX_CDN_URL": "",
        # No pooled connections outlive a request or a test, so an app a test makes on the
        # side leaves no open connection behind for the garbage collector to warn about.
        "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a person directly in the database; returns the user's id."""
    password_hash = hash_password(PASSWORD)

    def make(name="Kari Nordmann", email=None, *, roles=("employee",), leader_id=None,
             active=True, locale="nb", password=True):
        with app.app_context():
            user = User(
                name=name,
                email=email or name.lower().replace(" ", ".") + "@example.no",
                password_hash=password_hash if password else None,
                is_employee="employee" in roles,
                is_leader="leader" in roles,
                is_hr_admin="hr_admin" in roles,
                leader_id=leader_id,
                active=active,
                locale=locale,
            )
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, follow_redirects=False):
        return self.client.post(
            "/login", data={"email": email, "password": password},
            follow_redirects=follow_redirects,
        )

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def hr_admin(make_user, auth):
    """A logged-in HR admin's id."""
    user_id = make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    auth.login("hr@example.no")
    return user_id


@pytest.fixture
def deliver(app, mailbox):
    """Run the outbox sender once and return what the SMTP server has received so far."""

    def run(**kwargs):
        with app.app_context():
            send_due(**kwargs)
        return mailbox.messages

    return run


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


# Browser ------------------------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser"
    )


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        unavailable("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# Conversations ------------------------------------------------------------------------------


@pytest.fixture
def question_bank(app):
    """The default question bank: {"standard": set id, "loft": set id}."""
    from medsamtale.models import QuestionSet
    from medsamtale.questionbank.services import install_default_question_bank

    with app.app_context():
        install_default_question_bank()
        db.session.commit()
        return {s.key: s.id for s in db.session.scalars(sa.select(QuestionSet))}


@pytest.fixture
def people(make_user):
    """Two teams and an HR admin, as ids: Lars leads Anne and Bjørn, Lena leads Dag."""
    lars = make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    lena = make_user("Lena Larsen", "lena@example.no", roles=("leader", "employee"))
    return {
        "lars": lars,
        "lena": lena,
        "anne": make_user("Anne Aas", "anne@example.no", leader_id=lars),
        "bjorn": make_user("Bjørn Berg", "bjorn@example.no", leader_id=lars),
        "dag": make_user("Dag Eide", "dag@example.no", leader_id=lena),
        "hr": make_user("Hanne HR", "hr@example.no", roles=("hr_admin",)),
    }


EMAILS = {
    "lars": "lars@example.no", "lena": "lena@example.no", "anne": "anne@example.no",
    "bjorn": "bjorn@example.no", "dag": "dag@example.no", "hr": "hr@example.no",
}


@pytest.fixture
def make_conversation(app, question_bank):
    """Plan a conversation through the service (and send it unless sent=False); returns id."""
    from datetime import timedelta

    from medsamtale.conversations import services
    from medsamtale.timeutil import utcnow

    def make(employee_id, *, days=20, sent=True, question_set="standard", place="Møterom 2",
             duration=90):
        with app.app_context():
            employee = db.session.get(User, employee_id)
            conversation = services.plan(
                employee.leader, employee,
                starts_at=(utcnow() + timedelta(days=days)).replace(second=0, microsecond=0),
                duration_minutes=duration, place=place, message="",
                question_set_id=question_bank[question_set],
            )
            if sent:
                services.send_invitation(conversation)
            db.session.commit()
            return conversation.id

    return make


@pytest.fixture
def held_conversation(app, make_conversation):
    """A conversation held through the agenda: started, the first two items discussed with
    both parties' notes, ended. The minutes are opened as the meeting ends. Returns its id."""
    from medsamtale import flow
    from medsamtale.agenda import editing, meeting
    from medsamtale.models import Conversation, Pick, Question

    def make(employee_id, *, picks=3, note="Vil lære mer om prosjektledelse"):
        conversation_id = make_conversation(employee_id)
        with app.app_context():
            questions = db.session.scalars(
                sa.select(Question).where(Question.retired_at.is_(None))
                .order_by(Question.id).limit(picks)
            ).all()
            for position, question in enumerate(questions):
                db.session.add(Pick(conversation_id=conversation_id, question_id=question.id,
                                    position=position, employee_note=note,
                                    leader_note="Enig, vi finner et kurs"))
            conversation = db.session.get(Conversation, conversation_id)
            meeting.start(conversation)
            db.session.flush()
            for item in editing.live_items(conversation)[:2]:
                item.discussed = True
            flow.end_meeting(conversation, set())
            db.session.commit()
        return conversation_id

    return make


@pytest.fixture
def as_(app, people):
    """as_("anne"): a test client logged in as that person (one per person)."""
    made = {}

    def client(who):
        if who not in made:
            made[who] = app.test_client()
            response = made[who].post("/login", data={"email": EMAILS[who],
                                                      "password": PASSWORD})
            assert response.status_code == 302
        return made[who]

    return client


@pytest.fixture
def held(people, held_conversation):
    """Anne's conversation with Lars, held, its minutes opened; returns its id."""
    return held_conversation(people["anne"])


def agree_actions(app, conversation_id, *actions, approve=True) -> list[int]:
    """Put actions [(what, days to deadline)] in a held conversation's minutes, approved
    (so they are followed up) unless approve=False; returns their ids."""
    from datetime import timedelta

    from medsamtale.models import Action, Minutes
    from medsamtale.timeutil import oslo_today

    with app.app_context():
        minutes = db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == conversation_id))
        ids = []
        for position, (what, days) in enumerate(actions):
            action = Action(conversation_id=conversation_id, position=position, what=what,
                            responsible="employee", deadline=oslo_today() + timedelta(days=days))
            db.session.add(action)
            db.session.flush()
            ids.append(action.id)
        if approve:
            approve_minutes(minutes)
        db.session.commit()
        return ids


def approve_minutes(minutes) -> None:
    """Submit the draft and approve it, as the two parties would (in the caller's
    transaction)."""
    from medsamtale.minutes.drafting import content_of
    from medsamtale.models.minutes import APPROVED

    conversation = minutes.conversation
    version = minutes.submit(content_of(minutes), conversation.employee.name)
    minutes.decide(version.number, APPROVED, conversation.leader.name)
