"""Helpers the test modules share: plain functions (and a few constants), imported where
they are used. Fixtures are in tests/fixtures/."""

import re
import time

import sqlalchemy as sa
from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import OutboxMessage

HX = {"HX-Request": "true"}  # what htmx sends with each of its requests


# The database -------------------------------------------------------------------------------


def say_ready(app, conversation_id) -> None:
    """The employee says the preparation is ready: before that the leader cannot start the
    meeting ahead of its day (most tests plan conversations weeks ahead)."""
    from medsamtale.models import Conversation
    from medsamtale.timeutil import utcnow

    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        if not conversation.is_sent:  # nobody was invited to prepare
            return
        conversation.employee_ready_at = conversation.employee_ready_at or utcnow()
        conversation.refresh_state()
        db.session.commit()


def row(app, model, row_id) -> dict | None:
    """One row of `model` as a dict of its columns (None if there is none), read in a fresh
    session."""
    with app.app_context():
        found = db.session.get(model, row_id)
        if found is None:
            return None
        return {column.name: getattr(found, column.key) for column in model.__table__.columns}


def snapshot(app, model, *columns) -> list[tuple]:
    """Every row of `model`, in the order they were made, as a tuple of the `columns` named
    (attribute names; all of them if none are), read in a fresh session: compare two to see
    whether anything changed."""
    names = columns or [column.key for column in model.__table__.columns]
    with app.app_context():
        query = sa.select(model).order_by(model.id)
        return [tuple(getattr(found, name) for name in names)
                for found in db.session.scalars(query)]


# Mail ---------------------------------------------------------------------------------------


def outbox(app) -> list[OutboxMessage]:
    """Every message in the outbox, in the order they were written."""
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def outbox_count(app, recipient=None) -> int:
    """How many messages the outbox holds (to `recipient`, if named)."""
    return len([m for m in outbox(app) if recipient in (None, m.recipient)])


def new_mail(deliver, mailbox) -> list:
    """Deliver what is due and return what arrived since the last call."""
    messages = list(deliver())
    mailbox.messages.clear()
    return messages


def one_new_mail(deliver, mailbox, to: str):
    """Deliver what is due: exactly one message has arrived since the last call, to `to`.
    Returns it."""
    messages = new_mail(deliver, mailbox)
    assert [m["To"] for m in messages] == [to], [(m["To"], m["Subject"]) for m in messages]
    return messages[0]


def text_of(message) -> str:
    """A message's plain-text body."""
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    """A message's HTML body."""
    return message.get_body(("html",)).get_content()


# Pages --------------------------------------------------------------------------------------


def has_field_error(page, field) -> bool:
    """The field's error list is on the page (the form macro's <ul id="<field>-errors">)."""
    return f'<ul class="errors" id="{field}-errors">' in page


def field_is_invalid(page, field) -> bool:
    """The field's input carries aria-invalid and points at its error list."""
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if f'id="{field}"' in tag:
            return 'aria-invalid="true"' in tag and f"{field}-errors" in tag
    raise AssertionError(f"no field {field!r} on the page")


def has_form_error(page) -> bool:
    """An error about the whole form (not one field) is on the page."""
    return 'class="errors form-errors"' in page


def flashed_error(client, response) -> str:
    """A plain post was refused: redirected back, and the next page shows the message.
    Returns that page."""
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.location).get_data(as_text=True)
    assert "flash-error" in page
    return page


# What the last request rendered (the `rendered` fixture) -----------------------------------


def assert_block(rendered, template, block):
    """The request was answered with `block` of `template` alone: no whole page."""
    assert (rendered.blocks, rendered.templates) == ([(template, block)], []), rendered


def assert_template(rendered, template):
    """The request was answered with the whole of `template` (a page, or a small template
    of its own such as _saved.html), and no block."""
    assert (rendered.templates, rendered.blocks) == ([template], []), rendered


# The browser --------------------------------------------------------------------------------

SAVE = 5000  # ms to wait for an autosave: a text is saved 800 ms after the last key


def posted(path_end: str):
    """Matches the response to a POST to a URL ending in `path_end` (page.expect_response)."""

    def match(response) -> bool:
        return response.request.method == "POST" and response.url.endswith(path_end)

    return match


def ids_of(elements, prefix: str) -> list[int]:
    """The numbers in the ids of the located elements ("point-12" → 12), in page order."""
    ids = elements.evaluate_all("found => found.map(element => element.id)")
    return [int(i.removeprefix(prefix)) for i in ids]


def expect_order(elements, attribute: str, values: list, timeout: int | None = None):
    """The located elements are exactly those whose `attribute` holds `values`, in order."""
    expect(elements).to_have_count(len(values), timeout=timeout)
    for index, value in enumerate(values):
        expect(elements.nth(index)).to_have_attribute(attribute, str(value), timeout=timeout)


def wait_for_htmx(page, seconds=5.0):
    """Until the page has htmx. Asked from outside the page (page.evaluate): Playwright's
    wait_for_function evaluates its predicate with eval inside the page, which the policy
    rightly refuses now and then."""
    deadline = time.monotonic() + seconds
    while not page.evaluate("typeof window.htmx === 'object'"):
        assert time.monotonic() < deadline, "htmx did not load"
        time.sleep(0.05)
