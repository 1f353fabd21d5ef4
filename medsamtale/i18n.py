"""Catalogue upkeep: the UI is written with English message ids, so the English catalogue
translates each message to itself; `python -m medsamtale.i18n fill-english PO` does that."""

import sys

from babel.messages.pofile import read_po, write_po


def fill_english(path: str) -> None:
    with open(path, "rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if not message.id:
            continue
        # A plural message id is (singular, plural); the strings follow en's two forms.
        message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True, include_lineno=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["fill-english"]:
        fill_english(sys.argv[2])
    else:
        sys.exit("usage: python -m medsamtale.i18n fill-english PO")
