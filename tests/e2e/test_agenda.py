"""End-to-end: the live shared agenda, edited by the leader and the employee at once.

Lars (leader) and Anne (employee) each get their own browser context, both logged in, both
on the same started agenda. static/js/agenda.js saves texts as they type and polls for the
other's changes; these tests check that each sees the other's work within two seconds and
that nothing either of them types is lost or silently overwritten.

Elements are found by ids, classes, form actions and data attributes, never by translated
text, so the tests survive changes to the catalogue.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import AgendaItem, Conversation, Pick, Question
from medsamtale.models.questions import Theme
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import expect_order, outbox_count, posted, say_ready

pytestmark = pytest.mark.e2e

LIVE = 2000  # ms: how soon a change made by one party must show on the other's screen
ARRIVAL = 1500  # ms: a party's arrival shows within a second (and a poll's round trip)
DEPARTURE = 7000  # ms: and their leaving within a few seconds
TYPING_GONE = 7000  # ms: "X is typing" shows for a few seconds after the last save
PICKS = 3
DISCUSSED = re.compile(r"\bdiscussed\b")
HERE = re.compile(r"\bhere\b")


# Set-up --------------------------------------------------------------------------------------


@pytest.fixture
def meeting(app, people, question_bank, make_conversation):
    """Anne's sent conversation with her first three questions picked; returns its id."""
    conversation_id = make_conversation(people["anne"], days=20, sent=True)
    with app.app_context():
        questions = db.session.scalars(
            sa.select(Question)
            .join(Theme)
            .where(
                Theme.question_set_id == question_bank["standard"],
                Theme.is_salary.is_(False),
                Theme.retired_at.is_(None),
                Question.retired_at.is_(None),
            )
            .order_by(Theme.position, Theme.id, Question.position, Question.id)
            .limit(PICKS)
        ).all()
        assert len(questions) == PICKS
        for position, question in enumerate(questions):
            db.session.add(Pick(conversation_id=conversation_id, question_id=question.id,
                                position=position))
        db.session.commit()
    say_ready(app, conversation_id)  # so that Lars may start it ahead of its day
    return conversation_id


@pytest.fixture
def parties(contexts, live_server, meeting):
    """(lars, anne): two pages, each logged in and on the agenda, started by Lars."""
    url = f"{live_server}/agenda/{meeting}"
    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(url)
    expect(lars.locator("#agenda")).to_have_count(0)
    start_now(lars)
    expect(lars).to_have_url(url)
    expect(items(lars)).to_have_count(PICKS)

    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(url)
    expect(items(anne)).to_have_count(PICKS)
    for page in (lars, anne):
        expect(page.locator("#agenda.live")).to_have_count(1)  # agenda.js is running
    assert item_ids(anne) == item_ids(lars)
    return lars, anne


# Helpers -------------------------------------------------------------------------------------


def start_now(page):
    """Start the meeting ahead of its day: the button asks first; say yes."""
    page.locator("#start-step summary").click()
    page.locator('#start-step form[action$="/start"] button[type=submit]').click()


def items(page):
    return page.locator("#agenda-items > li.agenda-item")


def item_ids(page) -> list[int]:
    return [int(i) for i in items(page).evaluate_all("lis => lis.map(li => li.dataset.id)")]


def expect_items(page, ids: list[int], timeout: int | None = None):
    """The agenda's items are those of `ids`, in that order."""
    expect_order(items(page), "data-id", ids, timeout)


def text_field(page, field: str, item_id: int):
    """The textarea of one text (text, employee_note or leader_note) of one item."""
    return page.locator(f"#{field}-{item_id}")


def item_form(page, item_id: int, action: str, step: int | None = None):
    """The submit button of one of the item's action forms (…/discussed, …/move)."""
    selector = f'#item-{item_id} form[action$="/{action}"]'
    if step is not None:
        selector += f':has(input[name="step"][value="{step}"])'
    return page.locator(selector + " button[type=submit]")


