"""What a conversation's parties keep from others (issue 12): a new leader does not inherit
the employee's past conversations, and the leader cannot open the agenda, with the
employee's private notes, before the employee is ready or the day has come."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import AgendaItem, Conversation, User
from medsamtale.timeutil import utcnow

from .fixtures.domain import agree_actions
from .helpers import HX, flashed_error, say_ready

ACTIONS = (("Ta kurs i Excel", 30), ("Mentor for ny kollega", 90))


def move_to(app, employee_id, leader_id):
    with app.app_context():
        db.session.get(User, employee_id).leader_id = leader_id
        db.session.commit()


def carry_the_last_item(app, conversation_id) -> str:
    """The held conversation carried its last item (not discussed) over; its text."""
    with app.app_context():
        item = db.session.scalars(sa.select(AgendaItem).where(
            AgendaItem.conversation_id == conversation_id).order_by(
            AgendaItem.position.desc())).first()
        item.carry_over = True
        db.session.commit()
        return item.text


@pytest.mark.parametrize("leader", ["lars", "lena"])
def test_a_new_leader_sees_that_earlier_actions_exist_not_what_they_say(
        app, people, as_, held_conversation, make_conversation, leader):
    """Anne's conversation with Lars agreed two actions and carried an item over. Her next
    agenda starts with them: with Lars, as they are; with Lena, her new leader, as actions
    from a conversation with an earlier leader, with their state, and not what they say."""
    first = held_conversation(people["anne"])
    excel, _mentor = agree_actions(app, first, *ACTIONS)
    carried = carry_the_last_item(app, first)
    as_("anne").post(f"/actions/{excel}/progress", data={"comment": "Ferdig", "done": "1"})
    move_to(app, people["anne"], people[leader])
    second = make_conversation(people["anne"])
    say_ready(app, second)
    assert as_(leader).post(f"/agenda/{second}/start").status_code == 302
    for who in (leader, "anne"):  # one shared agenda: what it holds, both parties see
        page = as_(who).get(f"/agenda/{second}").get_data(as_text=True)
        assert page.count('class="agenda-item section-follow_up') == 3
        inherited = [text for text, _days in ACTIONS] + [carried]
        if leader == "lars":
            assert all(text in page for text in inherited), who
            assert "withheld" not in page
        else:
            assert not [text for text in inherited if text in page], who
            assert page.count('class="muted withheld"') == 3
            assert 'class="tag done"' in page and 'class="tag warning"' in page  # states
    # Anne still has her actions, text and all, on her home page; Lena does not.
    assert "Mentor for ny kollega" in as_("anne").get("/").get_data(as_text=True)
    assert ("Mentor for ny kollega" in as_(leader).get("/").get_data(as_text=True)) == (
        leader == "lars")


def agenda_state(app, conversation_id):
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        items = db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem).where(
            AgendaItem.conversation_id == conversation_id))
        return conversation.state, conversation.started_at, items


def set_starts_at(app, conversation_id, when):
    with app.app_context():
        db.session.get(Conversation, conversation_id).starts_at = when
        db.session.commit()


def test_the_leader_cannot_start_a_month_ahead_before_the_employee_is_ready(
        app, people, as_, make_conversation):
    conversation_id = make_conversation(people["anne"], days=30)
    anne = as_("anne")
    assert anne.post(f"/prepare/{conversation_id}/topics", data={"topics": "Hemmelig tema"},
                     headers=HX).status_code < 300
    before = agenda_state(app, conversation_id)
    waiting = as_("lars").get(f"/agenda/{conversation_id}").get_data(as_text=True)
    assert f"/agenda/{conversation_id}/start" not in waiting
    assert "Anne Aas" in waiting  # the page says whose readiness it waits for
    refused = flashed_error(as_("lars"), as_("lars").post(f"/agenda/{conversation_id}/start"))
    assert "klar" in refused  # "… før når medarbeideren har sagt at forberedelsen er klar"
    assert agenda_state(app, conversation_id) == before
    assert "Hemmelig tema" not in as_("lars").get(
        f"/agenda/{conversation_id}").get_data(as_text=True)
    # Once Anne is ready, Lars may start it ahead of its day.
    say_ready(app, conversation_id)
    assert f"/agenda/{conversation_id}/start" in as_("lars").get(
        f"/agenda/{conversation_id}").get_data(as_text=True)
    assert as_("lars").post(f"/agenda/{conversation_id}/start").status_code == 302
    assert agenda_state(app, conversation_id)[0] == "in_progress"


def test_on_the_planned_day_the_leader_may_start_without_waiting(
        app, people, as_, make_conversation):
    conversation_id = make_conversation(people["anne"], days=30)
    set_starts_at(app, conversation_id, utcnow() + timedelta(minutes=5))
    assert as_("lars").post(f"/agenda/{conversation_id}/start").status_code == 302
    assert agenda_state(app, conversation_id)[0] == "in_progress"
