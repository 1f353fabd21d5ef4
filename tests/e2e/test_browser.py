"""End-to-end: a real Chromium drives the app over HTTP, with CSRF protection on.

Fields are found by their id/name and results checked on data (names, emails, URLs, error
elements), not on translated sentences, so the tests survive changes to the catalogue.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import log_in, submit
from tests.helpers import text_of, wait_for_htmx

pytestmark = pytest.mark.e2e

CDN_URL = "https://cdn.jsdelivr.net/npm/htmx.org@4.0.1/dist/htmx.min.js"
VENDORED_HTMX = "/static/vendor/htmx-4.0.1.min.js"


def login_url(base: str) -> re.Pattern:
    """/login, with or without a ?next=… query."""
    return re.compile(re.escape(base) + r"/login(\?.*)?$")


def log_out(page, base: str):
    page.locator('header form[action="/logout"] button[type=submit]').click()
    expect(page).to_have_url(login_url(base))


@pytest.fixture
def hr(make_user):
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    return "hr@example.no"


# Logging in and out ------------------------------------------------------------------------


def test_log_in(page, live_server, hr):
    log_in(page, live_server, hr)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.locator("header .who")).to_have_text("Hanne HR")
    expect(page.locator("main h1")).to_contain_text("Hanne HR")
    expect(page.locator('header nav a[href="/admin/"]')).to_be_visible()
    expect(page.locator('header nav a[href="/admin/questions/"]')).to_be_visible()


def test_log_out(page, live_server, hr):
    log_in(page, live_server, hr)
    log_out(page, live_server)
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator('header form[action="/logout"]')).to_have_count(0)
    page.goto(live_server + "/")
    expect(page).to_have_url(login_url(live_server))
    expect(page.locator("#password")).to_be_visible()


def test_wrong_password_shows_the_form_error(page, live_server, hr):
    page.goto(live_server + "/login")
    page.locator("#email").fill(hr)
    page.locator("#password").fill("not-the-password")
    submit(page)
    expect(page.locator(".form-errors")).to_be_visible()
    expect(page).to_have_url(login_url(live_server))
    expect(page.locator("#email")).to_have_value(hr)
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator('header form[action="/logout"]')).to_have_count(0)
    expect(page.locator("header nav")).to_have_count(0)
    page.goto(live_server + "/")
    expect(page).to_have_url(login_url(live_server))


# The HR admin's people ---------------------------------------------------------------------


def test_hr_admin_adds_a_person_who_then_sets_a_password_and_logs_in(
    page, live_server, hr, make_user, deliver, mailbox
):
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("leader",))
    log_in(page, live_server, hr)

    page.goto(live_server + "/admin/users/new")
    page.locator("#name").fill("Nora Ny")
    page.locator("#email").fill("nora.ny@example.no")
    page.locator("#is_leader").check()
    page.locator("#leader_id").select_option(value=str(leader_id))
    submit(page)

    expect(page).to_have_url(live_server + "/admin/")
    row = page.locator("tbody tr", has=page.locator("td", has_text="nora.ny@example.no"))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("Nora Ny")
    expect(row.locator("td").nth(3)).to_have_text("Lars Leder")

    deliver()
    [welcome] = mailbox.to("nora.ny@example.no")
    body = text_of(welcome)
    link = re.search(r"https://medsamtale\.test\.example(/password/set/[\w-]+)", body)
    assert link, body

    # She opens the link from the email (on the test server rather than the public host).
    page.context.clear_cookies()
    page.goto(live_server + link.group(1))
    new_password = "nora-sitt-passord"
    page.locator("#password").fill(new_password)
    page.locator("#confirm").fill(new_password)
    submit(page)
    expect(page).to_have_url(login_url(live_server))

    log_in(page, live_server, "nora.ny@example.no", new_password)
    expect(page.locator("header .who")).to_have_text("Nora Ny")
    expect(page.locator('header nav a[href="/admin/"]')).to_have_count(0)


def test_duplicate_email_is_shown_next_to_the_field(page, live_server, hr, make_user):
    make_user("Ola Nordmann", "ola@example.no")
    log_in(page, live_server, hr)

    page.goto(live_server + "/admin/users/new")
    page.locator("#name").fill("Ola Andre")
    page.locator("#email").fill("ola@example.no")
    submit(page)

    expect(page.locator("#email-errors")).to_be_visible()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", re.compile("email-errors"))
    expect(page.locator("#name")).to_have_value("Ola Andre")
    expect(page.locator("#email")).to_have_value("ola@example.no")
    expect(page).to_have_url(live_server + "/admin/users/new")

    page.goto(live_server + "/admin/")
    expect(page.locator("tbody tr", has_text="ola@example.no")).to_have_count(1)
    expect(page.locator("tbody", has_text="Ola Andre")).to_have_count(0)


# htmx ----------------------------------------------------------------------------------------


class TestHtmxWithoutTheCdn:
    """With the CDN configured but unreachable, the vendored copy of htmx is loaded."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "HTMX_CDN_URL": CDN_URL}

    def test_the_vendored_htmx_is_loaded(self, page, live_server):
        cdn_requests = []

        def block(route):
            cdn_requests.append(route.request.url)
            route.abort()

        page.route("**/cdn.jsdelivr.net/**", block)
        with page.expect_request(f"**{VENDORED_HTMX}") as vendored:
            page.goto(live_server + "/login")
        assert urlsplit(vendored.value.url).path == VENDORED_HTMX
        assert vendored.value.response().ok
        expect(page.locator(f'script[src="{CDN_URL}"]')).to_have_count(1)
        wait_for_htmx(page)
        assert page.evaluate("typeof htmx") == "object"
        assert cdn_requests == [CDN_URL]


