"""Passkeys in Chromium, with the DevTools protocol's virtual authenticator: registered on
the factors page, then used to sign in without a password and as the second factor after
the password. WebAuthn needs a secure context and a registrable RP ID, so the browser opens
the live server as http://localhost:<port>, with RP ID "localhost"."""

from playwright.sync_api import expect

from tests.a11y import axe_problems, overflow_problems, report
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import submit


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})


def _password(page, base, email):
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page)


def test_a_passkey_signs_in_without_a_password_and_as_the_second_factor(
        app, live_server, page, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    base = live_server.replace("127.0.0.1", "localhost")
    app.config.update(WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGIN=base)
    _virtual_authenticator(page)

    _password(page, base, "lars@example.no")
    expect(page).to_have_url(base + "/")
    page.goto(base + "/account/factors")
    page.locator("#passkey-name").fill("Jobb-PC")
    page.get_by_role("button", name="Legg til en passnøkkel").click()
    expect(page.locator("#passkeys li")).to_contain_text("Jobb-PC")

    # Without a password: the passkey alone, found on the authenticator (discoverable).
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.get_by_role("button", name="Logg inn med passnøkkel").click()
    expect(page).to_have_url(base + "/")
    expect(page.locator("main")).to_contain_text("Lars")

    # After the password, the passkey is the second factor.
    page.context.clear_cookies()
    _password(page, base, "lars@example.no")
    expect(page).to_have_url(base + "/login/factor")
    # The second step is a page of its own: WCAG 2.1 A/AA as every other page (test_accessibility).
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        problems = axe_problems(page) + overflow_problems(page)
        assert not problems, report(f"/login/factor at {width} px", problems)
    page.get_by_role("button", name="Bruk passnøkkel").click()
    expect(page).to_have_url(base + "/")
    page.goto(base + "/account/factors")
    expect(page.locator("#passkeys li")).to_contain_text("sist brukt")


def test_a_cancelled_passkey_says_so_and_logs_nobody_in(app, live_server, page, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    base = live_server.replace("127.0.0.1", "localhost")
    app.config.update(WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGIN=base)
    _virtual_authenticator(page)  # it holds no passkey of this site
    page.goto(base + "/login")
    page.get_by_role("button", name="Logg inn med passnøkkel").click()
    expect(page.locator("#passkey-error")).to_have_text("Ingen passnøkkel ble brukt.",
                                                        timeout=15_000)
    expect(page).to_have_url(base + "/login")
