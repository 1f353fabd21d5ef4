"""End-to-end: the employee's ten-question picker, driven by a real Chromium over htmx.

Elements are found by ids, names, classes, form actions and data attributes, never by
translated text, so the tests survive changes to the catalogue.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import expect_order, ids_of

pytestmark = pytest.mark.e2e

MAX_PICKS = 10


def count_is(n: int) -> re.Pattern:
    """#pick-count's text ("3 av 10" / "3 of 10") starts with the number n."""
    return re.compile(rf"^\s*{n}(?!\d)")


def pick_button(page, question_id: int):
    return page.locator(f'#question-{question_id} form[action$="/picks"] button[type=submit]')


def move_button(pick, step: int):
    form = pick.locator(f'form[action$="/move"]:has(input[name="step"][value="{step}"])')
    return form.locator("button[type=submit]")


def pick_list(page):
    """The picks, in order (li.pick in ol#picks)."""
    return page.locator("#picker ol#picks > li.pick")


def expect_picks(page, question_ids: list[int]):
    """The picks are those of the questions `question_ids`, in that order."""
    expect_order(pick_list(page), "data-question-id", question_ids)


def menu_ids(page) -> list[int]:
    return ids_of(page.locator("#picker li.menu-question"), "question-")


@pytest.fixture
def picker(page, live_server, people, make_conversation):
    """Anne's preparation for her sent conversation with Lars, open in her browser (`page`);
    returns its URL."""
    conversation_id = make_conversation(people["anne"], days=20, sent=True)
    log_in(page, live_server, EMAILS["anne"])
    url = f"{live_server}/prepare/{conversation_id}"
    page.goto(url)
    # The themes fold; she opens them all with the menu's own button.
    page.locator("[data-themes=open]").click()
    expect(page.locator("#picker details.theme:not([open])")).to_have_count(0)
    return url


def record_posts(page) -> list:
    """Every POST request the page makes from now on."""
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    return posts


def test_employee_picks_ten_questions_cannot_pick_an_eleventh_and_reorders(page, picker):
    url = picker
    count = page.locator("#picker #pick-count")
    picks = pick_list(page)
    expect(count).to_have_text(count_is(0))
    expect(picks).to_have_count(0)
    expect(page.locator("#picker-error")).to_have_count(0)

    questions = menu_ids(page)
    assert len(questions) > MAX_PICKS, questions
    chosen, eleventh = questions[:MAX_PICKS], questions[MAX_PICKS]
    for question_id in questions:
        expect(page.locator(f"#question-{question_id}")).not_to_have_class(
            re.compile(r"\bpicked\b")
        )
        expect(pick_button(page, question_id)).to_have_count(1)

    page.evaluate("window.marker = 1")
    posts = record_posts(page)

    # Ten picks, one click each; each swap shows the new count before the next click.
    for n, question_id in enumerate(chosen, start=1):
        with page.expect_response(lambda r: r.url.endswith("/picks")) as picked:
            pick_button(page, question_id).click()
        assert picked.value.status == 200
        expect(count).to_have_text(count_is(n))
        expect(picks).to_have_count(n)
        expect(picks.last).to_have_attribute("data-question-id", str(question_id))
        expect(page.locator(f"#question-{question_id}")).to_have_class(re.compile(r"\bpicked\b"))
        expect(pick_button(page, question_id)).to_have_count(0)
    expect_picks(page, chosen)
    expect(page.locator("#picker-error")).to_have_count(0)

    # No eleventh: every other "Pick" is disabled, with the reason beside it.
    expect(pick_button(page, eleventh)).to_be_visible()
    expect(pick_button(page, eleventh)).to_be_disabled()
    reason = pick_button(page, eleventh).get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#picker #{reason}")).to_be_visible()
    expect(count).to_have_text(count_is(MAX_PICKS))
    expect(picks).to_have_count(MAX_PICKS)
    expect(page.locator(f"#question-{eleventh}")).not_to_have_class(re.compile(r"\bpicked\b"))
    expect_picks(page, chosen)

    # Reorder: the first moves down, then the last moves up.
    expect(move_button(picks.first, -1)).to_have_count(0)
    expect(move_button(picks.last, 1)).to_have_count(0)
    with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        move_button(picks.first, 1).click()
    assert moved.value.status == 200
    order = [chosen[1], chosen[0], *chosen[2:]]
    expect_picks(page, order)
    expect(page.locator("#picker-error")).to_have_count(0)

    with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        move_button(picks.last, -1).click()
    assert moved.value.status == 200
    order = [*order[:-2], order[-1], order[-2]]
    expect_picks(page, order)
    expect(count).to_have_text(count_is(MAX_PICKS))

    # All of it happened in place, by htmx: no navigation, every request marked as htmx's.
    assert page.url == url
    assert page.evaluate("window.marker") == 1
    assert len(posts) == MAX_PICKS + 2, [p.url for p in posts]
    for request in posts:
        assert request.headers.get("hx-request") == "true", request.url
        assert not request.is_navigation_request(), request.url

    # Saved: a full reload shows the same ten picks in the same order.
    page.reload()
    expect(count).to_have_text(count_is(MAX_PICKS))
    expect_picks(page, order)
    expect(page.locator("#picker-error")).to_have_count(0)
    for question_id in chosen:
        expect(page.locator(f"#question-{question_id}")).to_have_class(re.compile(r"\bpicked\b"))
    expect(pick_button(page, eleventh)).to_have_count(1)


