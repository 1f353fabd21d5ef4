"""Follow-up of the agreed actions between conversations (issue 5, R14, R7): each party's
home page lists the open actions, either party records progress or marks one done with a
comment, reminders go out before and after a deadline, and the next conversation's agenda
starts with them. Checked by ids, classes and people's own text, never translated text.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from medsamtale.agenda import meeting
from medsamtale.extensions import db
from medsamtale.followup.reminders import queue_action_reminders
from medsamtale.models import Action, ActionUpdate, AgendaItem, Conversation
from medsamtale.models.agenda import FOLLOW_UP
from medsamtale.timeutil import utcnow

from .fixtures.app import EMAILS, OUTSIDERS
from .fixtures.domain import agree_actions
from .helpers import HX, assert_block, has_field_error, new_mail, text_of


@pytest.fixture
def agreed(app, people, held_conversation):
    """Anne's held conversation with Lars, two approved actions; returns (conv id, ids)."""
    conversation_id = held_conversation(people["anne"])
    return conversation_id, agree_actions(app, conversation_id, ("Ta kurs i Excel", 30),
                                  ("Mentor for ny kollega", 90))


def action_ids_on_home(page: str) -> list[str]:
    import re

    return re.findall(r'<li id="action-(\d+)" class="followup-action', page)


def test_both_parties_see_the_open_actions_on_their_home_page_soonest_first(app, as_, agreed):
    _conversation, (excel, mentor) = agreed
    for who in ("anne", "lars"):
        page = as_(who).get("/").get_data(as_text=True)
        assert action_ids_on_home(page) == [str(excel), str(mentor)], who
        assert "Ta kurs i Excel" in page
    for who in ("bjorn", "lena", "hr"):
        assert action_ids_on_home(as_(who).get("/").get_data(as_text=True)) == [], who


def test_actions_are_not_followed_up_before_the_minutes_are_approved(
    app, as_, people, held_conversation
):
    conversation_id = held_conversation(people["anne"])
    [action_id] = agree_actions(app, conversation_id, ("Utkast", 30), approve=False)
    assert action_ids_on_home(as_("anne").get("/").get_data(as_text=True)) == []
    response = as_("anne").post(f"/actions/{action_id}/progress",
                                data={"comment": "x", "done": "0"})
    assert response.status_code == 404


def test_either_party_records_progress_and_marks_done_with_a_comment(app, as_, agreed,
                                                                     rendered):
    _conversation, (excel, mentor) = agreed
    response = as_("lars").post(f"/actions/{excel}/progress",
                                data={"comment": "Kurset er bestilt", "done": "0"}, headers=HX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="actions"' in fragment
    assert_block(rendered, "main/home.html", "actions")
    assert "Kurset er bestilt" in fragment

    # A comment is required; what was typed is not lost (an empty one has nothing to lose).
    response = as_("anne").post(f"/actions/{excel}/progress", data={"comment": " ", "done": "1"},
                                headers=HX)
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), f"comment-{excel}")

    as_("anne").post(f"/actions/{excel}/progress",
                     data={"comment": "Fullført kurset", "done": "1"}, headers=HX)
    with app.app_context():
        action = db.session.get(Action, excel)
        assert action.done_at is not None
        updates = db.session.scalars(
            select(ActionUpdate).where(ActionUpdate.action_id == excel).order_by(ActionUpdate.id)
        ).all()
        assert [(u.author.name, u.comment, u.kind) for u in updates] == [
            ("Lars Lie", "Kurset er bestilt", "progress"), ("Anne Aas", "Fullført kurset", "done")]
    for who in ("anne", "lars"):
        assert action_ids_on_home(as_(who).get("/").get_data(as_text=True)) == [str(mentor)]
    # The history stays with the minutes, for both parties.
    for who in ("anne", "lars"):
        page = as_(who).get(f"/minutes/{_conversation}").get_data(as_text=True)
        history = page[page.index('id="followup-history"'):]
        done = history[history.index(f'id="followed-{excel}"'):]
        assert 'class="tag done"' in done[:done.index("</p>")]
        assert "Kurset er bestilt" in done and "Fullført kurset" in done
    # Marking it done twice is refused and changes nothing.
    response = as_("lars").post(f"/actions/{excel}/progress",
                                data={"comment": "igjen", "done": "1"}, follow_redirects=True)
    assert "flash-error" in response.get_data(as_text=True)


