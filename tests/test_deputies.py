"""Deputies for leaders on leave (issue 15, point 6): the HR admin gives a leader a deputy for
a period; the deputy plans and holds conversations with the leader's people in it (their
conversations, held on behalf of the leader), never sees the leader's earlier conversations
or minutes, and the leader does not read the ones the deputy holds. Bad input (a deputy
who is the leader, one of the leader's people, not a leader, an HR admin; a period that
ends before it starts, is over, or overlaps another) changes nothing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, Conversation, Deputy, OutboxMessage, User
from medsamtale.timeutil import oslo_today, utcnow
from tests.fixtures.app import EMAILS
from tests.fixtures.domain import agree_actions
from tests.helpers import has_field_error, new_mail, say_ready, snapshot, text_of
from tests.test_conversations import plan_data

URL = "/admin/deputies/"


def long_date(day) -> str:
    return format_date(day, "d. MMMM y", locale="nb")


def deputy_form(people, *, leader="lars", deputy="lena", start=0, end=30) -> dict:
    today = oslo_today()
    return {
        "leader_id": str(people[leader] if isinstance(leader, str) else leader),
        "deputy_id": str(people[deputy] if isinstance(deputy, str) else deputy),
        "starts_on": (today + timedelta(days=start)).isoformat(),
        "ends_on": (today + timedelta(days=end)).isoformat(),
    }


def give_deputy(app, as_, people, **kwargs) -> int:
    response = as_("hr").post(URL, data=deputy_form(people, **kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)
    return deputy_ids(app)[-1]


def deputy_ids(app) -> list[int]:
    with app.app_context():
        return db.session.scalars(sa.select(Deputy.id).order_by(Deputy.id)).all()


def everything(app):
    events = [event for event in snapshot(app, AuditEvent, "id", "action")
              if event[1].startswith("deputy_")]
    return [snapshot(app, model) for model in (Deputy, OutboxMessage)] + [events]


def audited(app, action) -> list[dict]:
    with app.app_context():
        return [event.detail for event in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def plan_as(client, people, question_bank, employee="anne", **extra):
    return client.post("/conversations/plan",
                       data=plan_data(people[employee], question_bank["standard"], **extra))


def planned_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


# The HR admin's page ------------------------------------------------------------------------


def test_hr_gives_a_leader_a_deputy_who_is_listed_audited_and_both_are_emailed(
    app, as_, people, deliver, mailbox
):
    hr = as_("hr")
    page = hr.get(URL).get_data(as_text=True)
    assert "Gi en leder en stedfortreder" in page and "Ingen leder har stedfortreder nå." in page
    assert "hos stedfortrederen til den er holdt" in page  # what happens at the end
    new_mail(deliver, mailbox)

    response = hr.post(URL, data=deputy_form(people, start=0, end=30))
    assert response.status_code == 302
    page = hr.get(response.location).get_data(as_text=True)
    end = long_date(oslo_today() + timedelta(days=30))
    assert f"Lena Larsen er stedfortreder for Lars Lie fra {long_date(oslo_today())} til {end}" \
        in page
    (row_id,) = deputy_ids(app)
    now_part = page.split("Kommende</h2>")[0]
    assert f'id="deputy-{row_id}"' in now_part and "Avslutt før tiden" in now_part
    with app.app_context():
        row = db.session.get(Deputy, row_id)
        assert (row.leader_id, row.deputy_id, row.created_by_id) == (
            people["lars"], people["lena"], people["hr"])
    assert audited(app, "deputy_assigned")[0]["deputy_id"] == people["lena"]

    messages = new_mail(deliver, mailbox)
    assert sorted(m["To"] for m in messages) == [EMAILS["lars"], EMAILS["lena"]]
    to_lena = next(m for m in messages if m["To"] == EMAILS["lena"])
    assert "Du er stedfortreder for Lars Lie" in to_lena["Subject"]
    assert "gjort deg til stedfortreder for Lars Lie" in text_of(to_lena)
    assert "Du ser ikke tidligere samtaler eller referater til Lars Lie" in text_of(to_lena)
    to_lars = next(m for m in messages if m["To"] == EMAILS["lars"])
    assert "Lena Larsen er stedfortreder for deg" in to_lars["Subject"]
    assert "ser ikke dine tidligere samtaler eller referater" in text_of(to_lars)


def test_a_coming_period_is_listed_as_coming(app, as_, people):
    row_id = give_deputy(app, as_, people, start=10, end=20)
    page = as_("hr").get(URL).get_data(as_text=True)
    coming = page.split("Kommende</h2>")[1].split("Tidligere</h2>")[0]
    assert f'id="deputy-{row_id}"' in coming


@pytest.fixture
def others(make_user, people):
    """Per, a leader under Lars (one of his people), Kari, a leader under Per, Ivar, a
    deactivated leader, and Hilde, a leader who is also an HR admin."""
    per = make_user("Per Pil", "per@example.no", roles=("leader", "employee"),
                    leader_id=people["lars"])
    return {
        "per": per,
        "kari": make_user("Kari Kam", "kari@example.no", roles=("leader", "employee"),
                          leader_id=per),
        "ivar": make_user("Ivar Inaktiv", "ivar@example.no", roles=("leader", "employee"),
                          active=False),
        "hilde": make_user("Hilde HR", "hilde@example.no", roles=("leader", "hr_admin")),
    }


@pytest.mark.parametrize("change, field, message", [
    ({"deputy": "lars"}, "deputy_id", "En leder kan ikke være sin egen stedfortreder"),
    ({"deputy": "anne"}, "deputy_id", "Anne Aas er en av medarbeiderne til Lars Lie"),
    ({"deputy": "per"}, "deputy_id", "Per Pil er en av medarbeiderne til Lars Lie"),
    ({"deputy": "kari"}, "deputy_id", "Kari Kam er en av medarbeiderne til Lars Lie"),
    ({"deputy": "dag"}, "deputy_id", "Den valgte stedfortrederen har ikke lederrollen"),
    ({"deputy": "ivar"}, "deputy_id", "Den valgte stedfortrederen er deaktivert"),
    ({"deputy": "hilde"}, "deputy_id", "En HR-administrator leder ingen"),
    ({"deputy": "hr"}, "deputy_id", "Den valgte stedfortrederen har ikke lederrollen"),
    ({"leader": "dag", "deputy": "lena"}, "leader_id", "Den valgte personen er ikke leder"),
    ({"start": 10, "end": 5}, "ends_on", "Perioden slutter før den begynner"),
    ({"start": -20, "end": -1}, "ends_on", "Perioden er allerede over"),
])
def test_a_bad_deputy_is_refused_beside_the_field_and_nothing_is_stored(
    app, as_, people, others, change, field, message
):
    who = {**people, **others}
    before = everything(app)
    change = {key: who[value] if isinstance(value, str) else value
              for key, value in change.items()}
    response = as_("hr").post(URL, data=deputy_form(who, **change))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert has_field_error(page, field)
    assert everything(app) == before


def test_an_overlapping_period_for_the_same_leader_is_refused(app, as_, people, make_user):
    give_deputy(app, as_, people, start=0, end=30)
    berit = make_user("Berit Bø", "berit@example.no", roles=("leader", "employee"))
    before = everything(app)
    response = as_("hr").post(URL, data=deputy_form({**people, "berit": berit},
                                                    deputy="berit", start=20, end=40))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Lars Lie har allerede en stedfortreder fra" in page
    assert has_field_error(page, "ends_on")
    assert everything(app) == before
    # Another leader's period, or one after it, is fine.
    give_deputy(app, as_, {**people, "berit": berit}, deputy="berit", start=31, end=40)


def test_the_service_refuses_what_the_form_did_not_see(app, people):
    from medsamtale.deputies import services
    from medsamtale.errors import Refused

    with app.app_context():
        lars, anne, hr = (db.session.get(User, people[w]) for w in ("lars", "anne", "hr"))
        with pytest.raises(Refused, match="medarbeiderne til Lars Lie"), \
                app.test_request_context():
            services.assign(hr, lars, anne, oslo_today(), oslo_today())


def test_only_the_hr_admin_reaches_the_deputies(app, as_, people):
    row_id = give_deputy(app, as_, people)
    before = everything(app)
    for who in ("lars", "lena", "anne"):
        client = as_(who)
        response = client.get(URL)
        assert response.status_code == 403
        assert "Ingen tilgang" in response.get_data(as_text=True)
        assert client.post(URL, data=deputy_form(people, deputy="lena",
                                                 start=40, end=50)).status_code == 403
        assert client.post(f"/admin/deputies/{row_id}/end").status_code == 403
    assert everything(app) == before
    assert "Stedfortredere" not in as_("lars").get("/").get_data(as_text=True).split(
        "</nav>")[0]
    assert f'href="{URL}"' in as_("hr").get("/").get_data(as_text=True)


def test_hr_ends_a_period_early_and_both_are_told(app, as_, people, deliver, mailbox):
    row_id = give_deputy(app, as_, people)
    new_mail(deliver, mailbox)
    hr = as_("hr")

    response = hr.post(f"/admin/deputies/{row_id}/end")
    assert response.status_code == 302
    page = hr.get(response.location).get_data(as_text=True)
    assert "Stedfortrederperioden er avsluttet." in page
    past = page.split("Tidligere</h2>")[1]
    assert f'id="deputy-{row_id}"' in past and "Avsluttet før tiden" in past
    assert audited(app, "deputy_ended")[0]["deputy_row_id"] == row_id
    messages = new_mail(deliver, mailbox)
    assert sorted(m["To"] for m in messages) == [EMAILS["lars"], EMAILS["lena"]]
    to_lena = next(m for m in messages if m["To"] == EMAILS["lena"])
    assert "Du er ikke lenger stedfortreder for Lars Lie" in to_lena["Subject"]

    # Ending it again changes nothing, and says why.
    before = everything(app)
    response = hr.post(f"/admin/deputies/{row_id}/end", follow_redirects=True)
    assert "Denne stedfortrederperioden er allerede over." in response.get_data(as_text=True)
    assert everything(app) == before
    # A new deputy may start from today, after the one ended.
    give_deputy(app, as_, people, start=0, end=5)


def test_ending_a_period_that_does_not_exist_is_not_found(as_, people):
    assert as_("hr").post("/admin/deputies/999/end").status_code == 404


# The deputy at work -------------------------------------------------------------------------


def test_the_deputy_plans_for_the_leaders_person_on_the_leaders_behalf(
    app, as_, people, question_bank, deliver, mailbox
):
    give_deputy(app, as_, people)
    lena, anne = as_("lena"), as_("anne")
    form_page = lena.get("/conversations/plan").get_data(as_text=True)
    assert "Anne Aas (for Lars Lie)" in form_page and "Bjørn Berg (for Lars Lie)" in form_page
    assert ">Dag Eide<" in form_page  # her own

    conversation_id = planned_id(plan_as(lena, people, question_bank))
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        assert (conversation.leader_id, conversation.on_behalf_of_id) == (
            people["lena"], people["lars"])
    new_mail(deliver, mailbox)
    lena.post(f"/conversations/{conversation_id}/send")
    (invitation,) = new_mail(deliver, mailbox)
    assert invitation["To"] == EMAILS["anne"]
    assert "Lena Larsen holder denne samtalen på vegne av Lars Lie" in text_of(invitation)
    assert "Lena Larsen" in anne.get("/").get_data(as_text=True)
    assert anne.get(f"/prepare/{conversation_id}").status_code == 200
    # Lena's own people are planned as before, without anyone on whose behalf.
    own_id = planned_id(plan_as(lena, people, question_bank, employee="dag"))
    with app.app_context():
        assert db.session.get(Conversation, own_id).on_behalf_of_id is None


def test_the_leader_on_leave_still_plans_for_their_own_people(
    app, as_, people, question_bank
):
    give_deputy(app, as_, people)
    conversation_id = planned_id(plan_as(as_("lars"), people, question_bank))
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        assert (conversation.leader_id, conversation.on_behalf_of_id) == (people["lars"], None)


def _refused_plan(app, as_, people, question_bank):
    before = snapshot(app, Conversation)
    lena = as_("lena")
    assert "Anne Aas (for Lars Lie)" not in lena.get("/conversations/plan").get_data(
        as_text=True)
    response = plan_as(lena, people, question_bank)
    assert response.status_code == 422
    assert "Velg en av dine egne medarbeidere" in response.get_data(as_text=True)
    assert snapshot(app, Conversation) == before


def test_the_deputy_cannot_plan_before_the_period(app, as_, people, question_bank):
    give_deputy(app, as_, people, start=3, end=30)
    _refused_plan(app, as_, people, question_bank)


def test_the_deputy_cannot_plan_after_the_period(app, as_, people, question_bank):
    with app.app_context():
        db.session.add(Deputy(leader_id=people["lars"], deputy_id=people["lena"],
                              starts_on=oslo_today() - timedelta(days=30),
                              ends_on=oslo_today() - timedelta(days=1)))
        db.session.commit()
    _refused_plan(app, as_, people, question_bank)


def test_the_deputy_cannot_plan_after_the_period_was_ended_early(
    app, as_, people, question_bank
):
    row_id = give_deputy(app, as_, people)
    as_("hr").post(f"/admin/deputies/{row_id}/end")
    _refused_plan(app, as_, people, question_bank)


def test_the_service_refuses_a_deputy_outside_the_period(app, people, question_bank):
    from medsamtale.conversations import services
    from medsamtale.errors import Refused

    with app.app_context():
        db.session.add(Deputy(leader_id=people["lars"], deputy_id=people["lena"],
                              starts_on=oslo_today() + timedelta(days=1),
                              ends_on=oslo_today() + timedelta(days=9)))
        db.session.commit()
        lena, anne = db.session.get(User, people["lena"]), db.session.get(User, people["anne"])
        with pytest.raises(Refused):
            services.plan(lena, anne, starts_at=utcnow() + timedelta(days=20),
                          duration_minutes=90, place="Møterom 2", message="",
                          question_set_id=question_bank["standard"])


def test_the_deputy_never_reads_the_leaders_earlier_conversations_or_minutes(
    app, as_, people, held, question_bank
):
    agree_actions(app, held, ("Ta kurs i prosjektledelse", 30))
    give_deputy(app, as_, people)
    lena, lars = as_("lena"), as_("lars")
    assert "Ta kurs i prosjektledelse" in lars.get(f"/minutes/{held}").get_data(as_text=True)
    for url in (f"/minutes/{held}", f"/conversations/{held}", f"/agenda/{held}",
                f"/minutes/{held}/versions/1", f"/minutes/archive/{people['anne']}"):
        response = lena.get(url)
        assert response.status_code in (403, 404), url
        assert "Ta kurs i prosjektledelse" not in response.get_data(as_text=True)
    home = lena.get("/").get_data(as_text=True)
    assert "Ta kurs i prosjektledelse" not in home  # Lars' actions stay his to follow up
    assert "Ta kurs i prosjektledelse" in lars.get("/").get_data(as_text=True)

    # Nor in the agenda of the conversation she holds with Anne: what follows up Lars'
    # conversation is there, withheld.
    conversation_id = planned_id(plan_as(lena, people, question_bank, days=1,
                                         confirm_short_notice="y"))
    lena.post(f"/conversations/{conversation_id}/send")
    say_ready(app, conversation_id)
    response = lena.post(f"/agenda/{conversation_id}/start")
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    agenda = lena.get(f"/agenda/{conversation_id}").get_data(as_text=True)
    assert "Ta kurs i prosjektledelse" not in agenda


def test_the_leader_on_leave_does_not_read_the_conversation_the_deputy_holds(
    app, as_, people, question_bank
):
    give_deputy(app, as_, people)
    lena, lars = as_("lena"), as_("lars")
    conversation_id = planned_id(plan_as(lena, people, question_bank))
    lena.post(f"/conversations/{conversation_id}/send")
    assert lena.get(f"/conversations/{conversation_id}").status_code == 200
    for url in (f"/conversations/{conversation_id}", f"/prepare/{conversation_id}/leader",
                f"/prepare/{conversation_id}", f"/agenda/{conversation_id}"):
        assert lars.get(url).status_code in (403, 404), url
    assert lars.post(f"/conversations/{conversation_id}/cancel").status_code == 403
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).is_open
    # Lars's home page says Lena holds it, and links to none of its pages.
    home = lars.get("/").get_data(as_text=True)
    row = home[home.index(f'id="person-{people["anne"]}"'):]
    row = row[:row.index("</tr>")]
    assert "Hos Lena Larsen (stedfortreder)" in row
    assert f"/{conversation_id}" not in row


def test_an_open_conversation_stays_with_the_deputy_after_the_period(
    app, as_, people, question_bank
):
    row_id = give_deputy(app, as_, people)
    lena = as_("lena")
    conversation_id = planned_id(plan_as(lena, people, question_bank))
    as_("hr").post(f"/admin/deputies/{row_id}/end")
    assert lena.get(f"/conversations/{conversation_id}").status_code == 200
    home = lena.get("/").get_data(as_text=True)
    assert "Samtaler du holder som stedfortreder" in home
    assert f'id="deputy-held-{conversation_id}"' in home
    assert "Du er stedfortreder for" not in home


# The deputy's home page ---------------------------------------------------------------------


def person_item(page: str, person_id: int) -> str:
    return re.search(rf'<li id="deputy-person-{person_id}">.*?</li>', page, re.S)[0]


def test_the_deputys_home_page_names_the_leader_the_end_and_the_people_to_plan_for(
    app, as_, people, question_bank, make_conversation
):
    give_deputy(app, as_, people, start=-2, end=12)
    lars_own = make_conversation(people["bjorn"])  # planned by Lars before his leave
    lena = as_("lena")
    home = lena.get("/").get_data(as_text=True)
    end = long_date(oslo_today() + timedelta(days=12))
    assert f"Du er stedfortreder for Lars Lie til {end}" in home
    anne = person_item(home, people["anne"])
    assert f"/conversations/plan?employee={people['anne']}" in anne
    bjorn = person_item(home, people["bjorn"])
    assert "har en samtale med Lars Lie på gang" in bjorn
    assert f"/conversations/{lars_own}" not in bjorn

    conversation_id = planned_id(plan_as(lena, people, question_bank))
    anne = person_item(lena.get("/").get_data(as_text=True), people["anne"])
    assert f"/conversations/{conversation_id}" in anne
    assert "Som stedfortreder" not in as_("lars").get("/").get_data(as_text=True)


def test_the_deputys_home_page_is_a_fixed_number_of_queries(
    app, as_, people, make_user, count_queries
):
    give_deputy(app, as_, people)
    lena = as_("lena")

    def queries():
        lena.get("/")
        with count_queries() as statements:
            page = lena.get("/").get_data(as_text=True)
        return len(statements), page

    few, page = queries()
    assert page.count('<li id="deputy-person-') == 2
    for n in range(15):
        make_user(f"Flere {n:02d}", f"flere{n}@example.no", leader_id=people["lars"])
    many, page = queries()
    assert page.count('<li id="deputy-person-') == 17
    assert many == few, (few, many)
