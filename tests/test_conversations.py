"""Planning a conversation, the invitation with its calendar event, the employee's answer, who
may do what, and the leader's overview of their people (R1–R3).

Assertions are on data and structure (names, dates, element ids, database rows, the email
received and its parsed .ics), not on translated wording.
"""

import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import Conversation, OutboxMessage, User
from medsamtale.models.conversations import HELD
from medsamtale.timeutil import OSLO, from_oslo, to_oslo, utcnow

from .conftest import EMAILS

BASE_URL = "https://medsamtale.test.example"


# Helpers ------------------------------------------------------------------------------------


def oslo_day(days):
    """The date `days` from today on the Oslo calendar."""
    return (datetime.now(OSLO) + timedelta(days=days)).date()


def plan_data(employee_id, question_set_id, *, days=20, clock="10:00", duration=90,
              place="Møterom 2", message="", **extra):
    data = {
        "employee": str(employee_id),
        "day": oslo_day(days).isoformat(),
        "clock": clock,
        "duration_minutes": str(duration),
        "place": place,
        "question_set_id": str(question_set_id),
        "message": message,
    }
    data.update(extra)
    return data


def login(app, email):
    """A client of its own, logged in as `email`, so several people can act in one test."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "correct-horse-battery"})
    assert response.status_code == 302, email
    return client


def snapshot(app, conversation_id):
    """A conversation's row as a dict, read in a fresh session."""
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        return {
            column.name: getattr(conversation, column.key)
            for column in Conversation.__table__.columns
        }


def conversations_of(app, employee_id):
    with app.app_context():
        return [
            snapshot(app, conversation_id)
            for conversation_id in db.session.scalars(
                select(Conversation.id)
                .where(Conversation.employee_id == employee_id)
                .order_by(Conversation.id)
            )
        ]


def conversation_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Conversation.id)))


