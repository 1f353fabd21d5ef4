"""Second factors: TOTP set up with a real code and used at log-in, codes reused within
their window refused, recovery codes once, who must have a factor, LOCAL_LOGIN=false with
its break-glass account, HR's reset, and the passkey endpoints refusing bad answers."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, User, UserSession
from medsamtale.models.factors import Passkey, RecoveryCode, TotpSecret
from tests.fixtures.app import PASSWORD, app_settings, logged_in
from tests.helpers import text_of


@pytest.fixture
def app_config(migrated_database, smtp_server):
    """As in production: HR admins must have a second factor."""
    return app_settings(migrated_database, smtp_server.port, MFA_REQUIRED_FOR_HR=True)


def _code(secret: str, ahead: int = 0) -> str:
    """The code the app shows `ahead` steps of 30 seconds from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * ahead)


def set_up_totp(client) -> tuple[str, list[str]]:
    """Set up an authenticator app through the pages, as a person does: the secret shown,
    and the recovery codes."""
    assert client.post("/account/factors/totp/start").status_code == 302
    page = client.get("/account/factors/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/factors/totp", data={"code": _code(secret)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    return secret, codes


def events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).all()


def _login(client, email):
    return client.post("/login", data={"email": email, "password": PASSWORD})


def _is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_totp_is_set_up_with_a_first_code_and_then_asked_for_after_the_password(
        app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    logged_in(client, "lars@example.no")
    client.post("/account/factors/totp/start")
    page = client.get("/account/factors/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    qr = client.get("/account/factors/totp/qr.svg")
    assert qr.content_type == "image/svg+xml" and b"<svg" in qr.data
    # A wrong first code sets nothing up.
    wrong_code = "000000" if _code(secret) != "000000" else "111111"
    wrong = client.post("/account/factors/totp", data={"code": wrong_code})
    assert wrong.status_code == 409
    assert "Koden stemmer ikke" in wrong.get_data(as_text=True)
    with app.app_context():
        assert TotpSecret.query.one().confirmed_at is None
    done = client.post("/account/factors/totp", data={"code": _code(secret)})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "vises bare nå" in done.get_data(as_text=True)
    # The codes are kept only as digests.
    with app.app_context():
        assert all(c.replace("-", "") not in r.code_hash for r in RecoveryCode.query.all()
                   for c in codes)
    client.post("/logout")

    step = _login(client, "lars@example.no")
    assert step.headers["Location"] == "/login/factor"
    assert not _is_logged_in(client)  # half-way: no session yet
    wrong = client.post("/login/factor", data={"code": "12345"})
    assert wrong.status_code == 409 and not _is_logged_in(client)
    response = client.post("/login/factor", data={"code": _code(secret, ahead=1)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _is_logged_in(client)
    assert [e.detail["kind"] for e in events(app, "factor_used")] == ["totp"]
    assert [(e.detail["kind"], e.detail["why"]) for e in events(app, "factor_failed")] == [
        ("totp_setup", "wrong"), ("recovery_code", "wrong")]
    assert [e.detail["kind"] for e in events(app, "factor_added")] == ["totp"]


def test_a_code_used_once_is_refused_within_its_window(app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    logged_in(client, "lars@example.no")
    secret, _codes = set_up_totp(client)
    client.post("/logout")
    code = _code(secret, ahead=1)
    _login(client, "lars@example.no")
    assert client.post("/login/factor", data={"code": code}).status_code == 302
    client.post("/logout")
    _login(client, "lars@example.no")
    again = client.post("/login/factor", data={"code": code})
    assert again.status_code == 409
    assert "allerede brukt" in again.get_data(as_text=True)
    assert not _is_logged_in(client)
    # Nor is the code set up with (an older step) taken.
    assert client.post("/login/factor", data={"code": _code(secret)}).status_code == 409
    assert [e.detail["why"] for e in events(app, "factor_failed")] == ["reused", "reused"]


def test_a_recovery_code_works_once(app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    logged_in(client, "lars@example.no")
    _secret, codes = set_up_totp(client)
    client.post("/logout")
    _login(client, "lars@example.no")
    # Typed in capitals and without its dashes, it still counts.
    typed = codes[3].replace("-", " ").upper()
    assert client.post("/login/factor", data={"code": typed}).headers["Location"] == "/"
    client.post("/logout")
    _login(client, "lars@example.no")
    again = client.post("/login/factor", data={"code": codes[3]})
    assert again.status_code == 409 and not _is_logged_in(client)
    with app.app_context():
        assert RecoveryCode.left(User.by_email("lars@example.no").id) == 9
    assert client.post("/login/factor", data={"code": codes[4]}).status_code == 302


def test_the_second_step_is_throttled_like_the_password(app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    logged_in(client, "lars@example.no")
    secret, _codes = set_up_totp(client)
    client.post("/logout")
    _login(client, "lars@example.no")
    for _ in range(5):
        assert client.post("/login/factor", data={"code": "wrong-code"}).status_code == 409
    blocked = client.post("/login/factor", data={"code": _code(secret, ahead=1)})
    assert blocked.status_code == 429
    assert "For mange mislykkede forsøk" in blocked.get_data(as_text=True)
    assert not _is_logged_in(client)


def test_the_step_after_the_password_expires(app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    logged_in(client, "lars@example.no")
    secret, _codes = set_up_totp(client)
    client.post("/logout")
    app.config["FACTOR_STEP_MINUTES"] = 0
    _login(client, "lars@example.no")
    response = client.post("/login/factor", data={"code": _code(secret, ahead=1)})
    assert response.headers["Location"] == "/login"
    assert not _is_logged_in(client)
    # Without a password first there is no step at all.
    fresh = app.test_client()
    assert fresh.post("/login/factor", data={"code": "123456"}).headers["Location"] == "/login"


def test_an_hr_admin_without_a_factor_sets_one_up_before_any_other_page(app, client, make_user):
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    response = _login(client, "hr@example.no")
    assert response.headers["Location"] == "/account/factors"
    assert client.get("/admin/").headers["Location"] == "/account/factors"
    assert client.get("/").headers["Location"] == "/account/factors"
    page = client.get("/account/factors").get_data(as_text=True)
    assert "Rollen din krever en ekstra faktor" in page
    set_up_totp(client)
    assert client.get("/admin/").status_code == 200


def test_leaders_must_have_a_factor_only_with_the_setting(app, client, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    make_user("Anne Aas", "anne@example.no")
    assert _login(client, "lars@example.no").headers["Location"] == "/"
    client.post("/logout")
    app.config["MFA_REQUIRED_FOR_LEADERS"] = True
    assert _login(client, "lars@example.no").headers["Location"] == "/account/factors"
    assert client.get("/").headers["Location"] == "/account/factors"
    client.post("/logout")
    other = app.test_client()
    assert _login(other, "anne@example.no").headers["Location"] == "/"


def test_a_person_who_must_have_a_factor_cannot_remove_the_last_one(app, client, make_user):
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    _login(client, "hr@example.no")
    set_up_totp(client)
    response = client.post("/account/factors/totp/remove", follow_redirects=True)
    assert "Du må ha en ekstra faktor" in response.get_data(as_text=True)
    with app.app_context():
        assert TotpSecret.query.one().confirmed_at is not None


def test_without_local_login_only_the_break_glass_account_uses_a_password(
        app, client, make_user, deliver):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    make_user("Harald HR", "harald@example.no", roles=("hr_admin",))
    # The break-glass account sets up its factor while passwords still work.
    _login(client, "hr@example.no")
    secret, _codes = set_up_totp(client)
    client.post("/logout")
    app.config["LOCAL_LOGIN"] = False

    page = client.get("/login").get_data(as_text=True)
    assert "Nødtilgang for HR-administratorer" in page
    assert '<details class="narrow break-glass">' in page  # folded: not offered as such
    for email in ("lars@example.no", "harald@example.no"):  # right passwords, refused
        refused = _login(client, email)
        assert refused.status_code == 422
        assert "Feil e-post eller passord" in refused.get_data(as_text=True)
        assert not _is_logged_in(client)
    assert [e.detail.get("why") for e in events(app, "login_failed")] == [
        "local_login_off", "local_login_off"]
    # Nor is a link to set a password sent to them.
    client.post("/password/forgot", data={"email": "lars@example.no"})
    assert deliver() == []
    # The HR admin with a factor still gets in, with the factor.
    assert _login(client, "hr@example.no").headers["Location"] == "/login/factor"
    assert client.post("/login/factor", data={"code": _code(secret, ahead=1)}).status_code == 302
    assert _is_logged_in(client)


def test_hr_resets_another_persons_factors_and_the_person_is_told(app, make_user, deliver):
    lars = make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    hr = make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    person = logged_in(app.test_client(), "lars@example.no")
    set_up_totp(person)
    admin = app.test_client()
    _login(admin, "hr@example.no")
    set_up_totp(admin)
    deliver()  # nothing yet

    page = admin.get(f"/admin/users/{lars}").get_data(as_text=True)
    assert f'href="/admin/users/{lars}/factors/reset"' in page
    confirm = admin.get(f"/admin/users/{lars}/factors/reset").get_data(as_text=True)
    assert "Tilbakestill de ekstra faktorene" in confirm
    with app.app_context():  # HR sees no secret
        assert TotpSecret.query.filter_by(user_id=lars).one().secret not in confirm
    response = admin.post(f"/admin/users/{lars}/factors/reset")
    assert response.headers["Location"] == f"/admin/users/{lars}"
    with app.app_context():
        assert TotpSecret.query.filter_by(user_id=lars).count() == 0
        assert RecoveryCode.query.filter_by(user_id=lars).count() == 0
        assert UserSession.query.filter_by(user_id=lars, ended_at=None).count() == 0
    assert person.get("/").status_code == 302  # logged out
    [message] = deliver()
    assert message["To"] == "lars@example.no"
    assert "Hanne HR" in text_of(message)
    [event] = events(app, "factors_reset")
    assert (event.actor_id, event.subject_user_id) == (hr, lars)
    # One's own factors are not reset here.
    own = admin.post(f"/admin/users/{hr}/factors/reset", follow_redirects=True)
    assert "Du kan ikke tilbakestille dine egne faktorer her" in own.get_data(as_text=True)
    with app.app_context():
        assert TotpSecret.query.filter_by(user_id=hr).count() == 1


def test_only_an_hr_admin_resets_factors(app, make_user):
    lars = make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    make_user("Anne Aas", "anne@example.no", leader_id=lars)
    anne = logged_in(app.test_client(), "anne@example.no")
    assert anne.get(f"/admin/users/{lars}/factors/reset").status_code == 403
    assert anne.post(f"/admin/users/{lars}/factors/reset").status_code == 403


def test_passkey_answers_that_do_not_check_out_are_refused(app, client, make_user):
    lars = make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    anne = make_user("Anne Aas", "anne@example.no", leader_id=lars)
    with app.app_context():
        db.session.add(Passkey(user_id=anne, credential_id="AAAA", public_key=b"x", name="A"))
        db.session.commit()
        passkey_id = Passkey.query.one().id
    # Signing in: no challenge asked for, then a garbled and a foreign answer.
    assert client.post("/login/passkey", data={"credential": "{}"}).status_code == 400
    options = client.post("/login/passkey/options").get_json()
    assert options["userVerification"] == "required" and options["rpId"] == \
        "medsamtale.test.example"
    refused = client.post("/login/passkey", data={"credential": "not json"})
    assert refused.status_code == 400 and "error" in refused.get_json()
    client.post("/login/passkey/options")
    forged = client.post("/login/passkey", data={"credential": (
        '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {'
        '"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}')})
    assert forged.status_code == 400
    assert not _is_logged_in(client)
    assert [e.detail["kind"] for e in events(app, "factor_failed")] == ["passkey"]
    # Someone else's passkey is not removed.
    lars_client = logged_in(app.test_client(), "lars@example.no")
    lars_client.post(f"/account/factors/passkeys/{passkey_id}/remove")
    with app.app_context():
        assert Passkey.query.count() == 1
    options = lars_client.post("/account/factors/passkeys/options").get_json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["user"]["name"] == "lars@example.no"
