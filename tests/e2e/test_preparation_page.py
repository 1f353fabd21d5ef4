"""End-to-end: the employee's preparation page as a person uses it (issue 13): ready on the
first click after autosaving, double clicks that do one thing once, the limit of ten said
where the person is, the picker by keyboard alone, and a page that fits a phone and a
busy person (folded themes, picks beside the menu, a filter that searches the prompts).

Elements are found by ids, names, classes, form actions and data attributes, never by
translated text.
"""

import re

import pytest
from playwright.sync_api import expect

from medsamtale.models import Conversation, Pick
from tests.a11y import axe_problems
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import expect_order, outbox, posted, row, wait_for_htmx

pytestmark = pytest.mark.e2e

MAX_PICKS = 10


def count_is(n: int) -> re.Pattern:
    return re.compile(rf"^\s*{n}(?!\d)")


def pick_button(page, question_id: int):
    return page.locator(f'#question-{question_id} form[action$="/picks"] button[type=submit]')


def ready_button(page):
    return page.locator('form[action$="/ready"] button[type=submit]')


def menu_ids(page) -> list[int]:
    ids = page.locator("#picker li.menu-question").evaluate_all("found => found.map(e => e.id)")
    return [int(i.removeprefix("question-")) for i in ids]


def theme_ids(page) -> list[int]:
    return [int(i) for i in page.locator("#picker details.theme").evaluate_all(
        "found => found.map(e => e.dataset.themeId)")]


def open_all_themes(page):
    """Open every theme, as a person does with the menu's own button."""
    page.locator("[data-themes=open]").click()
    expect(page.locator("#picker details.theme:not([open])")).to_have_count(0)


def pick(page, question_id: int, status: int = 200):
    with page.expect_response(posted("/picks")) as answered:
        pick_button(page, question_id).click()
    assert answered.value.status == status


def picks_of(app, conversation_id) -> list[int]:
    """The question ids picked, in order, from the database."""
    from sqlalchemy import select

    from medsamtale.extensions import db

    with app.app_context():
        return list(db.session.scalars(
            select(Pick.question_id).where(Pick.conversation_id == conversation_id)
            .order_by(Pick.position, Pick.id)))


def ready_mails(app) -> int:
    return len([m for m in outbox(app) if m.recipient == EMAILS["lars"]])


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


@pytest.fixture
def anne(page, live_server, people, make_conversation):
    """Anne's preparation for her conversation with Lars, open in her browser; returns
    (conversation id, URL)."""
    conversation_id = make_conversation(people["anne"], days=20, sent=True)
    log_in(page, live_server, EMAILS["anne"])
    url = f"{live_server}/prepare/{conversation_id}"
    page.goto(url)
    wait_for_htmx(page)
    return conversation_id, url


# Bug 1: ready on the first click -----------------------------------------------------------


def test_ready_is_taken_on_the_first_click_after_picks_notes_and_topics(app, page, anne):
    conversation_id, url = anne
    open_all_themes(page)
    first, second = menu_ids(page)[:2]
    pick(page, first)
    pick(page, second)
    pick_id = page.locator("#picker li.pick").first.get_attribute("id").removeprefix("pick-")
    with page.expect_response(posted(f"/picks/{pick_id}/note")) as saved:
        page.locator(f"#note-{pick_id}").fill("Jeg vil snakke om kurs.")
    assert saved.value.status == 200
    with page.expect_response(posted("/topics")) as saved:
        page.locator("#topics").fill("Hjemmekontor\nNytt tastatur")
    assert saved.value.status == 200
    before = ready_mails(app)

    ready_button(page).click()  # once
    expect(page.locator("#ready-heading")).to_be_visible()
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".flash-success")).to_have_count(1)
    assert row(app, Conversation, conversation_id)["state"] == "ready"
    assert ready_mails(app) == before + 1
    assert picks_of(app, conversation_id) == [first, second]


def test_a_real_change_by_the_leader_still_makes_ready_refused_next_to_the_button(
        app, page, anne):
    """Lars moves the conversation while Anne's page is open: her ready is refused, she is
    told why next to the button, and nothing changes."""
    from medsamtale.conversations import services
    from medsamtale.extensions import db

    conversation_id, url = anne
    open_all_themes(page)
    pick(page, menu_ids(page)[0])
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        services.change(conversation, place="Møterom 5")
        db.session.commit()
    before = ready_mails(app)
    with page.expect_response(posted("/ready")) as answered:
        ready_button(page).click()
    assert answered.value.status == 409
    expect(page.locator("#step-error")).not_to_be_empty()
    expect(page.locator("#step-error")).to_be_in_viewport()
    assert row(app, Conversation, conversation_id)["state"] == "preparing"
    assert ready_mails(app) == before
    assert page.url == url


# Bad input: double clicks ------------------------------------------------------------------