def text_saved(item_id: int):
    """Matches the response to a save of one of the item's texts."""
    return posted(f"/items/{item_id}/text")


def type_together(*typing):
    """Type several texts at once, one key each in turn, into the pages' focused fields:
    nobody waits for anybody else to finish."""
    for index in range(max(len(text) for _, text in typing)):
        for page, text in typing:
            if index < len(text):
                page.keyboard.type(text[index])


def stored(app, item_id: int) -> AgendaItem:
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        db.session.expunge(item)
        return item


# 1. Both edit at once, and each sees the other's changes ------------------------------------


def test_leader_and_employee_edit_at_once_and_see_each_others_changes(app, parties):
    lars, anne = parties
    first, second, third = item_ids(lars)

    # Presence: each sees that the other is here.
    for page in (lars, anne):
        expect(page.locator("#presence")).to_have_class(HERE, timeout=ARRIVAL)

    # Anne writes in item 1 while Lars writes in item 2, at the same time.
    anne_note = "Jeg vil gjerne lære mer om testing."
    lars_note = "Vi setter av tid til kurs i høst."
    text_field(anne, "employee_note", first).focus()
    text_field(lars, "leader_note", second).focus()
    type_together((anne, anne_note), (lars, lars_note))

    expect(text_field(lars, "employee_note", first)).to_have_value(anne_note, timeout=LIVE)
    expect(text_field(anne, "leader_note", second)).to_have_value(lars_note, timeout=LIVE)
    # Each keeps what they typed themselves.
    expect(text_field(anne, "employee_note", first)).to_have_value(anne_note)
    expect(text_field(lars, "leader_note", second)).to_have_value(lars_note)
    assert stored(app, first).employee_note == anne_note
    assert stored(app, second).leader_note == lars_note

    # Lars adds an item; Anne sees it, in the same place.
    new_text = "Hjemmekontor på fredager"
    lars.locator("form.add-item #new-item").fill(new_text)
    lars.locator("form.add-item button[type=submit]").click()
    expect(items(lars)).to_have_count(PICKS + 1)
    expect(lars.locator("form.add-item #new-item")).to_have_value("")
    order = item_ids(lars)
    (added,) = set(order) - {first, second, third}
    expect(text_field(lars, "text", added)).to_have_value(new_text)
    expect(text_field(anne, "text", added)).to_have_value(new_text, timeout=LIVE)
    expect_items(anne, order)

    # Anne marks item 3 discussed; Lars sees it.
    expect(anne.locator(f"#item-{third}")).not_to_have_class(DISCUSSED)
    expect(lars.locator(f"#item-{third}")).not_to_have_class(DISCUSSED)
    item_form(anne, third, "discussed").click()
    expect(anne.locator(f"#item-{third}")).to_have_class(DISCUSSED)
    expect(lars.locator(f"#item-{third}")).to_have_class(DISCUSSED, timeout=LIVE)
    assert stored(app, third).discussed

    # Nothing was ever refused or lost along the way.
    for page in (lars, anne):
        expect(page.locator("#agenda-error")).to_be_empty()
        expect(page.locator(".merge")).to_have_count(0)
    expect(text_field(anne, "employee_note", first)).to_have_value(anne_note)
    expect(text_field(anne, "leader_note", second)).to_have_value(lars_note)
    expect(text_field(lars, "employee_note", first)).to_have_value(anne_note)
    expect(text_field(lars, "leader_note", second)).to_have_value(lars_note)


# 2. Both edit the same text at once ----------------------------------------------------------