def outbox_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def new_mail(deliver, mailbox):
    """Deliver what is due and return what arrived since the last call."""
    messages = list(deliver())
    mailbox.messages.clear()
    return messages


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def attachments(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def calendar_of(message):
    """The invite.ics attachment, parsed, with its VEVENT; checks the MIME type's method."""
    part = attachments(message)["invite.ics"]
    assert part.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert part.get_param("method") == calendar["METHOD"]
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def wall_clock(value):
    """An aware datetime as the naive time on its own clock (what the attendee sees)."""
    return value.replace(tzinfo=None)


def has_field_error(page, field):
    return f'<ul class="errors" id="{field}-errors">' in page


def has_form_error(page):
    return 'class="errors form-errors"' in page


def invitation_preview(page):
    (article,) = re.findall(r'<article class="invitation">.*?</article>', page, re.DOTALL)
    return article


def person_row(page, person_id):
    """(class attribute, inner markup) of a person's row in the leader's overview, or None."""
    match = re.search(
        rf'<tr id="person-{person_id}"(?: class="([^"]*)")?>(.*?)</tr>', page, re.DOTALL
    )
    return (match.group(1) or "", match.group(2)) if match else None


class FormValues(HTMLParser):
    """What a browser would submit from the page's own form: the first POST form without an
    action, as the layout's language and logout forms have one."""

    def __init__(self, page):
        super().__init__()
        self.values, self._in_form, self._done = {}, False, False
        self._select = self._textarea = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._done:
            return
        if tag == "form" and attrs.get("method") == "post" and "action" not in attrs:
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[attrs["name"]] = attrs.get("value", "y")
            else:
                self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs["value"]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(page):
    values = FormValues(page).values
    # A textarea's content starts after the newline that follows its start tag.
    return {name: value.removeprefix("\r\n").removeprefix("\n") for name, value in values.items()}


def add_held(app, employee_id, question_set_id, days_ago):
    """A conversation held `days_ago` days ago, written directly to the database."""
    with app.app_context():
        employee = db.session.get(User, employee_id)
        at = (utcnow() - timedelta(days=days_ago)).replace(second=0, microsecond=0)
        conversation = Conversation(
            employee=employee, leader=employee.leader, question_set_id=question_set_id,
            starts_at=at, place="Møterom 2", state=HELD, invited_at=at - timedelta(days=14),
            accepted_at=at - timedelta(days=13), started_at=at, held_at=at + timedelta(hours=1),
        )
        db.session.add(conversation)
        db.session.commit()
        return conversation.id


# Planning and the invitation ----------------------------------------------------------------


def test_leader_plans_previews_and_sends_the_invitation_with_a_calendar_event(
    app, client, auth, people, question_bank, deliver, mailbox
):
    auth.login(EMAILS["lars"])
    message = "Jeg gleder meg til en god prat om året som har gått."
    response = client.post("/conversations/plan", data=plan_data(
        people["anne"], question_bank["standard"], days=20, clock="10:00", duration=75,
        place="Møterom Fjorden", message=message,
    ))

    (planned,) = conversations_of(app, people["anne"])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/conversations/{planned['id']}"
    assert planned["state"] == "planned"
    assert planned["leader_id"] == people["lars"]
    assert planned["starts_at"] == from_oslo(oslo_day(20), time(10, 0))
    assert planned["duration_minutes"] == 75
    assert planned["place"] == "Møterom Fjorden"
    assert planned["question_set_id"] == question_bank["standard"]
    assert planned["message"] == message
    assert planned["invited_at"] is None

    # The show page previews the invitation as Anne will read it; nothing is sent yet.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="state state-planned"' in page
    preview = invitation_preview(page)
    assert "Anne Aas" in preview
    assert "Møterom Fjorden" in preview
    assert f'<blockquote class="personal-message">{message}</blockquote>' in preview
    assert "Lars Lie" in preview
    assert f'action="/conversations/{planned["id"]}/send"' in page
    assert outbox_count(app) == 0
    assert new_mail(deliver, mailbox) == []

    response = client.post(
        f"/conversations/{planned['id']}/send", data={"version": planned["version"]}
    )
    assert response.status_code == 302
    sent = snapshot(app, planned["id"])
    assert sent["state"] == "invited"
    assert sent["invited_at"] is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="state state-invited"' in page
    assert f'action="/conversations/{planned["id"]}/send"' not in page

    (email,) = new_mail(deliver, mailbox)
    assert email["To"] == EMAILS["anne"]
    prepare_link = f"{BASE_URL}/prepare/{planned['id']}"
    assert prepare_link in text_of(email)
    assert f'href="{prepare_link}"' in html_of(email)
    assert "Møterom Fjorden" in text_of(email)
    assert message in text_of(email)

    part = attachments(email)["invite.ics"]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    calendar, event = calendar_of(email)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == sent["calendar_uid"]
    assert event.decoded("SEQUENCE") == 0
    assert event["ORGANIZER"] == "mailto:lars@example.no"
    assert event["ORGANIZER"].params["CN"] == "Lars Lie"
    assert event["ATTENDEE"] == "mailto:anne@example.no"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert event["ATTENDEE"].params["CN"] == "Anne Aas"
    start, end = event["DTSTART"], event["DTEND"]
    assert start.params["TZID"] == "Europe/Oslo"
    assert wall_clock(start.dt) == datetime.combine(oslo_day(20), time(10, 0))
    assert end.dt - start.dt == timedelta(minutes=75)
    assert str(event["LOCATION"]) == "Møterom Fjorden"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert prepare_link in str(event["DESCRIPTION"])
    assert "Europe/Oslo" in [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]

    # Sending twice sends nothing more.
    client.post(f"/conversations/{planned['id']}/send")
    assert new_mail(deliver, mailbox) == []
    assert snapshot(app, planned["id"])["invited_at"] == sent["invited_at"]


def test_moving_sends_a_calendar_update_and_a_new_message_alone_sends_nothing(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    first = snapshot(app, conversation_id)
    (_invitation,) = new_mail(deliver, mailbox)
    auth.login(EMAILS["lars"])

    # The edit form is filled with the conversation as it is, on the Oslo clock.
    form = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    start = to_oslo(first["starts_at"])
    assert form["day"] == start.date().isoformat()
    assert form["clock"] == start.strftime("%H:%M")
    assert form["place"] == "Møterom 2"
    assert form["duration_minutes"] == "90"
    assert form["version"] == str(first["version"])
    assert "employee" not in form

    response = client.post(f"/conversations/{conversation_id}/edit", data={
        **form, "day": oslo_day(25).isoformat(), "clock": "13:30",
    })
    assert response.status_code == 302
    moved = snapshot(app, conversation_id)
    assert moved["starts_at"] == from_oslo(oslo_day(25), time(13, 30))
    assert moved["calendar_sequence"] == 1
    assert moved["state"] == "invited"

    (update,) = new_mail(deliver, mailbox)
    assert update["To"] == EMAILS["anne"]
    calendar, event = calendar_of(update)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == first["calendar_uid"]
    assert event.decoded("SEQUENCE") == 1
    assert wall_clock(event["DTSTART"].dt) == datetime.combine(oslo_day(25), time(13, 30))
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=90)

    # Only the personal message changes: saved, and no update is sent.
    form = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    response = client.post(f"/conversations/{conversation_id}/edit", data={
        **form, "message": "Ta gjerne med tanker om neste år.",
    })
    assert response.status_code == 302
    changed = snapshot(app, conversation_id)
    assert changed["message"] == "Ta gjerne med tanker om neste år."
    assert changed["starts_at"] == moved["starts_at"]
    assert changed["calendar_sequence"] == 1
    assert new_mail(deliver, mailbox) == []


def test_cancelling_sends_a_cancellation_and_frees_the_person_for_a_new_conversation(
    app, client, auth, people, question_bank, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    before = snapshot(app, conversation_id)
    new_mail(deliver, mailbox)
    auth.login(EMAILS["lars"])

    response = client.post(
        f"/conversations/{conversation_id}/cancel", data={"version": before["version"]}
    )
    assert response.status_code == 302
    cancelled = snapshot(app, conversation_id)
    assert cancelled["state"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["calendar_sequence"] > before["calendar_sequence"]

    (email,) = new_mail(deliver, mailbox)
    assert email["To"] == EMAILS["anne"]
    assert attachments(email)["invite.ics"].get_param("method") == "CANCEL"
    calendar, event = calendar_of(email)
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == before["calendar_uid"]
    assert event.decoded("SEQUENCE") == cancelled["calendar_sequence"]
    assert str(event["STATUS"]) == "CANCELLED"

    # The show page offers no more changes, and the overview offers a new plan.
    page = client.get(f"/conversations/{conversation_id}").get_data(as_text=True)
    assert 'class="state state-cancelled"' in page
    assert f'action="/conversations/{conversation_id}/cancel"' not in page
    _classes, row = person_row(client.get("/").get_data(as_text=True), people["anne"])
    assert f'href="/conversations/plan?employee={people["anne"]}"' in row

    response = client.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["standard"])
    )
    assert response.status_code == 302
    old, new = conversations_of(app, people["anne"])
    assert old["state"] == "cancelled"
    assert new["state"] == "planned"
    assert new["calendar_uid"] != old["calendar_uid"]


def test_cancelling_an_unsent_conversation_sends_nothing(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], sent=False)
    auth.login(EMAILS["lars"])
    client.post(f"/conversations/{conversation_id}/cancel")
    assert snapshot(app, conversation_id)["state"] == "cancelled"
    assert new_mail(deliver, mailbox) == []