def test_filter_narrows_the_menu_and_a_private_note_is_autosaved(page, picker):
    url = picker
    menu = page.locator("#picker li.menu-question")
    # What the filter searches, per question: its theme's name, its text and its prompts.
    searchable = menu.evaluate_all(
        """items => items.map(item => ({
            id: item.id,
            text: item.querySelector('.question-text').textContent,
            haystack: [
                item.closest('.theme').querySelector('h4').textContent,
                item.querySelector('.question-text').textContent,
                ...Array.from(item.querySelectorAll('details li'), li => li.textContent),
            ].join(' ').toLowerCase(),
        }))"""
    )
    assert len(searchable) > 1, searchable

    def matching(word):
        return [q["id"] for q in searchable if word in q["haystack"]]

    # The word from one question's text that the fewest questions share.
    words = {w for w in re.findall(r"\w{5,}", searchable[-1]["text"].lower())}
    word = min(sorted(words), key=lambda w: len(matching(w)))
    expected = matching(word)
    assert searchable[-1]["id"] in expected
    assert len(expected) < len(searchable), word

    page.evaluate("window.marker = 1")
    with page.expect_response(lambda r: "q=" in r.url) as filtered:
        page.locator("#filter-q").fill(word)
    assert filtered.value.status == 200
    assert filtered.value.request.headers.get("hx-request") == "true"
    expect(menu).to_have_count(len(expected))
    assert menu.evaluate_all("items => items.map(item => item.id)") == expected
    assert page.url == url
    assert page.evaluate("window.marker") == 1

    # Pick the question the word came from; the menu stays filtered.
    question_id = int(searchable[-1]["id"].removeprefix("question-"))
    with page.expect_response(lambda r: r.url.endswith("/picks")) as picked:
        pick_button(page, question_id).click()
    assert picked.value.status == 200
    expect(page.locator("#picker #pick-count")).to_have_text(count_is(1))
    pick = pick_list(page)
    expect(pick).to_have_count(1)
    expect(pick).to_have_attribute("data-question-id", str(question_id))
    expect(menu).to_have_count(len(expected))

    # A private note is saved as she types (autosave), without a button or a navigation.
    pick_id = int(pick.get_attribute("id").removeprefix("pick-"))
    note = "Vil snakke om kurs i Python – og om hjemmekontor."
    status = page.locator(f"#note-status-{pick_id}")
    expect(status).to_be_empty()
    with page.expect_response(lambda r: r.url.endswith(f"/picks/{pick_id}/note")) as saved:
        page.locator(f"#note-{pick_id}").fill(note)
    assert saved.value.status == 200
    assert saved.value.request.headers.get("hx-request") == "true"
    expect(status).not_to_be_empty()
    expect(status.locator(".saved")).to_have_count(1)
    expect(status.locator(".errors")).to_have_count(0)
    assert page.url == url
    assert page.evaluate("window.marker") == 1

    page.reload()
    expect(page.locator(f"#note-{pick_id}")).to_have_value(note)
    expect(pick_list(page)).to_have_count(1)
