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
from medsamtale.models import Conversation, User
from medsamtale.models.conversations import HELD
from medsamtale.timeutil import OSLO, from_oslo, to_oslo, utcnow

from .fixtures.app import BASE_URL, EMAILS, OUTSIDERS
from .helpers import (
    has_field_error,
    has_form_error,
    html_of,
    new_mail,
    one_new_mail,
    outbox_count,
    row,
    text_of,
)

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


def conversation_row(app, conversation_id):
    """A conversation's row as a dict, read in a fresh session."""
    return row(app, Conversation, conversation_id)


def conversations_of(app, employee_id):
    with app.app_context():
        return [
            conversation_row(app, conversation_id)
            for conversation_id in db.session.scalars(
                select(Conversation.id)
                .where(Conversation.employee_id == employee_id)
                .order_by(Conversation.id)
            )
        ]


def conversation_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Conversation.id)))


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


def calendar_mail(deliver, mailbox, who, method, uid, sequence):
    """The one message sent since the last look: to `who`, with the calendar event `uid` at
    `sequence`, sent with `method` (REQUEST or CANCEL). Returns (message, calendar, event)."""
    message = one_new_mail(deliver, mailbox, EMAILS[who])
    calendar, event = calendar_of(message)
    assert calendar["METHOD"] == method
    assert str(event["UID"]) == uid
    assert event.decoded("SEQUENCE") == sequence
    return message, calendar, event


def wall_clock(value):
    """An aware datetime as the naive time on its own clock (what the attendee sees)."""
    return value.replace(tzinfo=None)


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


@pytest.fixture
def invited(people, make_conversation, deliver, mailbox):
    """Anne's conversation with Lars, planned and sent, the invitation delivered (nothing
    new in the mailbox); returns its id."""
    conversation_id = make_conversation(people["anne"])
    new_mail(deliver, mailbox)
    return conversation_id