def test_both_edit_the_same_note_and_the_one_who_saves_last_merges(app, parties):
    lars, anne = parties
    item = item_ids(lars)[0]
    texts = {"lars": "Lars: vi avtaler kurs i mars.", "anne": "Anne: kurs i april passer best."}
    pages = {"lars": lars, "anne": anne}

    for page in pages.values():
        text_field(page, "leader_note", item).focus()
    with lars.expect_response(text_saved(item)) as lars_saved, \
            anne.expect_response(text_saved(item)) as anne_saved:
        type_together((lars, texts["lars"]), (anne, texts["anne"]))
    statuses = {"lars": lars_saved.value.status, "anne": anne_saved.value.status}
    assert sorted(statuses.values()) == [204, 409], statuses

    winner = next(who for who, status in statuses.items() if status == 204)
    loser = next(who for who, status in statuses.items() if status == 409)
    saved, theirs, mine = texts[winner], pages[winner], pages[loser]

    # The one whose save came second sees both texts; the other's save stands.
    merge = mine.locator(f'.merge[data-merge-item="{item}"][data-merge-field="leader_note"]')
    expect(merge).to_be_visible()
    expect(mine.locator(".merge")).to_have_count(1)
    expect(merge.locator(".theirs")).to_have_value(saved)
    expect(merge.locator(".yours")).to_have_value(texts[loser])
    expect(merge.locator('[data-merge="theirs"]')).to_be_visible()
    expect(theirs.locator(".merge")).to_have_count(0)
    assert stored(app, item).leader_note == saved
    # Neither text field lost what its owner typed.
    expect(text_field(mine, "leader_note", item)).to_have_value(texts[loser])
    expect(text_field(theirs, "leader_note", item)).to_have_value(saved)

    # The other moves on; the one with the choice combines both texts and saves that.
    text_field(theirs, "leader_note", item).blur()
    combined = f"{saved}\n{texts[loser]}"
    merge.locator(".yours").fill(combined)
    with mine.expect_response(text_saved(item)) as resolved:
        merge.locator('form [data-merge="mine"]').click()
    assert resolved.value.status == 204
    expect(mine.locator(".merge")).to_have_count(0)
    expect(text_field(mine, "leader_note", item)).to_have_value(combined)
    assert stored(app, item).leader_note == combined

    expect(text_field(theirs, "leader_note", item)).to_have_value(combined, timeout=LIVE)
    for page in pages.values():
        expect(page.locator("#agenda-error")).to_be_empty()
    expect(mine.locator(".merge")).to_have_count(0)
    expect(text_field(mine, "leader_note", item)).to_have_value(combined)


# 3. A change coming in never overwrites the text being typed -------------------------------


def test_an_incoming_change_never_overwrites_the_field_being_typed_in(app, parties):
    lars, anne = parties
    item = item_ids(lars)[0]
    original = stored(app, item).employee_note
    start, rest = "Hva trenger du ", "for å lykkes i jobben din?"
    lars_note = "Snakk om mentorordningen."

    field = text_field(anne, "employee_note", item)
    field.select_text()  # she replaces the item's text, typing slowly
    field.press_sequentially(start, delay=80)
    # Meanwhile Lars writes in another field of the same item; his note is saved and
    # reaches Anne's page while she is still typing.
    text_field(lars, "leader_note", item).fill(lars_note)
    field.press_sequentially(rest, delay=80)

    # His change has come in while she typed: it shows in his field, and not one of her
    # keys went anywhere else.
    expect(text_field(anne, "leader_note", item)).to_have_value(lars_note)
    expect(field).to_have_value(start + rest)
    expect(field).to_be_focused()

    # Her text is saved, and Lars sees it; his note still stands.
    expect(text_field(lars, "employee_note", item)).to_have_value(start + rest, timeout=LIVE)
    expect(text_field(lars, "leader_note", item)).to_have_value(lars_note)
    expect(field).to_have_value(start + rest)
    saved = stored(app, item)
    assert saved.employee_note == start + rest != original
    assert saved.leader_note == lars_note
    for page in (lars, anne):
        expect(page.locator("#agenda-error")).to_be_empty()
        expect(page.locator(".merge")).to_have_count(0)


# 4. Reordering ------------------------------------------------------------------------------


