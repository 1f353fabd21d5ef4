"""Sessions the server keeps (issue 12, point 3): logging out ends a session for good, an
idle or too old session is ended, logging in gives a fresh session, a person sees where
they are logged in and can end those sessions, and an open event stream ends with its
session."""

from datetime import timedelta

import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import UserSession
from medsamtale.timeutil import utcnow

from .fixtures.app import EMAILS, PASSWORD, logged_in


def sessions_of(app, user_id):
    with app.app_context():
        return [(s.ended_at is not None, s.ended_why) for s in db.session.scalars(
            sa.select(UserSession).where(UserSession.user_id == user_id)
            .order_by(UserSession.id))]


def home_is_open(client) -> bool:
    """Whether the client's session still opens the home page (else: off to log in)."""
    response = client.get("/")
    return response.status_code == 200 and "Anne Aas" in response.get_data(as_text=True)


def test_an_old_cookie_is_refused_after_logging_out(app, people):
    anne = logged_in(app.test_client(), EMAILS["anne"])
    stolen = anne.get_cookie("session").value
    assert home_is_open(anne)
    anne.post("/logout")
    assert not home_is_open(anne)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.location
    assert sessions_of(app, people["anne"]) == [(True, "logout")]


def test_a_session_left_idle_ends(app, people):
    anne = logged_in(app.test_client(), EMAILS["anne"])
    assert home_is_open(anne)
    with app.app_context():  # the last request was longer ago than the idle time
        db.session.execute(sa.update(UserSession).values(
            last_seen_at=utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)))
        db.session.commit()
    assert not home_is_open(anne)
    assert sessions_of(app, people["anne"]) == [(True, "idle")]


def test_use_keeps_a_session_alive_and_its_length_still_ends_it(app, people):
    anne = logged_in(app.test_client(), EMAILS["anne"])
    with app.app_context():  # used two minutes ago: the next request counts as use
        db.session.execute(sa.update(UserSession).values(
            last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    assert home_is_open(anne)
    with app.app_context():
        seen = db.session.scalar(sa.select(UserSession.last_seen_at))
        assert utcnow() - seen < timedelta(seconds=30)
        db.session.execute(sa.update(UserSession).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not home_is_open(anne)
    assert sessions_of(app, people["anne"]) == [(True, "expired")]


def test_logging_in_starts_a_new_session(app, people):
    """A cookie set before logging in (a planted one) is not the session after it."""
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("session")
    logged_in(client, EMAILS["anne"])
    assert client.get_cookie("session").value != (before.value if before else None)
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        # Only a hash of the token is kept: a copy of the database logs nobody in.
        assert len(row.token_hash) == 64
        assert row.token_hash not in client.get_cookie("session").value


def test_a_person_sees_their_sessions_and_ends_the_others(app, people):
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Telefonen min"
    logged_in(phone, EMAILS["anne"])
    laptop = app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "Jobb-PC-en"
    logged_in(laptop, EMAILS["anne"])
    logged_in(app.test_client(), EMAILS["bjorn"])  # someone else's is not listed
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Telefonen min" in page and "Jobb-PC-en" in page
    assert page.count('<tr id="session-') == 2
    response = laptop.post("/account/sessions/end-others", follow_redirects=True)
    assert response.status_code == 200
    assert not home_is_open(phone)
    assert home_is_open(laptop)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Telefonen min" not in page and page.count('<tr id="session-') == 1


def test_one_session_can_be_ended_but_not_someone_elses(app, people):
    phone, laptop = (logged_in(app.test_client(), EMAILS["anne"]) for _ in range(2))
    bjorn = logged_in(app.test_client(), EMAILS["bjorn"])
    with app.app_context():
        anne_first, bjorn_row = (db.session.scalar(
            sa.select(UserSession.id).where(UserSession.user_id == people[who])
            .order_by(UserSession.id).limit(1)) for who in ("anne", "bjorn"))
    assert laptop.post(f"/account/sessions/{bjorn_row}/end").status_code == 404
    assert bjorn.get("/").status_code == 200
    assert laptop.post(f"/account/sessions/{anne_first}/end").status_code == 302
    assert not home_is_open(phone) and home_is_open(laptop)


def test_the_cookie_is_bound_to_the_host_behind_https(app_config, make_user):
    from medsamtale import create_app

    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    make_user("Kari Nordmann", "kari@example.no")
    client = app.test_client()
    response = client.post("/login", data={"email": "kari@example.no", "password": PASSWORD},
                           base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Domain=" not in cookie