def test_a_double_click_picks_once_and_says_ready_once(app, page, anne):
    conversation_id, _url = anne
    open_all_themes(page)
    question_id = menu_ids(page)[0]
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    pick_button(page, question_id).dblclick()
    expect(page.locator("#picker #pick-count")).to_have_text(count_is(1))
    page.wait_for_timeout(500)  # a second request, had there been one, would be answered now
    expect(page.locator("#picker-error")).to_have_count(0)
    expect(page.locator("#picker li.pick")).to_have_count(1)
    assert picks_of(app, conversation_id) == [question_id]
    assert len([p for p in posts if p.endswith("/picks")]) == 1, posts

    before = ready_mails(app)
    ready_button(page).dblclick()
    expect(page.locator("#ready-heading")).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator("#step-error")).to_be_empty()
    assert row(app, Conversation, conversation_id)["state"] == "ready"
    assert ready_mails(app) == before + 1
    assert len([p for p in posts if p.endswith("/ready")]) == 1, posts


# Bug 2: ten, and a refusal where the person acted ------------------------------------------


def test_at_ten_every_pick_button_is_disabled_with_the_reason_and_a_refusal_shows_by_the_click(
        app, page, anne):
    conversation_id, url = anne
    other_tab = page.context.new_page()  # opened before the picks: it does not know of them
    other_tab.goto(url)
    wait_for_htmx(other_tab)
    open_all_themes(other_tab)

    open_all_themes(page)
    questions = menu_ids(page)
    for question_id in questions[:MAX_PICKS]:
        pick(page, question_id)
    expect(page.locator("#picker #pick-count")).to_have_text(count_is(MAX_PICKS))

    # Every remaining "Pick" is disabled, and says why in a reason that is shown.
    buttons = page.locator('#picker form[action$="/picks"] button[type=submit]')
    assert buttons.count() == len(questions) - MAX_PICKS
    for index in range(buttons.count()):
        button = buttons.nth(index)
        expect(button).to_be_disabled()
        reason = button.get_attribute("aria-describedby").split()[-1]
        expect(page.locator(f"#{reason}.pick-limit")).to_be_visible()
    expect(page.locator("#picker .picks-column .pick-limit")).to_be_visible()

    # In the tab that did not know, a pick far down the menu is refused: the reason is
    # said right there, as an alert, and that tab now shows the ten.
    far = questions[-1]
    other_tab.locator(f"#question-{far}").scroll_into_view_if_needed()
    with other_tab.expect_response(posted("/picks")) as refused:
        pick_button(other_tab, far).click()
    assert refused.value.status == 409
    alert = other_tab.locator(f"#question-{far} #picker-error[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_be_in_viewport()
    assert focused_id(other_tab) == "picker-error"
    expect(other_tab.locator("#picker li.pick")).to_have_count(MAX_PICKS)
    expect(pick_button(other_tab, far)).to_be_disabled()
    assert picks_of(app, conversation_id) == questions[:MAX_PICKS]
    # All of it open, the ten, the reasons and the refusal: WCAG 2.1 AA holds.
    assert [str(problem) for problem in axe_problems(other_tab)] == []


# Keyboard and focus ------------------------------------------------------------------------


def tab_to(page, element_id: str, key: str = "Tab", most: int = 60) -> int:
    """Press `key` until `element_id` has the focus; returns how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press(key)
        if focused_id(page) == element_id:
            return presses
    raise AssertionError(f"{element_id} not reached with {key}; at {focused_id(page)}")


def htmx_ready(page) -> None:
    """Wait until htmx has taken over the focused button's form after a swap; on a loaded
    machine a key pressed before then submits the form without htmx (it still works, as a
    page load, but the focus starts again from the top)."""
    page.wait_for_function(
        "() => { const form = document.activeElement?.closest('form');"
        " return !!form?._htmx && !document.querySelector('.htmx-request, .htmx-settling'); }")


def test_the_picker_by_keyboard_alone(app, page, anne):
    conversation_id, _url = anne
    first_theme = theme_ids(page)[0]
    tab_to(page, f"summary-{first_theme}")
    page.keyboard.press("Enter")  # the theme opens
    expect(page.locator(f"#theme-{first_theme}")).to_have_attribute("open", "")
    questions = menu_ids(page)  # in menu order; the first theme's come first
    q1, q2, q3, q4 = questions[:4]

    assert tab_to(page, f"choose-{q1}") == 1
    with page.expect_response(posted("/picks")):
        page.keyboard.press("Enter")
    expect(page.locator(f"#choose-{q2}")).to_be_focused()  # the next question's "Pick"
    htmx_ready(page)
    with page.expect_response(posted("/picks")):
        page.keyboard.press("Space")
    expect(page.locator(f"#choose-{q3}")).to_be_focused()
    htmx_ready(page)
    assert tab_to(page, f"choose-{q4}") <= 3  # past the third, to the fourth
    with page.expect_response(posted("/picks")):
        page.keyboard.press("Enter")
    picks = page.locator("#picker ol#picks > li.pick")
    expect_order(picks, "data-question-id", [q1, q2, q4])
    pick_ids = [int(p.removeprefix("pick-")) for p in
                picks.evaluate_all("found => found.map(e => e.id)")]

    # Reorder: back to the first pick's "Move down", which keeps the focus.
    tab_to(page, f"down-{pick_ids[0]}", key="Shift+Tab")
    with page.expect_response(posted("/move")):
        page.keyboard.press("Enter")
    expect_order(picks, "data-question-id", [q2, q1, q4])
    expect(page.locator(f"#down-{pick_ids[0]}")).to_be_focused()

    # Remove the last: the focus goes to the pick that is now last.
    tab_to(page, f"remove-{pick_ids[2]}")
    with page.expect_response(posted("/remove")):
        page.keyboard.press("Space")
    expect_order(picks, "data-question-id", [q2, q1])
    expect(page.locator(f"#pick-{pick_ids[0]}")).to_be_focused()
    assert picks_of(app, conversation_id) == [q2, q1]


# Fits a person -----------------------------------------------------------------------------


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_picker_folds_its_themes_and_stands_beside_the_picks_on_a_wide_screen(app, page,
                                                                                  anne):
    conversation_id, url = anne
    page.set_viewport_size({"width": 1280, "height": 800})
    themes = theme_ids(page)
    assert len(themes) > 3, themes
    expect(page.locator("#picker details.theme[open]")).to_have_count(0)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2600, height  # it was over 8,000 px with every question shown

    # A theme opened stays open across a reload; the others stay closed.
    page.locator(f"#summary-{themes[1]}").click()
    expect(page.locator(f"#theme-{themes[1]}")).to_have_attribute("open", "")
    question_id = int(page.locator(f"#theme-{themes[1]} li.menu-question").first
                      .get_attribute("id").removeprefix("question-"))
    pick(page, question_id)  # and across a swap of the picker
    expect(page.locator(f"#theme-{themes[1]}")).to_have_attribute("open", "")
    page.reload()
    expect(page.locator(f"#theme-{themes[1]}")).to_have_attribute("open", "")
    expect(page.locator("#picker details.theme[open]")).to_have_count(1)

    # The picks stand beside the menu, at its top.
    picks_box = page.locator("#picker .picks-column").bounding_box()
    menu_box = page.locator("#picker .menu-column").bounding_box()
    assert picks_box["x"] > menu_box["x"] + menu_box["width"] - 1, (picks_box, menu_box)
    assert abs(picks_box["y"] - menu_box["y"]) < 40, (picks_box, menu_box)
    assert scroll_width(page) <= 1280


def a_word_only_in_a_prompt(page) -> tuple[str, int]:
    """A word of some question's follow-up prompts that is in no question's text or theme
    name, and the questions whose prompts have it."""
    items = page.locator("#picker li.menu-question").evaluate_all(
        """found => found.map(item => ({
            id: item.id,
            own: (item.closest('.theme').querySelector('h4').textContent + ' ' +
                  item.querySelector('.question-text').textContent).toLowerCase(),
            prompts: Array.from(item.querySelectorAll('details li'),
                                li => li.textContent).join(' ').toLowerCase(),
        }))""")
    own = " ".join(item["own"] for item in items)
    for item in items:
        for word in sorted(set(re.findall(r"\w{6,}", item["prompts"]))):
            if word not in own:
                return word, [int(i["id"].removeprefix("question-")) for i in items
                              if word in i["prompts"]]
    raise AssertionError("every prompt word is in some question's text")


def test_the_filter_searches_the_follow_up_prompts_too(page, anne):
    word, expected = a_word_only_in_a_prompt(page)
    with page.expect_response(lambda r: "q=" in r.url):
        page.locator("#filter-q").fill(word)
    expect(page.locator("#picker li.menu-question")).to_have_count(len(expected))
    assert menu_ids(page) == expected
    # The matching themes open, and so do the prompts that matched.
    prompts = page.locator(f"#question-{expected[0]} details.prompts")
    expect(prompts).to_be_visible()
    expect(prompts).to_have_attribute("open", "")


def test_the_pages_fit_a_phone(app, page, anne, contexts, live_server):
    conversation_id, url = anne
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_for_htmx(page)
    assert scroll_width(page) <= 390
    open_all_themes(page)
    questions = menu_ids(page)
    for question_id in questions[:3]:
        pick(page, question_id)
    assert scroll_width(page) <= 390, scroll_width(page)
    # On a phone the picks come first, above the menu, in their order.
    picks_box = page.locator("#picker .picks-column").bounding_box()
    menu_box = page.locator("#picker .menu-column").bounding_box()
    assert picks_box["y"] + picks_box["height"] <= menu_box["y"] + 1, (picks_box, menu_box)
    expect_order(page.locator("#picker li.pick"), "data-question-id", questions[:3])
    ready_button(page).click()
    expect(page.locator("#ready-heading")).to_be_visible()
    assert scroll_width(page) <= 390

    lars = contexts()
    lars.set_viewport_size({"width": 390, "height": 844})
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(f"{live_server}/prepare/{conversation_id}/leader")
    expect(lars.locator("li.pick")).to_have_count(3)
    assert scroll_width(lars) <= 390, scroll_width(lars)
