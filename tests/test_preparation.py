"""Preparing for the conversation: the employee's ten questions, notes and topics, ready,
the leader's own preparation, who may see what, and reminders (R4, R5, R10)."""

import re
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import Conversation, Pick, Question, QuestionSet
from medsamtale.preparation.reminders import queue_preparation_reminders

from .fixtures.app import EMAILS, OUTSIDERS, logged_in
from .helpers import (
    HX,
    assert_block,
    assert_template,
    flashed_error,
    new_mail,
    outbox_count,
    text_of,
)

LONG = "x" * 2001


# Helpers ------------------------------------------------------------------------------------


def question_ids(app, set_id):
    """The ids of a set's questions in use, in menu order."""
    with app.app_context():
        question_set = db.session.get(QuestionSet, set_id)
        return [q.id for t in question_set.themes if not t.retired
                for q in t.questions if not q.retired]


def question_text(app, question_id):
    with app.app_context():
        return db.session.get(Question, question_id).text


def in_page(text):
    """How `text` appears in a rendered page."""
    return str(escape(text))


def picks(app, conversation_id):
    """The conversation's picks in order: (id, question id, employee note, leader note)."""
    with app.app_context():
        return [
            (p.id, p.question_id, p.employee_note, p.leader_note)
            for p in db.session.scalars(
                select(Pick).where(Pick.conversation_id == conversation_id)
                .order_by(Pick.position, Pick.id)
            )
        ]


def picked(app, conversation_id):
    return [question_id for _id, question_id, _e, _l in picks(app, conversation_id)]


def pick_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Pick.id)))


def conversation(app, conversation_id):
    with app.app_context():
        c = db.session.get(Conversation, conversation_id)
        return {"state": c.state, "employee_topics": c.employee_topics,
                "leader_topics": c.leader_topics, "employee_ready": c.employee_ready_at is not None,
                "leader_ready": c.leader_ready_at is not None}


def everything(app, conversation_id):
    """All there is to change: the picks, the conversation and the outbox."""
    return picks(app, conversation_id), conversation(app, conversation_id), outbox_count(app)


def pick(client, conversation_id, question_id, q="", htmx=True):
    return client.post(f"/prepare/{conversation_id}/picks",
                       data={"question_id": question_id, "q": q}, headers=HX if htmx else {})


def move(client, conversation_id, pick_id, step, htmx=True):
    return client.post(f"/prepare/{conversation_id}/picks/{pick_id}/move",
                       data={"step": step}, headers=HX if htmx else {})


def remove(client, conversation_id, pick_id, htmx=True):
    return client.post(f"/prepare/{conversation_id}/picks/{pick_id}/remove",
                       headers=HX if htmx else {})


def page_picks(page):
    """The question ids of the li.pick elements, in page order."""
    return [int(i) for i in re.findall(r'<li class="pick"[^>]*data-question-id="(\d+)"', page)]


def page_menu(page):
    """The question ids of the li.menu-question elements, in page order."""
    return [int(i) for i in re.findall(r'<li class="menu-question[^"]*" id="question-(\d+)"',
                                       page)]


def shown_count(page):
    text = re.search(r'<strong id="pick-count">(.*?)</strong>', page).group(1)
    return int(re.search(r"(\d+)\D+10", text).group(1))


