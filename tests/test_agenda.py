"""The live shared agenda of a meeting (issue 4): how it is built from both preparations and
carried over, how both parties change it at once and see each other's changes (htmx: every
change and every poll that finds something answers with the whole list of items; server-sent
events on PostgreSQL say when to poll), who is here and typing where, that no edit is ever
lost or silently overwritten, what is refused, who may see it, and that its pages cost the
same number of queries however long the agenda is.

Answers are checked by status, headers, ids, classes and data attributes, and against the
database; never by translated text.
"""

import contextlib
import http.client
import queue
import re
import socket
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from medsamtale.agenda import hub as agenda_hub
from medsamtale.agenda import live as agenda_live
from medsamtale.agenda import meeting as agenda_meeting
from medsamtale.extensions import db
from medsamtale.models import (
    AgendaItem,
    Conversation,
    Organisation,
    Pick,
    Question,
    QuestionSet,
)
from medsamtale.models.agenda import ITEM_NOTE_MAX, ITEM_TEXT_MAX
from medsamtale.models.questions import FollowUpPrompt
from medsamtale.timeutil import utcnow

from .fixtures.app import OUTSIDERS
from .helpers import HX, assert_block, flashed_error, say_ready, snapshot

FIELDS = ("text", "employee_note", "leader_note")
WRITES = ("INSERT", "UPDATE", "DELETE")


# Reading pages -------------------------------------------------------------------------------