def test_a_move_shows_in_the_other_partys_order(app, parties):
    lars, anne = parties
    first, second, third = item_ids(lars)

    with lars.expect_response(lambda r: r.url.endswith(f"/items/{first}/move")) as moved:
        item_form(lars, first, "move", 1).click()
    assert moved.value.status == 200
    expect_items(lars, [second, first, third])
    expect_items(anne, [second, first, third], timeout=LIVE)

    # And the other way: Anne moves the last item up; Lars follows.
    with anne.expect_response(lambda r: r.url.endswith(f"/items/{third}/move")) as moved:
        item_form(anne, third, "move", -1).click()
    assert moved.value.status == 200
    expect_items(anne, [second, third, first])
    expect_items(lars, [second, third, first], timeout=LIVE)

    with app.app_context():
        positions = db.session.execute(
            sa.select(AgendaItem.id).where(AgendaItem.id.in_([first, second, third]))
            .order_by(AgendaItem.position)
        ).scalars().all()
    assert positions == [second, third, first]
    for page in (lars, anne):
        expect(page.locator("#agenda-error")).to_be_empty()


# 5. Who is here, and typing where -------------------------------------------------------------


def test_each_sees_the_other_arrive_type_and_leave(app, parties, contexts, live_server):
    lars, anne = parties
    item = item_ids(lars)[1]
    presence = lars.locator("#presence")
    expect(presence).to_have_class(HERE, timeout=ARRIVAL)
    expect(anne.locator("#presence")).to_have_class(HERE, timeout=ARRIVAL)

    # Anne types in the second item: Lars sees where, and only there.
    text_field(anne, "employee_note", item).focus()
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type("Jeg vil gjerne snakke om arbeidstiden.")
    expect(lars.locator(f"#typing-{item}")).not_to_be_empty(timeout=LIVE)
    for other in item_ids(lars):
        if other != item:
            expect(lars.locator(f"#typing-{other}")).to_be_empty()
    expect(lars.locator(f"#typing-{item}")).to_be_empty(timeout=TYPING_GONE)

    # She leaves: Lars sees it within a few seconds.
    anne.close()
    expect(presence).not_to_have_class(HERE, timeout=DEPARTURE)


# 6. A dropped connection loses nothing ----------------------------------------------------------


def test_what_is_typed_without_a_connection_is_saved_when_it_is_back(app, parties):
    lars, anne = parties
    item = item_ids(anne)[0]
    field = text_field(anne, "employee_note", item)
    field.focus()
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type("Før bruddet.")
    anne.context.set_offline(True)
    anne.keyboard.type(" Skrevet uten nett.")
    expect(anne.locator("#connection")).to_be_visible(timeout=LIVE)
    expect(field).to_have_value("Før bruddet. Skrevet uten nett.")
    # Meanwhile Lars writes in the same note, in a sentence of his own.
    lars_field = text_field(lars, "employee_note", item)
    expect(lars_field).to_have_value("Før bruddet.", timeout=LIVE)
    lars_field.focus()
    lars_field.press("Home")
    with lars.expect_response(text_saved(item)):
        lars.keyboard.type("Lars: ")

    with anne.expect_response(text_saved(item)) as back:
        anne.context.set_offline(False)
    assert back.value.status in (200, 204)
    expect(anne.locator("#connection")).to_be_hidden()
    expect(field).to_have_value("Lars: Før bruddet. Skrevet uten nett.", timeout=LIVE)
    assert stored(app, item).employee_note == "Lars: Før bruddet. Skrevet uten nett."
    # Lars still has his cursor in the note, typing no more: her words come in, and his
    # caret stays where it was, after his own.
    expect(lars_field).to_have_value("Lars: Før bruddet. Skrevet uten nett.", timeout=LIVE)
    expect(lars_field).to_be_focused()
    assert lars_field.evaluate("field => field.selectionStart") == len("Lars: ")
    lars_field.blur()
    expect(lars_field).to_have_value("Lars: Før bruddet. Skrevet uten nett.")
    expect(anne.locator(".merge")).to_have_count(0)


# 7. A note the other party writes in reaches a field that only has the cursor --------------