# R2 and R3: two weeks' notice, and not in the leader's office -------------------------------


def test_short_notice_must_be_confirmed(app, client, auth, people, question_bank):
    auth.login(EMAILS["lars"])
    data = plan_data(people["anne"], question_bank["standard"], days=10)

    response = client.post("/conversations/plan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "confirm_short_notice")
    assert 'name="confirm_short_notice"' in page
    # What the leader typed is kept.
    assert form_values(page)["day"] == data["day"]
    assert conversation_count(app) == 0

    response = client.post("/conversations/plan", data={**data, "confirm_short_notice": "y"})
    assert response.status_code == 302
    (planned,) = conversations_of(app, people["anne"])
    assert planned["starts_at"] == from_oslo(oslo_day(10), time(10, 0))


def test_two_weeks_ahead_needs_no_confirmation(app, client, auth, people, question_bank):
    auth.login(EMAILS["lars"])
    response = client.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["standard"], days=15)
    )
    assert response.status_code == 302
    assert len(conversations_of(app, people["anne"])) == 1


@pytest.mark.parametrize("place", ["Mitt kontor", "Kontoret til Lars"])
def test_the_leaders_own_office_must_be_confirmed(app, client, auth, people, question_bank,
                                                  place):
    auth.login(EMAILS["lars"])
    data = plan_data(people["anne"], question_bank["standard"], place=place)

    response = client.post("/conversations/plan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "confirm_place")
    assert not has_field_error(page, "confirm_short_notice")
    assert form_values(page)["place"] == place
    assert conversation_count(app) == 0

    response = client.post("/conversations/plan", data={**data, "confirm_place": "y"})
    assert response.status_code == 302
    (planned,) = conversations_of(app, people["anne"])
    assert planned["place"] == place


def test_a_meeting_room_gives_no_warning(app, client, auth, people, question_bank):
    auth.login(EMAILS["lars"])
    response = client.post("/conversations/plan", data=plan_data(
        people["anne"], question_bank["standard"], place="Møterom 2"))
    assert response.status_code == 302
    (planned,) = conversations_of(app, people["anne"])
    assert planned["place"] == "Møterom 2"


# Bad input changes nothing ------------------------------------------------------------------


BAD_PLANS = {
    "date in the past": (lambda p, q: {"day": oslo_day(-1).isoformat()}, "day"),
    "no date": (lambda p, q: {"day": ""}, "day"),
    "too short": (lambda p, q: {"duration_minutes": "5"}, "duration_minutes"),
    "too long": (lambda p, q: {"duration_minutes": "500"}, "duration_minutes"),
    "no place": (lambda p, q: {"place": "   "}, "place"),
    "another leader's person": (lambda p, q: {"employee": str(p["dag"])}, "employee"),
    "nobody": (lambda p, q: {"employee": "0"}, "employee"),
    "no such person": (lambda p, q: {"employee": "999999"}, "employee"),
    "no such question set": (
        lambda p, q: {"question_set_id": str(max(q.values()) + 100)}, "question_set_id"
    ),
}


@pytest.mark.parametrize("case", list(BAD_PLANS))
def test_bad_plans_are_refused_with_a_field_error_and_create_nothing(
    app, client, auth, people, question_bank, case
):
    change, field = BAD_PLANS[case]
    auth.login(EMAILS["lars"])
    data = {**plan_data(people["anne"], question_bank["standard"]),
            **change(people, question_bank)}

    response = client.post("/conversations/plan", data=data)
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), field)
    assert conversation_count(app) == 0
    assert outbox_count(app) == 0


