"""End-to-end: the home pages of each role and the people list fit a phone (390 px wide, no
horizontal scroll), and the people list follows a search as it is typed, through htmx,
without reloading the page and with the address showing the search.

Elements are found by ids, classes and hrefs, never by translated text alone.
"""

import re

import pytest
from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import User
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import wait_for_htmx

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
MARKER = "window.__samePeoplePage"


def fits(page) -> bool:
    """No horizontal scroll, of the page or inside it: every element of the main content
    ends within the screen (a table scrolling in its wrapper would not)."""
    widest = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('main *'),"
        " e => e.getBoundingClientRect().right))")
    return (page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            and widest <= PHONE["width"])


@pytest.mark.parametrize("who", ["lars", "anne", "hr"])
def test_each_home_page_fits_a_phone(app, people, live_server, contexts, make_conversation,
                                     held_conversation, who):
    make_conversation(people["bjorn"], sent=False)
    held_conversation(people["anne"])
    with app.app_context():  # long names and addresses, as real ones can be
        for n in range(3):
            db.session.add(User(name=f"Kristoffer Andreas Mikkelsen-Øvrebø {n}",
                                email=f"kristoffer.andreas.mikkelsen.ovrebo{n}@fjordvik.kommune.no",
                                leader_id=people["lars"]))
        db.session.commit()
    page = contexts()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, EMAILS[who])
    section = {"lars": "#people", "anne": "#own", "hr": "#admin"}[who]
    expect(page.locator(section)).to_be_visible()
    if who == "lars":
        # Stacked rows: each person is a card with the plan button inside the screen.
        button = page.locator("#people tbody tr .next-step .button").first
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert fits(page)


def test_the_people_list_searches_as_it_is_typed_and_fits_a_phone(
    app, people, live_server, contexts
):
    with app.app_context():
        for n in range(70):
            db.session.add(User(name=f"Person {n:03d}", email=f"p{n:03d}@example.no"))
        db.session.add(User(name="Ørjan Åsheim", email="orjan@example.no"))
        db.session.commit()
    page = contexts()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, EMAILS["hr"])
    page.goto(live_server + "/admin/")
    wait_for_htmx(page)
    assert fits(page)
    expect(page.locator(".pager")).to_be_visible()
    expect(page.locator("#people tbody tr")).to_have_count(50)
    page.evaluate(f"{MARKER} = true")

    page.locator("#q").press_sequentially("ØRJ", delay=50)
    expect(page.locator("#people tbody tr")).to_have_count(1)
    expect(page.locator("#people tbody")).to_contain_text("orjan@example.no")
    expect(page.locator(".pager")).to_have_count(0)
    assert page.evaluate(MARKER) is True  # no reload: htmx swapped the list
    expect(page).to_have_url(re.compile(re.escape(live_server + "/admin/?q=%C3%98RJ")))
    expect(page.locator("#q")).to_be_focused()

    page.locator("#q").fill("")
    page.locator("#role").select_option("hr_admin")
    expect(page.locator("#people tbody tr")).to_have_count(1)
    expect(page.locator("#people tbody")).to_contain_text(EMAILS["hr"])
    assert fits(page)