def test_a_field_with_the_cursor_and_then_left_takes_the_other_partys_text(app, parties):
    """Issue 13, the third bug: Lars has the cursor in Anne's note without typing; Anne
    writes in it; Lars leaves the field. His screen must not keep the old text."""
    lars, anne = parties
    item = item_ids(lars)[0]
    lars_field, anne_field = (text_field(page, "employee_note", item) for page in parties)
    lars_field.focus()

    anne_field.focus()
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type("Jeg vil lære mer.")
    # Lars only has the cursor there: her words come in at once, his caret where it was.
    expect(lars_field).to_have_value("Jeg vil lære mer.", timeout=LIVE)
    expect(lars_field).to_be_focused()
    assert lars_field.evaluate("field => field.selectionStart") == 0

    lars.keyboard.press("Tab")  # he leaves the field, having typed nothing
    expect(lars_field).not_to_be_focused()
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type(" Helst i vår.")
    # The field he left keeps following her: nothing was saved from it, nothing is stale.
    expect(lars_field).to_have_value("Jeg vil lære mer. Helst i vår.", timeout=LIVE)
    lars_field.focus()
    lars.keyboard.press("Tab")
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type(" Takk.")
    expect(lars_field).to_have_value("Jeg vil lære mer. Helst i vår. Takk.", timeout=LIVE)
    assert stored(app, item).employee_note == "Jeg vil lære mer. Helst i vår. Takk."
    for page in parties:
        expect(page.locator("#agenda-error")).to_be_empty()
        expect(page.locator(".merge")).to_have_count(0)


def test_a_field_changed_and_left_goes_through_the_merge(app, parties):
    """Lars types in the note while Anne's change is on its way; when he leaves it, both
    their words are kept, on both screens."""
    lars, anne = parties
    item = item_ids(lars)[0]
    lars_field, anne_field = (text_field(page, "employee_note", item) for page in parties)
    anne_field.fill("Kurs i vår.")
    expect(lars_field).to_have_value("Kurs i vår.", timeout=LIVE)

    # Lars goes offline for a moment, so that Anne's next words come while he types.
    lars.context.set_offline(True)
    lars_field.focus()
    lars_field.press("Home")
    lars.keyboard.type("Lars: ")
    anne_field.focus()
    anne_field.press("End")
    with anne.expect_response(text_saved(item)):
        anne.keyboard.type(" Gjerne i Bergen.")
    lars.context.set_offline(False)
    with lars.expect_response(text_saved(item)):
        lars.keyboard.press("Tab")
    both = "Lars: Kurs i vår. Gjerne i Bergen."
    expect(lars_field).to_have_value(both, timeout=LIVE)
    anne_field.blur()
    expect(anne_field).to_have_value(both, timeout=LIVE)
    assert stored(app, item).employee_note == both
    for page in parties:
        expect(page.locator(".merge")).to_have_count(0)


# 8. The keyboard alone, and the other party's changes in words --------------------------------


def focused(page) -> str:
    """What has the focus: its id, or the id of the item it is."""
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, most: int = 80):
    """Press Tab until the element has the focus, as a person does."""
    for _ in range(most):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus")


