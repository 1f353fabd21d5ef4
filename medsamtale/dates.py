"""Dates and times as the app writes them: in bokmål «24. desember 2026 kl. 10.00» (the
Språkrådet form, with a full stop in the clock), in English "24 December 2026 at 10:00"."""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from flask_babel import format_datetime, format_time, get_locale, to_user_timezone

# Per locale: the forms of a moment (date and clock) and of a clock alone. "short" is for
# tables and lists, "medium" (the default) for sentences, "meeting" names the weekday too.
MOMENT_FORMATS = {
    "nb": {
        "short": "dd.MM.y 'kl.' HH.mm",
        "medium": "d. MMMM y 'kl.' HH.mm",
        "long": "d. MMMM y 'kl.' HH.mm",
        "meeting": "EEEE d. MMMM y 'kl.' HH.mm",
    },
    "en": {
        "short": "d MMM y, HH:mm",
        "medium": "d MMMM y 'at' HH:mm",
        "long": "d MMMM y 'at' HH:mm",
        "meeting": "EEEE d MMMM y 'at' HH:mm",
    },
}
DAY_FORMATS = {
    "nb": {"short": "dd.MM.y", "medium": "d. MMMM y", "long": "d. MMMM y"},
    "en": {"short": "d MMM y", "medium": "d MMMM y", "long": "d MMMM y"},
}
CLOCK_FORMATS = {"nb": "HH.mm", "en": "HH:mm"}


def _locale() -> str:
    return "nb" if str(get_locale()).startswith("nb") else "en"


def moment(value, form: str = "medium") -> str:
    """A date with its clock, on the Oslo wall clock (Flask-Babel's timezone)."""
    if not value:
        return ""
    return format_datetime(value, MOMENT_FORMATS[_locale()].get(form, form))


def day(value, form: str = "medium") -> str:
    """A date alone (a moment's, on the Oslo wall clock). Pages list hundreds, mostly of
    few distinct days: each day is formatted once per locale and form."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    locale = _locale()
    return _day(value, DAY_FORMATS[locale].get(form, form), locale)


@lru_cache(maxsize=4096)
def _day(value: date, pattern: str, locale: str) -> str:
    return babel_format_date(value, pattern, locale=locale)


def clock(value) -> str:
    """A clock alone: «10.00»."""
    return format_time(value, CLOCK_FORMATS[_locale()]) if value else ""


def meeting_time(value) -> str:
    """A meeting's time as people write it: «tirsdag 8. desember 2026 kl. 10.00»."""
    return moment(value, "meeting")
