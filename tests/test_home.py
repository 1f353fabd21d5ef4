"""The home page by role: the leader's people and the next step with each (R1), the
employee's next conversation and step, and the HR admin's tasks, with no follow-up section
for HR and nothing of any conversation's content."""

import re

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import Conversation, Minutes, User
from medsamtale.timeutil import utcnow


def section(page: str, section_id: str) -> str | None:
    """The markup of the home page's <section id=…>, or None when it is not there."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    return match.group(0) if match else None


def row_of(page: str, person_id: int) -> str:
    match = re.search(rf'<tr id="person-{person_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row for person {person_id}"
    return match.group(1)


def minutes_in(app, conversation_id: int, state: str) -> None:
    with app.app_context():
        minutes = db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == conversation_id))
        minutes.state = state
        db.session.commit()


def accept(app, conversation_id: int) -> None:
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        conversation.accepted_at = utcnow()
        conversation.refresh_state()
        db.session.commit()


# The leader ---------------------------------------------------------------------------------


def test_the_leader_sees_each_person_with_the_next_step_as_a_button(
    app, people, as_, make_user, make_conversation, held_conversation
):
    carl = make_user("Carl Crone", "carl@example.no", leader_id=people["lars"])
    eva = make_user("Eva Eng", "eva@example.no", leader_id=people["lars"])
    planned = make_conversation(people["bjorn"], sent=False)
    invited = make_conversation(carl)
    held = held_conversation(people["anne"])
    minutes_in(app, held, "submitted")

    page = as_("lars").get("/").get_data(as_text=True)
    people_section = section(page, "people")
    assert people_section and "Dine medarbeidere" in people_section

    # Anne's minutes wait for Lars: he is asked to approve them.
    anne = row_of(page, people["anne"])
    assert f'class="button small" href="/minutes/{held}"' in anne
    assert "Godkjenn referatet" in anne
    # Bjørn's invitation is planned, not sent: read and send it.
    bjorn = row_of(page, people["bjorn"])
    assert f'href="/conversations/{planned}">Les og send innkallingen' in bjorn
    # Carl is invited: Lars waits for him and can prepare.
    carl_row = row_of(page, carl)
    assert "Venter på svar fra Carl Crone" in carl_row
    assert f'href="/prepare/{invited}/leader">Forbered deg' in carl_row
    # Eva has never had a conversation: she is due, with a button to plan one.
    eva_row = row_of(page, eva)
    assert "Aldri hatt samtale" in eva_row
    assert f'class="button small" href="/conversations/plan?employee={eva}"' in eva_row

    # The summary counts who is due, what is under way and what waits for Lars.
    summary = re.search(r'<ul class="summary".*?</ul>', page, re.S).group(0)
    assert "1 medarbeider skal ha samtale" in summary  # Eva
    assert "3 samtaler er i gang" in summary  # Anne's minutes, Bjørn, Carl
    assert "2 oppgaver venter på deg" in summary  # approve Anne's, send Bjørn's
    # The developer words are gone.
    assert "<dt>Roller</dt>" not in page


def test_a_meeting_under_way_opens_the_agenda_for_both(
    app, people, as_, make_conversation
):
    from medsamtale.agenda import meeting

    conversation_id = make_conversation(people["anne"])
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        conversation.employee_ready_at = utcnow()
        meeting.start(conversation)
        db.session.commit()
    agenda = f'href="/agenda/{conversation_id}">Åpne agendaen'
    assert agenda in row_of(as_("lars").get("/").get_data(as_text=True), people["anne"])
    assert agenda in section(as_("anne").get("/").get_data(as_text=True), "own")


# The employee -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("invited", "Svar på innkallingen"),
        ("accepted", "Forbered deg"),
    ],
)
def test_the_employee_sees_the_next_conversation_and_its_step(
    app, people, as_, make_conversation, state, expected
):
    conversation_id = make_conversation(people["anne"])
    if state == "accepted":
        accept(app, conversation_id)
    page = as_("anne").get("/").get_data(as_text=True)
    own = section(page, "own")
    assert "Med Lars Lie" in own
    assert f'href="/prepare/{conversation_id}">{expected}' in own
    # Then the actions, after the conversation.
    assert page.index('id="own"') < page.index('id="actions"')
    # Anne leads nobody and is no HR admin: neither section is there.
    assert section(page, "people") is None and section(page, "admin") is None


def test_the_employee_is_asked_to_write_and_then_waits_for_approval(
    app, people, as_, held_conversation
):
    held = held_conversation(people["anne"])
    own = section(as_("anne").get("/").get_data(as_text=True), "own")
    assert f'href="/minutes/{held}">Skriv referatet' in own
    minutes_in(app, held, "submitted")
    own = section(as_("anne").get("/").get_data(as_text=True), "own")
    assert "Referatet venter på godkjenning fra Lars Lie." in own
    assert "Skriv referatet" not in own


def test_an_employee_with_nothing_planned_is_told_who_plans_it(people, as_):
    own = section(as_("bjorn").get("/").get_data(as_text=True), "own")
    assert "Lederen din, Lars Lie, planlegger den" in own
    assert "Du har ikke hatt noen samtale i Medsamtale ennå." in own


def test_a_leader_who_is_also_an_employee_sees_both_sections(
    app, people, as_, make_user, make_conversation
):
    boss = make_user("Siri Sjef", "siri@example.no", roles=("leader", "employee"))
    with app.app_context():
        db.session.get(User, people["lars"]).leader_id = boss
        db.session.commit()
    make_conversation(people["lars"])
    page = as_("lars").get("/").get_data(as_text=True)
    assert section(page, "people") and section(page, "own") and section(page, "actions")
    assert "Med Siri Sjef" in section(page, "own")
    assert page.index('id="people"') < page.index('id="own"')  # their people first


# The HR admin -------------------------------------------------------------------------------


def test_the_hr_admin_sees_the_admin_tasks_and_no_follow_up(
    app, people, as_, held_conversation
):
    from .fixtures.domain import agree_actions

    held = held_conversation(people["anne"])
    agree_actions(app, held, ("Hemmelig tiltak for Anne", 30))
    page = as_("hr").get("/").get_data(as_text=True)
    admin = section(page, "admin")
    for href in ('href="/admin/"', 'href="/admin/import"', 'href="/admin/questions/"',
                 'href="/admin/pending"'):
        assert href in admin, href
    assert "6 aktive personer." in admin
    assert "Ingenting venter på godkjenning." in admin
    assert section(page, "actions") is None
    assert "Tiltak som skal følges opp" not in page
    assert section(page, "people") is None and section(page, "own") is None
    # Nothing of the conversation: not the action, not the notes, not the state.
    assert "Hemmelig tiltak" not in page
    assert "prosjektledelse" not in page
    assert "Anne Aas" not in page


def test_the_hr_admins_count_of_people_without_a_leader_links_to_them(
    client, hr_admin, make_user
):
    make_user("Uten Leder", "uten@example.no")
    admin = section(client.get("/").get_data(as_text=True), "admin")
    assert "1 medarbeider har ingen leder" in admin
    link = re.search(r'<a href="([^"]+)">1 medarbeider har ingen leder', admin).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "uten@example.no" in listed
    assert "hr@example.no" not in listed  # Hanne is no employee


# Bounded queries ----------------------------------------------------------------------------


def _many(app, make_user, make_conversation, held_conversation, leader_id, count, start):
    for n in range(start, start + count):
        person = make_user(f"Person {n:03d}", f"p{n}@example.no", leader_id=leader_id)
        if n % 3 == 0:
            make_conversation(person, sent=bool(n % 2))
        elif n % 3 == 1:
            minutes_in(app, held_conversation(person, picks=1), "submitted")


def _home_queries(client, count_queries):
    client.get("/")  # the first page after logging in may do one-off work
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    return len(statements), page


def test_the_home_page_is_a_fixed_number_of_queries_however_many_people(
    app, people, as_, make_user, make_conversation, held_conversation, count_queries
):
    _many(app, make_user, make_conversation, held_conversation, people["lena"], 3, 0)
    few, page = _home_queries(as_("lena"), count_queries)
    assert len(re.findall(r'<tr id="person-', page)) == 4
    _many(app, make_user, make_conversation, held_conversation, people["lena"], 12, 3)
    many, page = _home_queries(as_("lena"), count_queries)
    assert len(re.findall(r'<tr id="person-', page)) == 16
    assert page.count("Godkjenn referatet") == 5
    assert many == few, (few, many)

    hr_few, _page = _home_queries(as_("hr"), count_queries)
    for n in range(40):
        make_user(f"Flere {n}", f"flere{n}@example.no", leader_id=people["lars"])
    hr_many, page = _home_queries(as_("hr"), count_queries)
    assert f"{6 + 15 + 40} aktive personer." in page
    assert hr_many == hr_few


def test_leader_home_with_many_rows_stays_cheap(app, people, as_, count_queries):
    """A leader with a hundred people: every row is there, and the queries stay few."""
    with app.app_context():
        lena = db.session.get(User, people["lena"])
        for n in range(100):
            db.session.add(User(name=f"Massiv {n:03d}", email=f"m{n}@example.no", leader=lena))
        db.session.commit()
    statements, page = _home_queries(as_("lena"), count_queries)
    assert len(re.findall(r'<tr id="person-', page)) == 101
    assert statements <= 15, statements