def test_the_agenda_works_with_the_keyboard_alone(app, parties):
    lars, anne = parties
    first, second, third = item_ids(anne)
    news = anne.locator("#agenda-news")
    expect(news).to_be_empty()

    # Anne adds an item: Tab to the field, type, Enter. The new item's text has the focus.
    tab_to(anne, "new-item")
    anne.keyboard.type("Arbeidstid i sommer")
    anne.keyboard.press("Enter")
    expect(items(anne)).to_have_count(PICKS + 1)
    (added,) = set(item_ids(anne)) - {first, second, third}
    expect(text_field(anne, "text", added)).to_be_focused()
    expect(text_field(anne, "text", added)).to_have_value("Arbeidstid i sommer")

    # She marks the second item discussed with Enter: the button keeps the focus.
    button = item_form(anne, second, "discussed")
    tab_to(anne, "new-item")  # from the end of the list, back up with Shift+Tab
    for _ in range(80):
        if button.evaluate("b => b === document.activeElement"):
            break
        anne.keyboard.press("Shift+Tab")
    anne.keyboard.press("Enter")
    expect(anne.locator(f"#item-{second}")).to_have_class(DISCUSSED)
    expect(item_form(anne, second, "discussed")).to_be_focused()

    # Lars writes a note in the third item, and adds one: Anne hears of both, in words.
    text_field(lars, "leader_note", third).fill("Vi ser på det i mai.")
    expect(news).to_contain_text("Lars", timeout=LIVE)
    expect(news).to_contain_text("3")
    text = news.inner_text()
    lars.locator("form.add-item #new-item").fill("Kontorplass")
    lars.locator("form.add-item button[type=submit]").click()
    expect(items(anne)).to_have_count(PICKS + 2, timeout=LIVE)
    expect(news).not_to_have_text(text, timeout=LIVE)
    expect(news).to_contain_text("5")
    # Nothing of that moved her focus.
    expect(item_form(anne, second, "discussed")).to_be_focused()

    # She removes her own item with the keyboard: the focus goes to the item after it.
    tab_to(anne, f"text-{added}")
    anne.keyboard.press("Shift+Tab")
    expect(item_form(anne, added, "remove")).to_be_focused()
    anne.keyboard.press("Enter")
    expect(anne.locator(f"#item-{added}")).to_have_count(0)
    expect(items(anne)).to_have_count(PICKS + 1)
    after = item_ids(anne)[-1]
    assert focused(anne) == f"item-{after}"
    expect(anne.locator("#agenda-error")).to_be_empty()


# 9. On a phone ---------------------------------------------------------------------------------


def test_the_agenda_fits_a_phone(app, parties):
    lars, anne = parties
    first = item_ids(anne)[0]
    lars.locator("form.add-item #new-item").fill("Et punkt med et svært langt ord: "
                                                 "arbeidsmiljøutviklingsprosjektgruppemøte")
    lars.locator("form.add-item button[type=submit]").click()
    expect(items(anne)).to_have_count(PICKS + 1, timeout=LIVE)
    added = item_ids(anne)[-1]

    anne.set_viewport_size({"width": 390, "height": 844})
    assert anne.evaluate("document.documentElement.scrollWidth") <= 390
    # A question's text is text to read, wrapping; an added item's stays a field to write in.
    question = anne.locator(f"#item-{first} .item-text")
    expect(question).to_be_visible()
    expect(anne.locator(f"#item-{first} textarea#text-{first}")).to_have_count(0)
    assert question.evaluate("p => p.getBoundingClientRect().height") > 30  # on several lines
    expect(text_field(anne, "text", added)).to_be_editable()
    # The two notes stand one above the other.
    employee = text_field(anne, "employee_note", first).bounding_box()
    leader = text_field(anne, "leader_note", first).bounding_box()
    assert leader["y"] > employee["y"] + employee["height"] - 1
    assert abs(leader["x"] - employee["x"]) < 2

    # On a wide screen they stand side by side.
    anne.set_viewport_size({"width": 1280, "height": 900})
    employee = text_field(anne, "employee_note", first).bounding_box()
    leader = text_field(anne, "leader_note", first).bounding_box()
    assert abs(leader["y"] - employee["y"]) < 2 and leader["x"] > employee["x"] + 100


# 10. The meeting ends on the other screen --------------------------------------------------------


