"""The look in a real browser: the organisation's colour and logo reach the page through
the CSP, the header fits a phone with the account's pages grouped under the name, and a
printed page is the content alone."""

from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import Organisation
from medsamtale.models.people import darker
from tests.fixtures.browser import log_in
from tests.test_branding import png


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


def brand(app, colour="#1f5c3a"):
    with app.app_context():
        organisation = Organisation(name="Fjordvik kommune")
        organisation.set_branding(png(40, 20), False, colour)
        db.session.add(organisation)
        db.session.commit()


def test_the_organisations_colour_and_logo_are_used(app, page, live_server, make_user):
    brand(app)
    make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    log_in(page, live_server, "hr@example.no")
    page.goto(live_server + "/admin/organisation")
    header = page.locator("header.site-header")
    expect(header).to_have_css("background-color", rgb(darker("#1f5c3a")))
    expect(page.locator("main form button[type=submit]")).to_have_css(
        "background-color", rgb("#1f5c3a"))
    logo = page.locator("header img.brand-logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 40


def test_without_branding_the_page_has_medsamtales_own_blue(app, page, live_server, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    log_in(page, live_server, "kari@example.no")
    expect(page.locator("header.site-header")).to_have_css("background-color", rgb("#073763"))
    expect(page.locator("header img")).to_have_count(0)


def test_the_header_fits_a_phone_and_groups_the_account(page, live_server, make_user):
    make_user("Hanne Haugen-Kristiansen", "hr@example.no", roles=("hr_admin",))
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server, "hr@example.no")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The account's pages are behind the name; logging out is one button.
    menu_link = page.get_by_role("link", name="Bytt passord")
    expect(menu_link).to_be_hidden()
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    page.locator("header .account-menu summary").click()
    expect(menu_link).to_be_visible()
    box = menu_link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    menu_link.click()
    expect(page.locator("main h1")).to_contain_text("passord")


def test_a_printed_page_is_the_content_alone(page, live_server, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    log_in(page, live_server, "kari@example.no")
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("footer.site-footer")).to_be_hidden()
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main h1")).to_have_css("color", "rgb(0, 0, 0)")
    assert page.locator("main button:visible").count() == 0