def assert_unchanged(app, conversation_id, before, deliver, mailbox):
    """Nothing changed: the conversation is as `before`, and no mail has gone out."""
    assert conversation_row(app, conversation_id) == before
    assert new_mail(deliver, mailbox) == []


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
    app, people, as_, question_bank, deliver, mailbox
):
    lars = as_("lars")
    message = "Jeg gleder meg til en god prat om året som har gått."
    response = lars.post("/conversations/plan", data=plan_data(
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
    page = lars.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="state state-planned"' in page
    preview = invitation_preview(page)
    assert "Anne Aas" in preview
    assert "Møterom Fjorden" in preview
    assert f'<blockquote class="personal-message">{message}</blockquote>' in preview
    assert "Lars Lie" in preview
    assert f'action="/conversations/{planned["id"]}/send"' in page
    assert outbox_count(app) == 0
    assert new_mail(deliver, mailbox) == []

    response = lars.post(
        f"/conversations/{planned['id']}/send", data={"version": planned["version"]}
    )
    assert response.status_code == 302
    sent = conversation_row(app, planned["id"])
    assert sent["state"] == "invited"
    assert sent["invited_at"] is not None
    page = lars.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="state state-invited"' in page
    assert f'action="/conversations/{planned["id"]}/send"' not in page

    email, calendar, event = calendar_mail(deliver, mailbox, "anne", "REQUEST",
                                           sent["calendar_uid"], 0)
    prepare_link = f"{BASE_URL}/prepare/{planned['id']}"
    assert prepare_link in text_of(email)
    assert f'href="{prepare_link}"' in html_of(email)
    assert "Møterom Fjorden" in text_of(email)
    assert message in text_of(email)

    part = attachments(email)["invite.ics"]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
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
    lars.post(f"/conversations/{planned['id']}/send")
    assert new_mail(deliver, mailbox) == []
    assert conversation_row(app, planned["id"])["invited_at"] == sent["invited_at"]


def test_moving_sends_a_calendar_update_and_a_new_message_alone_sends_nothing(
    app, people, as_, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    first = conversation_row(app, conversation_id)
    (_invitation,) = new_mail(deliver, mailbox)
    lars = as_("lars")

    # The edit form is filled with the conversation as it is, on the Oslo clock.
    form = form_values(lars.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    start = to_oslo(first["starts_at"])
    assert form["day"] == start.date().isoformat()
    assert form["clock"] == start.strftime("%H:%M")
    assert form["place"] == "Møterom 2"
    assert form["duration_minutes"] == "90"
    assert form["version"] == str(first["version"])
    assert "employee" not in form

    response = lars.post(f"/conversations/{conversation_id}/edit", data={
        **form, "day": oslo_day(25).isoformat(), "clock": "13:30",
    })
    assert response.status_code == 302
    moved = conversation_row(app, conversation_id)
    assert moved["starts_at"] == from_oslo(oslo_day(25), time(13, 30))
    assert moved["calendar_sequence"] == 1
    assert moved["state"] == "invited"

    _update, _calendar, event = calendar_mail(deliver, mailbox, "anne", "REQUEST",
                                              first["calendar_uid"], 1)
    assert wall_clock(event["DTSTART"].dt) == datetime.combine(oslo_day(25), time(13, 30))
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=90)

    # Only the personal message changes: saved, and no update is sent.
    form = form_values(lars.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    response = lars.post(f"/conversations/{conversation_id}/edit", data={
        **form, "message": "Ta gjerne med tanker om neste år.",
    })
    assert response.status_code == 302
    changed = conversation_row(app, conversation_id)
    assert changed["message"] == "Ta gjerne med tanker om neste år."
    assert changed["starts_at"] == moved["starts_at"]
    assert changed["calendar_sequence"] == 1
    assert new_mail(deliver, mailbox) == []


def test_cancelling_sends_a_cancellation_and_frees_the_person_for_a_new_conversation(
    app, people, as_, question_bank, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], days=20)
    before = conversation_row(app, conversation_id)
    new_mail(deliver, mailbox)
    lars = as_("lars")

    response = lars.post(
        f"/conversations/{conversation_id}/cancel", data={"version": before["version"]}
    )
    assert response.status_code == 302
    cancelled = conversation_row(app, conversation_id)
    assert cancelled["state"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["calendar_sequence"] > before["calendar_sequence"]

    email, _calendar, event = calendar_mail(deliver, mailbox, "anne", "CANCEL",
                                            before["calendar_uid"],
                                            cancelled["calendar_sequence"])
    assert attachments(email)["invite.ics"].get_param("method") == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"

    # The show page offers no more changes, and the overview offers a new plan.
    page = lars.get(f"/conversations/{conversation_id}").get_data(as_text=True)
    assert 'class="state state-cancelled"' in page
    assert f'action="/conversations/{conversation_id}/cancel"' not in page
    _classes, row = person_row(lars.get("/").get_data(as_text=True), people["anne"])
    assert f'href="/conversations/plan?employee={people["anne"]}"' in row

    response = lars.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["standard"])
    )
    assert response.status_code == 302
    old, new = conversations_of(app, people["anne"])
    assert old["state"] == "cancelled"
    assert new["state"] == "planned"
    assert new["calendar_uid"] != old["calendar_uid"]


def test_cancelling_an_unsent_conversation_sends_nothing(
    app, people, as_, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], sent=False)
    lars = as_("lars")
    lars.post(f"/conversations/{conversation_id}/cancel")
    assert conversation_row(app, conversation_id)["state"] == "cancelled"
    assert new_mail(deliver, mailbox) == []


# R2 and R3: two weeks' notice, and not in the leader's office -------------------------------


def test_short_notice_must_be_confirmed(app, people, as_, question_bank):
    lars = as_("lars")
    data = plan_data(people["anne"], question_bank["standard"], days=10)

    response = lars.post("/conversations/plan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "confirm_short_notice")
    assert 'name="confirm_short_notice"' in page
    # What the leader typed is kept.
    assert form_values(page)["day"] == data["day"]
    assert conversation_count(app) == 0

    response = lars.post("/conversations/plan", data={**data, "confirm_short_notice": "y"})
    assert response.status_code == 302
    (planned,) = conversations_of(app, people["anne"])
    assert planned["starts_at"] == from_oslo(oslo_day(10), time(10, 0))


def test_two_weeks_ahead_needs_no_confirmation(app, people, as_, question_bank):
    lars = as_("lars")
    response = lars.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["standard"], days=15)
    )
    assert response.status_code == 302
    assert len(conversations_of(app, people["anne"])) == 1