def test_the_employee_sees_the_meeting_end_without_a_reload(app, parties, live_server, meeting):
    lars, anne = parties
    anne.evaluate("window.sameDocument = true")
    ended = anne.locator("#agenda-ended")
    expect(ended).to_be_empty()

    lars.goto(f"{live_server}/agenda/{meeting}/end")
    lars.locator("main form button[type=submit]").click()
    expect(lars).to_have_url(f"{live_server}/agenda/{meeting}")

    # Anne's open agenda says so, with the way to the minutes, and can no longer change.
    expect(ended).to_contain_text("Lars", timeout=LIVE)
    expect(ended.locator(f'a[href="/minutes/{meeting}"]')).to_be_visible()
    expect(anne.locator("form.add-item")).to_have_count(0)
    expect(anne.locator("#agenda-sync")).to_have_count(0)
    expect(anne.locator("#agenda-items button")).to_have_count(0)
    expect(text_field(anne, "employee_note", item_ids(anne)[0])).not_to_be_editable()
    assert anne.evaluate("window.sameDocument") is True  # no reload
    ended.locator("a").click()
    expect(anne).to_have_url(re.compile(rf"/minutes/{meeting}$"))


# 11. Asking first, and double clicks ----------------------------------------------------------


def test_starting_before_the_day_asks_first(app, contexts, live_server, meeting):
    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    url = f"{live_server}/agenda/{meeting}"
    lars.goto(url)
    step = lars.locator("#start-step")
    confirm = step.locator('form[action$="/start"] button[type=submit]')
    expect(confirm).to_be_hidden()

    # Asked, he says not now: nothing starts.
    step.locator("summary").click()
    expect(confirm).to_be_visible()
    step.locator("a.confirm-back").click()
    expect(lars.locator("#agenda")).to_have_count(0)
    expect(confirm).to_be_hidden()
    assert stored_state(app, meeting) != "in_progress"

    # Asked again, he says yes, twice in a hurry: it starts, once.
    step.locator("summary").click()
    confirm.dblclick()
    expect(lars).to_have_url(url)
    expect(items(lars)).to_have_count(PICKS)
    expect(lars.locator(".flash-error")).to_have_count(0)
    assert stored_state(app, meeting) == "in_progress"


def test_cancelling_asks_first(app, contexts, live_server, meeting):
    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(f"{live_server}/conversations/{meeting}")
    step = lars.locator("#cancel-step")
    confirm = step.locator('form[action$="/cancel"] button[type=submit]')
    step.locator("summary").click()
    expect(confirm).to_be_visible()
    step.locator("a.confirm-back").click()
    expect(confirm).to_be_hidden()
    assert stored_state(app, meeting) != "cancelled"

    step.locator("summary").click()
    confirm.click()
    expect(lars.locator(".state-cancelled")).to_be_visible()
    assert stored_state(app, meeting) == "cancelled"


def test_double_clicks_on_the_agenda_do_one_thing_once(app, parties, live_server, meeting):
    lars, anne = parties
    anne.locator("form.add-item #new-item").fill("Ett punkt")
    anne.locator("form.add-item button[type=submit]").dblclick()
    expect(items(anne)).to_have_count(PICKS + 1)
    anne.wait_for_timeout(500)
    expect(items(anne)).to_have_count(PICKS + 1)
    expect(anne.locator("#agenda-error")).to_be_empty()
    expect(items(lars)).to_have_count(PICKS + 1, timeout=LIVE)

    # Marking discussed twice in a hurry marks it, and does not take it back.
    second = item_ids(anne)[1]
    item_form(anne, second, "discussed").dblclick()
    expect(anne.locator(f"#item-{second}")).to_have_class(DISCUSSED)
    anne.wait_for_timeout(500)
    expect(anne.locator(f"#item-{second}")).to_have_class(DISCUSSED)
    assert stored(app, second).discussed

    # Ending it twice in a hurry ends it once: one email, no error.
    mails = outbox_count(app, EMAILS["anne"])
    lars.goto(f"{live_server}/agenda/{meeting}/end")
    lars.locator("main form button[type=submit]").dblclick()
    expect(lars).to_have_url(f"{live_server}/agenda/{meeting}")
    expect(lars.locator(".flash-error")).to_have_count(0)
    expect(lars.locator(".flash-success")).to_have_count(1)
    assert stored_state(app, meeting) == "held"
    assert outbox_count(app, EMAILS["anne"]) == mails + 1


def stored_state(app, conversation_id) -> str:
    with app.app_context():
        return db.session.get(Conversation, conversation_id).state
