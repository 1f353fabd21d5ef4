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
from medsamtale.models import AgendaItem, Pick, Question
from medsamtale.models.questions import Theme
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import expect_order, posted, say_ready

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
    lars.locator('main form[action$="/start"] button[type=submit]').click()
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
    original = stored(app, item).text
    start, rest = "Hva trenger du ", "for å lykkes i jobben din?"
    lars_note = "Snakk om mentorordningen."

    field = text_field(anne, "text", item)
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
    expect(text_field(lars, "text", item)).to_have_value(start + rest, timeout=LIVE)
    expect(text_field(lars, "leader_note", item)).to_have_value(lars_note)
    expect(field).to_have_value(start + rest)
    saved = stored(app, item)
    assert saved.text == start + rest != original
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
    # Lars still has his cursor in the note: her words wait until he leaves it.
    expect(lars_field).to_have_value("Lars: Før bruddet.")
    lars_field.blur()
    expect(lars_field).to_have_value("Lars: Før bruddet. Skrevet uten nett.")
    expect(anne.locator(".merge")).to_have_count(0)
