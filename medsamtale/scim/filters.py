"""The filters the directory asks for users with (RFC 7644 §3.4.2.2): one `eq` comparison
of userName, externalId, id or the work email, as Entra ID sends them
(`userName eq "kari@example.no"`). Anything else is refused as invalidFilter."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import ScimError

# attribute, operator, then a quoted string (with \" and \\ inside) or a bare word.
FILTER = re.compile(
    r'^\s*(?P<attr>[A-Za-z][\w.:\[\]" -]*?)\s+(?P<op>[A-Za-z]{2})\s+'
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"]+))\s*$')
ATTRIBUTES = {
    "username": "userName",
    "externalid": "externalId",
    "id": "id",
    "emails.value": "email",
    'emails[type eq "work"].value': "email",
}
FILTER_MAX = 500


@dataclass(frozen=True)
class Filter:
    attribute: str  # userName, externalId, id or email
    value: str


def parse(text: str | None) -> Filter | None:
    """The filter a query names, None for none; ScimError(400, invalidFilter) for one that
    is not understood."""
    if text is None or not text.strip():
        return None
    match = FILTER.match(text) if len(text) <= FILTER_MAX else None
    if match is None:
        raise ScimError(400, "The filter is not understood; use: userName eq \"…\"",
                        "invalidFilter")
    attribute = ATTRIBUTES.get(" ".join(match["attr"].split()).lower())
    if attribute is None:
        raise ScimError(400, "Filtering is supported on userName, externalId, id and "
                             "emails only", "invalidFilter")
    if match["op"].lower() != "eq":
        raise ScimError(400, "Only the eq operator is supported", "invalidFilter")
    value = match["quoted"] if match["quoted"] is not None else match["bare"]
    return Filter(attribute, re.sub(r"\\(.)", r"\1", value))
