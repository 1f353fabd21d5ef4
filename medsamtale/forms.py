"""What the areas' forms share: the filter for typed text and the one length validator,
which takes its limit from the model's constant."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length


def strip(value):
    """Drop spaces around typed or pasted text, so " kari@example.no " is a valid address."""
    return value.strip() if isinstance(value, str) else value


def at_most(limit: int) -> Length:
    """Refuse a text longer than `limit` (a model constant), with the reason; nothing is ever
    cut short silently."""
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))