def accepted(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert 'id="picker-error"' not in page
    return page


def refused(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page
    assert 'id="picker-error"' in page
    return page


@pytest.fixture
def anne(people, make_conversation, client):
    """Anne's conversation with Lars (standard set, invited); `client` is Anne's."""
    conversation_id = make_conversation(people["anne"])
    logged_in(client, EMAILS["anne"])
    return conversation_id


@pytest.fixture
def standard(app, question_bank):
    return question_ids(app, question_bank["standard"])


# Picker limits ------------------------------------------------------------------------------


def test_ten_picks_are_accepted_and_the_eleventh_refused(app, client, anne, standard,
                                                         rendered):
    for n, question_id in enumerate(standard[:10], start=1):
        page = accepted(pick(client, anne, question_id))
        assert_block(rendered, "preparation/prepare.html", "picker")
        assert shown_count(page) == n
        assert page_picks(page) == standard[:n]

    page = refused(pick(client, anne, standard[10]))
    assert shown_count(page) == 10
    assert page_picks(page) == standard[:10]
    assert picked(app, anne) == standard[:10]

    # Without htmx: back to the page with a message, and no new row.
    flashed_error(client, pick(client, anne, standard[10], htmx=False))
    assert picked(app, anne) == standard[:10]
    assert pick_count(app) == 10


def test_the_same_question_twice_is_refused(app, client, anne, standard):
    accepted(pick(client, anne, standard[0]))
    page = refused(pick(client, anne, standard[0]))
    assert page_picks(page) == [standard[0]]
    flashed_error(client, pick(client, anne, standard[0], htmx=False))
    assert picked(app, anne) == [standard[0]]


def test_a_retired_question_is_not_offered_and_cannot_be_picked(app, client, anne, standard):
    retired = standard[3]
    with app.app_context():
        db.session.get(Question, retired).retire()
        db.session.commit()
    page = accepted(client.get(f"/prepare/{anne}"))
    assert retired not in page_menu(page)
    assert f'id="question-{retired}"' not in page
    assert page_menu(page) == [q for q in standard if q != retired]

    refused(pick(client, anne, retired))
    assert pick_count(app) == 0


def test_a_retired_themes_questions_are_not_offered_and_cannot_be_picked(
    app, client, anne, question_bank
):
    with app.app_context():
        theme = db.session.get(QuestionSet, question_bank["standard"]).themes[1]
        gone = [q.id for q in theme.questions]
        theme.retire()
        db.session.commit()
    assert gone
    page = accepted(client.get(f"/prepare/{anne}"))
    assert not set(gone) & set(page_menu(page))
    refused(pick(client, anne, gone[0]))
    assert pick_count(app) == 0


def test_a_question_from_another_set_is_refused(app, client, anne, question_bank):
    loft = question_ids(app, question_bank["loft"])
    page = accepted(client.get(f"/prepare/{anne}"))
    assert not set(loft) & set(page_menu(page))
    refused(pick(client, anne, loft[0]))
    flashed_error(client, pick(client, anne, loft[0], htmx=False))
    assert pick_count(app) == 0


@pytest.mark.parametrize("question_id", ["999999", "abc", "", "-1"])
def test_an_unknown_question_is_refused(app, client, anne, standard, question_id):
    refused(pick(client, anne, question_id))
    flashed_error(client, pick(client, anne, question_id, htmx=False))
    assert pick_count(app) == 0
    assert conversation(app, anne)["state"] == "invited"


# Order --------------------------------------------------------------------------------------


def test_picks_are_listed_in_order_and_can_be_moved(app, client, anne, standard):
    chosen = [standard[5], standard[0], standard[12]]
    for question_id in chosen:
        accepted(pick(client, anne, question_id))
    page = accepted(client.get(f"/prepare/{anne}"))
    assert page_picks(page) == chosen
    ids = [pick_id for pick_id, *_ in picks(app, anne)]

    # The last one up: [a, c, b]
    page = accepted(move(client, anne, ids[2], -1))
    assert page_picks(page) == [chosen[0], chosen[2], chosen[1]]
    # The first one down: [c, a, b]
    page = accepted(move(client, anne, ids[0], 1))
    assert page_picks(page) == [chosen[2], chosen[0], chosen[1]]
    # It lasts: a fresh page and the database agree.
    assert picked(app, anne) == [chosen[2], chosen[0], chosen[1]]
    assert page_picks(client.get(f"/prepare/{anne}").get_data(as_text=True)) == [
        chosen[2], chosen[0], chosen[1]
    ]


def test_moving_past_either_end_is_refused(app, client, anne, standard):
    for question_id in standard[:3]:
        accepted(pick(client, anne, question_id))
    first, _middle, last = [pick_id for pick_id, *_ in picks(app, anne)]
    before = picks(app, anne)
    page = refused(move(client, anne, first, -1))
    assert page_picks(page) == standard[:3]
    refused(move(client, anne, last, 1))
    refused(move(client, anne, first, 2))
    refused(move(client, anne, first, 0))
    flashed_error(client, move(client, anne, first, -1, htmx=False))
    assert picks(app, anne) == before


def test_remove_then_pick_again(app, client, anne, standard):
    for question_id in standard[:3]:
        accepted(pick(client, anne, question_id))
    middle = picks(app, anne)[1][0]
    page = accepted(remove(client, anne, middle))
    assert page_picks(page) == [standard[0], standard[2]]
    assert shown_count(page) == 2
    # Removed twice: refused, nothing changes.
    refused(remove(client, anne, middle))
    page = accepted(pick(client, anne, standard[1]))
    # Picked again, it goes last.
    assert page_picks(page) == [standard[0], standard[2], standard[1]]
    assert picked(app, anne) == [standard[0], standard[2], standard[1]]


def test_a_pick_of_another_conversation_cannot_be_touched(
    app, client, as_, people, make_conversation, anne, standard
):
    bjorns = make_conversation(people["bjorn"])
    accepted(pick(as_("bjorn"), bjorns, standard[0]))
    accepted(pick(as_("bjorn"), bjorns, standard[1]))
    bjorn_pick = picks(app, bjorns)[1][0]

    accepted(pick(client, anne, standard[0]))
    accepted(pick(client, anne, standard[1]))
    before = picks(app, bjorns), picks(app, anne)
    refused(remove(client, anne, bjorn_pick))
    refused(move(client, anne, bjorn_pick, -1))
    response = client.post(f"/prepare/{anne}/picks/{bjorn_pick}/note", data={"note": "Hei"},
                           headers=HX)
    assert response.status_code == 409
    assert (picks(app, bjorns), picks(app, anne)) == before


# Notes, topics and the filter ---------------------------------------------------------------


def test_notes_and_topics_are_saved_and_shown_again(app, client, anne, standard, rendered):
    accepted(pick(client, anne, standard[0]))
    accepted(pick(client, anne, standard[1]))
    pick_id = picks(app, anne)[1][0]
    response = client.post(f"/prepare/{anne}/picks/{pick_id}/note",
                           data={"note": "  Jeg vil snakke om kurs i Python.  "}, headers=HX)
    assert response.status_code == 200
    assert 'class="saved"' in response.get_data(as_text=True)
    assert_template(rendered, "_saved.html")
    response = client.post(f"/prepare/{anne}/topics",
                           data={"topics": "Hjemmekontor\nNytt tastatur"}, headers=HX)
    assert response.status_code == 200

    assert picks(app, anne)[1][2] == "Jeg vil snakke om kurs i Python."
    assert conversation(app, anne)["employee_topics"] == "Hjemmekontor\nNytt tastatur"
    page = accepted(client.get(f"/prepare/{anne}"))
    assert re.search(rf'<textarea id="note-{pick_id}"[^>]*>Jeg vil snakke om kurs i Python\.'
                     r"</textarea>", page)
    assert re.search(r'<textarea id="topics"[^>]*>Hjemmekontor\nNytt tastatur</textarea>', page)

    # Without htmx too: back to the page.
    response = client.post(f"/prepare/{anne}/picks/{pick_id}/note",
                           data={"note": "Endret", "anchor": f"#pick-{pick_id}"})
    assert response.status_code == 302
    assert response.location == f"/prepare/{anne}#pick-{pick_id}"
    assert picks(app, anne)[1][2] == "Endret"


def test_a_too_long_note_or_topics_is_refused(app, client, anne, standard):
    accepted(pick(client, anne, standard[0]))
    pick_id = picks(app, anne)[0][0]
    client.post(f"/prepare/{anne}/picks/{pick_id}/note", data={"note": "Først"}, headers=HX)
    client.post(f"/prepare/{anne}/topics", data={"topics": "Første"}, headers=HX)
    before = everything(app, anne)

    # A text over its limit fails the form's validation: 422, as for any form.
    response = client.post(f"/prepare/{anne}/picks/{pick_id}/note", data={"note": LONG},
                           headers=HX)
    assert response.status_code == 422
    assert 'class="errors"' in response.get_data(as_text=True)
    response = client.post(f"/prepare/{anne}/topics", data={"topics": LONG}, headers=HX)
    assert response.status_code == 422
    flashed_error(client, client.post(f"/prepare/{anne}/picks/{pick_id}/note",
                                      data={"note": LONG}))
    flashed_error(client, client.post(f"/prepare/{anne}/topics", data={"topics": LONG}))
    assert everything(app, anne) == before
    # Exactly the limit is fine.
    response = client.post(f"/prepare/{anne}/picks/{pick_id}/note", data={"note": "y" * 2000},
                           headers=HX)
    assert response.status_code == 200
    assert picks(app, anne)[0][2] == "y" * 2000


def a_word_of_one_question(app, set_id):
    """(word, question id): a word found in one question alone (its text, prompts, theme)."""
    with app.app_context():
        themes = db.session.get(QuestionSet, set_id).themes
        haystacks = {
            q.id: " ".join([t.name, q.text, *(p.text for p in q.prompts)]).lower()
            for t in themes for q in t.questions
        }
        for t in themes:
            for q in t.questions:
                for word in re.findall(r"\w{6,}", q.text.lower()):
                    if [i for i, text in haystacks.items() if word in text] == [q.id]:
                        return word, q.id
    raise AssertionError("no word belongs to one question alone")


def test_the_filter_shows_only_matching_questions(app, client, anne, question_bank, standard,
                                                  rendered):
    word, question_id = a_word_of_one_question(app, question_bank["standard"])
    page = accepted(client.get(f"/prepare/{anne}", query_string={"q": word}))
    assert_template(rendered, "preparation/prepare.html")
    assert page_menu(page) == [question_id]
    assert page.count('class="menu-question') == 1

    # Upper case and surrounding space make no difference; htmx gets the picker block alone.
    response = client.get(f"/prepare/{anne}", query_string={"q": f"  {word.upper()} "},
                          headers=HX)
    block = accepted(response)
    assert_block(rendered, "preparation/prepare.html", "picker")
    assert block.lstrip().startswith('<div id="picker">')
    assert page_menu(block) == [question_id]

    nothing = accepted(client.get(f"/prepare/{anne}", query_string={"q": "zzqqxx"}))
    assert page_menu(nothing) == []
    everything_page = accepted(client.get(f"/prepare/{anne}"))
    assert page_menu(everything_page) == standard


def test_picking_from_a_filtered_menu_keeps_the_filter(app, client, anne, question_bank):
    word, question_id = a_word_of_one_question(app, question_bank["standard"])
    page = accepted(pick(client, anne, question_id, q=word))
    assert page_picks(page) == [question_id]
    assert page_menu(page) == [question_id]
    assert re.search(rf'<li class="menu-question picked" id="question-{question_id}"', page)


# Without JavaScript ------------------------------------------------------------------------


def test_without_javascript_changes_redirect_back_and_show(app, client, anne, standard):
    response = pick(client, anne, standard[0], q="arbeid", htmx=False)
    assert response.status_code == 302
    assert response.location == f"/prepare/{anne}?q=arbeid"
    response = pick(client, anne, standard[1], htmx=False)
    assert response.location == f"/prepare/{anne}"
    response = client.post(f"/prepare/{anne}/picks",
                           data={"question_id": standard[2], "anchor": f"#question-{standard[2]}"})
    assert response.location == f"/prepare/{anne}#question-{standard[2]}"
    page = client.get(f"/prepare/{anne}").get_data(as_text=True)
    assert page_picks(page) == standard[:3]
    assert shown_count(page) == 3
    assert "flash-error" not in page

    first, second, third = [pick_id for pick_id, *_ in picks(app, anne)]
    response = client.post(f"/prepare/{anne}/picks/{third}/move", data={"step": -1, "q": "x"})
    assert response.status_code == 302
    assert response.location == f"/prepare/{anne}?q=x"
    page = client.get(f"/prepare/{anne}").get_data(as_text=True)
    assert page_picks(page) == [standard[0], standard[2], standard[1]]

    response = remove(client, anne, first, htmx=False)
    assert response.status_code == 302
    assert response.location == f"/prepare/{anne}"
    page = client.get(response.location).get_data(as_text=True)
    assert page_picks(page) == [standard[2], standard[1]]
    assert "flash-error" not in page


# Ready, and who sees what -------------------------------------------------------------------


def test_the_leader_sees_the_picks_only_when_the_employee_is_ready(
    app, client, as_, anne, standard, deliver, mailbox
):
    new_mail(deliver, mailbox)
    chosen = [standard[7], standard[2], standard[20]]
    for question_id in chosen:
        accepted(pick(client, anne, question_id))
    first = picks(app, anne)[0][0]
    note = "Privat: jeg vurderer å søke annen stilling."
    client.post(f"/prepare/{anne}/picks/{first}/note", data={"note": note}, headers=HX)
    client.post(f"/prepare/{anne}/topics", data={"topics": "Fleksitid-ønsket"}, headers=HX)
    texts = [in_page(question_text(app, q)) for q in chosen]

    lars = as_("lars")
    for url in (f"/prepare/{anne}/leader", f"/conversations/{anne}"):
        response = lars.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        for text in texts:
            assert text not in page, url
        assert in_page(note) not in page
        assert "Fleksitid-ønsket" not in page
        assert 'class="pick"' not in page
    # A note on a pick is refused before the employee is ready.
    response = lars.post(f"/prepare/{anne}/leader/picks/{first}/note",
                         data={"note": "For tidlig"}, headers=HX)
    assert response.status_code == 409
    assert picks(app, anne)[0][3] == ""

    response = client.post(f"/prepare/{anne}/ready")
    assert response.status_code == 302
    assert response.location == f"/prepare/{anne}"
    assert conversation(app, anne)["employee_ready"]
    messages = deliver()
    assert [m["To"] for m in messages] == [EMAILS["lars"]]
    assert f"/conversations/{anne}" in text_of(messages[0])

    page = lars.get(f"/prepare/{anne}/leader").get_data(as_text=True)
    positions = [page.index(text) for text in texts]
    assert positions == sorted(positions)
    assert page.count('<li class="pick"') == 3
    assert "Fleksitid-ønsket" in page
    assert in_page(note) not in page
    assert in_page(note) not in lars.get(f"/conversations/{anne}").get_data(as_text=True)


def test_the_employee_cannot_change_while_ready_until_reopened(app, client, anne, standard):
    for question_id in standard[:2]:
        accepted(pick(client, anne, question_id))
    first, second = [pick_id for pick_id, *_ in picks(app, anne)]
    assert client.post(f"/prepare/{anne}/ready").status_code == 302
    before = everything(app, anne)

    refused(pick(client, anne, standard[2]))
    refused(remove(client, anne, first))
    refused(move(client, anne, second, -1))
    for url, data in ((f"/prepare/{anne}/picks/{first}/note", {"note": "Nytt"}),
                      (f"/prepare/{anne}/topics", {"topics": "Nytt"})):
        assert client.post(url, data=data, headers=HX).status_code == 409
    flashed_error(client, pick(client, anne, standard[2], htmx=False))
    # Ready twice: refused, no second email.
    flashed_error(client, client.post(f"/prepare/{anne}/ready"))
    assert everything(app, anne) == before

    page = client.get(f"/prepare/{anne}").get_data(as_text=True)
    assert 'id="question-' in page
    assert f'/prepare/{anne}/picks"' not in page  # no Pick buttons while ready

    assert client.post(f"/prepare/{anne}/reopen").status_code == 302
    assert conversation(app, anne)["state"] == "preparing"
    accepted(pick(client, anne, standard[2]))
    assert picked(app, anne) == standard[:3]
    # Reopening what is open is refused.
    flashed_error(client, client.post(f"/prepare/{anne}/reopen"))


def test_ready_needs_a_pick(app, client, anne):
    flashed_error(client, client.post(f"/prepare/{anne}/ready"))
    assert conversation(app, anne)["state"] == "invited"
    assert not conversation(app, anne)["employee_ready"]


def test_the_leaders_notes_and_topics_stay_the_leaders(app, client, as_, anne, standard):
    for question_id in standard[:2]:
        accepted(pick(client, anne, question_id))
    client.post(f"/prepare/{anne}/ready")
    first = picks(app, anne)[0][0]

    lars = as_("lars")
    leader_note = "Husk å ta opp lønnsrammen."
    response = lars.post(f"/prepare/{anne}/leader/picks/{first}/note",
                         data={"note": leader_note}, headers=HX)
    assert response.status_code == 200
    assert 'class="saved"' in response.get_data(as_text=True)
    response = lars.post(f"/prepare/{anne}/leader/topics",
                         data={"topics": "Omorganisering-planen"}, headers=HX)
    assert response.status_code == 200
    assert picks(app, anne)[0][3] == leader_note
    assert conversation(app, anne)["leader_topics"] == "Omorganisering-planen"
    page = lars.get(f"/prepare/{anne}/leader").get_data(as_text=True)
    assert in_page(leader_note) in page and "Omorganisering-planen" in page

    # Too long: refused, nothing saved.
    before = everything(app, anne)
    response = lars.post(f"/prepare/{anne}/leader/picks/{first}/note", data={"note": LONG},
                         headers=HX)
    assert response.status_code == 422
    flashed_error(lars, lars.post(f"/prepare/{anne}/leader/topics", data={"topics": LONG}))
    assert everything(app, anne) == before

    # Leader ready, and undone.
    assert lars.post(f"/prepare/{anne}/leader/ready").status_code == 302
    assert conversation(app, anne)["leader_ready"]
    assert lars.post(f"/prepare/{anne}/leader/ready", data={"ready": "0"}).status_code == 302
    assert not conversation(app, anne)["leader_ready"]

    page = client.get(f"/prepare/{anne}").get_data(as_text=True)
    assert in_page(leader_note) not in page
    assert "Omorganisering-planen" not in page


# Access -------------------------------------------------------------------------------------


def employee_requests(conversation_id, pick_id, question_id):
    return [
        ("post", f"/prepare/{conversation_id}/picks", {"question_id": question_id}),
        ("post", f"/prepare/{conversation_id}/picks/{pick_id}/remove", {}),
        ("post", f"/prepare/{conversation_id}/picks/{pick_id}/move", {"step": -1}),
        ("post", f"/prepare/{conversation_id}/picks/{pick_id}/note", {"note": "Inntrenger"}),
        ("post", f"/prepare/{conversation_id}/topics", {"topics": "Inntrenger"}),
        ("post", f"/prepare/{conversation_id}/ready", {}),
        ("post", f"/prepare/{conversation_id}/reopen", {}),
    ]


def leader_requests(conversation_id, pick_id):
    return [
        ("get", f"/prepare/{conversation_id}/leader", None),
        ("post", f"/prepare/{conversation_id}/leader/picks/{pick_id}/note",
         {"note": "Inntrenger"}),
        ("post", f"/prepare/{conversation_id}/leader/topics", {"topics": "Inntrenger"}),
        ("post", f"/prepare/{conversation_id}/leader/ready", {}),
        ("post", f"/prepare/{conversation_id}/leader/ready", {"ready": "0"}),
    ]


@pytest.mark.parametrize("who", [*OUTSIDERS, "lars"])
def test_only_the_employee_may_use_the_employee_pages(app, client, as_, anne, standard, who):
    for question_id in standard[:2]:
        accepted(pick(client, anne, question_id))
    pick_id = picks(app, anne)[1][0]
    before = everything(app, anne)

    other = as_(who)
    assert other.get(f"/prepare/{anne}").status_code == 403
    assert other.get(f"/prepare/{anne}", headers=HX).status_code == 403
    for method, url, data in employee_requests(anne, pick_id, standard[2]):
        for headers in (HX, {}):
            response = getattr(other, method)(url, data=data, headers=headers)
            assert response.status_code == 403, (who, url)
    assert everything(app, anne) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_leader_may_use_the_leader_pages(app, client, as_, anne, standard, who):
    for question_id in standard[:2]:
        accepted(pick(client, anne, question_id))
    client.post(f"/prepare/{anne}/ready")
    pick_id = picks(app, anne)[0][0]
    before = everything(app, anne)

    other = as_(who)
    for method, url, data in leader_requests(anne, pick_id):
        for headers in (HX, {}):
            response = getattr(other, method)(url, data=data, headers=headers)
            assert response.status_code == 403, (who, url)
    assert everything(app, anne) == before


def test_the_employee_may_not_use_the_leader_pages(app, client, anne, standard):
    accepted(pick(client, anne, standard[0]))
    client.post(f"/prepare/{anne}/ready")
    before = everything(app, anne)
    for method, url, data in leader_requests(anne, picks(app, anne)[0][0]):
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert everything(app, anne) == before


def test_anonymous_is_sent_to_log_in(app, client, people, make_conversation, standard):
    conversation_id = make_conversation(people["anne"])
    before = everything(app, conversation_id)
    requests = [("get", f"/prepare/{conversation_id}", None),
                *employee_requests(conversation_id, 1, standard[0]),
                *leader_requests(conversation_id, 1)]
    for method, url, data in requests:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, url
        assert response.location.startswith("/login"), url
    assert everything(app, conversation_id) == before


def test_an_unknown_conversation_is_not_found(client, anne):
    assert client.get(f"/prepare/{anne + 1000}").status_code == 404
    assert pick(client, anne + 1000, 1).status_code == 404


# Reminders ----------------------------------------------------------------------------------


def remind(app):
    with app.app_context():
        return queue_preparation_reminders()


def test_both_are_reminded_once_the_day_before(
    app, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=1)
    new_mail(deliver, mailbox)

    assert remind(app) == 2
    messages = deliver()
    assert sorted(m["To"] for m in messages) == [EMAILS["anne"], EMAILS["lars"]]
    assert f"/prepare/{conversation_id}" in text_of(mailbox.to(EMAILS["anne"])[0])
    assert f"/conversations/{conversation_id}" in text_of(mailbox.to(EMAILS["lars"])[0])

    before = outbox_count(app)
    assert remind(app) == 0
    assert outbox_count(app) == before
    assert len(deliver()) == 2


def test_only_the_leader_is_reminded_when_the_employee_is_ready(
    app, as_, people, make_conversation, standard, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=1)
    accepted(pick(as_("anne"), conversation_id, standard[0]))
    as_("anne").post(f"/prepare/{conversation_id}/ready")
    assert conversation(app, conversation_id)["state"] == "ready"
    new_mail(deliver, mailbox)

    assert remind(app) == 1
    assert [m["To"] for m in deliver()] == [EMAILS["lars"]]


def test_only_the_employee_is_reminded_when_the_leader_is_ready(
    app, as_, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=1)
    assert as_("lars").post(f"/prepare/{conversation_id}/leader/ready").status_code == 302
    new_mail(deliver, mailbox)

    assert remind(app) == 1
    assert [m["To"] for m in deliver()] == [EMAILS["anne"]]


def test_reminders_come_as_many_days_ahead_as_configured(
    app, people, make_conversation, deliver, mailbox
):
    make_conversation(people["anne"], days=5)
    new_mail(deliver, mailbox)
    assert app.config["PREPARATION_REMINDER_DAYS"] == 2
    assert remind(app) == 0
    assert deliver() == []

    app.config["PREPARATION_REMINDER_DAYS"] = 7
    assert remind(app) == 2
    assert sorted(m["To"] for m in deliver()) == [EMAILS["anne"], EMAILS["lars"]]


def test_no_reminders_for_a_conversation_not_sent_or_past(
    app, people, make_conversation, deliver, mailbox
):
    make_conversation(people["anne"], days=1, sent=False)
    conversation_id = make_conversation(people["dag"], days=1)
    with app.app_context():
        db.session.get(Conversation, conversation_id).starts_at -= timedelta(days=2)
        db.session.commit()
    new_mail(deliver, mailbox)
    assert remind(app) == 0
    assert deliver() == []


def test_outbox_send_queues_and_sends_the_reminders(
    app, runner, people, make_conversation, deliver, mailbox
):
    make_conversation(people["dag"], days=1)
    new_mail(deliver, mailbox)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "reminders 2" in result.output
    assert sorted(m["To"] for m in mailbox.messages) == [EMAILS["dag"], EMAILS["lena"]]
    result = runner.invoke(args=["outbox", "send"])
    assert "reminders 0" in result.output
    assert len(mailbox.messages) == 2


# Query counts -------------------------------------------------------------------------------


def queries(count_queries, request):
    with count_queries() as statements:
        response = request()
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements)


def test_the_page_takes_as_many_queries_however_many_picks_and_questions(
    app, client, anne, standard, question_bank, count_queries
):
    def page():
        return client.get(f"/prepare/{anne}")

    client.get(f"/prepare/{anne}")  # warm up
    none = queries(count_queries, page)
    for question_id in standard[:10]:
        accepted(pick(client, anne, question_id))
    ten = queries(count_queries, page)
    assert ten == none

    with app.app_context():
        theme = db.session.get(QuestionSet, question_bank["standard"]).themes[0]
        for n in range(40):
            question = Question(theme=theme, text=f"Ekstra spørsmål nummer {n}?",
                                position=100 + n)
            question.replace_prompts([f"Oppfølging {n}a", f"Oppfølging {n}b"])
            db.session.add(question)
        db.session.commit()
    bigger = queries(count_queries, page)
    assert "Ekstra spørsmål nummer 39?" in page().get_data(as_text=True)
    assert bigger == none


def test_picking_takes_as_many_queries_however_many_picks(
    app, client, anne, standard, count_queries
):
    accepted(pick(client, anne, standard[0]))
    one = queries(count_queries, lambda: pick(client, anne, standard[1]))
    for question_id in standard[2:9]:
        accepted(pick(client, anne, question_id))
    assert len(picks(app, anne)) == 9
    nine = queries(count_queries, lambda: pick(client, anne, standard[9]))
    assert len(picks(app, anne)) == 10
    assert nine == one


def test_the_leader_page_takes_as_many_queries_however_many_picks(
    app, as_, people, make_conversation, standard, count_queries
):
    counts = []
    lars = as_("lars")
    for who, how_many in (("anne", 1), ("bjorn", 10)):
        conversation_id = make_conversation(people[who])
        for question_id in standard[:how_many]:
            accepted(pick(as_(who), conversation_id, question_id))
        as_(who).post(f"/prepare/{conversation_id}/ready")
        url = f"/prepare/{conversation_id}/leader"
        lars.get(url)  # warm up
        counts.append(queries(count_queries, partial(lars.get, url)))
        page = lars.get(url).get_data(as_text=True)
        assert page.count('<li class="pick"') == how_many
    assert counts[0] == counts[1]


# States -------------------------------------------------------------------------------------


def test_the_state_follows_the_preparation(app, client, anne, standard):
    assert conversation(app, anne)["state"] == "invited"
    page = accepted(client.get(f"/prepare/{anne}"))
    assert "state-invited" in page
    accepted(pick(client, anne, standard[0]))
    assert conversation(app, anne)["state"] == "preparing"
    client.post(f"/prepare/{anne}/ready")
    assert conversation(app, anne)["state"] == "ready"
    assert "state-ready" in client.get(f"/prepare/{anne}").get_data(as_text=True)
    client.post(f"/prepare/{anne}/reopen")
    assert conversation(app, anne)["state"] == "preparing"


def test_a_conversation_not_yet_sent_is_not_the_employees_to_see(
    app, as_, people, make_conversation, standard
):
    conversation_id = make_conversation(people["anne"], sent=False)
    before = everything(app, conversation_id)
    anne = as_("anne")
    assert anne.get(f"/prepare/{conversation_id}").status_code == 404
    for method, url, data in employee_requests(conversation_id, 1, standard[0]):
        assert getattr(anne, method)(url, data=data, headers=HX).status_code == 404, url
    assert everything(app, conversation_id) == before
    assert conversation(app, conversation_id)["state"] == "planned"


# Stale pages: only what really conflicts (issue 13) -----------------------------------------


def ready_version(page: str) -> str:
    """The version the page's "ready" form carries."""
    form = re.search(r'<form[^>]*action="/prepare/\d+/ready".*?</form>', page, re.S).group(0)
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def test_the_pages_own_autosaves_and_the_leaders_preparation_leave_ready_fresh(
        app, client, as_, anne, standard, deliver, mailbox):
    version = ready_version(accepted(client.get(f"/prepare/{anne}")))
    new_mail(deliver, mailbox)
    # Anne picks, reorders, removes, writes a note and her topics on that page …
    for question_id in standard[:3]:
        accepted(pick(client, anne, question_id))
    ids = [pick_id for pick_id, *_ in picks(app, anne)]
    accepted(move(client, anne, ids[2], -1))
    accepted(remove(client, anne, ids[0]))
    assert client.post(f"/prepare/{anne}/picks/{ids[1]}/note", data={"note": "Kurs"},
                       headers=HX).status_code == 200
    assert client.post(f"/prepare/{anne}/topics", data={"topics": "Hjemmekontor"},
                       headers=HX).status_code == 200
    # … and Lars writes his own topics and marks himself prepared, which she cannot see.
    lars = as_("lars")
    assert lars.post(f"/prepare/{anne}/leader/topics", data={"topics": "Budsjett"},
                     headers=HX).status_code == 200
    assert lars.post(f"/prepare/{anne}/leader/ready").status_code == 302

    response = client.post(f"/prepare/{anne}/ready", data={"version": version})
    assert response.status_code == 302
    assert "flash-error" not in client.get(response.location).get_data(as_text=True)
    assert conversation(app, anne)["state"] == "ready"
    assert [m["To"] for m in deliver()] == [EMAILS["lars"]]


WHAT_CHANGED = {
    "moved": "Tid, sted eller varighet for samtalen ble endret etter at du åpnet denne siden.",
    "cancelled": "Samtalen ble avlyst etter at du åpnet denne siden.",
    "reopened elsewhere": "Forberedelsen ble åpnet igjen etter at du åpnet denne siden.",
}


@pytest.mark.parametrize("what", ["moved", "cancelled", "reopened elsewhere"])
def test_ready_from_a_page_older_than_a_real_change_is_refused(app, client, anne, standard,
                                                               what, deliver, mailbox):
    from medsamtale.conversations import services as conversations

    accepted(pick(client, anne, standard[0]))
    if what == "reopened elsewhere":  # ready in another tab, and open again there
        assert client.post(f"/prepare/{anne}/ready").status_code == 302
        assert client.post(f"/prepare/{anne}/reopen").status_code == 302
    version = ready_version(accepted(client.get(f"/prepare/{anne}")))
    with app.app_context():
        found = db.session.get(Conversation, anne)
        if what == "moved":
            conversations.change(found, starts_at=found.starts_at + timedelta(days=1))
        elif what == "cancelled":
            conversations.cancel(found)
        else:
            found.employee_ready_at = None
            found.record_change("reopened")  # as a second "ready" and "reopen" would
        db.session.commit()
    new_mail(deliver, mailbox)
    before = everything(app, anne)
    page = flashed_error(client, client.post(f"/prepare/{anne}/ready", data={"version": version}))
    # The message says what changed, and that nothing was saved.
    assert WHAT_CHANGED[what] in page and "Ingenting ble lagret" in page
    assert everything(app, anne) == before
    assert deliver() == []


def test_ready_through_htmx_loads_the_page_again_or_says_why_next_to_the_button(
        app, client, anne, standard):
    accepted(pick(client, anne, standard[0]))
    version = ready_version(accepted(client.get(f"/prepare/{anne}")))
    response = client.post(f"/prepare/{anne}/ready", data={"version": version}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/prepare/{anne}"
    page = client.get(f"/prepare/{anne}").get_data(as_text=True)
    assert "flash-success" in page and 'id="ready-heading"' in page
    before = everything(app, anne)

    # The same again (a second click that got through): refused, beside the button.
    response = client.post(f"/prepare/{anne}/ready", data={"version": version}, headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#step-error"
    assert 'class="errors' in response.get_data(as_text=True)
    assert everything(app, anne) == before
    assert 'id="step-error"' in page  # next to the "open again" button


# Where a refusal is said, and where focus goes (issue 13) -----------------------------------


class Ancestors(HTMLParser):
    """The ids of the elements around the element with id `target`, innermost first."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "wbr"}

    def __init__(self, target):
        super().__init__()
        self.target, self.stack, self.found = target, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == self.target and self.found is None:
            self.found = [i for _tag, i in reversed(self.stack) if i]
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def around(page: str, element_id: str) -> list[str]:
    parser = Ancestors(element_id)
    parser.feed(page)
    assert parser.found is not None, f"no #{element_id}"
    return parser.found


def focused(page: str) -> list[str]:
    """The ids of the elements the answer gives autofocus."""
    return re.findall(r'id="([\w-]+)"[^>]*\sautofocus\b', page)


def test_a_refusal_is_said_next_to_the_control_used(app, client, anne, standard):
    accepted(pick(client, anne, standard[0]))
    page = refused(pick(client, anne, standard[0]))  # picked already
    assert around(page, "picker-error")[0] == f"question-{standard[0]}"
    assert 'role="alert" id="picker-error"' in page
    assert focused(page) == ["picker-error"]

    only = picks(app, anne)[0][0]
    page = refused(move(client, anne, only, -1))
    assert around(page, "picker-error")[0] == f"pick-{only}"
    assert focused(page) == ["picker-error"]

    page = refused(remove(client, anne, only + 1000))  # not among the picks: at the top
    assert around(page, "picker-error")[0] == "picker"


def test_focus_goes_to_the_next_sensible_control_after_each_change(app, client, anne, standard,
                                                                   question_bank):
    with app.app_context():
        themes = [[q.id for q in t.questions]
                  for t in db.session.get(QuestionSet, question_bank["standard"]).themes]
        theme_ids = [t.id for t in db.session.get(QuestionSet, question_bank["standard"]).themes]
    first = themes[0]
    # After a pick: the next question's "Pick", skipping those already picked.
    assert focused(accepted(pick(client, anne, first[0]))) == [f"choose-{first[1]}"]
    accepted(pick(client, anne, first[2]))
    assert focused(accepted(pick(client, anne, first[1]))) == [f"choose-{first[3]}"]
    # After the theme's last: the next theme.
    assert focused(accepted(pick(client, anne, first[-1]))) == [f"summary-{theme_ids[1]}"]

    ids = [pick_id for pick_id, *_ in picks(app, anne)]  # first[0], first[2], first[1], last
    # A move keeps the focus on its button, or the other way's at an end.
    assert focused(accepted(move(client, anne, ids[1], 1))) == [f"down-{ids[1]}"]
    assert focused(accepted(move(client, anne, ids[1], 1))) == [f"up-{ids[1]}"]
    # A removal gives it to the pick that took its place, or the last, or the menu.
    assert focused(accepted(remove(client, anne, ids[0]))) == [f"pick-{ids[2]}"]
    assert focused(accepted(remove(client, anne, ids[1]))) == [f"pick-{ids[3]}"]
    accepted(remove(client, anne, ids[2]))
    assert focused(accepted(remove(client, anne, ids[3]))) == ["menu-heading"]
    # A page opened plainly focuses nothing.
    assert focused(accepted(client.get(f"/prepare/{anne}"))) == []


def test_at_ten_every_pick_button_is_disabled_with_its_reason(app, client, anne, standard):
    for question_id in standard[:9]:
        accepted(pick(client, anne, question_id))
    page = accepted(client.get(f"/prepare/{anne}"))
    assert "disabled" not in re.findall(r'<button[^>]*id="choose-\d+"[^>]*>', page)[0]
    assert 'class="pick-limit"' not in page

    page = accepted(pick(client, anne, standard[9]))
    buttons = re.findall(r'<button[^>]*id="choose-\d+"[^>]*>', page)
    assert len(buttons) == len(standard) - 10
    for button in buttons:
        assert " disabled" in button
        reason = re.search(r'aria-describedby="[^"]*(limit-\d+)"', button).group(1)
        assert f'id="{reason}"' in page
    assert focused(page)[0].startswith("limit-")
    # Removing one opens them again.
    page = accepted(remove(client, anne, picks(app, anne)[0][0]))
    assert not any(" disabled" in b for b in re.findall(r'<button[^>]*id="choose-\d+"[^>]*>',
                                                        page))


# Folded themes: which are open --------------------------------------------------------------


def open_themes(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<details class="theme" id="theme-(\d+)"[^>]*\sopen', page)]


def test_the_themes_open_are_those_remembered_acted_in_or_matched(app, client, anne,
                                                                  question_bank):
    with app.app_context():
        themes = db.session.get(QuestionSet, question_bank["standard"]).themes
        theme_ids = [t.id for t in themes]
        in_third = themes[2].questions[0].id
    assert open_themes(accepted(client.get(f"/prepare/{anne}"))) == []
    client.set_cookie("picker_open", f"{theme_ids[1]}.{theme_ids[3]}.999999", path="/prepare")
    assert open_themes(accepted(client.get(f"/prepare/{anne}"))) == [theme_ids[1], theme_ids[3]]
    # The theme a pick came from is open in the answer.
    page = accepted(pick(client, anne, in_third))
    assert open_themes(page) == [theme_ids[1], theme_ids[2], theme_ids[3]]
    # Whatever the cookie holds, the page is the same as without it.
    for junk in ("abc", "--'<x>", "1" * 3000, ".".join(["7"] * 500)):
        client.set_cookie("picker_open", junk, path="/prepare")
        accepted(client.get(f"/prepare/{anne}"))
    # Filtered, every theme with a match is open, and so are the prompts that matched.
    client.delete_cookie("picker_open", path="/prepare")
    word, question_id = a_word_of_one_question(app, question_bank["standard"])
    page = accepted(client.get(f"/prepare/{anne}", query_string={"q": word}))
    assert len(open_themes(page)) == 1
    assert '<details class="prompts" open>' not in page
    with app.app_context():
        question = db.session.get(Question, question_id)
        prompt_words = [w for p in question.prompts for w in re.findall(r"\w{7,}", p.text.lower())]
        text = question.text.lower()
    prompt_only = next((w for w in prompt_words if w not in text), None)
    if prompt_only:
        page = accepted(client.get(f"/prepare/{anne}", query_string={"q": prompt_only}))
        assert re.search(rf'id="question-{question_id}".*?<details class="prompts" open>', page,
                         re.S)