def test_htmx_moves_a_question_with_the_csrf_header(app, page, live_server, hr):
    # `init` is a plain click command: the `flask` command pushes an app context for it,
    # the test runner (which invokes app.cli directly) does not.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["init", "--organisation", "Test AS"])
    assert result.exit_code == 0, result.output
    log_in(page, live_server, hr)

    page.goto(live_server + "/admin/questions/")
    url = page.url
    theme = page.locator("#bank details.theme").first
    theme.locator("summary").first.click()  # themes are folded until opened
    questions = theme.locator("li.question")
    ids = questions.evaluate_all("items => items.map(item => item.id)")
    assert len(ids) >= 2, ids
    page.evaluate("window.marker = 1")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    move_down = questions.first.locator('form[action$="/move"]')
    expect(move_down).to_have_count(1)
    with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        move_down.locator("button[type=submit]").click()
    response = moved.value
    assert response.status == 200
    assert response.request.headers.get("x-csrftoken") == token
    assert response.request.headers.get("hx-request") == "true"

    expect(questions.first).to_have_id(ids[1])
    expect(questions.nth(1)).to_have_id(ids[0])
    assert page.url == url
    assert page.evaluate("window.marker") == 1

    # The new order is saved: a full reload shows it too.
    page.reload()
    expect(questions.first).to_have_id(ids[1])
    expect(questions.nth(1)).to_have_id(ids[0])


# Language and layout -------------------------------------------------------------------------


def test_language_choice_is_saved_on_the_account(page, live_server, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    log_in(page, live_server, "kari@example.no")
    expect(page.locator("html")).to_have_attribute("lang", "nb")

    page.locator('header button[name="locale"][value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server + "/")
    expect(page.locator('header button[name="locale"][value="nb"]')).to_be_visible()

    # Log out and forget the browser's session: the choice comes from the account.
    log_out(page, live_server)
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    log_in(page, live_server, "kari@example.no")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header .who")).to_have_text("Kari Nordmann")


def test_login_form_fits_a_phone(page, live_server):
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(live_server + "/login")
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("#password")).to_be_visible()
    expect(page.locator("main form button[type=submit]")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#email").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
