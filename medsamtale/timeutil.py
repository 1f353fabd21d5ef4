"""Times are stored as naive UTC; people type and read them in Europe/Oslo."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def from_oslo(day: date, clock: time) -> datetime:
    """A date and time on an Oslo wall clock, as naive UTC for storing."""
    return datetime.combine(day, clock, tzinfo=OSLO).astimezone(UTC).replace(tzinfo=None)


def to_oslo(value: datetime) -> datetime:
    """A stored naive-UTC time on the Oslo wall clock (aware)."""
    return value.replace(tzinfo=UTC).astimezone(OSLO)


def oslo_today() -> date:
    """Today's date on the Oslo wall clock; deadlines are dates there."""
    return to_oslo(utcnow()).date()