def test_a_second_open_conversation_is_refused(
    app, client, auth, people, question_bank, make_conversation
):
    conversation_id = make_conversation(people["anne"], sent=False)
    auth.login(EMAILS["lars"])
    response = client.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["loft"], days=40)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert has_form_error(page)
    assert "Anne Aas" in page
    assert [c["id"] for c in conversations_of(app, people["anne"])] == [conversation_id]


def test_an_inactive_report_cannot_be_chosen(app, client, auth, make_user, people,
                                             question_bank):
    gone = make_user("Gunn Gått", "gunn@example.no", leader_id=people["lars"], active=False)
    auth.login(EMAILS["lars"])
    page = client.get("/conversations/plan").get_data(as_text=True)
    assert f'value="{people["anne"]}"' in page
    assert "Gunn Gått" not in page
    response = client.post("/conversations/plan", data=plan_data(gone, question_bank["standard"]))
    assert has_field_error(response.get_data(as_text=True), "employee")
    assert conversation_count(app) == 0


def test_the_plan_form_offers_only_the_leaders_own_people(app, client, auth, people):
    auth.login(EMAILS["lars"])
    page = client.get(f"/conversations/plan?employee={people['bjorn']}").get_data(as_text=True)
    assert "Anne Aas" in page
    assert "Bjørn Berg" in page
    assert "Dag Eide" not in page
    assert form_values(page)["employee"] == str(people["bjorn"])


