"""End-to-end: signing in through a real OpenID provider (panva's oidc-provider, started by
tests/fixtures/oidc.py) in a real Chromium: the button on the log-in page, the provider's own
login page, back on the home page as the person matched, and logging out at the provider too.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import login_url

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config, oidc_provider):
    return {**app_config, **oidc_provider.settings()}


def sign_in_at_provider(page, provider, login: str) -> None:
    """The provider's development login page (any password), then its consent page."""
    expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()


def test_signing_in_through_the_provider_lands_on_the_home_page(live_server, page, people,
                                                                oidc_provider):
    page.goto(live_server + "/login")
    page.get_by_role("link", name="Logg inn med Testleverandør").click()
    sign_in_at_provider(page, oidc_provider, "anne@example.no")
    expect(page).to_have_url(live_server + "/")
    expect(page.locator("header")).to_contain_text("Anne Aas")

    # Logging out ends the session here and at the provider, then comes back to log in.
    page.locator('header form[action="/logout"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer) + "/session/end"))
    page.get_by_role("button", name=re.compile("Yes, sign me out")).click()
    expect(page).to_have_url(login_url(live_server))
    page.goto(live_server + "/")
    expect(page).to_have_url(login_url(live_server))


def test_a_refused_sign_in_says_why_on_the_log_in_page(live_server, page, people,
                                                      oidc_provider):
    page.goto(live_server + "/login")
    page.get_by_role("link", name="Logg inn med Testleverandør").click()
    sign_in_at_provider(page, oidc_provider, "nobody@example.no")
    expect(page).to_have_url(login_url(live_server))
    expect(page.locator("main")).to_contain_text(
        "Ingen konto i Medsamtale har adressen nobody@example.no")
