"""Rounds of conversations (issue 15, point 2): the HR admin opens a round for some units and
a period, the leaders are emailed once each, conversations planned in the period belong to
it, leaders are reminded at its points of people without a conversation, and a closed
round keeps its figures. Bad input (an end before the start, no units, no name, a person
in two rounds at once) changes nothing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import (
    AuditEvent,
    Conversation,
    OutboxMessage,
    Round,
    RoundMember,
    RoundReminder,
    RoundUnit,
    Unit,
    User,
)
from medsamtale.timeutil import oslo_today, utcnow
from tests.fixtures.app import EMAILS
from tests.helpers import new_mail, snapshot, text_of


@pytest.fixture
def units(app, people, make_user):
    """Helse with its sub-unit Sykehjem, and Skole apart: Anne in Helse, Bjørn and Dag in
    Sykehjem, Ola (Lars's) in Skole. Returns the unit ids by name, and Ola's id."""
    ola = make_user("Ola Olsen", "ola@example.no", leader_id=people["lars"])
    with app.app_context():
        helse = Unit(name="Helse", kind="avdeling")
        db.session.add(helse)
        db.session.flush()
        sykehjem = Unit(name="Sykehjem", kind="seksjon", parent_id=helse.id)
        skole = Unit(name="Skole", kind="avdeling")
        db.session.add_all([sykehjem, skole])
        db.session.flush()
        for who, unit in (("anne", helse), ("bjorn", sykehjem), ("dag", sykehjem)):
            db.session.get(User, people[who]).unit_id = unit.id
        db.session.get(User, ola).unit_id = skole.id
        db.session.commit()
        return {"Helse": helse.id, "Sykehjem": sykehjem.id, "Skole": skole.id, "ola": ola}


def form(question_bank, unit_ids, *, name="Medarbeidersamtaler høsten 2027", start=0, end=40,
         message="Husk å sette av god tid."):
    today = oslo_today()
    return {
        "name": name,
        "unit_ids": [str(u) for u in unit_ids],
        "starts_on": (today + timedelta(days=start)).isoformat() if start is not None else "",
        "ends_on": (today + timedelta(days=end)).isoformat() if end is not None else "",
        "question_set_id": str(question_bank["standard"]),
        "message": message,
    }


def open_round(client, question_bank, unit_ids, **kwargs):
    response = client.post("/admin/rounds/new", data=form(question_bank, unit_ids, **kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def everything(app):
    with app.app_context():
        units = db.session.execute(sa.select(RoundUnit.round_id, RoundUnit.unit_id)).all()
    return [snapshot(app, model) for model in (Round, RoundMember, OutboxMessage)] + [
        snapshot(app, Conversation, "id", "round_id"), sorted(units)]


def figures_on(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))


# Opening ------------------------------------------------------------------------------------


def test_opening_a_round_freezes_its_members_and_emails_each_leader_once(
    app, as_, people, units, question_bank, deliver, mailbox
):
    hr = as_("hr")
    assert "Helse/Sykehjem" in hr.get("/admin/rounds/new").get_data(as_text=True)
    new_mail(deliver, mailbox)

    round_id = open_round(hr, question_bank, [units["Helse"]])

    page = hr.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "Medarbeidersamtaler høsten 2027" in page
    assert figures_on(page)["Personer i runden"] == "3"  # Anne, Bjørn (Sykehjem) and Dag
    assert "Helse" in page
    messages = new_mail(deliver, mailbox)
    assert sorted(m["To"] for m in messages) == [EMAILS["lars"], EMAILS["lena"]]
    lars = text_of(next(m for m in messages if m["To"] == EMAILS["lars"]))
    assert "2 av dine medarbeidere er med" in lars
    assert "Husk å sette av god tid." in lars
    assert "Medarbeidersamtaler høsten 2027" in lars
    lena = text_of(next(m for m in messages if m["To"] == EMAILS["lena"]))
    assert "1 av dine medarbeidere er med" in lena
    with app.app_context():
        members = set(db.session.scalars(sa.select(RoundMember.user_id)))
        assert members == {people["anne"], people["bjorn"], people["dag"]}
        assert db.session.scalar(sa.select(AuditEvent.action).order_by(
            AuditEvent.id.desc()).limit(1)) == "round_opened"
    listing = hr.get("/admin/rounds/").get_data(as_text=True)
    assert "Medarbeidersamtaler høsten 2027" in listing and "Åpen" in listing


@pytest.mark.parametrize("change, field, message", [
    ({"start": 10, "end": 5}, "ends_on", "Runden slutter før den begynner"),
    ({"unit_ids": []}, "unit_ids", "Velg minst én enhet"),
    ({"name": "   "}, "name", "Gi runden et navn"),
    ({"end": -1, "start": -10}, "ends_on", "Slutten på runden er passert"),
])
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    app, as_, units, question_bank, change, field, message
):
    before = everything(app)
    unit_ids = change.pop("unit_ids", [units["Helse"]])
    response = as_("hr").post("/admin/rounds/new", data=form(question_bank, unit_ids, **change))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-errors"' in page
    assert everything(app) == before


def test_a_person_cannot_be_in_two_open_rounds_at_once(app, as_, units, question_bank):
    hr = as_("hr")
    open_round(hr, question_bank, [units["Sykehjem"]], name="Høsten", start=0, end=40)
    before = everything(app)

    response = hr.post("/admin/rounds/new",
                       data=form(question_bank, [units["Helse"]], name="Overlapp", start=30,
                                 end=60))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "2 av personene i disse enhetene er allerede med i den åpne runden «Høsten»" in page
    assert everything(app) == before

    # Other people in the same period, or the same people after it: both fine.
    open_round(hr, question_bank, [units["Skole"]], name="Skolen", start=0, end=40)
    open_round(hr, question_bank, [units["Helse"]], name="Våren", start=41, end=80)


def test_only_the_hr_admin_reaches_the_rounds(app, as_, units, question_bank):
    for who in ("lars", "anne"):
        assert as_(who).get("/admin/rounds/").status_code == 403
        response = as_(who).post("/admin/rounds/new", data=form(question_bank, [units["Helse"]]))
        assert response.status_code == 403
    assert snapshot(app, Round) == []


# Conversations in a round --------------------------------------------------------------------


def round_of(app, conversation_id):
    with app.app_context():
        return db.session.get(Conversation, conversation_id).round_id


def test_a_conversation_planned_in_the_period_belongs_to_the_round(
    app, as_, people, units, question_bank, make_conversation
):
    before_round = make_conversation(people["anne"], days=5)
    round_id = open_round(as_("hr"), question_bank, [units["Helse"]], start=0, end=30)
    assert round_of(app, before_round) == round_id  # planned before, in the period: joins

    inside = make_conversation(people["bjorn"], days=10)
    outside = make_conversation(people["dag"], days=45)
    assert round_of(app, inside) == round_id
    assert round_of(app, outside) is None
    not_member = make_conversation(units["ola"], days=10)
    assert round_of(app, not_member) is None

    from medsamtale.conversations import services

    with app.app_context():
        services.change(db.session.get(Conversation, inside),
                        starts_at=utcnow().replace(microsecond=0) + timedelta(days=50))
        services.change(db.session.get(Conversation, outside),
                        starts_at=utcnow().replace(microsecond=0) + timedelta(days=20))
        db.session.commit()
    assert round_of(app, inside) is None
    assert round_of(app, outside) == round_id


def test_a_person_who_joins_a_covered_unit_is_added(app, as_, people, units, question_bank):
    from medsamtale.rounds.services import person_moved

    round_id = open_round(as_("hr"), question_bank, [units["Helse"]])
    with app.app_context():
        ola = db.session.get(User, units["ola"])
        ola.unit_id = units["Sykehjem"]
        assert [r.id for r in person_moved(ola)] == [round_id]
        assert person_moved(ola) == []  # once
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(RoundMember.id))) == 4
    page = as_("hr").get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert figures_on(page)["Personer i runden"] == "4"


def test_the_leader_sees_each_person_in_the_round_and_where_they_stand(
    app, as_, people, units, question_bank, make_conversation
):
    round_id = open_round(as_("hr"), question_bank, [units["Helse"]], start=0, end=30)
    make_conversation(people["anne"], days=10, sent=False)
    page = as_("lars").get("/").get_data(as_text=True)
    section = page[page.index(f'id="round-{round_id}"'):]
    section = section[:section.index("</section>")]
    assert "Medarbeidersamtaler høsten 2027" in section
    assert re.search(r"Anne Aas: <span[^>]*>Planlagt, ikke sendt", section)
    assert re.search(r"Bjørn Berg: <span[^>]*>Ikke planlagt", section)
    assert "1 av medarbeiderne dine har ingen samtale planlagt i den ennå." in section
    assert "Ola Olsen" not in section
    assert f'id="round-{round_id}"' not in as_("anne").get("/").get_data(as_text=True)


# Reminders ----------------------------------------------------------------------------------


def remind(app, days):
    from medsamtale.rounds.reminders import queue_round_reminders

    with app.app_context():
        return queue_round_reminders(now=utcnow() + timedelta(days=days))


def test_leaders_are_reminded_halfway_and_two_weeks_before_the_end_once_each(
    app, as_, people, units, question_bank, make_conversation, deliver, mailbox
):
    open_round(as_("hr"), question_bank, [units["Helse"]], start=0, end=40)
    make_conversation(people["anne"], days=10)
    make_conversation(people["dag"], days=10)
    new_mail(deliver, mailbox)

    assert remind(app, 19) == 0  # not halfway yet
    assert remind(app, 20) == 1
    messages = new_mail(deliver, mailbox)
    assert [m["To"] for m in messages] == [EMAILS["lars"]]  # Lena's Dag has one planned
    body = text_of(messages[0])
    assert "Bjørn Berg" in body and "Anne Aas" not in body
    assert "om 20 dager" in body
    assert remind(app, 21) == 0  # once per point

    assert remind(app, 26) == 1  # two weeks left
    assert "om 14 dager" in text_of(new_mail(deliver, mailbox)[0])
    assert remind(app, 27) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RoundReminder.id))) == 2


def test_a_scheduled_run_sends_a_due_round_reminder(
    app, as_, units, question_bank, deliver, mailbox
):
    from medsamtale.scheduled import queue_scheduled

    round_id = open_round(as_("hr"), question_bank, [units["Helse"]], start=-20, end=10)
    new_mail(deliver, mailbox)
    with app.app_context():
        assert queue_scheduled() == 2  # both points have come: one email to each leader
        assert queue_scheduled() == 0
        assert db.session.scalar(sa.select(sa.func.count(RoundReminder.id)).where(
            RoundReminder.round_id == round_id)) == 4
    assert sorted(m["To"] for m in new_mail(deliver, mailbox)) == [EMAILS["lars"],
                                                                   EMAILS["lena"]]


# Closing ------------------------------------------------------------------------------------


def test_a_closed_round_keeps_its_figures(
    app, as_, people, units, question_bank, make_conversation, held_conversation
):
    hr = as_("hr")
    round_id = open_round(hr, question_bank, [units["Helse"]], start=0, end=40)
    make_conversation(people["anne"], days=10, sent=False)
    held_conversation(people["bjorn"])
    page = hr.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    counted = {"Personer i runden": "3", "Samtale planlagt": "2", "Innkalt": "1",
               "Gjennomført": "1", "Referatet er godkjent": "0"}
    assert figures_on(page) == counted

    response = hr.post(f"/admin/rounds/{round_id}/close")
    assert response.status_code == 302
    make_conversation(people["dag"], days=10)  # after closing: no longer counted
    page = hr.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "Avsluttet" in page and figures_on(page) == counted
    listing = hr.get("/admin/rounds/").get_data(as_text=True)
    assert re.search(rf'id="round-{round_id}".*?<td[^>]*>3</td>\s*<td[^>]*>2</td>', listing,
                     re.S)

    before = everything(app)
    response = hr.post(f"/admin/rounds/{round_id}/close", follow_redirects=True)
    assert "Denne runden er allerede avsluttet." in response.get_data(as_text=True)
    assert everything(app) == before


def test_the_hr_pages_of_a_round_show_no_content(
    app, as_, people, units, question_bank, held_conversation
):
    round_id = open_round(as_("hr"), question_bank, [units["Helse"]], start=0, end=40)
    held_conversation(people["anne"], note="HEMMELIG-MARKØR")
    for url in ("/admin/rounds/", f"/admin/rounds/{round_id}"):
        page = as_("hr").get(url).get_data(as_text=True)
        assert "HEMMELIG-MARKØR" not in page and "Anne Aas" not in page


def test_the_list_of_rounds_is_a_fixed_number_of_queries(
    app, as_, units, question_bank, count_queries
):
    hr = as_("hr")

    def queries():
        hr.get("/admin/rounds/")
        with count_queries() as statements:
            assert hr.get("/admin/rounds/").status_code == 200
        return len(statements)

    open_round(hr, question_bank, [units["Helse"]], name="En", start=0, end=10)
    few = queries()
    open_round(hr, question_bank, [units["Helse"]], name="To", start=11, end=20)
    open_round(hr, question_bank, [units["Skole"]], name="Tre", start=0, end=20)
    assert queries() == few