class Agenda(HTMLParser):
    """The parts of an agenda page, of an answer to a change or a poll, or of an event's
    presence block, that the tests look at.

    items: each li.agenda-item as a dict (id, section, classes, position, draggable, fields
    {field: text}, versions {field: version}, readonly {fields}, prompts, actions, ids: the
    ids inside it); agenda: the attributes of div#agenda; elements: the attributes of each
    element with an id, by id; form_of: the id of the form each id is in; texts: the text
    of each span with an id; partials: each hx-partial as a dict (target, swap, text), in
    order; inside: for each id, the hx-target of the hx-partial it is in (None outside
    one); merge: the attributes of div.merge, with theirs/yours (its two texts) and
    merge_version; ids, classes, forms (their actions).
    """

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.items, self.ids, self.classes, self.forms = [], set(), set(), []
        self.elements, self.form_of, self.texts, self.partials, self.inside = {}, {}, {}, [], {}
        self.agenda = self.merge = self.merge_version = None
        self.theirs = self.yours = None
        self._item, self._depth, self._textarea, self._prompt = None, 0, None, None
        self._spans, self._partial, self._form = [], None, None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        self.classes.update(classes)
        if tag == "form":
            self.forms.append(a.get("action"))
            self._form = a.get("id")
        if a.get("id"):
            assert a["id"] not in self.ids, f"two elements with the id {a['id']}"
            self.ids.add(a["id"])
            self.elements[a["id"]] = a
            self.form_of[a["id"]] = self._form
            self.inside[a["id"]] = self._partial["target"] if self._partial else None
            if self._item is not None:
                self._item["ids"].add(a["id"])
        if tag == "hx-partial":
            assert self._partial is None, "an hx-partial inside another"
            self._partial = {"target": a.get("hx-target"), "swap": a.get("hx-swap"), "text": ""}
            self.partials.append(self._partial)
        elif tag == "span":
            self._spans.append(a.get("id"))
            if a.get("id"):
                self.texts[a["id"]] = ""
        elif tag == "li" and self._item is None and "agenda-item" in classes:
            self._item = {
                "id": int(a["data-id"]),
                "section": next(c[8:] for c in classes if c.startswith("section-")),
                "classes": classes,
                "position": int(a["data-position"]),
                "draggable": a.get("draggable") == "true",
                "fields": {}, "versions": {}, "readonly": set(), "prompts": [], "actions": [],
                "ids": {a["id"]},
            }
            assert a["id"] == f"item-{a['data-id']}"
            assert "data-changed" not in a and "data-removed" not in a
            self.items.append(self._item)
            self._depth = 1
        elif tag == "li" and self._item is not None:
            self._depth += 1
            self._prompt = []
        elif tag == "textarea" or (tag == "p" and "item-text" in classes):
            # An item's text that is read, not edited (a question's), is a text all the same.
            self._textarea = (a, classes, [])
            if tag == "p":
                a["readonly"] = ""
        elif tag == "div" and a.get("id") == "agenda":
            self.agenda = a
        elif tag == "div" and "merge" in classes:
            self.merge = a
        elif tag == "input" and self.merge is not None and self.merge_version is None:
            if a.get("name") == "version":
                self.merge_version = int(a["value"])
        elif tag == "button" and self._item is not None and a.get("data-action"):
            self._item["actions"].append(a["data-action"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "hx-partial":
            self._partial = None
        elif tag == "span" and self._spans:
            self._spans.pop()
        elif tag == "li" and self._item is not None:
            self._depth -= 1
            if self._depth:
                self._item["prompts"].append("".join(self._prompt).strip())
                self._prompt = None
            else:
                self._item = None
        elif tag in ("textarea", "p") and self._textarea is not None:
            a, classes, parts = self._textarea
            text = "".join(parts)
            self._textarea = None
            if self._item is not None and a.get("data-field"):
                field = a["data-field"]
                self._item["fields"][field] = text
                self._item["versions"][field] = int(a["data-version"])
                if "readonly" in a:
                    self._item["readonly"].add(field)
            elif "theirs" in classes:
                self.theirs = text
            elif "yours" in classes:
                self.yours = text

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2].append(data)
        elif self._prompt is not None:
            self._prompt.append(data)
        for span in self._spans:
            if span:
                self.texts[span] += data
        if self._partial is not None:
            self._partial["text"] += data

    @property
    def order(self):
        return [item["id"] for item in self.items]

    def item(self, item_id):
        return next(item for item in self.items if item["id"] == item_id)

    @property
    def error(self):
        return {"errors", "form-errors"} <= self.classes

    @property
    def since(self) -> int:
        """The agenda version the page has (input#agenda-since)."""
        return int(self.elements["agenda-since"]["value"])

    @property
    def shown(self) -> str | None:
        """What a polling page shows of the other party (input#agenda-shown; SQLite)."""
        return self.elements.get("agenda-shown", {}).get("value")

    @property
    def latest(self) -> int | None:
        """The latest version a page with an event stream knows of (input#agenda-latest;
        PostgreSQL)."""
        value = self.elements.get("agenda-latest", {}).get("value")
        return int(value) if value else None

    @property
    def here(self) -> bool:
        """span#presence says the other party is here."""
        return "here" in self.elements["presence"].get("class", "").split()

    @property
    def clears_typing(self) -> bool:
        """An hx-partial empties every span.typing."""
        return any(p["target"] == ".typing" and not p["text"].strip() for p in self.partials)

    @property
    def typing_in(self) -> list[int]:
        """The items an hx-partial says the other party is typing in (#typing-<item>)."""
        return [int(p["target"].removeprefix("#typing-")) for p in self.partials
                if p["target"].startswith("#typing-") and p["text"].strip()]

    @property
    def typing_shown(self) -> list[int]:
        """The items whose span.typing on the page says something."""
        return [int(i.removeprefix("typing-")) for i, text in self.texts.items()
                if i.startswith("typing-") and text.strip()]


def parse(response) -> Agenda:
    return Agenda(response.get_data(as_text=True))


def item_state(shown_items):
    """Everything an item shows, to compare with the database (db_state)."""
    return [(i["id"], i["position"], i["section"], "discussed" in i["classes"], i["fields"],
             i["versions"]) for i in shown_items]


def assert_changes(app, answer: Agenda, conversation_id):
    """`answer` is the `changes` block: every live item of the agenda, as the database has
    it, in an hx-partial that morphs #agenda-items; then the agenda's version as the page's
    new `since`, and its `shown`, both swapped out of band; when polling (SQLite), also who
    is here and typing where, out of band."""
    assert [(p["target"], p["swap"]) for p in answer.partials[:1]] == [
        ("#agenda-items", "outerMorph")], answer.partials
    assert answer.inside["agenda-items"] == "#agenda-items"
    assert {answer.inside[f"item-{i}"] for i in answer.order} <= {"#agenda-items"}
    assert item_state(answer.items) == db_state(app, conversation_id)
    assert answer.since == agenda_version(app, conversation_id)
    for name, field in sync_fields(app):
        element = answer.elements[name]
        assert (element.get("name"), element.get("hx-swap-oob")) == (field, "true")
        assert answer.inside[name] is None
    if not on_postgresql(app):
        assert answer.elements["presence"].get("hx-swap-oob") == "true"
        assert answer.inside["presence"] is None
        assert answer.clears_typing


class View:
    """What one party's page shows, as htmx keeps it: the page it loaded, then each poll
    with the `since` and `shown` the page has. A 204 leaves everything as it is; a 200
    brings the whole list of items, which replaces the page's, the new `since` and `shown`
    and, when polling (SQLite), who is here and typing where."""

    def __init__(self, app, client, conversation_id):
        self.app, self.client, self.conversation_id = app, client, conversation_id
        response = client.get(f"/agenda/{conversation_id}")
        assert response.status_code == 200
        page = parse(response)
        self.items, self.since, self.shown = page.items, page.since, page.shown
        self.latest = page.latest
        self.here = page.here
        self.typing = next(iter(page.typing_shown), None)

    def poll(self):
        return poll(self.client, self.conversation_id, self.since, self.shown, self.latest)

    def take(self, answer: Agenda):
        """An answer of 200 (to a poll, or to this party's own change), as htmx swaps it."""
        self.items, self.since, self.shown = answer.items, answer.since, answer.shown
        self.latest = answer.latest
        if "presence" in answer.elements:
            self.here = answer.here
        if answer.clears_typing:
            self.typing = None
        for item_id in answer.typing_in:
            self.typing = item_id

    def refresh(self) -> Agenda | None:
        """Poll as the page does: the answer (None for a 204, which says nothing is new)."""
        response = self.poll()
        if response.status_code == 204:
            assert response.get_data() == b""
            return None
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = parse(response)
        assert_changes(self.app, answer, self.conversation_id)
        self.take(answer)
        return answer

    @property
    def order(self):
        return [item["id"] for item in self.items]

    def item(self, item_id):
        return next(item for item in self.items if item["id"] == item_id)

    def shown_items(self):
        return [(i["id"], i["fields"]["text"], "discussed" in i["classes"]) for i in self.items]


# The database --------------------------------------------------------------------------------


def items(app, conversation_id, *, removed=False):
    """The agenda's items in order, as dicts of their columns (removed ones only if asked)."""
    with app.app_context():
        query = select(AgendaItem).where(AgendaItem.conversation_id == conversation_id)
        if not removed:
            query = query.where(AgendaItem.removed.is_(False))
        rows = db.session.scalars(query.order_by(AgendaItem.position, AgendaItem.id)).all()
        return [
            {c.name: getattr(row, c.key) for c in AgendaItem.__table__.columns} for row in rows
        ]


def item_ids(app, conversation_id):
    return [item["id"] for item in items(app, conversation_id)]


def shown_in_db(app, conversation_id):
    return [(i["id"], i["text"], i["discussed"]) for i in items(app, conversation_id)]


def db_state(app, conversation_id):
    """The live items as item_state shows them."""
    return [(i["id"], i["position"], i["section"], i["discussed"], {f: i[f] for f in FIELDS},
             {f: i[f"{f}_version"] for f in FIELDS}) for i in items(app, conversation_id)]


def conversation(app, conversation_id):
    with app.app_context():
        c = db.session.get(Conversation, conversation_id)
        return {"state": c.state, "version": c.version, "agenda_version": c.agenda_version,
                "started_at": c.started_at, "held_at": c.held_at}


def agenda_version(app, conversation_id):
    return conversation(app, conversation_id)["agenda_version"]


def agenda_snapshot(app):
    """Everything an agenda request could change: every item and every conversation."""
    return (snapshot(app, AgendaItem),
            snapshot(app, Conversation, "id", "state", "version", "agenda_version",
                     "started_at", "held_at"))


def questions(app, question_set_id):
    """The set's questions in use, in menu order: (ordinary ids, salary ids)."""
    with app.app_context():
        question_set = db.session.get(QuestionSet, question_set_id)
        ordinary, salary = [], []
        for theme in question_set.themes:
            if not theme.retired:
                ids = [q.id for q in theme.questions if not q.retired]
                (salary if theme.is_salary else ordinary).extend(ids)
        return ordinary, salary


def question(app, question_id):
    """(text, prompts as the agenda copies them: one per line)."""
    with app.app_context():
        q = db.session.get(Question, question_id)
        return q.text, "\n".join(p.text for p in q.prompts)


def add_picks(app, conversation_id, question_ids):
    with app.app_context():
        for position, question_id in enumerate(question_ids):
            db.session.add(Pick(conversation_id=conversation_id, question_id=question_id,
                                position=position))
        db.session.commit()


def set_starts_at(app, conversation_id, starts_at):
    with app.app_context():
        db.session.get(Conversation, conversation_id).starts_at = starts_at
        db.session.commit()


def on_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def open_connections(app):
    """The states of the other connections to the test database (PostgreSQL): the tests'
    own are closed after each use, so these are the app's."""
    with app.app_context():
        states = db.session.scalars(sql(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND query NOT LIKE 'LISTEN%' AND query NOT LIKE 'SELECT pg_notify%'")).all()
        db.session.rollback()
    return states


def sync_fields(app):
    """The inputs of form#agenda-sync, which each poll sends: the agenda version the page
    has and, with an event stream (PostgreSQL), the latest one the stream told of, or,
    polling (SQLite), what the page shows of the other party."""
    return (("agenda-since", "since"),
            ("agenda-latest", "latest") if on_postgresql(app) else ("agenda-shown", "shown"))


# Requests ------------------------------------------------------------------------------------


def poll(client, conversation_id, since, shown=None, latest=None):
    """GET /poll as the page's form#agenda-sync sends it."""
    query = {"since": since, "shown": shown, "latest": latest}
    query = {name: value for name, value in query.items() if value is not None}
    return client.get(f"/agenda/{conversation_id}/poll?{urlencode(query)}", headers=HX)


def caught_up(app, client, conversation_id):
    """A poll knowing nothing gets everything (200); one with what that answer gave, 204."""
    response = poll(client, conversation_id, 0)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = parse(response)
    assert_changes(app, answer, conversation_id)
    response = poll(client, conversation_id, answer.since, answer.shown)
    assert (response.status_code, response.get_data()) == (204, b"")


def change(client, conversation_id, path, data=None, htmx=True):
    """POST a change as htmx does, or as a plain form (htmx=False)."""
    return client.post(f"/agenda/{conversation_id}{path}", data=dict(data or {}),
                       headers=HX if htmx else {})


def save(client, conversation_id, item_id, field, value, version, htmx=True, **more):
    """POST a text as the page does (`more`: basis, caret)."""
    data = {"field": field, "value": value, **more}
    if version is not None:
        data["version"] = version
    return client.post(f"/agenda/{conversation_id}/items/{item_id}/text", data=data,
                       headers=HX if htmx else {})


def saved(response):
    """A text save that was stored as sent: 204 and the text's new version."""
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    assert "X-Agenda-Version" not in response.headers
    return int(response.headers["X-Text-Version"])


def merged(response):
    """A text save merged with what the other party saved since: 200, the merged text as the
    body (text/plain); returns (the merged text, its version)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    assert "X-Agenda-Version" not in response.headers
    return response.get_data(as_text=True), int(response.headers["X-Text-Version"])


def conflicted(response, item_id, field) -> Agenda:
    """Both changed the same words: 409 and the merge block alone, swapped into the text's
    own merge slot."""
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == f"#merge-{field}-{item_id}"
    assert response.headers["HX-Reswap"] == "innerHTML"
    merge = parse(response)
    assert merge.merge == {"class": "merge", "role": "alert",
                           "data-merge-item": str(item_id), "data-merge-field": field}
    assert not merge.items and "agenda-since" not in merge.ids
    return merge


@pytest.fixture
def changes(app, rendered):
    """changes(response): an accepted change: 200 and the `changes` block alone (not a
    page), with every live item as the database now has them. Returns it parsed."""

    def accepted(response):
        body = response.get_data(as_text=True)
        assert response.status_code == 200, body
        assert_block(rendered, "agenda/agenda.html", "changes")
        answer = parse(response)
        conversation_id = int(response.request.path.split("/")[2])
        assert_changes(app, answer, conversation_id)
        return answer

    return accepted


def refused(response, status=409):
    """A change that changed nothing: 409 for a rule that refuses it, 422 for a form that
    fails validation, with the reason in the alert region, nothing else."""
    page = parse(response)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#agenda-error"
    assert page.error
    assert not page.items and "agenda-since" not in page.ids and page.merge is None
    return page


@pytest.fixture
def clock(monkeypatch):
    """later(seconds): the monotonic clock the hub keeps presence by (time.monotonic, as
    medsamtale.agenda.hub reads it) is that much further on, without waiting."""
    real, ahead, frozen_at = time.monotonic, [0.0], [None]
    monkeypatch.setattr(
        agenda_hub.time, "monotonic",
        lambda: (real() if frozen_at[0] is None else frozen_at[0]) + ahead[0])

    def later(seconds):
        ahead[0] += seconds

    def freeze():
        """From now on the clock moves only by later(): a loaded machine's slow requests
        cannot carry a test past a presence deadline it means to stay under."""
        frozen_at[0] = real()

    later.freeze = freeze
    return later


class Http:
    """One person's browser over real HTTP, in the session of their logged-in test client
    (its session cookie), with a new connection for each request (no shared state between
    threads)."""

    def __init__(self, base_url, client):
        address = urlsplit(base_url)
        self.host, self.port = address.hostname, address.port
        self.cookie = f"session={client.get_cookie('session').value}"

    def connection(self, timeout=20):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(self, extra=None):
        return {"Cookie": self.cookie, **HX, **(extra or {})}

    def request(self, method, path, data=None, headers=None):
        body = urlencode(data, doseq=True) if data is not None else None
        headers = self.headers(headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if cookie.startswith("session="):
                    self.cookie = cookie.split(";")[0]
            return response.status, response.headers, payload
        finally:
            connection.close()


@pytest.fixture
def picked(app, question_bank):
    """The standard set's questions: (ordinary ids, salary ids)."""
    return questions(app, question_bank["standard"])


def start(as_, conversation_id, leader="lars"):
    say_ready(as_(leader).application, conversation_id)
    response = as_(leader).post(f"/agenda/{conversation_id}/start")
    assert response.status_code == 302
    assert response.location.endswith(f"/agenda/{conversation_id}")


@pytest.fixture
def meeting(app, people, make_conversation, picked, as_):
    """Anne's started meeting with Lars: three ordinary questions, then one on salary."""
    ordinary, salary = picked
    conversation_id = make_conversation(people["anne"])
    add_picks(app, conversation_id, [ordinary[0], ordinary[1], ordinary[2], salary[0]])
    start(as_, conversation_id)
    assert [i["section"] for i in items(app, conversation_id)] == [
        "question", "question", "question", "salary"]
    return conversation_id


@pytest.fixture
def dags_meeting(app, people, make_conversation, picked, as_):
    """Dag's started meeting with Lena, two questions: another agenda."""
    ordinary, _salary = picked
    conversation_id = make_conversation(people["dag"])
    add_picks(app, conversation_id, ordinary[4:6])
    start(as_, conversation_id, leader="lena")
    return conversation_id


# 1. Building the agenda ----------------------------------------------------------------------


def prepare_fully(app, as_, conversation_id, chosen):
    """Both preparations through the pages: Anne picks `chosen` in that order, notes on the
    first two picks and two topics, and is ready; Lars writes topics and notes."""
    anne, lars = as_("anne"), as_("lars")
    for question_id in chosen:
        response = anne.post(f"/prepare/{conversation_id}/picks",
                             data={"question_id": question_id}, headers=HX)
        assert response.status_code == 200
    with app.app_context():
        pick_ids = [p.id for p in db.session.scalars(
            select(Pick).where(Pick.conversation_id == conversation_id)
            .order_by(Pick.position, Pick.id))]
    employee_notes = {pick_ids[0]: "Anne om det første", pick_ids[1]: "Anne om lønn"}
    leader_notes = {pick_ids[1]: "Lars om lønn", pick_ids[2]: "Lars om det andre"}
    for pick_id, note in employee_notes.items():
        response = anne.post(f"/prepare/{conversation_id}/picks/{pick_id}/note",
                             data={"note": note}, headers=HX)
        assert response.status_code == 200
    response = anne.post(f"/prepare/{conversation_id}/topics",
                         data={"topics": "Hjemmekontor\n  \nKurs i Python\n"}, headers=HX)
    assert response.status_code == 200
    assert anne.post(f"/prepare/{conversation_id}/ready").status_code == 302
    response = lars.post(f"/prepare/{conversation_id}/leader/topics",
                         data={"topics": "Ny rolle i teamet"}, headers=HX)
    assert response.status_code == 200
    for pick_id, note in leader_notes.items():
        response = lars.post(f"/prepare/{conversation_id}/leader/picks/{pick_id}/note",
                             data={"note": note}, headers=HX)
        assert response.status_code == 200
    assert conversation(app, conversation_id)["state"] == "ready"
    return pick_ids, employee_notes, leader_notes


def test_the_agenda_is_built_from_both_preparations_in_order(
    app, people, make_conversation, picked, as_
):
    ordinary, salary = picked
    conversation_id = make_conversation(people["anne"])
    # Anne's order puts salary questions among the others; the agenda puts them last (R8).
    chosen = [ordinary[3], salary[1], ordinary[0], salary[0], ordinary[7]]
    pick_ids, employee_notes, leader_notes = prepare_fully(app, as_, conversation_id, chosen)
    notes = {q: (employee_notes.get(p, ""), leader_notes.get(p, ""))
             for p, q in zip(pick_ids, chosen, strict=True)}

    # Before it starts, nobody sees an agenda; only the leader may start it.
    for who in ("anne", "lars"):
        page = parse(as_(who).get(f"/agenda/{conversation_id}"))
        assert page.agenda is None and not page.items
        assert (f"/agenda/{conversation_id}/start" in page.forms) == (who == "lars")
    before = agenda_snapshot(app)
    for who in ("anne", "lena", "bjorn"):
        assert as_(who).post(f"/agenda/{conversation_id}/start").status_code == 403
    assert agenda_snapshot(app) == before

    start(as_, conversation_id)
    state = conversation(app, conversation_id)
    assert state["state"] == "in_progress" and state["started_at"] is not None

    built = items(app, conversation_id)
    expected = [
        *[("question", q) for q in (ordinary[3], ordinary[0], ordinary[7])],
        ("employee_topic", "Hjemmekontor"), ("employee_topic", "Kurs i Python"),
        ("leader_topic", "Ny rolle i teamet"),
        *[("salary", q) for q in (salary[1], salary[0])],
    ]
    assert [i["section"] for i in built] == [section for section, _ in expected]
    assert [i["position"] for i in built] == list(range(len(expected)))
    for item, (section, what) in zip(built, expected, strict=True):
        assert all(item[f"{field}_version"] == 1 for field in FIELDS)
        assert not item["discussed"] and not item["carry_over"]
        if section in ("question", "salary"):
            text, prompts = question(app, what)
            assert (item["question_id"], item["text"], item["prompts"]) == (what, text, prompts)
            assert prompts
            assert (item["employee_note"], item["leader_note"]) == notes[what]
        else:
            assert (item["text"], item["question_id"], item["prompts"]) == (what, None, "")
            assert (item["employee_note"], item["leader_note"]) == ("", "")

    # Both parties see the same agenda, notes in their columns, prompts under the question;
    # the page has the agenda's version to poll with, a merge slot for each text and a
    # place to say who is typing in each item.
    for who in ("anne", "lars"):
        page = parse(as_(who).get(f"/agenda/{conversation_id}"))
        assert "live" in page.agenda["class"].split()
        assert page.since == state["agenda_version"]
        for name, field in sync_fields(app):
            assert page.form_of[name] == "agenda-sync"
            assert page.elements[name]["name"] == field
            assert "hx-swap-oob" not in page.elements[name]
        assert page.order == [i["id"] for i in built]
        assert item_state(page.items) == db_state(app, conversation_id)
        for shown, item in zip(page.items, built, strict=True):
            assert f"section-{item['section']}" in shown["classes"]
            assert shown["fields"] == {f: item[f] for f in FIELDS}
            assert shown["versions"] == dict.fromkeys(FIELDS, 1)
            # A question's text is read (it wraps on a phone); topics are written in.
            written = item["section"] in ("employee_topic", "leader_topic", "added")
            assert shown["readonly"] == (set() if written else {"text"}) and shown["draggable"]
            assert shown["prompts"] == item["prompts"].splitlines()
            for field in FIELDS if written else FIELDS[1:]:
                slot = f"merge-{field}-{item['id']}"
                assert slot in shown["ids"] and "merge-slot" in page.elements[slot]["class"]
            typing = f"typing-{item['id']}"
            assert typing in shown["ids"] and "typing" in page.elements[typing]["class"]
            assert page.texts[typing].strip() == ""
        page = as_(who).get(f"/agenda/{conversation_id}").get_data(as_text=True)
        assert (f'href="/agenda/{conversation_id}/end"' in page) == (who == "lars")

    # The prompts are a copy: a later edit of the bank leaves this agenda as it was.
    with app.app_context():
        for prompt in db.session.scalars(
            select(FollowUpPrompt).where(FollowUpPrompt.question_id == ordinary[3])
        ):
            prompt.text = "Endret etterpå"
        db.session.commit()
    assert items(app, conversation_id) == built
    page = parse(as_("anne").get(f"/agenda/{conversation_id}"))
    assert "Endret etterpå" not in page.items[0]["prompts"]

    # Starting again builds nothing twice.
    start(as_, conversation_id)
    assert items(app, conversation_id) == built


def test_the_agenda_opens_by_itself_at_the_planned_time(
    app, people, make_conversation, picked, as_
):
    ordinary, _salary = picked
    conversation_id = make_conversation(people["anne"])
    add_picks(app, conversation_id, ordinary[:2])

    # A minute before the planned time: still the waiting page, nothing built.
    set_starts_at(app, conversation_id, utcnow().replace(microsecond=0) + timedelta(minutes=1))
    before = agenda_snapshot(app)
    page = parse(as_("anne").get(f"/agenda/{conversation_id}"))
    assert page.agenda is None and not page.items
    assert agenda_snapshot(app) == before

    set_starts_at(app, conversation_id, utcnow().replace(microsecond=0) - timedelta(minutes=1))
    response = as_("anne").get(f"/agenda/{conversation_id}")
    assert response.status_code == 200
    page = parse(response)
    assert conversation(app, conversation_id)["state"] == "in_progress"
    assert [i["question_id"] for i in items(app, conversation_id)] == ordinary[:2]
    assert page.order == item_ids(app, conversation_id)
    assert "live" in page.agenda["class"].split()
    assert page.since == agenda_version(app, conversation_id)
    # Lars then opens the same agenda: nothing is built twice.
    assert parse(as_("lars").get(f"/agenda/{conversation_id}")).order == page.order
    assert len(items(app, conversation_id, removed=True)) == 2


def test_both_parties_opening_it_at_the_planned_time_build_it_once(
    app, people, make_conversation, picked, as_, live_server, monkeypatch
):
    """Both arrive at the meeting time and open the agenda at the same moment: it starts,
    and is built, once. (Each request has read the conversation before either starts it.)"""
    ordinary, _salary = picked
    conversation_id = make_conversation(people["anne"])
    add_picks(app, conversation_id, ordinary[:3])
    set_starts_at(app, conversation_id, utcnow().replace(microsecond=0) - timedelta(minutes=1))

    both_read = threading.Barrier(2, timeout=3)
    real_is_due = agenda_meeting.is_due

    def is_due(conversation, now=None):
        due = real_is_due(conversation, now)
        if due:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()
        return due

    monkeypatch.setattr(agenda_meeting, "is_due", is_due)
    browsers = {who: Http(live_server, as_(who)) for who in ("lars", "anne")}
    statuses = {}

    def open_agenda(who):
        statuses[who] = browsers[who].request("GET", f"/agenda/{conversation_id}")[0]

    threads = [threading.Thread(target=open_agenda, args=(who,)) for who in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert statuses == {"lars": 200, "anne": 200}
    assert conversation(app, conversation_id)["state"] == "in_progress"
    built = items(app, conversation_id, removed=True)
    assert [i["question_id"] for i in built] == ordinary[:3], "the agenda was built twice"


# 2. Carrying items over ----------------------------------------------------------------------


def end(as_, conversation_id, carry):
    response = as_("lars").post(f"/agenda/{conversation_id}/end",
                                data={"carry": [str(i) for i in carry]})
    assert response.status_code == 302
    assert response.location.endswith(f"/agenda/{conversation_id}")


def test_items_carried_over_open_the_next_agenda(
    app, people, make_conversation, picked, as_, dags_meeting, changes
):
    ordinary, _salary = picked
    first = make_conversation(people["anne"])
    add_picks(app, first, ordinary[:5])
    start(as_, first)
    a, b, c, d, e = item_ids(app, first)
    anne, lars = as_("anne"), as_("lars")
    saved(save(anne, first, b, "text", "B, skrevet om i møtet", 1))
    changes(change(lars, first, f"/items/{a}/discussed", {"discussed": "1"}))
    changes(change(lars, first, f"/items/{d}/remove"))
    changes(change(lars, first, f"/items/{e}/move", {"step": "-1"}))
    assert item_ids(app, first) == [a, b, e, c]

    # The end page offers the items not discussed, all ticked.
    assert anne.get(f"/agenda/{first}/end").status_code == 403
    response = lars.get(f"/agenda/{first}/end")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for item_id in (b, c, e):
        assert f'id="carry-{item_id}" name="carry" value="{item_id}" checked' in page
    assert f'id="carry-{a}"' not in page and f'id="carry-{d}"' not in page

    # Chosen: e and b (and a discussed one, a removed one and another agenda's item); not c.
    dags = item_ids(app, dags_meeting)
    assert anne.post(f"/agenda/{first}/end", data={"carry": [str(e)]}).status_code == 403
    end(as_, first, [e, a, d, b, dags[0]])
    assert conversation(app, first)["state"] == "held"
    carried = {i["id"] for i in items(app, first, removed=True) if i["carry_over"]}
    assert carried == {b, e}
    assert not any(i["carry_over"] for i in items(app, dags_meeting))

    # The held agenda is read-only for both.
    for who in ("anne", "lars"):
        page = parse(as_(who).get(f"/agenda/{first}"))
        assert page.order == [a, b, e, c]
        assert "live" not in page.agenda.get("class", "").split()
        assert not {"agenda-sync", "agenda-since", "agenda-stream"} & page.ids
        assert all(i["readonly"] == set(FIELDS) and not i["actions"] and not i["draggable"]
                   for i in page.items)
        assert "new-item" not in page.ids

    # The next conversation opens with b and e, in their order, then its own questions.
    second = make_conversation(people["anne"], days=60)
    add_picks(app, second, [ordinary[8]])
    start(as_, second)
    old = {i["id"]: i for i in items(app, first)}
    built = items(app, second)
    assert [i["section"] for i in built] == ["follow_up", "follow_up", "question"]
    assert [i["carried_from_id"] for i in built[:2]] == [b, e]
    assert [i["text"] for i in built[:2]] == ["B, skrevet om i møtet", old[e]["text"]]
    assert [i["prompts"] for i in built[:2]] == [old[b]["prompts"], old[e]["prompts"]]
    assert [i["question_id"] for i in built] == [ordinary[1], ordinary[4], ordinary[8]]
    page = parse(anne.get(f"/agenda/{second}"))
    assert page.order == [i["id"] for i in built]
    assert [("section-follow_up" in i["classes"]) for i in page.items] == [True, True, False]

    # A third conversation does not get them again unless they are carried again.
    end(as_, second, [])
    third = make_conversation(people["anne"], days=90)
    add_picks(app, third, [ordinary[9]])
    start(as_, third)
    assert [i["section"] for i in items(app, third)] == ["question"]


def test_a_carried_salary_item_stays_last(app, people, make_conversation, picked, as_):
    """R8: salary and conditions come last on every agenda, also when they were carried
    over from the last conversation."""
    ordinary, salary = picked
    first = make_conversation(people["anne"])
    add_picks(app, first, [ordinary[0], salary[0]])
    start(as_, first)
    _question, pay = item_ids(app, first)
    end(as_, first, [pay])

    second = make_conversation(people["anne"], days=60)
    add_picks(app, second, [ordinary[1]])
    start(as_, second)
    built = items(app, second)
    assert [i["question_id"] for i in built] == [ordinary[1], salary[0]]
    assert built[-1]["carried_from_id"] == pay


# 3. Editing together ---------------------------------------------------------------------------


def test_polling_answers_204_until_something_changes(app, meeting, as_, changes, rendered):
    lars = as_("lars")
    version = agenda_version(app, meeting)
    view = View(app, lars, meeting)
    assert view.since == version
    response = view.poll()
    assert response.status_code == 204
    assert response.get_data() == b""
    # Nothing rendered for it (and no old headers).
    assert (rendered.templates, rendered.blocks) == ([], [])
    for header in ("ETag", "X-Agenda-Version", "HX-Retarget"):
        assert header not in response.headers

    first, second, *_rest = item_ids(app, meeting)
    changes(change(as_("anne"), meeting, f"/items/{second}/discussed", {"discussed": "1"}))
    answer = view.refresh()
    assert answer is not None and answer.since == view.since == version + 1
    assert_block(rendered, "agenda/agenda.html", "changes")
    for header in ("ETag", "X-Agenda-Version"):
        assert header not in response.headers
    # All the items, not only the changed one.
    assert answer.order == item_ids(app, meeting)
    assert "discussed" in answer.item(second)["classes"]
    assert "discussed" not in answer.item(first)["classes"]

    assert view.refresh() is None
    # With an older version, or none, everything comes back.
    for since in (version, 0):
        response = poll(lars, meeting, since, view.shown)
        assert response.status_code == 200
        assert parse(response).order == item_ids(app, meeting)
        assert parse(response).since == version + 1
    response = lars.get(f"/agenda/{meeting}/poll", headers=HX)
    assert response.status_code == 200 and parse(response).since == version + 1
    # The version is current but what the page shows of the other party is not: on
    # SQLite, where the poll says who is here, that is new too; with an event stream
    # (PostgreSQL), presence comes from the stream and the poll only compares versions.
    for shown in (None, "", "1:99", "garbage"):
        response = poll(lars, meeting, version + 1, shown)
        if on_postgresql(app):
            assert response.status_code == 204, shown
        else:
            assert response.status_code == 200, shown
            answer = parse(response)
            assert answer.since == version + 1 and answer.shown == view.shown
    assert view.refresh() is None


def test_each_change_reaches_the_other_party(app, meeting, as_, changes):
    """Anne and Lars each change the agenda; the answer to the change brings the whole list,
    and the other sees it on a fresh page and with their next poll, which then answers 204."""
    anne, lars = as_("anne"), as_("lars")
    a, b, c, pay = item_ids(app, meeting)
    views = {"lars": View(app, lars, meeting), "anne": View(app, anne, meeting)}

    def step(who, path, data):
        before = agenda_version(app, meeting)
        answered = changes(change(as_(who), meeting, path, data))
        assert agenda_version(app, meeting) == before + 1 == answered.since
        other = "anne" if who == "lars" else "lars"
        polled = views[other].refresh()  # one poll brings it
        assert polled is not None and polled.since == before + 1
        assert item_state(polled.items) == item_state(answered.items)
        assert views[other].refresh() is None  # and then 204
        # The one who made the change takes its own answer: its next poll finds nothing new.
        views[who].take(answered)
        assert views[who].refresh() is None
        for view in views.values():
            assert view.since == before + 1
            assert view.order == item_ids(app, meeting)
            assert view.shown_items() == shown_in_db(app, meeting)
            assert item_state(view.items) == db_state(app, meeting)
            assert parse(view.client.get(f"/agenda/{meeting}")).order == view.order
        return answered

    # Add: after the ordinary items, before salary; salary moves down one.
    answered = step("anne", "/items", {"text": "  Nytt punkt fra Anne  "})
    new = max(item_ids(app, meeting))
    assert item_ids(app, meeting) == [a, b, c, new, pay]
    assert answered.order == [a, b, c, new, pay]
    assert [i["position"] for i in answered.items] == [0, 1, 2, 3, 4]
    assert items(app, meeting)[3]["text"] == "Nytt punkt fra Anne"
    assert items(app, meeting)[3]["section"] == "added"

    step("lars", f"/items/{c}/move", {"step": "-1"})
    assert item_ids(app, meeting) == [a, c, b, new, pay]
    step("anne", f"/items/{a}/move", {"step": "1"})
    assert item_ids(app, meeting) == [c, a, b, new, pay]
    step("lars", f"/items/{b}/discussed", {"discussed": "1"})
    assert [i["discussed"] for i in items(app, meeting)] == [False, False, True, False, False]
    step("anne", f"/items/{b}/discussed", {"discussed": "0"})
    assert not any(i["discussed"] for i in items(app, meeting))
    step("lars", "/order", {"item": [str(i) for i in (new, a, c, b, pay)]})
    assert item_ids(app, meeting) == [new, a, c, b, pay]
    # A removed item is simply no longer in the list.
    answered = step("anne", f"/items/{c}/remove", None)
    assert item_ids(app, meeting) == [new, a, b, pay] == answered.order
    assert f"item-{c}" not in answered.ids
    assert [i["removed"] for i in items(app, meeting, removed=True) if i["id"] == c] == [True]


def test_moving_after_removals_keeps_the_other_partys_order(app, meeting, as_, changes):
    """Positions left with gaps by removals are renumbered by the next move; the other
    party's list, replaced by each answer, has every item in its place."""
    anne, lars = as_("anne"), as_("lars")
    a, b, c, pay = item_ids(app, meeting)
    for text in ("D", "E"):
        changes(change(anne, meeting, "/items", {"text": text}))
    d, e = item_ids(app, meeting)[3:5]
    view = View(app, lars, meeting)
    assert view.order == [a, b, c, d, e, pay]
    for removed in (a, b):
        changes(change(anne, meeting, f"/items/{removed}/remove"))
    view.refresh()
    assert view.order == [c, d, e, pay]

    changes(change(anne, meeting, f"/items/{e}/move", {"step": "-1"}))
    assert item_ids(app, meeting) == [c, e, d, pay]
    view.refresh()
    assert view.order == item_ids(app, meeting)
    # The fresh page and the polling view agree on the positions too.
    page = parse(lars.get(f"/agenda/{meeting}"))
    assert [i["position"] for i in view.items] == [i["position"] for i in page.items]
    assert item_state(view.items) == item_state(page.items) == db_state(app, meeting)


def test_move_rules(app, meeting, as_, changes):
    """The first cannot move up, the last down; salary stays below the rest (R8)."""
    lars = as_("lars")
    changes(change(lars, meeting, "/items", {"text": "Siste lønn"}))
    a, _b, c, added, pay = item_ids(app, meeting)
    before = agenda_snapshot(app)
    for item_id, step in ((a, -1), (added, 1), (pay, -1), (pay, 1), (a, 0), (a, 2), (c, -2)):
        refused(change(lars, meeting, f"/items/{item_id}/move", {"step": str(step)}))
    refused(change(lars, meeting, f"/items/{a}/move", {"step": "x"}))
    assert agenda_snapshot(app) == before

    # Salary cannot be reordered above the others either.
    order = item_ids(app, meeting)
    for wrong in ([pay, *order[:-1]], [*order[:-2], pay, order[-2]]):
        refused(change(lars, meeting, "/order", {"item": [str(i) for i in wrong]}))
    assert agenda_snapshot(app) == before
    # Without htmx: back to the agenda, with the message, and nothing changed.
    response = change(lars, meeting, f"/items/{pay}/move", {"step": "-1"}, htmx=False)
    assert response.status_code == 302 and response.location.endswith(f"/agenda/{meeting}")
    flashed_error(lars, response)
    assert agenda_snapshot(app) == before


def test_plain_form_posts_work_without_javascript(app, meeting, as_):
    anne = as_("anne")
    a, b, _c, _pay = item_ids(app, meeting)
    for path, data in ((f"/items/{b}/move", {"step": "-1"}), ("/items", {"text": "Uten JS"}),
                       (f"/items/{a}/discussed", {"discussed": "1"})):
        response = change(anne, meeting, path, data, htmx=False)
        assert response.status_code == 302 and response.location.endswith(f"/agenda/{meeting}")
    response = save(anne, meeting, a, "employee_note", "Skrevet uten JS", 1, htmx=False)
    assert response.status_code == 302
    assert response.location.endswith(f"/agenda/{meeting}#item-{a}")
    shown = items(app, meeting)
    assert [i["id"] for i in shown][:2] == [b, a]
    assert [i["text"] for i in shown][3] == "Uten JS"
    assert shown[1]["discussed"] and shown[1]["employee_note"] == "Skrevet uten JS"
    # The page it is sent back to shows it all.
    page = parse(anne.get(f"/agenda/{meeting}"))
    assert item_state(page.items) == db_state(app, meeting)


# 4. No lost edits ------------------------------------------------------------------------------


def test_two_saves_on_the_same_version_conflict_and_nothing_is_overwritten(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    assert saved(save(lars, meeting, item_id, "leader_note", "Lars skriver", 1)) == 2
    agenda_before = agenda_version(app, meeting)

    # Both changed the same word: Anne sees both texts in that text's merge slot.
    merge = conflicted(save(anne, meeting, item_id, "leader_note", "Anne skriver", 1),
                       item_id, "leader_note")
    assert (merge.theirs, merge.yours, merge.merge_version) == ("Lars skriver", "Anne skriver", 2)
    item = items(app, meeting)[0]
    assert (item["leader_note"], item["leader_note_version"]) == ("Lars skriver", 2)
    assert agenda_version(app, meeting) == agenda_before

    # Anne chooses her own text, saved on the version the merge block named.
    assert saved(save(anne, meeting, item_id, "leader_note", merge.yours, 2)) == 3
    # The same, without htmx: the whole page with the merge block, status 409. Lars, on
    # "Lars skriver", changes the word that Anne changed since.
    response = save(lars, meeting, item_id, "leader_note", "Per skriver", 2, htmx=False)
    assert response.status_code == 409
    assert "HX-Retarget" not in response.headers
    page = parse(response)
    assert page.agenda is not None
    assert page.merge["data-merge-item"] == str(item_id)
    assert (page.theirs, page.yours, page.merge_version) == ("Anne skriver", "Per skriver", 3)
    assert page.order == item_ids(app, meeting)
    assert items(app, meeting)[0]["leader_note"] == "Anne skriver"

    # Both typing the same text is no conflict: there is nothing to choose between.
    assert saved(save(lars, meeting, item_id, "leader_note", "Anne skriver", 2)) == 3


def test_a_clients_own_consecutive_saves_never_conflict(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[1]
    versions = {field: 1 for field in FIELDS}
    for n in range(15):
        field = FIELDS[n % 3]
        who = lars if n % 2 else anne  # other fields change between, and the other party
        versions[field] = saved(save(who, meeting, item_id, field, f"{field} {n}",
                                     versions[field]))
    item = items(app, meeting)[1]
    assert {f: item[f"{f}_version"] for f in FIELDS} == versions == {
        "text": 6, "employee_note": 6, "leader_note": 6}
    assert (item["text"], item["employee_note"], item["leader_note"]) == (
        "text 12", "employee_note 13", "leader_note 14")


def test_alternating_saves_of_one_field_lose_nothing(app, meeting, as_):
    """Lars and Anne take turns saving one field, each on the version they last knew."""
    item_id = item_ids(app, meeting)[0]
    clients = {"lars": as_("lars"), "anne": as_("anne")}
    known = {"lars": 1, "anne": 1}
    successes, conflicts = [], 0
    for n in range(40):
        who = ("lars", "anne")[n % 2]
        value = f"{who}{n}"  # one word, all of it changed each time: they cannot be merged
        response = save(clients[who], meeting, item_id, "employee_note", value, known[who])
        if response.status_code == 204:
            successes.append((value, known[who], saved(response)))
            known[who] = successes[-1][2]
        else:
            merge = conflicted(response, item_id, "employee_note")
            assert merge.yours == value and merge.theirs == successes[-1][0]
            known[who] = merge.merge_version
            conflicts += 1
    assert conflicts == 20
    assert [new for _v, _b, new in successes] == list(range(2, len(successes) + 2))
    item = items(app, meeting)[0]
    assert (item["employee_note"], item["employee_note_version"]) == (
        successes[-1][0], len(successes) + 1)


def test_two_clients_saving_one_field_at_once_lose_nothing(app, meeting, as_, live_server):
    """Lars and Anne each make 200 saves of the same field at the same time (two threads,
    real HTTP), each on the version that client last knew, each replacing the whole text,
    so that nothing can be merged. No save may overwrite another unseen: the successes' new
    versions are exactly 2..N+1, each one more than the version it was based on, and the
    last success is what is kept."""
    saves = 200
    item_id = item_ids(app, meeting)[0]
    path = f"/agenda/{meeting}/items/{item_id}/text"
    slot = f"#merge-leader_note-{item_id}"
    agenda_before = agenda_version(app, meeting)
    browsers = {who: Http(live_server, as_(who)) for who in ("lars", "anne")}
    go = threading.Barrier(2, timeout=10)
    results = {who: {"saved": [], "conflicts": [], "other": []} for who in browsers}
    failures = []

    def type_away(who):
        try:
            browser, mine = browsers[who], results[who]
            known = 1
            go.wait()
            for n in range(saves):
                value = f"{who}{n}"  # the whole text, one word: never two merged changes
                status, headers, body = browser.request(
                    "POST", path, {"field": "leader_note", "value": value, "version": known})
                if status == 204:
                    new = int(headers["X-Text-Version"])
                    mine["saved"].append((value, known, new))
                    known = new
                elif status == 409 and headers["HX-Retarget"] == slot:  # the merge view
                    merge = Agenda(body)
                    mine["conflicts"].append((value, merge.yours, merge.theirs))
                    known = merge.merge_version  # what agenda.js takes from the merge block
                else:
                    mine["other"].append((status, body[:300]))
        except Exception as error:  # reported below, not lost in the thread
            failures.append(repr(error))

    threads = [threading.Thread(target=type_away, args=(who,)) for who in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert not any(thread.is_alive() for thread in threads)
    assert [r["other"] for r in results.values()] == [[], []]

    successes = sorted((s for r in results.values() for s in r["saved"]), key=lambda s: s[2])
    conflicts = [c for r in results.values() for c in r["conflicts"]]
    assert len(successes) + len(conflicts) == 2 * saves
    assert conflicts, "two clients saving one field at once never conflicted"
    assert [new for _value, _base, new in successes] == list(range(2, len(successes) + 2))
    assert [s for s in successes if s[2] != s[1] + 1] == []
    # Each client's own successes come in order, each on the version its previous one made
    # or on one it learnt from a conflict.
    for r in results.values():
        assert [s[2] for s in r["saved"]] == sorted(s[2] for s in r["saved"])
    # A conflict shows both texts: the one sent, and one that really was saved.
    values = {value for value, _base, _new in successes} | {""}
    assert [c for c in conflicts if not (c[1] == c[0] and c[2] in values)] == []

    item = items(app, meeting)[0]
    assert item["leader_note"] == successes[-1][0]
    assert item["leader_note_version"] == len(successes) + 1
    assert agenda_version(app, meeting) == agenda_before + len(successes)


def test_edits_of_different_words_are_merged_and_both_see_the_merged_text(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    start = "Kurs i vår.\n\nMer ansvar i prosjektet."
    assert saved(save(anne, meeting, item_id, "employee_note", start, 1)) == 2
    # Lars adds to the first line; Anne, on the same version, to the second, caret at its end.
    assert saved(save(lars, meeting, item_id, "employee_note",
                      "Kurs i prosjektledelse i vår.\n\nMer ansvar i prosjektet.", 2)) == 3
    view = View(app, lars, meeting)  # Lars's screen, as it is before Anne's save
    assert view.item(item_id)["versions"]["employee_note"] == 3
    mine = "Kurs i vår.\n\nMer ansvar i prosjektet, fra høsten."
    response = save(anne, meeting, item_id, "employee_note", mine, 2, caret=len(mine))
    both = "Kurs i prosjektledelse i vår.\n\nMer ansvar i prosjektet, fra høsten."
    assert merged(response) == (both, 4)
    assert response.headers["X-Caret"] == str(len(both))  # still at the end of her words
    assert items(app, meeting)[0]["employee_note"] == both
    # Lars's screen gets the merged text, and its version, with its next poll.
    assert view.refresh() is not None
    assert view.item(item_id)["fields"]["employee_note"] == both
    assert view.item(item_id)["versions"]["employee_note"] == 4


def test_a_save_typed_on_ones_own_sent_text_merges_only_what_is_new(app, meeting, as_):
    """Anne kept typing while her last save was merged: her text is what she sent, plus
    more, not the merged text. She says so (basis=sent) and nothing is doubled."""
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    assert saved(save(anne, meeting, item_id, "employee_note", "Første. Andre.", 1)) == 2
    assert saved(save(lars, meeting, item_id, "employee_note", "Første. Andre. Tredje.", 2)) == 3
    response = save(anne, meeting, item_id, "employee_note", "Først. Andre.", 2)
    assert merged(response) == ("Først. Andre. Tredje.", 4)
    # She had typed on after sending "Først. Andre.", and did not take the merged text.
    response = save(anne, meeting, item_id, "employee_note", "Først. Andre, og mer.", 4,
                    basis="sent")
    assert merged(response) == ("Først. Andre, og mer. Tredje.", 5)
    assert items(app, meeting)[0]["employee_note"] == "Først. Andre, og mer. Tredje."


def test_two_people_typing_in_one_note_at_different_places_lose_no_word(
    app, meeting, as_, live_server
):
    """The issue's test: Lars and Anne type into one note at once, over real HTTP, Lars in
    the first paragraph and Anne in the second, 200 saves each, each on the version its
    last answer gave (and on the merged text it brought). Every word of both is in the
    result, and no merge view was ever needed."""
    saves = 200
    item_id = item_ids(app, meeting)[0]
    path = f"/agenda/{meeting}/items/{item_id}/text"
    first, second = "Lars:", "Anne:"
    saved(save(as_("anne"), meeting, item_id, "leader_note", f"{first}\n\n{second}", 1))
    browsers = {who: Http(live_server, as_(who)) for who in ("lars", "anne")}
    go = threading.Barrier(2, timeout=10)
    statuses, failures = {"lars": [], "anne": []}, []

    def type_away(who):
        try:
            text, version = f"{first}\n\n{second}", 2
            go.wait()
            for n in range(saves):
                word = f" {who}{n}"
                if who == "lars":  # at the end of the first paragraph
                    head, tail = text.split("\n\n")
                    text = f"{head}{word}\n\n{tail}"
                else:  # at the end of the note
                    text += word
                status, headers, body = browser_request(browsers[who], path, text, version)
                statuses[who].append(status)
                if status in (200, 204):
                    version = int(headers["X-Text-Version"])
                    text = body if status == 200 else text
        except Exception as error:  # reported below, not lost in the thread
            failures.append(repr(error))

    def browser_request(browser, path, text, version):
        return browser.request("POST", path, {"field": "leader_note", "value": text,
                                              "version": version})

    threads = [threading.Thread(target=type_away, args=(who,)) for who in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures and not any(thread.is_alive() for thread in threads)
    assert {who: set(s) - {200, 204} for who, s in statuses.items()} == {"lars": set(),
                                                                          "anne": set()}
    note = items(app, meeting)[0]["leader_note"]
    lars_part, anne_part = note.split("\n\n")
    assert lars_part == first + "".join(f" lars{n}" for n in range(saves))
    assert anne_part == second + "".join(f" anne{n}" for n in range(saves))


def test_changing_the_same_word_opens_the_merge_view_with_both_texts(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    assert saved(save(anne, meeting, item_id, "leader_note", "Vi møtes i mars.", 1)) == 2
    assert saved(save(lars, meeting, item_id, "leader_note", "Vi møtes i april.", 2)) == 3
    before = agenda_snapshot(app)
    merge = conflicted(save(anne, meeting, item_id, "leader_note", "Vi møtes i mai.", 2),
                       item_id, "leader_note")
    assert agenda_snapshot(app) == before
    assert (merge.theirs, merge.yours, merge.merge_version) == (
        "Vi møtes i april.", "Vi møtes i mai.", 3)
    assert items(app, meeting)[0]["leader_note"] == "Vi møtes i april."


# 5. Bad input changes nothing ------------------------------------------------------------------


def test_bad_texts_are_refused(app, meeting, as_, changes):
    anne = as_("anne")
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    # Texts fail the forms' validation: 422.
    for text in ("", "   \n ", "x" * (ITEM_TEXT_MAX + 1)):
        refused(change(anne, meeting, "/items", {"text": text}), 422)
        refused(save(anne, meeting, item_id, "text", text, 1), 422)
    for field in ("employee_note", "leader_note"):
        refused(save(anne, meeting, item_id, field, "x" * (ITEM_NOTE_MAX + 1), 1), 422)
    assert agenda_snapshot(app) == before

    # The limits themselves are allowed.
    changes(change(anne, meeting, "/items", {"text": "y" * ITEM_TEXT_MAX}))
    assert saved(save(anne, meeting, item_id, "employee_note", "z" * ITEM_NOTE_MAX, 1)) == 2
    assert items(app, meeting)[0]["employee_note"] == "z" * ITEM_NOTE_MAX


@pytest.mark.parametrize("version", ["0", "999", "2", "x", "", None, "-1", "1.5"])
def test_a_forged_version_is_refused(app, meeting, as_, version):
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    # A version that is no number fails the form (422); one the text never had, the rule.
    status = 409 if version in ("0", "999", "2", "-1") else 422
    refused(save(as_("lars"), meeting, item_id, "leader_note", "Forfalsket", version), status)
    assert agenda_snapshot(app) == before


@pytest.mark.parametrize("field", ["removed", "discussed", "position", "prompts",
                                   "text_version", "conversation_id", ""])
def test_a_field_not_on_the_list_is_refused(app, meeting, as_, field):
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    refused(save(as_("anne"), meeting, item_id, field, "1", 1), 422)
    assert agenda_snapshot(app) == before


def test_items_of_another_agenda_are_refused(app, meeting, dags_meeting, as_):
    anne = as_("anne")
    mine = item_ids(app, meeting)
    dags = item_ids(app, dags_meeting)
    before = agenda_snapshot(app)
    for path, data in ((f"/items/{dags[0]}/remove", None),
                       (f"/items/{dags[0]}/discussed", {"discussed": "1"}),
                       (f"/items/{dags[1]}/move", {"step": "-1"}),
                       ("/items/999999/remove", None)):
        refused(change(anne, meeting, path, data))
    for field in FIELDS:
        refused(save(anne, meeting, dags[0], field, "Anne i Dags agenda", 1))
    # A reorder naming another agenda's item, leaving one out, or naming one twice.
    for order in ([*mine[:-1], dags[0]], [mine[0], *dags, *mine[1:]], mine[1:],
                  [mine[0], *mine], [mine[0], mine[0], *mine[2:]], []):
        refused(change(anne, meeting, "/order", {"item": [str(i) for i in order]}))
    assert agenda_snapshot(app) == before


def test_a_removed_item_cannot_change(app, meeting, as_, changes):
    anne = as_("anne")
    a, b, *_rest = item_ids(app, meeting)
    changes(change(anne, meeting, f"/items/{a}/remove"))
    before = agenda_snapshot(app)
    refused(save(anne, meeting, a, "text", "Tilbake?", 1))
    for path, data in ((f"/items/{a}/remove", None), (f"/items/{a}/move", {"step": "1"}),
                       (f"/items/{a}/discussed", {"discussed": "1"})):
        refused(change(anne, meeting, path, data))
    refused(change(anne, meeting, "/order", {"item": [str(i) for i in (a, *item_ids(
        app, meeting))]}))
    assert agenda_snapshot(app) == before
    assert item_ids(app, meeting)[0] == b


def test_nothing_changes_once_the_meeting_is_over(app, meeting, as_):
    a, b, c, pay = item_ids(app, meeting)
    end(as_, meeting, [])
    before = agenda_snapshot(app)
    for who in ("anne", "lars"):
        client = as_(who)
        refused(change(client, meeting, "/items", {"text": "For sent"}))
        refused(save(client, meeting, a, "text", "For sent", 1))
        refused(save(client, meeting, a, "employee_note", "For sent", 1))
        for path, data in ((f"/items/{b}/move", {"step": "-1"}), (f"/items/{c}/remove", None),
                           (f"/items/{a}/discussed", {"discussed": "1"}),
                           ("/order", {"item": [str(i) for i in (b, a, c, pay)]})):
            refused(change(client, meeting, path, data))
        caught_up(app, client, meeting)  # polls still answer, and find nothing new
    # Ending again, or starting again, changes nothing either.
    end(as_, meeting, [a])
    start(as_, meeting)
    assert agenda_snapshot(app) == before


def test_an_unsent_conversation_has_no_agenda(app, people, make_conversation, picked, as_):
    ordinary, _salary = picked
    conversation_id = make_conversation(people["anne"], sent=False)
    add_picks(app, conversation_id, ordinary[:1])
    set_starts_at(app, conversation_id, utcnow().replace(microsecond=0) - timedelta(minutes=5))
    before = agenda_snapshot(app)
    assert as_("anne").get(f"/agenda/{conversation_id}").status_code == 404
    assert poll(as_("anne"), conversation_id, 0).status_code == 404
    page = parse(as_("lars").get(f"/agenda/{conversation_id}"))
    assert page.agenda is None
    start(as_, conversation_id)
    assert agenda_snapshot(app) == before


# 6. Access -------------------------------------------------------------------------------------


def every_request(conversation_id, item_id):
    """(method, path, form) for every agenda URL."""
    base = f"/agenda/{conversation_id}"
    item = f"{base}/items/{item_id}"
    return [
        ("GET", base, None),
        ("GET", f"{base}/poll?since=0", None),
        ("GET", f"{base}/events", None),
        ("GET", f"{base}/elapsed", None),
        ("GET", f"{base}/end", None),
        ("POST", f"{base}/start", {}),
        ("POST", f"{base}/end", {"carry": str(item_id)}),
        ("POST", f"{base}/items", {"text": "Innbrudd"}),
        ("POST", f"{item}/remove", {}),
        ("POST", f"{item}/discussed", {"discussed": "1"}),
        ("POST", f"{item}/move", {"step": "1"}),
        ("POST", f"{base}/order", {"item": [str(item_id)]}),
        ("POST", f"{item}/text", {"field": "text", "value": "Innbrudd", "version": "1"}),
    ]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_refused_everything(app, meeting, people, as_, who):
    """Another employee of the leader, another leader and the HR admin get 403, and are not
    counted as here."""
    client = as_(who)
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    for method, path, data in every_request(meeting, item_id):
        for headers in (HX, {}):
            response = client.open(path, method=method, data=data, headers=headers)
            assert response.status_code == 403, (method, path)
            body = response.get_data(as_text=True)
            assert "agenda-items" not in body and "agenda-since" not in body
    response = poll(client, meeting, agenda_version(app, meeting), "0:")
    assert response.status_code == 403 and "agenda-since" not in response.get_data(as_text=True)
    assert agenda_snapshot(app) == before
    presence = agenda_hub.hub.presence.get(meeting)
    assert presence is None or people[who] not in presence.streams | presence.typing


def test_the_employee_cannot_start_or_end(app, meeting, as_):
    anne = as_("anne")
    before = agenda_snapshot(app)
    assert anne.get(f"/agenda/{meeting}/end").status_code == 403
    assert anne.post(f"/agenda/{meeting}/end").status_code == 403
    assert anne.post(f"/agenda/{meeting}/start").status_code == 403
    assert agenda_snapshot(app) == before


def test_anonymous_visitors_are_sent_to_log_in(app, client, meeting):
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    for method, path, data in every_request(meeting, item_id):
        response = client.open(path, method=method, data=data, headers=HX)
        assert response.status_code == 302, (method, path)
        assert urlsplit(response.location).path == "/login"
    assert agenda_snapshot(app) == before


def test_a_missing_agenda_is_not_found(app, meeting, as_):
    for method, path, data in every_request(999999, item_ids(app, meeting)[0]):
        assert as_("lars").open(path, method=method, data=data).status_code == 404, path


# 7. Query counts -------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_agenda(
    app, people, make_conversation, picked, as_, count_queries, changes, rendered
):
    """The page, a poll that finds nothing (204) and one that finds something (200), a text
    save and a change cost the same for 3 items as for 20; the 204 costs one small query,
    and renders nothing."""
    ordinary, _salary = picked
    small = make_conversation(people["anne"])
    large = make_conversation(people["dag"])
    add_picks(app, small, ordinary[:3])
    add_picks(app, large, ordinary[3:13])
    start(as_, small)
    start(as_, large, leader="lena")
    # Only the leaders make changes here, so that (on SQLite) what each page shows of the
    # other party stays "not here" all through.
    for n in range(10):
        changes(change(as_("lena"), large, "/items", {"text": f"Punkt {n}"}))
    for conversation_id in (small, large):
        for item in items(app, conversation_id):
            assert saved(save(as_("lars" if conversation_id == small else "lena"),
                              conversation_id, item["id"], "employee_note", "Notat", 1)) == 2
    assert [len(items(app, c)) for c in (small, large)] == [3, 20]

    def cost(client, conversation_id):
        counted = {}
        first = items(app, conversation_id)[0]["id"]
        length = len(items(app, conversation_id))

        def count(name, status, request):
            with count_queries() as statements:
                response = request()
            assert response.status_code == status, (name, response.get_data(as_text=True))
            counted[name] = len(statements)
            return response

        page = parse(count("page", 200, lambda: client.get(f"/agenda/{conversation_id}")))
        assert len(page.items) == length
        count("poll 204", 204, lambda: poll(client, conversation_id, page.since, page.shown))
        assert (rendered.templates, rendered.blocks) == ([], [])
        response = count("poll 200", 200, lambda: poll(client, conversation_id, 0))
        assert len(parse(response).items) == length
        count("save", 204, lambda: save(client, conversation_id, first, "leader_note", "Ny", 1))
        response = count("change", 200, lambda: change(
            client, conversation_id, f"/items/{first}/discussed", {"discussed": "1"}))
        assert len(changes(response).items) == length
        return counted

    small_cost, large_cost = cost(as_("lars"), small), cost(as_("lena"), large)
    print(f"\nqueries ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): {small_cost}")
    assert small_cost == large_cost
    assert small_cost["poll 204"] == 1


# 8. Live: server-sent events on PostgreSQL, polling on SQLite -----------------------------------


class EventStream:
    """/agenda/<id>/events read over real HTTP by a thread of its own, as EventSource does.
    Each message is queued as (event, data): ("update", "") for an update, ("", html) for
    an unnamed one (a block swapped into the page: the latest version before each update,
    the presence block, the minutes so far); each comment as (":", its text)."""

    def __init__(self, browser, conversation_id):
        self.conversation_id = conversation_id
        self.connection = browser.connection(timeout=30)
        self.connection.request("GET", f"/agenda/{conversation_id}/events",
                                headers={"Cookie": browser.cookie, "Accept": "text/event-stream"})
        self.socket = self.connection.sock
        self.response = self.connection.getresponse()
        self.retry = None
        self.events = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        if self.response.status == 200:
            self.reader.start()

    def _read(self):
        event, data = None, []
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if not line:
                    if event is not None or data:
                        self.events.put((event or "", "\n".join(data)))
                    event, data = None, []
                elif line.startswith(":"):
                    self.events.put((":", line[1:].strip()))
                else:
                    name, _colon, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
                    elif name == "retry":
                        self.retry = int(value)
        except Exception:  # the stream closed under it by close(): the reader ends
            pass
        self.events.put(None)

    def next(self, seconds=2.0, skip=(":",)):
        """The next message within `seconds`, as (event, data), passing over those whose
        event is in `skip` (comments, unless told otherwise)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                message = self.events.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"no event within {seconds} seconds")
            assert message is not None, "the stream ended"
            if message[0] not in skip:
                return message

    def update(self, seconds=2.0) -> int | None:
        """The next update: the latest version, swapped into input#agenda-latest (None when
        the stream may have missed changes: the page's poll then asks the database), and
        right after it the "update" event, on which the page polls."""
        event, data = self.next(seconds)
        assert event == "" and 'id="agenda-latest"' in data, (event, data)
        latest = Agenda(data).elements["agenda-latest"]
        assert (latest["name"], latest.get("hx-swap-oob")) == ("latest", "true")
        assert self.next(seconds) == ("update", "")
        return int(latest["value"]) if latest["value"] else None

    def presence(self, seconds=3.0) -> Agenda:
        """The next presence block (updates, minutes and comments passed over), parsed."""
        deadline = time.monotonic() + seconds
        while True:
            event, data = self.next(max(deadline - time.monotonic(), 0), skip=(":", "update"))
            assert event == "", (event, data)
            block = Agenda(data)
            if "presence" in block.elements:
                return block

    def quiet(self, seconds=0.0) -> list:
        """The messages (not comments) that come within `seconds`."""
        came, deadline = [], time.monotonic() + seconds
        while True:
            try:
                message = self.events.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                return came
            assert message is not None, "the stream ended"
            if message[0] != ":":
                came.append(message)

    def wait_until_listening(self, app, seconds=3.0):
        """NOTIFY the agenda's channel as a change does until the stream passes it on: from
        then on its process's listener hears every change. What else the probes bring is
        let pass."""
        deadline = time.monotonic() + seconds
        with app.app_context():
            version = str(agenda_version(app, self.conversation_id))
            payload = agenda_hub.Note(self.conversation_id, "changed", 0, version).payload()
            while time.monotonic() < deadline:
                db.session.execute(sql("SELECT pg_notify(:channel, :payload)"),
                                   {"channel": agenda_hub.CHANNEL, "payload": payload})
                db.session.commit()
                with contextlib.suppress(queue.Empty):
                    message = self.events.get(timeout=0.1)
                    assert message is not None, "the stream ended"
                    if message == ("update", ""):
                        self.quiet(0.3)
                        return
        pytest.fail(f"the stream did not hear the agenda's channel within {seconds} seconds")

    def close(self):
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.response.close()
        self.connection.close()
        self.reader.join(5)
        assert not self.reader.is_alive()


def open_stream(browser, conversation_id) -> EventStream:
    """A party's event stream, open: its first message is an update (the browser then polls
    for whatever changed since the page)."""
    stream = EventStream(browser, conversation_id)
    assert stream.response.status == 200
    assert stream.update(seconds=3) is not None
    return stream


class SlowPsycopg:
    """psycopg, as agenda.hub uses it, but each connect takes `seconds` (a busy database
    server, or one further away); `connects` holds when each began."""

    def __init__(self, seconds):
        self.seconds, self.connects = seconds, []

    def connect(self, *args, **kwargs):
        self.connects.append(time.monotonic())
        time.sleep(self.seconds)
        return psycopg.connect(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(psycopg, name)


def drop_listeners(app):
    """End the database session of every agenda listener (agenda.hub.Hub._listen, one per
    process): each then connects again."""
    with app.app_context():
        db.session.execute(sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND query ILIKE 'LISTEN%'"))
        db.session.commit()


def test_a_change_reaches_the_other_party_at_once(app, meeting, as_, live_server, changes):
    lars, anne = Http(live_server, as_("lars")), as_("anne")
    version = agenda_version(app, meeting)
    item_id = item_ids(app, meeting)[1]
    status, _headers, body = lars.request("GET", f"/agenda/{meeting}")
    page = Agenda(body)
    assert status == 200 and page.since == version
    if not on_postgresql(app):
        # SQLite has no LISTEN/NOTIFY: no stream, and the page polls instead.
        assert "agenda-stream" not in page.ids
        assert lars.request("GET", f"/agenda/{meeting}/events")[0] == 404
        query = urlencode({"since": page.since, "shown": page.shown})
        status, _headers, body = lars.request("GET", f"/agenda/{meeting}/poll?{query}")
        assert (status, body) == (204, "")
        changes(change(anne, meeting, f"/items/{item_id}/discussed", {"discussed": "1"}))
        status, _headers, body = lars.request("GET", f"/agenda/{meeting}/poll?{query}")
        assert status == 200
        answer = Agenda(body)
        assert_changes(app, answer, meeting)
        assert answer.since == version + 1 and "discussed" in answer.item(item_id)["classes"]
        return

    assert page.elements["agenda-stream"]["hx-sse:connect"] == f"/agenda/{meeting}/events"
    stream = EventStream(lars, meeting)
    try:
        assert stream.response.status == 200
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        assert stream.response.headers["Cache-Control"] == "no-store"  # nothing of it is kept
        # First: fetch whatever changed since the page (the version as the stream opened),
        # and reconnect a second after a drop.
        assert stream.update() == version
        assert stream.retry == 1000
        # A change made before the process listens is caught by the poll that first update
        # makes (the next test); here it comes once the stream's process listens, as it
        # does a moment after the first stream opened.
        stream.wait_until_listening(app)
        began = time.monotonic()
        changes(change(anne, meeting, f"/items/{item_id}/discussed", {"discussed": "1"}))
        assert stream.update() == version + 1
        assert time.monotonic() - began < 2
        # A text save is announced too.
        saved(save(as_("lars"), meeting, item_id, "leader_note", "Live", 1))
        assert stream.update() == version + 2
        # While nothing happens, the stream says it is still there.
        assert stream.next(agenda_live.KEEP_ALIVE_SECONDS + 2, skip=()) == (":", "still here")
    finally:
        stream.close()
    # What the events announced is there to fetch, in one poll.
    response = poll(as_("lars"), meeting, version, page.shown)
    assert response.status_code == 200
    answer = parse(response)
    assert_changes(app, answer, meeting)
    assert answer.since == version + 2
    assert "discussed" in answer.item(item_id)["classes"]
    assert answer.item(item_id)["fields"]["leader_note"] == "Live"


def test_a_change_just_after_the_stream_opens_is_not_missed(
    app, meeting, as_, live_server, monkeypatch, changes
):
    """The stream's first update makes the browser poll; a change made right after it must
    still be told, however long the process's listener takes to (re)connect to the
    database: the listener, once listening, tells every stream to update."""
    lars, anne = Http(live_server, as_("lars")), as_("anne")
    version = agenda_version(app, meeting)
    item_id = item_ids(app, meeting)[0]
    if not on_postgresql(app):
        assert lars.request("GET", f"/agenda/{meeting}/events")[0] == 404
        view = View(app, as_("lars"), meeting)
        changes(change(anne, meeting, f"/items/{item_id}/discussed", {"discussed": "1"}))
        answer = view.refresh()
        assert answer is not None and view.since == version + 1
        assert "discussed" in view.item(item_id)["classes"]
        return

    # This process's listener and its connection for sending are up (as after any stream);
    # then the listener loses its connection, and connects again, slowly.
    open_stream(lars, meeting).close()
    slow = SlowPsycopg(1.0)
    monkeypatch.setattr(agenda_hub, "psycopg", slow)
    drop_listeners(app)
    stream = EventStream(lars, meeting)
    try:
        assert stream.response.status == 200
        assert stream.update(seconds=5) == version
        changes(change(anne, meeting, f"/items/{item_id}/discussed", {"discussed": "1"}))
        changed_at = time.monotonic()
        # Nobody listened when it was announced; once the listener listens again, it tells
        # every stream to update, not knowing the version, so the browser's poll asks the
        # database.
        assert stream.update(seconds=6) is None
    finally:
        stream.close()
    assert slow.connects, "the listener did not connect again during the test"
    assert changed_at < slow.connects[-1] + slow.seconds, "changed after it listened again"
    response = poll(as_("lars"), meeting, version)
    assert response.status_code == 200
    answer = parse(response)
    assert answer.since == version + 1 and "discussed" in answer.item(item_id)["classes"]


# 9. Who is here, and typing where ------------------------------------------------------------
#
# On SQLite a party's polls say they are here (in the process's hub, no database write) and
# the other's next poll answers 200 when what it shows changes; on PostgreSQL the event
# streams say it, as presence blocks.


def test_presence_is_not_posted_any_more(app, meeting, as_):
    before = agenda_snapshot(app)
    for who in ("anne", "lars"):
        for headers in (HX, {}):
            response = as_(who).post(f"/agenda/{meeting}/presence", headers=headers)
            assert response.status_code in (404, 405)
    assert agenda_snapshot(app) == before


def test_the_other_partys_arrival_shows(app, meeting, as_, live_server, count_queries):
    anne, lars = as_("anne"), as_("lars")
    before = agenda_snapshot(app)
    if on_postgresql(app):
        lars_stream = open_stream(Http(live_server, lars), meeting)
        try:
            lars_stream.wait_until_listening(app)
            # The page does not know yet: the stream tells.
            page = parse(lars.get(f"/agenda/{meeting}"))
            assert (page.shown, page.here, page.typing_shown) == (None, False, [])
            with app.app_context():  # the next block that names the organisation reads it
                Organisation.forget_shown_name()
            anne_stream = open_stream(Http(live_server, anne), meeting)
            try:
                block = lars_stream.presence()
                assert block.here and block.elements["presence"]["hx-swap-oob"] == "true"
                assert block.clears_typing and not block.typing_in and not block.items
                # Lars's stream answered the newcomer's: Anne sees him too.
                assert anne_stream.presence().here
                # Rendering those blocks left no connection open, in a transaction or not.
                assert open_connections(app) == []
            finally:
                anne_stream.close()
        finally:
            lars_stream.close()
        assert agenda_snapshot(app) == before
        return

    lars_view = View(app, lars, meeting)
    assert (lars_view.here, lars_view.shown, lars_view.typing) == (False, "0:", None)
    assert lars_view.refresh() is None
    # Anne opens the agenda (her page polls from now on): nothing written for it but the
    # audit log's record of her reading it.
    with count_queries() as statements:
        anne_view = View(app, anne, meeting)
    assert [s for s in statements if s.lstrip().upper().startswith(WRITES)
            and "audit_event" not in s] == []
    assert (anne_view.here, anne_view.shown) == (True, "1:")  # Lars is here already
    assert anne_view.refresh() is None
    answer = lars_view.refresh()
    assert answer is not None and answer.since == agenda_version(app, meeting)
    assert answer.order == item_ids(app, meeting)
    assert (lars_view.here, lars_view.shown, lars_view.typing) == (True, "1:", None)
    assert lars_view.refresh() is None
    assert View(app, lars, meeting).here  # a fresh page says so too
    assert agenda_snapshot(app) == before


def test_polls_no_update_caused_are_answered_from_memory(app, meeting, as_, live_server,
                                                       count_queries, changes, monkeypatch):
    """With an event stream (PostgreSQL) a page polls on each update its stream tells of,
    and once a minute as a safety net. A poll nothing caused, for the version this process's
    listener knows is the latest, is answered 204 from memory, without a query: a 204 says
    nothing. A poll after an update (the stream's `latest` newer than the page's `since`)
    asks the database. Without a listener (SQLite, one process, which makes every change)
    a poll asks it in one query, and for the next CONFIRMED_SECONDS the version it read
    answers from memory, until this process changes that agenda."""
    lars = as_("lars")
    view = View(app, lars, meeting)
    version = view.since
    if not on_postgresql(app):
        assert view.latest is None
        with count_queries() as statements:
            for _ in range(3):
                assert view.refresh() is None
        assert len(statements) == 1  # the first; the others from memory
        item = item_ids(app, meeting)[0]
        changes(change(as_("anne"), meeting, f"/items/{item}/discussed", {"discussed": "1"}))
        answer = view.refresh()  # the change was made here: the poll reads it
        assert answer is not None and answer.since == version + 1
        assert "discussed" in answer.item(item)["classes"]
        with count_queries() as statements:
            assert view.refresh() is None
        assert statements == []
        # A version read CONFIRMED_SECONDS ago is read again (another process may write).
        monkeypatch.setattr(agenda_hub, "CONFIRMED_SECONDS", 0)
        changes(change(as_("anne"), meeting, f"/items/{item}/discussed", {"discussed": "0"}))
        assert view.refresh() is not None
        with count_queries() as statements:
            assert view.refresh() is None
        assert len(statements) == 1
        return

    assert view.latest == version
    stream = open_stream(Http(live_server, lars), meeting)
    try:
        stream.wait_until_listening(app)
        assert view.refresh() is None  # found in the database, and kept
        with count_queries() as statements:
            for _ in range(3):
                assert view.refresh() is None
        assert statements == []
        # Anne changes something: the stream tells of the version, and the poll it causes
        # goes to the database and brings the change.
        item = item_ids(app, meeting)[0]
        changes(change(as_("anne"), meeting, f"/items/{item}/discussed", {"discussed": "1"}))
        view.latest = stream.update()
        assert view.latest == version + 1
        answer = view.refresh()
        assert answer is not None and (answer.since, answer.latest) == (version + 1, version + 1)
        assert "discussed" in answer.item(item)["classes"]
        with count_queries() as statements:
            assert view.refresh() is None
        assert statements == []
    finally:
        stream.close()
    # With no stream to tell (it broke), the safety net's poll still finds a change: the
    # listener heard of it.
    changes(change(as_("anne"), meeting, f"/items/{item}/discussed", {"discussed": "0"}))
    deadline = time.monotonic() + 2
    while (answer := view.refresh()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer is not None and answer.since == version + 2
    # Memory lets in no one the database has not: a session not a party's, or none.
    for outsider in ("bjorn", "hr"):
        response = poll(as_(outsider), meeting, version + 2, latest=version + 2)
        assert response.status_code in (403, 404)
    response = poll(app.test_client(), meeting, version + 2, latest=version + 2)
    assert response.status_code in (302, 401)


def test_an_event_stream_ends_with_its_session(app, meeting, as_, live_server):
    """Logging out closes the person's open event stream (it asks every
    SESSION_CHECK_SECONDS whether its session is open), so a stolen session that is ended
    hears nothing more. Without PostgreSQL there is no stream: the page polls, and a poll
    after logging out is refused."""
    app.config["SESSION_CHECK_SECONDS"] = 1
    lars = as_("lars")
    if not on_postgresql(app):
        version = View(app, lars, meeting).since
        lars.post("/logout")
        assert poll(lars, meeting, version).status_code in (302, 401)
        return
    stream = open_stream(Http(live_server, lars), meeting)
    try:
        lars.post("/logout")
        deadline, ended = time.monotonic() + 6, False
        while not ended and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                ended = stream.events.get(timeout=0.5) is None
        assert ended, "the stream went on after its session ended"
    finally:
        stream.close()


def test_the_meeting_bar_counts_the_minutes(app, meeting, as_, live_server):
    """The meeting bar says how many minutes the meeting has lasted. A polling page (SQLite)
    fetches that every 30 s; a page with an event stream (PostgreSQL) asks for nothing: its
    stream sends the minutes as each one passes."""
    with app.app_context():
        conversation = db.session.get(Conversation, meeting)
        conversation.started_at = utcnow() - timedelta(minutes=5) + timedelta(seconds=1.5)
        db.session.commit()
    lars = as_("lars")
    page = parse(lars.get(f"/agenda/{meeting}"))
    assert re.findall(r"\d+", page.texts["elapsed"])[0] == "4"
    bar = page.elements["elapsed"]
    if not on_postgresql(app):
        assert (bar["hx-get"], bar["hx-trigger"]) == (f"/agenda/{meeting}/elapsed", "every 30s")
        time.sleep(1.6)
        answer = parse(lars.get(f"/agenda/{meeting}/elapsed", headers=HX))
        assert re.findall(r"\d+", answer.texts["elapsed"])[0] == "5"
        return
    assert "hx-get" not in bar and "hx-trigger" not in bar
    stream = open_stream(Http(live_server, lars), meeting)
    try:
        deadline = time.monotonic() + 1.5 + agenda_live.KEEP_ALIVE_SECONDS + 2
        while True:
            event, data = stream.next(max(deadline - time.monotonic(), 0), skip=(":", "update"))
            block = Agenda(data)
            if "elapsed" in block.elements:
                break
        assert block.elements["elapsed"]["hx-swap-oob"] == "true"
        assert re.findall(r"\d+", block.texts["elapsed"])[0] == "5"
    finally:
        stream.close()


def test_the_other_party_leaving_shows(app, meeting, as_, live_server, clock):
    anne, lars = as_("anne"), as_("lars")
    if on_postgresql(app):
        lars_stream = open_stream(Http(live_server, lars), meeting)
        try:
            lars_stream.wait_until_listening(app)
            anne_stream = open_stream(Http(live_server, anne), meeting)
            try:
                assert lars_stream.presence().here
            finally:
                anne_stream.close()  # she closes the page
            began = time.monotonic()
            block = lars_stream.presence(seconds=2 * agenda_live.KEEP_ALIVE_SECONDS + 4)
            print(f"\ngone shown after {time.monotonic() - began:.1f} s")
            assert not block.here and block.clears_typing and not block.typing_in
        finally:
            lars_stream.close()
        return

    clock.freeze()
    lars_view, anne_view = View(app, lars, meeting), View(app, anne, meeting)
    lars_view.refresh()
    assert lars_view.here
    # Anne stops polling (she closed the page): a little under POLL_GONE_AFTER_SECONDS on,
    # she is still here; a little over it, she is gone.
    clock(agenda_hub.POLL_GONE_AFTER_SECONDS - 0.5)
    assert lars_view.refresh() is None and lars_view.here
    clock(1.0)
    answer = lars_view.refresh()
    assert answer is not None and answer.since == agenda_version(app, meeting)
    assert (lars_view.here, lars_view.shown) == (False, "0:")
    assert lars_view.refresh() is None
    assert not View(app, lars, meeting).here
    # She comes back with her next poll.
    anne_view.refresh()
    assert lars_view.refresh() is not None and lars_view.here


def test_a_save_shows_the_other_party_typing_in_that_item(
    app, meeting, as_, live_server, clock, changes
):
    anne, lars = as_("anne"), as_("lars")
    a, b, *_rest = item_ids(app, meeting)
    if on_postgresql(app):
        lars_stream = open_stream(Http(live_server, lars), meeting)
        try:
            lars_stream.wait_until_listening(app)
            anne_stream = open_stream(Http(live_server, anne), meeting)
            try:
                assert lars_stream.presence().here and anne_stream.presence().here
                began = time.monotonic()
                saved(save(anne, meeting, b, "leader_note", "Anne skriver", 1))
                block = lars_stream.presence()
                assert block.here and block.clears_typing and block.typing_in == [b]
                saved(save(anne, meeting, a, "employee_note", "Og her", 1))
                block = lars_stream.presence()
                assert block.clears_typing and block.typing_in == [a]
                # It goes away TYPING_SECONDS after her last save (the stream looks again
                # at least every KEEP_ALIVE_SECONDS).
                block = lars_stream.presence(
                    agenda_hub.TYPING_SECONDS + agenda_live.KEEP_ALIVE_SECONDS + 3)
                assert time.monotonic() - began >= agenda_hub.TYPING_SECONDS - 0.5
                assert block.here and block.clears_typing and not block.typing_in
                # Her own stream never said she was typing.
                assert [m for m in anne_stream.quiet() if m[0] == "" and
                        Agenda(m[1]).typing_in] == []
            finally:
                anne_stream.close()
        finally:
            lars_stream.close()
        return

    clock.freeze()
    lars_view, anne_view = View(app, lars, meeting), View(app, anne, meeting)
    lars_view.refresh()
    assert (lars_view.here, lars_view.typing) == (True, None)
    saved(save(anne, meeting, b, "leader_note", "Anne skriver", 1))
    answer = lars_view.refresh()  # the text, and that she is typing in it
    assert answer is not None and answer.clears_typing and answer.typing_in == [b]
    assert answer.inside[f"item-{b}"] == "#agenda-items"
    assert (lars_view.here, lars_view.typing, lars_view.shown) == (True, b, f"1:{b}")
    assert lars_view.item(b)["fields"]["leader_note"] == "Anne skriver"
    # Only the other party sees it.
    anne_view.refresh()
    assert anne_view.typing is None
    # Typing in another item moves it there.
    saved(save(anne, meeting, a, "employee_note", "Og her", 1))
    answer = lars_view.refresh()
    assert answer.clears_typing and answer.typing_in == [a] and lars_view.typing == a
    # A change that is no save does not say she types.
    changes(change(anne, meeting, f"/items/{b}/discussed", {"discussed": "1"}))
    assert lars_view.refresh().typing_in == [a]
    # She keeps polling: a little under TYPING_SECONDS after her last save she is still
    # typing; a little over it, no longer, and still here.
    clock(agenda_hub.TYPING_SECONDS - 0.5)
    anne_view.refresh()
    assert lars_view.refresh() is None and lars_view.typing == a
    clock(1.0)
    anne_view.refresh()
    answer = lars_view.refresh()
    assert answer is not None and answer.clears_typing and answer.typing_in == []
    assert (lars_view.here, lars_view.typing, lars_view.shown) == (True, None, "1:")
    assert lars_view.refresh() is None


def test_a_page_opened_while_the_other_party_types_shows_it(app, meeting, as_):
    """What a page says it shows of the other party (input#agenda-shown) is what it shows:
    its polls answer 204 while that is still so, so a page that says "typing in b" must
    show it there (or its first poll must bring it)."""
    anne, lars = as_("anne"), as_("lars")
    b = item_ids(app, meeting)[1]
    View(app, anne, meeting)  # she is here
    saved(save(anne, meeting, b, "leader_note", "Anne skriver", 1))
    view = View(app, lars, meeting)
    if on_postgresql(app):  # the page says nothing of her: its stream will
        assert (view.shown, view.typing) == (None, None)
        return
    assert view.here
    view.refresh()
    assert view.typing == b, (
        f"the page says shown={view.shown!r} but no span.typing says anything, and its "
        "polls answer 204: templates/agenda/_presence.html renders the typing only with oob")


# 8. Issue 13: once is once, the end reaches an open page, starting early asks first --------------


def test_the_same_item_sent_twice_is_added_once(app, meeting, as_):
    """A double click, or a form sent again (no JavaScript), with nothing between: one item.
    The same text added again after another change is a new item."""
    anne = as_("anne")
    for _ in range(2):
        assert change(anne, meeting, "/items", {"text": "Kurs"}, htmx=False).status_code == 302
    assert [i["text"] for i in items(app, meeting)].count("Kurs") == 1
    change(as_("lars"), meeting, f"/items/{item_ids(app, meeting)[0]}/discussed",
           {"discussed": "1"})
    change(anne, meeting, "/items", {"text": "Kurs"})
    assert [i["text"] for i in items(app, meeting)].count("Kurs") == 2


def test_a_page_open_while_the_meeting_ends_is_told_and_stops(app, meeting, as_):
    """Anne's open agenda polls after Lars ended the meeting: the answer has the items, read
    only, says that it ended with the way to the minutes, and empties what kept the page
    live and changed the agenda."""
    view = View(app, as_("anne"), meeting)
    assert {"agenda-ended", "agenda-live", "add-item", "meeting-bar", "agenda-news"} <= set(
        parse(as_("anne").get(f"/agenda/{meeting}")).ids)
    end(as_, meeting, [])
    answer = parse(view.poll())
    assert all(i["readonly"] == set(FIELDS) and not i["actions"] for i in answer.items)
    ended = next(p for p in answer.partials if p["target"] == "#agenda-ended")
    assert ended["swap"] == "innerHTML" and ended["text"].strip()
    assert f"/minutes/{meeting}" in view.poll().get_data(as_text=True)
    for emptied in ("agenda-live", "add-item", "meeting-bar"):
        assert answer.elements[emptied].get("hx-swap-oob") == "true"
        assert answer.inside[emptied] is None
    assert "agenda-sync" not in answer.ids and "agenda-stream" not in answer.ids
    # The held page itself has the way to the minutes in the same place.
    page = as_("anne").get(f"/agenda/{meeting}").get_data(as_text=True)
    assert f'href="/minutes/{meeting}"' in page and 'id="agenda-ended"' in page


def test_starting_before_the_planned_day_asks_first(app, people, make_conversation, picked,
                                                     as_):
    """Before its day, the start button asks first (a <details> step, no JavaScript needed);
    on the day it starts at once. The same on the conversation's page."""
    ordinary, _salary = picked
    conversation_id = make_conversation(people["anne"])
    add_picks(app, conversation_id, ordinary[:2])
    say_ready(app, conversation_id)
    for path in (f"/agenda/{conversation_id}", f"/conversations/{conversation_id}"):
        page = as_("lars").get(path).get_data(as_text=True)
        assert 'id="start-step"' in page and f'action="/agenda/{conversation_id}/start"' in page
    today = utcnow().replace(microsecond=0) + timedelta(minutes=30)
    if agenda_meeting.is_before_its_day(Conversation(starts_at=today)):
        return  # half an hour from now is tomorrow in Oslo: no "today" to test
    set_starts_at(app, conversation_id, today)
    for path in (f"/agenda/{conversation_id}", f"/conversations/{conversation_id}"):
        page = as_("lars").get(path).get_data(as_text=True)
        assert 'id="start-step"' not in page and f'/agenda/{conversation_id}/start' in page
    show = as_("lars").get(f"/conversations/{conversation_id}").get_data(as_text=True)
    assert 'id="cancel-step"' in show
