"""The calendar invitation (RFC 5545) sent with the invitation, its updates and cancellation.

The UID stays the same for the life of a conversation and SEQUENCE rises with every change
sent, so Outlook and Google update the one event in the employee's calendar.
"""

from datetime import UTC, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from ..timeutil import to_oslo, utcnow
from ..urls import public_url

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def _address(user, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def conversation_ics(conversation, method: str = REQUEST) -> str:
    """The conversation as an iCalendar object with METHOD:REQUEST or METHOD:CANCEL."""
    start = to_oslo(conversation.starts_at)
    with force_locale(conversation.employee.locale):
        summary = _("Conversation with %(name)s", name=conversation.leader.name)
        description = _(
            "Your yearly conversation with your leader. Prepare here: %(link)s",
            link=public_url("preparation.prepare", conversation_id=conversation.id),
        )

    calendar = Calendar()
    calendar.add("prodid", "-//Medsamtale//Medsamtale//NB")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", conversation.calendar_uid)
    event.add("sequence", conversation.calendar_sequence)
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=conversation.duration_minutes))
    event.add("summary", summary)
    event.add("location", conversation.place)
    event.add("description", description)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    event["organizer"] = _address(conversation.leader)
    event.add("attendee", _address(conversation.employee, "REQ-PARTICIPANT"))
    calendar.add_component(event)
    # A VTIMEZONE for Europe/Oslo covering the years around the meeting.
    calendar.add_missing_timezones(
        first_date=start.date() - timedelta(days=366), last_date=start.date() + timedelta(days=366)
    )
    return calendar.to_ical().decode()
