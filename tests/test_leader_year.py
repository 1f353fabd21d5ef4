"""A leader's people across the year (issue 15, point 4): who is due, who waits on whom, the
next meetings agreed in approved minutes (next conversation or follow-up) and the
reminder of them to the employee's leader at the time."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import Conversation, Minutes, OutboxMessage, User
from medsamtale.timeutil import oslo_today, utcnow
from tests.fixtures.app import EMAILS
from tests.fixtures.domain import approve_minutes
from tests.helpers import new_mail, snapshot, text_of


def approve(app, conversation_id):
    with app.app_context():
        minutes = db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == conversation_id))
        approve_minutes(minutes)
        db.session.commit()


def next_meeting(client, conversation_id, kind="follow_up", days=30):
    on = (oslo_today() + timedelta(days=days)).isoformat() if days is not None else ""
    return client.post(f"/minutes/{conversation_id}/next-meeting",
                       data={"next-kind": kind, "next-on": on})


def minutes_row(app, conversation_id):
    return snapshot(app, Minutes, "conversation_id", "next_meeting_kind", "next_meeting_on",
                    "next_meeting_reminded_at")


@pytest.fixture
def approved(app, held):
    approve(app, held)
    return held


# Setting the next meeting -------------------------------------------------------------------


def test_the_leader_sets_a_follow_up_and_both_see_it(app, as_, approved):
    page = as_("lars").get(f"/minutes/{approved}").get_data(as_text=True)
    assert "Si når neste samtale, eller en kortere oppfølgingssamtale, skal være." in page
    assert "har ennå ikke sagt når neste møte skal være" in as_("anne").get(
        f"/minutes/{approved}").get_data(as_text=True)

    response = next_meeting(as_("lars"), approved, "follow_up", 30)
    assert response.status_code == 302
    when = (oslo_today() + timedelta(days=30))
    for who in ("lars", "anne"):
        page = as_(who).get(f"/minutes/{approved}").get_data(as_text=True)
        assert re.search(rf"En oppfølgingssamtale skal holdes \d+\. \w+ {when.year}\.", page)
    assert "Lars Lie får en påminnelse på e-post 14 dager før." in as_("anne").get(
        f"/minutes/{approved}").get_data(as_text=True)

    assert next_meeting(as_("lars"), approved, "conversation", 200).status_code == 302
    assert "Neste samtale skal holdes" in as_("anne").get(
        f"/minutes/{approved}").get_data(as_text=True)


@pytest.mark.parametrize("kind, days, message", [
    ("follow_up", 0, "Velg en dato etter i dag for neste møte."),
    ("follow_up", -3, "Velg en dato etter i dag for neste møte."),
    ("follow_up", None, "Velg en dato."),
    ("lunch", 30, "Velg neste samtale eller en oppfølgingssamtale."),
])
def test_a_bad_next_meeting_is_refused_and_changes_nothing(app, as_, approved, kind, days,
                                                           message):
    before = minutes_row(app, approved)
    response = next_meeting(as_("lars"), approved, kind, days)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert minutes_row(app, approved) == before


def test_only_the_leader_sets_it_and_only_on_approved_minutes(app, as_, held):
    before = minutes_row(app, held)
    response = next_meeting(as_("lars"), held)  # the minutes are still being written
    assert response.status_code == 302
    assert "Neste møte settes når referatet er godkjent." in as_("lars").get(
        response.location).get_data(as_text=True)
    assert minutes_row(app, held) == before
    approve(app, held)
    before = minutes_row(app, held)
    assert next_meeting(as_("anne"), held).status_code == 403
    assert next_meeting(as_("lena"), held).status_code == 403
    assert minutes_row(app, held) == before


# The reminder -------------------------------------------------------------------------------


def remind(app, days):
    from medsamtale.minutes.next_meeting import queue_next_meeting_reminders

    with app.app_context():
        return queue_next_meeting_reminders(now=utcnow() + timedelta(days=days))


def test_the_leader_is_reminded_once_two_weeks_before(app, as_, approved, deliver, mailbox):
    next_meeting(as_("lars"), approved, "follow_up", 30)
    new_mail(deliver, mailbox)
    assert remind(app, 15) == 0
    assert remind(app, 16) == 1
    messages = new_mail(deliver, mailbox)
    assert [m["To"] for m in messages] == [EMAILS["lars"]]
    assert messages[0]["Subject"] == "Tid for en oppfølgingssamtale med Anne Aas"
    body = text_of(messages[0])
    assert "Vil lære mer" not in body  # no content of the conversation
    assert remind(app, 17) == 0
    assert new_mail(deliver, mailbox) == []


def test_the_reminder_goes_to_the_employees_leader_now(app, as_, people, approved, deliver,
                                                       mailbox):
    next_meeting(as_("lars"), approved, "conversation", 10)
    with app.app_context():
        db.session.get(User, people["anne"]).leader_id = people["lena"]
        db.session.commit()
    new_mail(deliver, mailbox)
    from medsamtale.scheduled import queue_scheduled

    with app.app_context():
        queue_scheduled()
    messages = [m for m in new_mail(deliver, mailbox)
                if m["Subject"] == "Tid for neste samtale med Anne Aas"]
    assert [m["To"] for m in messages] == [EMAILS["lena"]]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "next_meeting_reminder")) == 1


# The year on the leader's home page -----------------------------------------------------------


def year_section(page):
    section = page[page.index('id="year"'):]
    return section[:section.index("</section>")]


def test_the_year_shows_who_is_due_who_waits_on_whom_and_the_next_meetings(
    app, as_, people, make_user, held_conversation, make_conversation
):
    cecilie = make_user("Cecilie Dahl", "cecilie@example.no", leader_id=people["lars"])
    gro = make_user("Gro Holm", "gro@example.no", leader_id=people["lars"])
    held_anne = held_conversation(people["anne"])  # Anne writes the minutes
    held_cecilie = held_conversation(cecilie)
    with app.app_context():
        minutes = db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == held_cecilie))
        from medsamtale.minutes.drafting import content_of

        minutes.submit(content_of(minutes), "Cecilie Dahl")  # waits for Lars to approve
        db.session.commit()
    held_gro = held_conversation(gro)
    approve(app, held_gro)
    next_meeting(as_("lars"), held_gro, "follow_up", 60)
    make_conversation(people["bjorn"])  # invited: Bjørn answers

    section = year_section(as_("lars").get("/").get_data(as_text=True))
    due = section[section.index("Skal ha samtale"):section.index("Venter på deg")]
    assert "Ingen skal ha samtale nå." in due  # everyone has had one or has one under way
    mine = section[section.index("Venter på deg"):section.index("Venter på medarbeiderne")]
    assert "Cecilie Dahl: du godkjenner referatet" in mine
    theirs = section[section.index("Venter på medarbeiderne"):section.index("Avtalte")]
    assert "Anne Aas: skriver referatet" in theirs
    assert "Bjørn Berg: svarer på innkallingen" in theirs
    agreed = section[section.index("Avtalte"):]
    assert "oppfølgingssamtale med Gro Holm" in agreed

    with app.app_context():  # twelve months on, Gro is due again
        conversation = db.session.get(Conversation, held_gro)
        conversation.starts_at -= timedelta(days=400)
        db.session.commit()
    section = year_section(as_("lars").get("/").get_data(as_text=True))
    assert re.search(r"Gro Holm: siste samtale", section)
    assert held_anne


def test_a_member_of_an_open_round_without_a_conversation_is_due(app, as_, people,
                                                                  question_bank):
    from medsamtale.models import Unit

    with app.app_context():
        unit = Unit(name="Helse")
        db.session.add(unit)
        db.session.flush()
        db.session.get(User, people["bjorn"]).unit_id = unit.id
        db.session.commit()
        unit_id = unit.id
    response = as_("hr").post("/admin/rounds/new", data={
        "name": "Høsten", "unit_ids": [str(unit_id)], "starts_on": oslo_today().isoformat(),
        "ends_on": (oslo_today() + timedelta(days=30)).isoformat(),
        "question_set_id": str(question_bank["standard"]), "message": ""})
    assert response.status_code == 302
    section = year_section(as_("lars").get("/").get_data(as_text=True))
    assert "Bjørn Berg: med i en åpen runde, uten samtale i den ennå" in section


def test_the_home_page_stays_a_fixed_number_of_queries_with_rounds_and_next_meetings(
    app, as_, people, make_user, question_bank, held_conversation, count_queries
):
    from medsamtale.models import Unit

    with app.app_context():
        unit = Unit(name="Helse")
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id

    def add_people(start, count):
        for n in range(start, start + count):
            person = make_user(f"Person {n:03d}", f"p{n}@example.no", leader_id=people["lars"])
            with app.app_context():
                db.session.get(User, person).unit_id = unit_id
                db.session.commit()
            if n % 2:
                conversation_id = held_conversation(person, picks=1)
                approve(app, conversation_id)
                next_meeting(as_("lars"), conversation_id, "conversation", 40 + n)

    def queries():
        as_("lars").get("/")
        with count_queries() as statements:
            page = as_("lars").get("/").get_data(as_text=True)
        return len(statements), page

    add_people(0, 2)
    opened = as_("hr").post("/admin/rounds/new", data={
        "name": "Høsten", "unit_ids": [str(unit_id)], "starts_on": oslo_today().isoformat(),
        "ends_on": (oslo_today() + timedelta(days=30)).isoformat(),
        "question_set_id": str(question_bank["standard"]), "message": ""})
    assert opened.status_code == 302
    round_id = int(opened.location.rstrip("/").rsplit("/", 1)[1])
    few, page = queries()
    assert page.count(f'id="round-{round_id}-person-') == 2
    add_people(2, 6)
    from medsamtale.rounds.services import person_moved

    with app.app_context():
        for user in db.session.scalars(sa.select(User).where(User.unit_id == unit_id)):
            person_moved(user)
        db.session.commit()
    many, page = queries()
    assert page.count(f'id="round-{round_id}-person-') == 8
    assert year_section(page).count("neste samtale med Person") == 4
    assert many == few, (few, many)
