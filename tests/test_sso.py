"""Signing in through OpenID Connect (medsamtale/sso), against a real provider (panva's
oidc-provider, tests/fixtures/oidc.py): matching by (issuer, subject), then by a verified
address, which links the account; every refusal says why on the log-in page, is in the
audit log, and changes nothing (no link, no account, no session)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, User
from medsamtale.models.identities import OidcIdentity
from tests.fixtures.app import logged_in
from tests.helpers import snapshot


@pytest.fixture
def app_config(app_config, oidc_provider):
    return {**app_config, **oidc_provider.settings()}


def start(client, next_page=None):
    """The redirect to the provider that /sso/login answers with."""
    response = client.get("/sso/login", query_string={"next": next_page} if next_page else None)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(client, provider, login):
    """Sign in at the provider as `login` and bring its answer to the callback."""
    return client.get(provider.sign_in(start(client), login))


def refusal_page(client, response) -> str:
    """The log-in page a refused sign-in is sent to, with its message."""
    assert response.status_code in (302, 409), response.status_code
    assert urlsplit(response.headers["Location"]).path == "/login"
    page = client.get("/login")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def logged_in_as(client) -> str | None:
    """Whose home page the client sees (None: sent to log in)."""
    home = client.get("/")
    if home.status_code != 200:
        return None
    return home.get_data(as_text=True)


def failures(app, reason=None) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "login_failed").order_by(AuditEvent.id)).all()
        return [dict(row.detail, subject=row.subject_user_id) for row in rows
                if row.detail.get("method") == "oidc" and reason in (None, row.detail["reason"])]


def identities(app) -> list[tuple]:
    return snapshot(app, OidcIdentity, "user_id", "issuer", "subject")


def assert_nothing_changed(app, client, users_before):
    assert identities(app) == []
    assert snapshot(app, User, "id", "email", "active") == users_before
    assert logged_in_as(client) is None


# Off without a provider ---------------------------------------------------------------------


def test_without_an_issuer_there_is_no_button_and_no_routes(app, client):
    app.config["OIDC_ISSUER"] = ""
    html = client.get("/login").get_data(as_text=True)
    assert "Testleverandør" not in html and "/sso/login" not in html
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404


def test_the_log_in_page_has_the_providers_button(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Logg inn med Testleverandør" in html
    assert 'href="/sso/login"' in html


def test_the_request_to_the_provider_uses_pkce_state_and_nonce(client):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://localhost/sso/callback"]


# Matching -----------------------------------------------------------------------------------


def test_first_sign_in_links_the_account_with_the_verified_address(app, client, people,
                                                                   oidc_provider):
    response = sign_in(client, oidc_provider, "anne@example.no")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Anne Aas" in logged_in_as(client)
    assert identities(app) == [(people["anne"], oidc_provider.issuer, "anne@example.no")]
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.subject_user_id == people["anne"])).all()
        actions = {event.action: event.detail for event in events}
    assert "login" in actions
    assert actions["oidc_sign_in"]["matched"] == "email"


def test_a_linked_account_is_found_by_its_subject_even_with_a_new_address(app, client, people,
                                                                          oidc_provider):
    sign_in(client, oidc_provider, "anne@example.no")
    client.post("/logout")
    with app.app_context():
        db.session.get(User, people["anne"]).email = "anne.aas@example.no"
        db.session.commit()
    response = sign_in(client, oidc_provider, "anne@example.no")  # the same subject
    assert response.headers["Location"] == "/"
    assert "Anne Aas" in logged_in_as(client)
    assert len(identities(app)) == 1


def test_the_page_asked_for_is_where_signing_in_ends(client, people, oidc_provider):
    callback = oidc_provider.sign_in(start(client, "/account/sessions"), "anne@example.no")
    assert client.get(callback).headers["Location"] == "/account/sessions"


def test_entra_ids_preferred_username_can_be_the_address(app, client, people, oidc_provider):
    app.config["OIDC_EMAIL_CLAIM"] = "preferred_username"
    sign_in(client, oidc_provider, "upn:anne@example.no")
    assert "Anne Aas" in logged_in_as(client)


def test_an_address_only_in_userinfo_is_read_from_there(app, client, people, oidc_provider):
    with app.app_context():
        db.session.get(User, people["anne"]).email = "anne.feide@example.no"
        db.session.commit()
    sign_in(client, oidc_provider, "userinfo:anne.feide@example.no")
    assert "Anne Aas" in logged_in_as(client)


def test_accounts_are_made_only_when_the_setting_says_so(app, client, people, oidc_provider):
    app.config["OIDC_CREATE_USERS"] = True
    sign_in(client, oidc_provider, "nina.ny@example.no")
    assert "nina.ny" in logged_in_as(client)
    with app.app_context():
        made = User.by_email("nina.ny@example.no")
        assert made.roles == ["employee"] and made.password_hash is None


# Refusals -----------------------------------------------------------------------------------


def test_an_unknown_address_is_refused_and_no_account_is_made(app, client, people,
                                                              oidc_provider):
    before = snapshot(app, User, "id", "email", "active")
    html = refusal_page(client, sign_in(client, oidc_provider, "nobody@example.no"))
    assert "Ingen konto i Medsamtale har adressen nobody@example.no" in html
    assert_nothing_changed(app, client, before)
    assert failures(app, "unknown")[0]["email"] == "nobody@example.no"


def test_an_unverified_address_is_refused_even_when_accounts_may_be_made(app, client, people,
                                                                         oidc_provider):
    app.config["OIDC_CREATE_USERS"] = True
    before = snapshot(app, User, "id", "email", "active")
    for login in ("unverified:anne@example.no", "unverified:nina.ny@example.no"):
        html = refusal_page(client, sign_in(client, oidc_provider, login))
        assert "har ikke bekreftet e-postadressen din" in html
    assert_nothing_changed(app, client, before)
    assert len(failures(app, "unverified")) == 2


def test_no_address_claim_is_refused(app, client, people, oidc_provider):
    before = snapshot(app, User, "id", "email", "active")
    html = refusal_page(client, sign_in(client, oidc_provider, "upn:anne@example.no"))
    assert "ga oss ikke e-postadressen din" in html
    assert_nothing_changed(app, client, before)


def test_a_deactivated_person_is_refused_by_address_and_by_link(app, client, people,
                                                               oidc_provider):
    sign_in(client, oidc_provider, "bjorn@example.no")  # Bjørn is linked
    client.post("/logout")
    with app.app_context():
        for who in ("anne", "bjorn"):
            db.session.get(User, people[who]).deactivate()
        db.session.commit()
    linked = identities(app)
    for login in ("anne@example.no", "bjorn@example.no"):
        html = refusal_page(client, sign_in(client, oidc_provider, login))
        assert "Kontoen din i Medsamtale er deaktivert" in html
        assert logged_in_as(client) is None
    assert identities(app) == linked  # Anne was not linked
    assert [row["subject"] for row in failures(app, "deactivated")] == [people["anne"],
                                                                       people["bjorn"]]


def test_an_address_already_linked_to_another_subject_is_refused(app, client, people,
                                                                 oidc_provider):
    sign_in(client, oidc_provider, "anne@example.no")
    client.post("/logout")
    linked = identities(app)
    html = refusal_page(client, sign_in(client, oidc_provider, "second-anne"))
    assert "allerede koblet til en annen person" in html
    assert identities(app) == linked and logged_in_as(client) is None
    assert failures(app, "linked_elsewhere")[0]["subject"] == people["anne"]


def test_a_callback_without_state_or_with_a_foreign_state_is_refused(app, client, people,
                                                                     oidc_provider):
    before = snapshot(app, User, "id", "email", "active")
    html = refusal_page(client, client.get("/sso/callback?code=made-up"))
    assert "ble ikke startet i denne nettleseren" in html
    # Someone else's answer (their state, their code) brought to this browser.
    other = app.test_client()
    foreign = oidc_provider.sign_in(start(other), "anne@example.no")
    start(client)  # this browser has a state of its own, not that one
    html = refusal_page(client, client.get(foreign))
    assert "ble ikke startet i denne nettleseren" in html
    assert_nothing_changed(app, client, before)
    assert len(failures(app, "state")) == 2


def test_an_answer_is_taken_once_and_a_used_code_is_refused(app, client, people,
                                                           oidc_provider):
    callback = oidc_provider.sign_in(start(client), "anne@example.no")
    assert client.get(callback).headers["Location"] == "/"
    client.post("/logout")
    # The same answer again: its state is used up.
    assert "ble ikke startet i denne nettleseren" in refusal_page(client, client.get(callback))
    # The used code with a state of a new sign-in: the provider refuses the code.
    code = parse_qs(urlsplit(callback).query)["code"][0]
    fresh = parse_qs(urlsplit(oidc_provider.sign_in(start(client), "bjorn@example.no")).query)
    replayed = client.get("/sso/callback", query_string={"code": code,
                                                          "state": fresh["state"][0]})
    assert "godtok ikke innloggingen" in refusal_page(client, replayed)
    assert logged_in_as(client) is None
    assert len(failures(app, "code")) == 1


def test_the_provider_refusing_is_said(app, client, people, oidc_provider):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get("/sso/callback", query_string={"error": "access_denied",
                                                          "state": state})
    assert "logget deg ikke inn" in refusal_page(client, response)
    assert failures(app, "provider")


@pytest.mark.parametrize("mode", ["issuer", "audience", "expired", "nonce", "signature"])
def test_an_id_token_that_does_not_verify_is_refused(app, client, people, oidc_provider, mode):
    """From another issuer, for another client, expired, for another sign-in (nonce), or
    not signed with the provider's key: the provider itself issues it, once."""
    before = snapshot(app, User, "id", "email", "active")
    oidc_provider.tamper(mode)
    html = refusal_page(client, sign_in(client, oidc_provider, "anne@example.no"))
    assert "Svaret fra innloggingstjenesten kunne ikke bekreftes" in html
    assert_nothing_changed(app, client, before)
    assert failures(app, "token")
    # The next, untouched answer signs in: the refusal was about that token alone.
    sign_in(client, oidc_provider, "anne@example.no")
    assert "Anne Aas" in logged_in_as(client)


def test_an_unreachable_provider_is_said_without_an_error_page(app, client, people):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"
    response = client.get("/sso/login")
    assert "fikk ikke kontakt med innloggingstjenesten" in refusal_page(client, response)


# Logging out --------------------------------------------------------------------------------


def test_logging_out_ends_the_session_at_the_provider_too(app, client, people, oidc_provider):
    sign_in(client, oidc_provider, "anne@example.no")
    response = client.post("/logout")
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == oidc_provider.issuer
    assert target.path == "/session/end"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert logged_in_as(client) is None


def test_logging_out_after_a_password_stays_here(app, client, people):
    logged_in(client, "anne@example.no")
    assert urlsplit(client.post("/logout").headers["Location"]).path == "/login"


def test_logging_out_may_go_on_to_the_provider_under_the_csp(client, oidc_provider):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {oidc_provider.issuer};" in policy
