"""Text that people write in the minutes: sanitised with nh3 before it is stored, and again
when it is shown, so no script runs and no attribute (htmx's included) survives.

The minutes accept plain text or a small set of tags without attributes. Plain text keeps
its line breaks when shown.
"""

import html
import re

import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li"}
_BLOCK = re.compile(r"<(p|ul|ol|li)\b", re.IGNORECASE)


def clean(value: str) -> str:
    """`value` as safe HTML: only ALLOWED_TAGS, no attributes, no comments."""
    return nh3.clean(value or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


def plain(value: str) -> str:
    """`value` with every tag removed, as plain text (for headings, actions, PDF diff)."""
    return html.unescape(nh3.clean(value or "", tags=set(), attributes={}, link_rel=None))


def for_editing(stored: str) -> str:
    """The stored text as the person typed it, for a textarea (which shows it as text)."""
    return html.unescape(stored or "")


def as_html(stored: str) -> Markup:
    """The stored text for a page: cleaned once more, line breaks kept in plain text."""
    cleaned = clean(stored)
    if not _BLOCK.search(cleaned):
        cleaned = cleaned.replace("\n", "<br>\n")
    return Markup(cleaned)


def as_lines(stored: str) -> list[str]:
    """The stored text as plain lines, for comparing two versions."""
    text = re.sub(r"<br\s*/?>|</(p|li)>", "\n", stored or "", flags=re.IGNORECASE)
    return [line.strip() for line in plain(text).splitlines() if line.strip()]
