"""Set-up, migrations, demo data, languages and the vendored htmx."""

import base64
import gettext
import hashlib
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.pofile import read_po
from flask_babel import force_locale
from sqlalchemy import func, select

from medsamtale import create_app
from medsamtale.cli import DEMO_PASSWORD
from medsamtale.config import database_url
from medsamtale.extensions import db
from medsamtale.models import Organisation, Question, QuestionSet, User

from .fixtures.app import logged_in

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "medsamtale" / "translations"


def test_the_schema_is_made_by_the_migrations_and_matches_the_models(app, runner):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/medsamtale.sqlite"


def test_postgresql_urls_use_psycopg_3(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:secret@db.example/medsamtale")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://app:secret@db.example/medsamtale"
    )
    assert database_url("postgres://x@y/z") == "postgresql+psycopg://x@y/z"


def test_demo_fills_an_empty_database_and_prints_the_accounts(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        people = db.session.scalars(select(User)).all()
        admins = [u for u in people if u.is_hr_admin]
        leaders = [u for u in people if u.is_leader]
        employees = [u for u in people if u.is_employee and not u.is_leader]
        assert (len(admins), len(leaders), len(employees)) == (1, 2, 6)
        # One leader has the other as their leader.
        assert any(leader.leader in leaders for leader in leaders)
        assert all(e.leader in leaders for e in employees)
        assert Organisation.current() is not None
        assert db.session.scalar(select(func.count(Question.id))) >= 40
        for person in people:
            assert person.email in result.output
            assert person.name in result.output
    assert f"Password for all: {DEMO_PASSWORD}" in result.output
    assert "HR admin" in result.output and "Leader" in result.output

    login = client.post("/login", data={"email": admins[0].email, "password": DEMO_PASSWORD})
    assert login.location == "/"


def test_demo_refuses_a_database_that_already_has_users(app, runner, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "already has users" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
        assert db.session.scalar(select(func.count(QuestionSet.id))) == 0


def test_init_creates_organisation_question_bank_and_first_admin(app, runner, client):
    result = runner.invoke(args=["init", "--organisation", "Fjord AS",
                                 "--admin-email", "Sjef@Fjord.no", "--admin-name", "Siri Sjef"])
    assert result.exit_code == 0, result.output
    link = re.search(r"https://medsamtale\.test\.example(/password/set/\S+)", result.output)
    response = client.post(link.group(1), data={"password": "first-password",
                                                "confirm": "first-password"})
    assert response.location == "/login"
    logged_in(client, "sjef@fjord.no", "first-password")
    home = client.get("/").get_data(as_text=True)
    assert "Siri Sjef" in home
    assert "Fjord AS" in home
    assert 'href="/admin/questions/"' in home


def test_vendored_htmx_is_the_file_the_cdn_integrity_names(app):
    vendored = (ROOT / "static" / "vendor" / "htmx-4.0.1.min.js").read_bytes()
    digest = base64.b64encode(hashlib.sha384(vendored).digest()).decode()
    assert app.config["HTMX_INTEGRITY"] == f"sha384-{digest}"
    assert b"4.0.1" in vendored


def test_pages_load_htmx_from_the_cdn_with_integrity_and_fall_back(app_config, client):
    cdn_app = create_app({**app_config,
                          "HTMX_CDN_URL": "https://cdn.jsdelivr.net/npm/htmx.org@4.0.1/dist/htmx.min.js"})
    page = cdn_app.test_client().get("/login").get_data(as_text=True)
    assert 'src="https://cdn.jsdelivr.net/npm/htmx.org@4.0.1/dist/htmx.min.js"' in page
    assert f'integrity="{cdn_app.config["HTMX_INTEGRITY"]}"' in page
    assert ('<script src="/static/js/htmx-fallback.js" '
            'data-fallback="/static/vendor/htmx-4.0.1.min.js">') in page
    with cdn_app.app_context():
        db.engine.dispose()
    with client.get("/static/vendor/htmx-4.0.1.min.js") as vendored:
        assert vendored.status_code == 200
        assert vendored.data.startswith(b"var htmx") or b"htmx" in vendored.data[:200]


# Languages ----------------------------------------------------------------------------------


def test_norwegian_is_the_default_and_english_can_be_chosen(client, make_user):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nb">' in page
    assert "Logg inn" in page
    client.post("/language", data={"locale": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_each_user_keeps_their_language(app, client, make_user):
    user_id = make_user("Kari Nordmann", "kari@example.no")
    logged_in(client, "kari@example.no")
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        assert db.session.get(User, user_id).locale == "en"
    client.post("/logout")
    other = logged_in(app.test_client(), "kari@example.no")
    assert '<html lang="en">' in other.get("/").get_data(as_text=True)


def test_dates_and_times_are_norwegian_in_oslo_time(app):
    """The app's own text writes dates as «24. desember 2026 kl. 10.00», on the Oslo clock."""
    stored = datetime(2026, 12, 24, 9, 0)  # naive UTC, as stored: 10.00 in Oslo
    filters = app.jinja_env.filters
    with app.test_request_context(), force_locale("nb"):
        assert filters["datetime"](stored) == "24. desember 2026 kl. 10.00"
        assert filters["datetime"](stored, "short") == "24.12.2026 kl. 10.00"
        assert filters["date"](stored, "long") == "24. desember 2026"
        assert filters["clock"](datetime(2026, 7, 1, 10, 30)) == "12.30"
        assert filters["meeting_time"](stored) == "torsdag 24. desember 2026 kl. 10.00"
    with app.test_request_context(), force_locale("en"):
        assert filters["datetime"](stored) == "24 December 2026 at 10:00"
        assert filters["meeting_time"](stored) == "Thursday 24 December 2026 at 10:00"


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_catalogues_are_complete(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    missing = [m.id for m in catalog if m.id and (
        m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))]
    assert missing == []
    assert len(catalog) > 100


def test_catalogues_hold_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(pot, "rb") as f:
        in_code = {m.id for m in read_po(f) if m.id}
    with open(TRANSLATIONS / "nb" / "LC_MESSAGES" / "messages.po", "rb") as f:
        in_catalogue = {m.id for m in read_po(f) if m.id}
    assert in_code - in_catalogue == set(), "run scripts/translations"


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_compiled_catalogues_match_their_sources(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        catalog = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        assert compiled.gettext(message.id) == message.string, "run scripts/translations"


def test_every_page_names_its_landmarks(client, hr_admin):
    page = client.get("/").get_data(as_text=True)
    assert '<main id="main"' in page
    assert '<nav aria-label="' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<meta name="viewport"' in page