@pytest.mark.parametrize("place", ["Mitt kontor", "Kontoret til Lars"])
def test_the_leaders_own_office_must_be_confirmed(app, people, as_, question_bank,
                                                  place):
    lars = as_("lars")
    data = plan_data(people["anne"], question_bank["standard"], place=place)

    response = lars.post("/conversations/plan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "confirm_place")
    assert not has_field_error(page, "confirm_short_notice")
    assert form_values(page)["place"] == place
    assert conversation_count(app) == 0

    response = lars.post("/conversations/plan", data={**data, "confirm_place": "y"})
    assert response.status_code == 302
    (planned,) = conversations_of(app, people["anne"])
    assert planned["place"] == place


def test_a_meeting_room_gives_no_warning(app, people, as_, question_bank):
    lars = as_("lars")
    response = lars.post("/conversations/plan", data=plan_data(
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
    app, people, as_, question_bank, case
):
    change, field = BAD_PLANS[case]
    lars = as_("lars")
    data = {**plan_data(people["anne"], question_bank["standard"]),
            **change(people, question_bank)}

    response = lars.post("/conversations/plan", data=data)
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), field)
    assert conversation_count(app) == 0
    assert outbox_count(app) == 0


def test_a_second_open_conversation_is_refused(
    app, people, as_, question_bank, make_conversation
):
    conversation_id = make_conversation(people["anne"], sent=False)
    lars = as_("lars")
    response = lars.post(
        "/conversations/plan", data=plan_data(people["anne"], question_bank["loft"], days=40)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert has_form_error(page)
    assert "Anne Aas" in page
    assert [c["id"] for c in conversations_of(app, people["anne"])] == [conversation_id]


def test_an_inactive_report_cannot_be_chosen(app, make_user, people, as_,
                                             question_bank):
    gone = make_user("Gunn Gått", "gunn@example.no", leader_id=people["lars"], active=False)
    lars = as_("lars")
    page = lars.get("/conversations/plan").get_data(as_text=True)
    assert f'value="{people["anne"]}"' in page
    assert "Gunn Gått" not in page
    response = lars.post("/conversations/plan", data=plan_data(gone, question_bank["standard"]))
    assert has_field_error(response.get_data(as_text=True), "employee")
    assert conversation_count(app) == 0


def test_the_plan_form_offers_only_the_leaders_own_people(app, people, as_):
    lars = as_("lars")
    page = lars.get(f"/conversations/plan?employee={people['bjorn']}").get_data(as_text=True)
    assert "Anne Aas" in page
    assert "Bjørn Berg" in page
    assert "Dag Eide" not in page
    assert form_values(page)["employee"] == str(people["bjorn"])


def test_an_employee_cannot_plan(app, people, as_, question_bank):
    anne = as_("anne")
    assert anne.get("/conversations/plan").status_code == 403
    response = anne.post(
        "/conversations/plan", data=plan_data(people["bjorn"], question_bank["standard"])
    )
    assert response.status_code == 403
    assert conversation_count(app) == 0


def test_editing_with_bad_input_changes_nothing(
    app, people, as_, invited, deliver, mailbox
):
    before = conversation_row(app, invited)
    lars = as_("lars")
    form = form_values(lars.get(f"/conversations/{invited}/edit").get_data(
        as_text=True))

    for change, field in [
        ({"day": oslo_day(-2).isoformat()}, "day"),
        ({"duration_minutes": "500"}, "duration_minutes"),
        ({"place": "Mitt kontor"}, "confirm_place"),
        ({"day": oslo_day(3).isoformat()}, "confirm_short_notice"),
        ({"question_set_id": "999999"}, "question_set_id"),
    ]:
        response = lars.post(f"/conversations/{invited}/edit", data={**form, **change})
        assert response.status_code == 422, change
        assert has_field_error(response.get_data(as_text=True), field), change

    assert_unchanged(app, invited, before, deliver, mailbox)


def test_editing_from_a_stale_page_changes_nothing(
    app, people, as_, invited, deliver, mailbox
):
    lars = as_("lars")
    # Two tabs with the edit form; the first one saves.
    stale = form_values(lars.get(f"/conversations/{invited}/edit").get_data(
        as_text=True))
    fresh = form_values(lars.get(f"/conversations/{invited}/edit").get_data(
        as_text=True))
    assert lars.post(f"/conversations/{invited}/edit", data={
        **fresh, "message": "Fra den første fanen.",
    }).status_code == 302
    before = conversation_row(app, invited)

    response = lars.post(f"/conversations/{invited}/edit", data={
        **stale, "day": oslo_day(30).isoformat(), "clock": "09:00",
    })
    assert response.status_code == 409
    assert has_form_error(response.get_data(as_text=True))
    assert_unchanged(app, invited, before, deliver, mailbox)


@pytest.mark.parametrize("action", ["send", "cancel"])
def test_a_leader_action_from_a_stale_page_changes_nothing(
    app, people, as_, make_conversation, deliver, mailbox, action
):
    conversation_id = make_conversation(people["anne"], sent=False)
    stale_version = conversation_row(app, conversation_id)["version"]
    lars = as_("lars")
    form = form_values(lars.get(f"/conversations/{conversation_id}/edit").get_data(
        as_text=True))
    lars.post(f"/conversations/{conversation_id}/edit", data={**form, "message": "Hei"})
    before = conversation_row(app, conversation_id)
    assert before["version"] != stale_version

    response = lars.post(
        f"/conversations/{conversation_id}/{action}", data={"version": stale_version},
        follow_redirects=True,
    )
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert_unchanged(app, conversation_id, before, deliver, mailbox)


# The employee answers -----------------------------------------------------------------------


def test_employee_accepts_and_the_leader_is_told(
    app, people, as_, invited, deliver, mailbox
):
    version = conversation_row(app, invited)["version"]
    anne = as_("anne")

    response = anne.post(f"/conversations/{invited}/accept", data={"version": version})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/prepare/{invited}"
    accepted = conversation_row(app, invited)
    assert accepted["state"] == "accepted"
    assert accepted["accepted_at"] is not None

    email = one_new_mail(deliver, mailbox, EMAILS["lars"])
    assert "Anne Aas" in text_of(email)
    assert f"{BASE_URL}/conversations/{invited}" in text_of(email)
    assert "invite.ics" not in attachments(email)

    # Accepting again tells nobody anything new.
    anne.post(f"/conversations/{invited}/accept")
    assert new_mail(deliver, mailbox) == []
    assert conversation_row(app, invited)["accepted_at"] == accepted["accepted_at"]


def propose(client, app, conversation_id, *, days=25, clock="14:15", comment=""):
    page = client.get(f"/conversations/{conversation_id}/respond").get_data(as_text=True)
    form = form_values(page)
    assert form["version"] == str(conversation_row(app, conversation_id)["version"])
    return client.post(f"/conversations/{conversation_id}/respond", data={
        **form, "day": oslo_day(days).isoformat(), "clock": clock, "comment": comment,
    })


def answer_the_proposal(client, app, conversation_id, answer, version):
    """The leader answers the employee's proposal (`answer`: use-proposed-time or keep-time):
    the proposal is gone, and the employee is invited again. Returns the conversation's row."""
    response = client.post(f"/conversations/{conversation_id}/{answer}",
                           data={"version": version})
    assert response.status_code == 302
    answered = conversation_row(app, conversation_id)
    assert answered["proposed_starts_at"] is None
    assert answered["state"] == "invited"
    return answered


def test_employee_proposes_a_time_and_the_leader_moves_to_it(
    app, people, as_, invited, deliver, mailbox
):
    first = conversation_row(app, invited)
    anne = as_("anne")
    comment = "Jeg er på kurs den uka. Passer torsdagen etter?"

    response = propose(anne, app, invited, days=27, clock="14:15", comment=comment)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/prepare/{invited}"
    proposed = conversation_row(app, invited)
    assert proposed["state"] == "time_proposed"
    assert proposed["proposed_starts_at"] == from_oslo(oslo_day(27), time(14, 15))
    assert proposed["proposal_comment"] == comment
    assert proposed["starts_at"] == first["starts_at"]

    email = one_new_mail(deliver, mailbox, EMAILS["lars"])
    assert comment in text_of(email)
    assert comment in html_of(email)
    assert f"{BASE_URL}/conversations/{invited}" in text_of(email)

    lars = as_("lars")
    page = lars.get(f"/conversations/{invited}").get_data(as_text=True)
    assert 'id="proposal-heading"' in page
    assert comment in page
    assert f'action="/conversations/{invited}/use-proposed-time"' in page

    moved = answer_the_proposal(lars, app, invited, "use-proposed-time", proposed["version"])
    assert moved["starts_at"] == proposed["proposed_starts_at"]
    assert moved["calendar_sequence"] == first["calendar_sequence"] + 1

    _update, _calendar, event = calendar_mail(deliver, mailbox, "anne", "REQUEST",
                                              first["calendar_uid"], moved["calendar_sequence"])
    assert wall_clock(event["DTSTART"].dt) == datetime.combine(oslo_day(27), time(14, 15))


def test_the_leader_keeps_the_planned_time_and_the_employee_is_told(
    app, people, as_, invited, deliver, mailbox
):
    first = conversation_row(app, invited)
    anne = as_("anne")
    assert propose(anne, app, invited, comment="Kan vi ta det senere?").status_code == 302
    new_mail(deliver, mailbox)
    proposed = conversation_row(app, invited)

    lars = as_("lars")
    kept = answer_the_proposal(lars, app, invited, "keep-time", proposed["version"])
    assert kept["starts_at"] == first["starts_at"]
    assert kept["calendar_sequence"] == first["calendar_sequence"]

    email = one_new_mail(deliver, mailbox, EMAILS["anne"])
    assert f"{BASE_URL}/prepare/{invited}" in text_of(email)
    assert "invite.ics" not in attachments(email)

    # Anne can answer again: she accepts the time that stands.
    assert anne.post(f"/conversations/{invited}/accept").status_code == 302
    assert conversation_row(app, invited)["state"] == "accepted"


def test_answers_from_a_page_older_than_the_leaders_change_are_refused(
    app, people, as_, invited, deliver, mailbox
):
    base = f"/conversations/{invited}"
    anne = as_("anne")
    seen = conversation_row(app, invited)
    proposal = form_values(anne.get(f"{base}/respond").get_data(as_text=True))

    # Lars moves the conversation while Anne has the old time in front of her.
    lars = as_("lars")
    form = form_values(lars.get(f"{base}/edit").get_data(as_text=True))
    lars.post(f"{base}/edit", data={**form, "day": oslo_day(22).isoformat()})
    moved = conversation_row(app, invited)
    assert moved["calendar_sequence"] == 1
    new_mail(deliver, mailbox)

    response = anne.post(f"{base}/accept", data={"version": seen["version"]},
                         follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    response = anne.post(f"{base}/respond", data={
        **proposal, "day": oslo_day(28).isoformat(), "clock": "12:00", "comment": "Senere?"})
    assert response.status_code == 409
    assert has_form_error(response.get_data(as_text=True))
    assert_unchanged(app, invited, moved, deliver, mailbox)


def test_proposing_a_time_in_the_past_is_refused(
    app, people, as_, invited, deliver, mailbox
):
    before = conversation_row(app, invited)
    anne = as_("anne")

    response = propose(anne, app, invited, days=-1, comment="I går passet best")
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "day")
    assert_unchanged(app, invited, before, deliver, mailbox)


def test_an_unsent_invitation_is_the_leaders_draft(
    app, people, as_, make_conversation, deliver, mailbox
):
    conversation_id = make_conversation(people["anne"], sent=False)
    before = conversation_row(app, conversation_id)
    anne = as_("anne")
    base = f"/conversations/{conversation_id}"
    assert anne.get(f"{base}/respond").status_code == 404
    response = anne.post(f"{base}/respond", data={
        "day": oslo_day(30).isoformat(), "clock": "09:00", "comment": "Kladd"})
    assert response.status_code == 404
    assert anne.post(f"{base}/accept").status_code == 404
    assert_unchanged(app, conversation_id, before, deliver, mailbox)


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


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_nobody_else_sees_or_changes_a_conversation(
    app, people, as_, question_bank, make_conversation, deliver, mailbox, outsider
):
    conversation_id = make_conversation(people["anne"], sent=False, place="Møterom Fjorden")
    anne = as_("anne")
    # Sent, with a proposal from Anne, so that every action would have something to do.
    lars = as_("lars")
    lars.post(f"/conversations/{conversation_id}/send")
    assert propose(anne, app, conversation_id, comment="Hemmelig grunn").status_code == 302
    new_mail(deliver, mailbox)
    before = conversation_row(app, conversation_id)
    data = plan_data(people["anne"], question_bank["standard"], days=30, place="Kantina")

    client = as_(outsider)
    for method, url, form in every_request(conversation_id, data):
        response = client.open(url, method=method, data=form)
        assert response.status_code == 403, (method, url)
        page = response.get_data(as_text=True)
        assert "Møterom Fjorden" not in page, url
        assert "Hemmelig grunn" not in page, url

    assert_unchanged(app, conversation_id, before, deliver, mailbox)


def test_the_leader_cannot_answer_for_the_employee(
    app, people, as_, invited, deliver, mailbox
):
    before = conversation_row(app, invited)
    lars = as_("lars")
    assert lars.post(f"/conversations/{invited}/accept").status_code == 403
    assert lars.get(f"/conversations/{invited}/respond").status_code == 403
    response = lars.post(f"/conversations/{invited}/respond", data={
        "day": oslo_day(30).isoformat(), "clock": "09:00"})
    assert response.status_code == 403
    assert_unchanged(app, invited, before, deliver, mailbox)


def test_the_employee_cannot_use_the_leaders_pages(
    app, people, as_, question_bank, invited, deliver, mailbox
):
    before = conversation_row(app, invited)
    anne = as_("anne")
    data = plan_data(people["anne"], question_bank["standard"], days=30)
    for method, url, form in every_request(invited, data)[:7]:
        assert anne.open(url, method=method, data=form).status_code == 403, (method, url)
    assert_unchanged(app, invited, before, deliver, mailbox)


def test_a_conversation_that_does_not_exist_is_not_found(people, as_):
    lars = as_("lars")
    assert lars.get("/conversations/999999").status_code == 404
    assert lars.post("/conversations/999999/cancel").status_code == 404


def test_visitors_are_sent_to_the_login_page(client, people, make_conversation):
    conversation_id = make_conversation(people["anne"])
    for url in ["/conversations/plan", f"/conversations/{conversation_id}"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


# The leader's overview (R1) -----------------------------------------------------------------


def test_overview_marks_people_without_a_conversation_in_the_last_year(
    app, make_user, people, as_, question_bank, make_conversation
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

    lars = as_("lars")
    page = lars.get("/").get_data(as_text=True)

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
    app, make_user, people, as_, question_bank, make_conversation, count_queries
):
    standard = question_bank["standard"]
    lena_people = [people["dag"]] + [
        make_user(f"Person {n}", f"person{n}@example.no", leader_id=people["lena"])
        for n in range(7)
    ]
    for n, person in enumerate([people["anne"], people["bjorn"], *lena_people]):
        add_held(app, person, standard, days_ago=100 + 50 * n)
        make_conversation(person, days=20 + n, sent=bool(n % 2))

    def queries_for_home(who):
        client = as_(who)
        client.get("/")  # the first page after logging in may do one-off work
        with count_queries() as statements:
            page = client.get("/").get_data(as_text=True)
        return len(statements), page

    two, lars_page = queries_for_home("lars")
    eight, lena_page = queries_for_home("lena")
    assert len(re.findall(r'<tr id="person-', lars_page)) == 2
    assert len(re.findall(r'<tr id="person-', lena_page)) == 8
    assert eight == two, (two, eight)
