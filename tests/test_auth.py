"""Logging in and out, throttling, sessions the server can end, password links, CSRF."""

import re
from datetime import timedelta

import pytest
from flask_wtf.csrf import generate_csrf

from medsamtale.extensions import db
from medsamtale.models import PasswordToken, User
from medsamtale.timeutil import utcnow

from .fixtures.app import PASSWORD, logged_in
from .helpers import HX, has_form_error, text_of


def test_pages_need_a_login_except_login_and_password_reset(client):
    for url in ["/", "/admin/", "/admin/questions/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    assert 'name="password"' in client.get("/login").get_data(as_text=True)
    assert 'name="email"' in client.get("/password/forgot").get_data(as_text=True)


def test_log_in_and_out(client, auth, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    response = auth.login("KARI@example.no", follow_redirects=True)
    assert "Kari Nordmann" in response.get_data(as_text=True)

    auth.logout()
    assert client.get("/").status_code == 302


def test_log_in_returns_to_the_page_asked_for_but_never_off_site(client, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    data = {"email": "kari@example.no", "password": PASSWORD}
    assert client.post("/login?next=/admin/", data=data).location == "/admin/"
    client.post("/logout")
    assert client.post("/login?next=https://evil.example/", data=data).location == "/"


def test_wrong_password_is_refused_with_a_message(client, auth, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    response = auth.login("kari@example.no", "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_form_error(page)
    assert 'value="kari@example.no"' in page
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(client, auth, make_user):
    make_user("Kari Nordmann", "kari@example.no", active=False)
    assert auth.login("kari@example.no").status_code == 422
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled_per_account_and_address(app, client, auth, make_user):
    """Guessing one account's password from an address locks that address out of it, the
    right password included; the owner at another address still gets in."""
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    make_user("Kari Nordmann", "kari@example.no")
    for _ in range(3):
        assert auth.login("kari@example.no", "wrong-password").status_code == 422
    response = auth.login("Kari@Example.no", PASSWORD)
    assert response.status_code == 429
    assert has_form_error(response.get_data(as_text=True))
    assert client.get("/").status_code == 302
    other_address = app.test_client()
    response = other_address.post(
        "/login", data={"email": "Kari@Example.no", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302
    assert other_address.get("/").status_code == 200
    # Another account is not affected.
    make_user("Ola Nordmann", "ola@example.no")
    assert auth.login("ola@example.no").status_code == 302


def test_failed_logins_are_throttled_per_address(app, client, auth, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per 15 minutes"
    make_user("Kari Nordmann", "kari@example.no")
    for n in range(4):
        assert auth.login(f"nobody{n}@example.no", "wrong-password").status_code == 422
    assert auth.login("kari@example.no").status_code == 429
    # Someone at another address can still log in.
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/login", data={"email": "kari@example.no", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302


def test_successful_logins_do_not_count_against_the_limit(app, client, auth, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    make_user("Kari Nordmann", "kari@example.no")
    for _ in range(4):
        assert auth.login("kari@example.no").status_code == 302
        auth.logout()


def test_passwords_are_hashed_with_argon2id_at_owasp_strength(app, make_user):
    user_id = make_user("Kari Nordmann", "kari@example.no")
    with app.app_context():
        password_hash = db.session.get(User, user_id).password_hash
    assert password_hash.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in password_hash
    assert PASSWORD not in password_hash


def _token_from(message) -> str:
    return re.search(r"/password/set/([\w-]+)", text_of(message)).group(1)


def test_password_reset_by_single_use_link(app, client, auth, make_user, deliver):
    user_id = make_user("Kari Nordmann", "kari@example.no")
    other_browser = logged_in(app.test_client(), "kari@example.no")
    assert other_browser.get("/").status_code == 200

    client.post("/password/forgot", data={"email": "kari@example.no"})
    (message,) = deliver()
    assert message["To"] == "kari@example.no"
    token = _token_from(message)

    response = client.post(f"/password/set/{token}",
                           data={"password": "a-new-password", "confirm": "a-new-password"})
    assert response.location == "/login"
    # The reset ended the session that was open elsewhere.
    assert other_browser.get("/").status_code == 302
    assert auth.login("kari@example.no").status_code == 422
    assert auth.login("kari@example.no", "a-new-password").status_code == 302
    auth.logout()

    # The link works once.
    used = client.post(f"/password/set/{token}",
                       data={"password": "third-password", "confirm": "third-password"})
    assert used.status_code == 410
    with app.app_context():
        assert db.session.get(User, user_id).check_password("a-new-password")


def test_expired_link_is_refused_and_changes_nothing(app, client, make_user, deliver):
    user_id = make_user("Kari Nordmann", "kari@example.no")
    client.post("/password/forgot", data={"email": "kari@example.no"})
    token = _token_from(deliver()[0])
    with app.app_context():
        link = PasswordToken.find(token)
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/password/set/{token}",
                           data={"password": "a-new-password", "confirm": "a-new-password"})
    assert response.status_code == 410
    assert 'href="/password/forgot"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).check_password(PASSWORD)


def test_a_newer_link_replaces_the_older_one(client, make_user, deliver):
    make_user("Kari Nordmann", "kari@example.no")
    client.post("/password/forgot", data={"email": "kari@example.no"})
    client.post("/password/forgot", data={"email": "kari@example.no"})
    first, second = (_token_from(m) for m in deliver())
    assert client.get(f"/password/set/{first}").status_code == 410
    assert client.get(f"/password/set/{second}").status_code == 200


def test_forgot_password_does_not_reveal_who_has_an_account(client, make_user, deliver):
    make_user("Kari Nordmann", "kari@example.no")
    known = client.post("/password/forgot", data={"email": "kari@example.no"},
                        follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.no"},
                          follow_redirects=True)
    # The same page, but for the CSRF token, which carries the second it was made in.
    assert without_csrf_tokens(known) == without_csrf_tokens(unknown)
    assert [m["To"] for m in deliver()] == ["kari@example.no"]


def without_csrf_tokens(response) -> str:
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*', r"\1",
                  response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("password", "confirm"),
    [("short", "short"), ("a-long-password", "another-password"), ("x" * 257, "x" * 257)],
)
def test_bad_new_password_is_refused_next_to_the_field(app, client, make_user, deliver,
                                                       password, confirm):
    user_id = make_user("Kari Nordmann", "kari@example.no")
    client.post("/password/forgot", data={"email": "kari@example.no"})
    token = _token_from(deliver()[0])
    response = client.post(f"/password/set/{token}",
                           data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).check_password(PASSWORD)
        assert PasswordToken.find(token).used_at is None


# CSRF ---------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_forms_without_a_csrf_token_are_refused(csrf_app, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "kari@example.no", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_htmx_requests_carry_the_token_in_a_header(csrf_app, make_user):
    """htmx sends the page's token in a header; logging in gives a new one (the login
    page's no longer counts)."""
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    client = csrf_app.test_client()

    def page_token(path):
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    before = page_token("/login")
    client.post("/login", data={"email": "hr@example.no", "password": PASSWORD,
                                "csrf_token": before})
    token = page_token("/")
    assert token != before
    stale = client.post("/admin/organisation", data={"name": "Gammelt token"},
                        headers={**HX, "X-CSRFToken": before})
    assert stale.status_code == 400
    refused = client.post("/admin/organisation", data={"name": "Uten token"}, headers=HX)
    assert refused.status_code == 400
    accepted = client.post("/admin/organisation", data={"name": "Med token"},
                           headers={**HX, "X-CSRFToken": token})
    assert accepted.status_code == 302
    assert "Med token" in client.get("/").get_data(as_text=True)


def test_csrf_tokens_last_a_whole_meeting(csrf_app):
    # Long enough for any meeting and the writing after it; as long as the session.
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600
    lifetime = csrf_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] == lifetime
    with csrf_app.test_request_context():
        assert generate_csrf()


def test_throttling_can_keep_its_counts_in_redis(app_config, make_user):
    """Production shares the counts between workers through Redis (RATELIMIT_STORAGE_URI)."""
    import os

    import redis

    from medsamtale import create_app
    from tests.conftest import unavailable

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        unavailable("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"TEST_REDIS_URL is set but Redis cannot be reached: {error}")
    config = {**app_config, "RATELIMIT_STORAGE_URI": url,
              "LOGIN_LIMIT_PER_ACCOUNT": "2 per 15 minutes"}
    make_user("Kari Nordmann", "kari@example.no")
    # Two app instances stand for two gunicorn workers sharing one Redis.
    first, second = create_app(config), create_app(config)
    bad = {"email": "kari@example.no", "password": "wrong-password"}
    assert first.test_client().post("/login", data=bad).status_code == 422
    assert second.test_client().post("/login", data=bad).status_code == 422
    good = {"email": "kari@example.no", "password": PASSWORD}
    assert first.test_client().post("/login", data=good).status_code == 429
    assert redis.Redis.from_url(url).keys("*login*")
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