def test_an_employee_cannot_plan(app, client, auth, people, question_bank):
    auth.login(EMAILS["anne"])
    assert client.get("/conversations/plan").status_code == 403
    response = client.post(
        "/conversations/plan", data=plan_data(people["bjorn"], question_bank["standard"])
    )
    assert response.status_code == 403
    assert conversation_count(app) == 0


def test_editing_with_bad_input_changes_nothing(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    before = snapshot(app, conversation_id)
    auth.login(EMAILS["lars"])
    form = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))

    for change, field in [
        ({"day": oslo_day(-2).isoformat()}, "day"),
        ({"duration_minutes": "500"}, "duration_minutes"),
        ({"place": "Mitt kontor"}, "confirm_place"),
        ({"day": oslo_day(3).isoformat()}, "confirm_short_notice"),
        ({"question_set_id": "999999"}, "question_set_id"),
    ]:
        response = client.post(f"/conversations/{conversation_id}/edit", data={**form, **change})
        assert response.status_code == 422, change
        assert has_field_error(response.get_data(as_text=True), field), change

    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


def test_editing_from_a_stale_page_changes_nothing(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    auth.login(EMAILS["lars"])
    # Two tabs with the edit form; the first one saves.
    stale = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    fresh = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    assert client.post(f"/conversations/{conversation_id}/edit", data={
        **fresh, "message": "Fra den første fanen.",
    }).status_code == 302
    before = snapshot(app, conversation_id)

    response = client.post(f"/conversations/{conversation_id}/edit", data={
        **stale, "day": oslo_day(30).isoformat(), "clock": "09:00",
    })
    assert response.status_code == 409
    assert has_form_error(response.get_data(as_text=True))
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


@pytest.mark.parametrize("action", ["send", "cancel"])
def test_a_leader_action_from_a_stale_page_changes_nothing(
    app, client, auth, people, make_conversation, deliver, mailbox, action
):
    conversation_id = make_conversation(people["anne"], sent=False)
    stale_version = snapshot(app, conversation_id)["version"]
    auth.login(EMAILS["lars"])
    form = form_values(client.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    client.post(f"/conversations/{conversation_id}/edit", data={**form, "message": "Hei"})
    before = snapshot(app, conversation_id)
    assert before["version"] != stale_version

    response = client.post(
        f"/conversations/{conversation_id}/{action}", data={"version": stale_version},
        follow_redirects=True,
    )
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


# The employee answers -----------------------------------------------------------------------


def test_employee_accepts_and_the_leader_is_told(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    version = snapshot(app, conversation_id)["version"]
    auth.login(EMAILS["anne"])

    response = client.post(f"/conversations/{conversation_id}/accept", data={"version": version})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/prepare/{conversation_id}"
    accepted = snapshot(app, conversation_id)
    assert accepted["state"] == "accepted"
    assert accepted["accepted_at"] is not None

    (email,) = new_mail(deliver, mailbox)
    assert email["To"] == EMAILS["lars"]
    assert "Anne Aas" in text_of(email)
    assert f"{BASE_URL}/conversations/{conversation_id}" in text_of(email)
    assert "invite.ics" not in attachments(email)

    # Accepting again tells nobody anything new.
    client.post(f"/conversations/{conversation_id}/accept")
    assert new_mail(deliver, mailbox) == []
    assert snapshot(app, conversation_id)["accepted_at"] == accepted["accepted_at"]


def propose(client, app, conversation_id, *, days=25, clock="14:15", comment=""):
    page = client.get(f"/conversations/{conversation_id}/respond").get_data(as_text=True)
    form = form_values(page)
    assert form["version"] == str(snapshot(app, conversation_id)["version"])
    return client.post(f"/conversations/{conversation_id}/respond", data={
        **form, "day": oslo_day(days).isoformat(), "clock": clock, "comment": comment,
    })


def test_employee_proposes_a_time_and_the_leader_moves_to_it(
    app, client, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    first = snapshot(app, conversation_id)
    new_mail(deliver, mailbox)
    anne = login(app, EMAILS["anne"])
    comment = "Jeg er på kurs den uka. Passer torsdagen etter?"

    response = propose(anne, app, conversation_id, days=27, clock="14:15", comment=comment)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/prepare/{conversation_id}"
    proposed = snapshot(app, conversation_id)
    assert proposed["state"] == "time_proposed"
    assert proposed["proposed_starts_at"] == from_oslo(oslo_day(27), time(14, 15))
    assert proposed["proposal_comment"] == comment
    assert proposed["starts_at"] == first["starts_at"]

    (email,) = new_mail(deliver, mailbox)
    assert email["To"] == EMAILS["lars"]
    assert comment in text_of(email)
    assert comment in html_of(email)
    assert f"{BASE_URL}/conversations/{conversation_id}" in text_of(email)

    lars = login(app, EMAILS["lars"])
    page = lars.get(f"/conversations/{conversation_id}").get_data(as_text=True)
    assert 'id="proposal-heading"' in page
    assert comment in page
    assert f'action="/conversations/{conversation_id}/use-proposed-time"' in page

    response = lars.post(f"/conversations/{conversation_id}/use-proposed-time",
                         data={"version": proposed["version"]})
    assert response.status_code == 302
    moved = snapshot(app, conversation_id)
    assert moved["starts_at"] == proposed["proposed_starts_at"]
    assert moved["proposed_starts_at"] is None
    assert moved["calendar_sequence"] == first["calendar_sequence"] + 1
    assert moved["state"] == "invited"

    (update,) = new_mail(deliver, mailbox)
    assert update["To"] == EMAILS["anne"]
    calendar, event = calendar_of(update)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == first["calendar_uid"]
    assert event.decoded("SEQUENCE") == moved["calendar_sequence"]
    assert wall_clock(event["DTSTART"].dt) == datetime.combine(oslo_day(27), time(14, 15))


def test_the_leader_keeps_the_planned_time_and_the_employee_is_told(
    app, client, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    first = snapshot(app, conversation_id)
    new_mail(deliver, mailbox)
    anne = login(app, EMAILS["anne"])
    assert propose(anne, app, conversation_id, comment="Kan vi ta det senere?").status_code == 302
    new_mail(deliver, mailbox)
    proposed = snapshot(app, conversation_id)

    lars = login(app, EMAILS["lars"])
    response = lars.post(f"/conversations/{conversation_id}/keep-time",
                         data={"version": proposed["version"]})
    assert response.status_code == 302
    kept = snapshot(app, conversation_id)
    assert kept["starts_at"] == first["starts_at"]
    assert kept["proposed_starts_at"] is None
    assert kept["calendar_sequence"] == first["calendar_sequence"]
    assert kept["state"] == "invited"

    (email,) = new_mail(deliver, mailbox)
    assert email["To"] == EMAILS["anne"]
    assert f"{BASE_URL}/prepare/{conversation_id}" in text_of(email)
    assert "invite.ics" not in attachments(email)

    # Anne can answer again: she accepts the time that stands.
    assert anne.post(f"/conversations/{conversation_id}/accept").status_code == 302
    assert snapshot(app, conversation_id)["state"] == "accepted"


def test_answers_from_a_page_older_than_the_leaders_change_are_refused(
    app, client, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    new_mail(deliver, mailbox)
    base = f"/conversations/{conversation_id}"
    anne = login(app, EMAILS["anne"])
    seen = snapshot(app, conversation_id)
    proposal = form_values(anne.get(f"{base}/respond").get_data(as_text=True))

    # Lars moves the conversation while Anne has the old time in front of her.
    lars = login(app, EMAILS["lars"])
    form = form_values(lars.get(f"{base}/edit").get_data(as_text=True))
    lars.post(f"{base}/edit", data={**form, "day": oslo_day(22).isoformat()})
    moved = snapshot(app, conversation_id)
    assert moved["calendar_sequence"] == 1
    new_mail(deliver, mailbox)

    response = anne.post(f"{base}/accept", data={"version": seen["version"]},
                         follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    response = anne.post(f"{base}/respond", data={
        **proposal, "day": oslo_day(28).isoformat(), "clock": "12:00", "comment": "Senere?"})
    assert response.status_code == 409
    assert has_form_error(response.get_data(as_text=True))
    assert snapshot(app, conversation_id) == moved
    assert new_mail(deliver, mailbox) == []


def test_proposing_a_time_in_the_past_is_refused(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    before = snapshot(app, conversation_id)
    auth.login(EMAILS["anne"])

    response = propose(client, app, conversation_id, days=-1, comment="I går passet best")
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "day")
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


def test_an_unsent_invitation_is_the_leaders_draft(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], sent=False)
    before = snapshot(app, conversation_id)
    auth.login(EMAILS["anne"])
    base = f"/conversations/{conversation_id}"
    assert client.get(f"{base}/respond").status_code == 404
    response = client.post(f"{base}/respond", data={
        "day": oslo_day(30).isoformat(), "clock": "09:00", "comment": "Kladd"})
    assert response.status_code == 404
    assert client.post(f"{base}/accept").status_code == 404
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


# Who may do what ----------------------------------------------------------------------------


def every_request(conversation_id, data):
    base = f"/conversations/{conversation_id}"
    return [
        ("GET", base, None),
        ("GET", f"{base}/edit", None),
        ("POST", f"{base}/edit", data),
        ("POST", f"{base}/send", {}),
        ("POST", f"{base}/cancel", {}),
        ("POST", f"{base}/keep-time", {}),
        ("POST", f"{base}/use-proposed-time", {}),
        ("GET", f"{base}/respond", None),
        ("POST", f"{base}/respond", {"day": oslo_day(30).isoformat(), "clock": "09:00"}),
        ("POST", f"{base}/accept", {}),
    ]


@pytest.mark.parametrize("outsider", ["bjorn", "lena", "hr"])
def test_nobody_else_sees_or_changes_a_conversation(
    app, people, question_bank, make_conversation, deliver, mailbox, outsider
):
    conversation_id = make_conversation(people["anne"], sent=False, place="Møterom Fjorden")
    anne = login(app, EMAILS["anne"])
    # Sent, with a proposal from Anne, so that every action would have something to do.
    lars = login(app, EMAILS["lars"])
    lars.post(f"/conversations/{conversation_id}/send")
    assert propose(anne, app, conversation_id, comment="Hemmelig grunn").status_code == 302
    new_mail(deliver, mailbox)
    before = snapshot(app, conversation_id)
    data = plan_data(people["anne"], question_bank["standard"], days=30, place="Kantina")

    client = login(app, EMAILS[outsider])
    for method, url, form in every_request(conversation_id, data):
        response = client.open(url, method=method, data=form)
        assert response.status_code == 403, (method, url)
        page = response.get_data(as_text=True)
        assert "Møterom Fjorden" not in page, url
        assert "Hemmelig grunn" not in page, url

    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


def test_the_leader_cannot_answer_for_the_employee(
    app, client, auth, people, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    before = snapshot(app, conversation_id)
    auth.login(EMAILS["lars"])
    assert client.post(f"/conversations/{conversation_id}/accept").status_code == 403
    assert client.get(f"/conversations/{conversation_id}/respond").status_code == 403
    response = client.post(f"/conversations/{conversation_id}/respond", data={
        "day": oslo_day(30).isoformat(), "clock": "09:00"})
    assert response.status_code == 403
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


def test_the_employee_cannot_use_the_leaders_pages(
    app, client, auth, people, question_bank, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    before = snapshot(app, conversation_id)
    auth.login(EMAILS["anne"])
    data = plan_data(people["anne"], question_bank["standard"], days=30)
    for method, url, form in every_request(conversation_id, data)[:7]:
        assert client.open(url, method=method, data=form).status_code == 403, (method, url)
    assert snapshot(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


def test_a_conversation_that_does_not_exist_is_not_found(client, auth, people):
    auth.login(EMAILS["lars"])
    assert client.get("/conversations/999999").status_code == 404
    assert client.post("/conversations/999999/cancel").status_code == 404


def test_visitors_are_sent_to_the_login_page(client, people, make_conversation):
    conversation_id = make_conversation(people["anne"])
    for url in ["/conversations/plan", f"/conversations/{conversation_id}"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


# The leader's overview (R1) -----------------------------------------------------------------


def test_overview_marks_people_without_a_conversation_in_the_last_year(
    app, client, auth, make_user, people, question_bank, make_conversation
):
    standard = question_bank["standard"]
    carl = make_user("Carl Crone", "carl@example.no", leader_id=people["lars"])
    eva = make_user("Eva Eng", "eva@example.no", leader_id=people["lars"])
    gone = make_user("Gunn Gått", "gunn@example.no", leader_id=people["lars"], active=False)
    add_held(app, people["anne"], standard, days_ago=400)   # held, but too long ago
    add_held(app, carl, standard, days_ago=100)             # held recently
    add_held(app, eva, standard, days_ago=500)
    add_held(app, eva, standard, days_ago=200)              # the latest one counts
    add_held(app, people["dag"], standard, days_ago=30)     # Lena's, not Lars's
    # Bjørn has had none; his cancelled conversation does not count.
    cancelled = make_conversation(people["bjorn"], sent=False)
    with app.app_context():
        conversation = db.session.get(Conversation, cancelled)
        conversation.cancelled_at = utcnow()
        conversation.refresh_state()
        db.session.commit()
    make_conversation(people["anne"], days=30, sent=False)
    make_conversation(carl, days=300, sent=True)

    auth.login(EMAILS["lars"])
    page = client.get("/").get_data(as_text=True)

    assert person_row(page, people["dag"]) is None
    assert "Dag Eide" not in page
    assert person_row(page, gone) is None
    ids = {"anne": people["anne"], "bjorn": people["bjorn"], "carl": carl, "eva": eva}
    rows = {name: person_row(page, person_id) for name, person_id in ids.items()}
    assert all(rows.values())
    overdue = {name for name, (classes, _row) in rows.items() if "overdue" in classes.split()}
    assert overdue == {"anne", "bjorn"}
    # Sorted by name.
    assert re.findall(r'<tr id="person-(\d+)"', page) == [str(i) for i in ids.values()]

    # The next conversation's state, a link to it; or a link to plan one.
    anne_row, bjorn_row, carl_row, eva_row = (rows[n][1] for n in ["anne", "bjorn", "carl", "eva"])
    (anne_next,) = [c for c in conversations_of(app, people["anne"]) if c["state"] != HELD]
    assert 'class="state state-planned"' in anne_row
    assert f'href="/conversations/{anne_next["id"]}"' in anne_row
    assert 'class="state state-invited"' in carl_row
    assert "state-" not in bjorn_row
    assert f'href="/conversations/plan?employee={people["bjorn"]}"' in bjorn_row
    assert f'href="/conversations/plan?employee={eva}"' in eva_row


def test_overview_is_a_fixed_number_of_queries_however_many_people(
    app, make_user, people, question_bank, make_conversation, count_queries
):
    standard = question_bank["standard"]
    lena_people = [people["dag"]] + [
        make_user(f"Person {n}", f"person{n}@example.no", leader_id=people["lena"])
        for n in range(7)
    ]
    for n, person in enumerate([people["anne"], people["bjorn"], *lena_people]):
        add_held(app, person, standard, days_ago=100 + 50 * n)
        make_conversation(person, days=20 + n, sent=bool(n % 2))

    def queries_for_home(email):
        client = login(app, email)
        client.get("/")  # the first page after logging in may do one-off work
        with count_queries() as statements:
            page = client.get("/").get_data(as_text=True)
        return len(statements), page

    two, lars_page = queries_for_home(EMAILS["lars"])
    eight, lena_page = queries_for_home(EMAILS["lena"])
    assert len(re.findall(r'<tr id="person-', lars_page)) == 2
    assert len(re.findall(r'<tr id="person-', lena_page)) == 8
    assert eight == two, (two, eight)