def test_a_done_action_can_be_opened_again_with_a_reason(app, as_, agreed):
    conversation_id, (excel, mentor) = agreed
    as_("anne").post(f"/actions/{excel}/progress", data={"comment": "Ferdig", "done": "1"})
    # A reason is required, and an open action cannot be "opened again".
    for action_id, comment in ((excel, " "), (mentor, "Ikke ferdig")):
        page = as_("lars").post(f"/actions/{action_id}/reopen", data={"comment": comment},
                                follow_redirects=True).get_data(as_text=True)
        assert "flash-error" in page
    with app.app_context():
        assert db.session.get(Action, excel).done_at is not None

    response = as_("lars").post(f"/actions/{excel}/reopen",
                                data={"comment": "Kurset ble avlyst"})
    assert response.headers["Location"].endswith(f"/minutes/{conversation_id}#followed-{excel}")
    with app.app_context():
        assert db.session.get(Action, excel).done_at is None
        kinds = db.session.scalars(
            select(ActionUpdate.kind).where(ActionUpdate.action_id == excel)
            .order_by(ActionUpdate.id)
        ).all()
        assert kinds == ["done", "reopened"]
    assert action_ids_on_home(as_("anne").get("/").get_data(as_text=True)) == [
        str(excel), str(mentor)]
    page = as_("anne").get(f"/minutes/{conversation_id}").get_data(as_text=True)
    assert 'class="update-reopened"' in page and "Kurset ble avlyst" in page


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_follows_up_the_actions(app, as_, agreed, who):
    _conversation, (excel, _mentor) = agreed
    response = as_(who).post(f"/actions/{excel}/progress", data={"comment": "x", "done": "1"})
    assert response.status_code == 403
    as_("anne").post(f"/actions/{excel}/progress", data={"comment": "Ferdig", "done": "1"})
    response = as_(who).post(f"/actions/{excel}/reopen", data={"comment": "x"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Action, excel).done_at is not None


def test_reminders_go_before_the_deadline_and_when_it_has_passed_once_each(
    app, agreed, deliver, mailbox
):
    _conversation, (excel, mentor) = agreed
    new_mail(deliver, mailbox)
    with app.app_context():
        app.config["ACTION_REMINDER_DAYS"] = 30
        assert queue_action_reminders() == 2  # Excel, due in 30 days: both parties
        assert queue_action_reminders() == 0
    messages = deliver()
    assert sorted(m["To"] for m in messages) == sorted([EMAILS["anne"], EMAILS["lars"]])
    assert all("Ta kurs i Excel" in text_of(m) for m in messages)
    ahead_subjects = {m["Subject"] for m in messages}

    # Thirty-one days on, the deadline has passed: one more reminder each, then no more.
    later = utcnow() + timedelta(days=31)
    with app.app_context():
        assert queue_action_reminders(later) == 2
        assert queue_action_reminders(later) == 0
        db.session.get(Action, mentor).done_at = utcnow()  # done: never reminded
        db.session.commit()
        assert queue_action_reminders(utcnow() + timedelta(days=100)) == 0
    mailbox.messages.clear()
    overdue = deliver()
    assert len(overdue) == 2
    assert {m["Subject"] for m in overdue}.isdisjoint(ahead_subjects)


def test_the_outbox_command_queues_action_reminders(app, runner, agreed, mailbox):
    with app.app_context():
        app.config["ACTION_REMINDER_DAYS"] = 40
    result = runner.invoke(args=["outbox", "send"])
    assert "reminders 2" in result.output
    assert sorted(m["To"] for m in mailbox.messages if "Excel" in text_of(m)) == sorted(
        [EMAILS["anne"], EMAILS["lars"]])


def test_the_next_conversation_starts_with_the_actions_and_their_state(
    app, as_, agreed, make_conversation, people
):
    first, (excel, mentor) = agreed
    as_("anne").post(f"/actions/{excel}/progress", data={"comment": "Ferdig", "done": "1"})
    with app.app_context():
        db.session.get(Conversation, first).starts_at = utcnow() - timedelta(days=300)
        db.session.commit()
    second = make_conversation(people["anne"])
    with app.app_context():
        conversation = db.session.get(Conversation, second)
        conversation.employee_ready_at = utcnow()
        meeting.start(conversation)
        db.session.commit()
        items = db.session.scalars(
            select(AgendaItem).where(AgendaItem.conversation_id == second)
            .order_by(AgendaItem.position)
        ).all()
        assert [(i.section, i.action_id) for i in items[:2]] == [
            (FOLLOW_UP, excel), (FOLLOW_UP, mentor)]
        assert items[0].text == "Ta kurs i Excel"
    page = as_("anne").get(f"/agenda/{second}").get_data(as_text=True)
    first_item = page[page.index(f'id="item-{items[0].id}"'):page.index(f'id="item-{items[1].id}"')]
    assert 'class="tag done"' in first_item and "Anne Aas" in first_item


def test_the_home_page_costs_the_same_for_two_actions_as_for_twelve(
    app, as_, people, held_conversation, count_queries
):
    few = held_conversation(people["anne"])
    many = held_conversation(people["dag"])
    agree_actions(app, few, *[(f"Tiltak {n}", 10 + n) for n in range(2)])
    agree_actions(app, many, *[(f"Tiltak {n}", 10 + n) for n in range(12)])
    with app.app_context():
        for action in db.session.scalars(select(Action)).all():
            db.session.add(ActionUpdate(action_id=action.id, author_id=people["lars"],
                                        comment="Godt i gang"))
        db.session.commit()

    def cost(who):
        as_(who).get("/")
        with count_queries() as statements:
            page = as_(who).get("/").get_data(as_text=True)
        return len(statements), len(action_ids_on_home(page))

    (anne_cost, anne_actions), (dag_cost, dag_actions) = cost("anne"), cost("dag")
    assert (anne_actions, dag_actions) == (2, 12)
    assert anne_cost == dag_cost
