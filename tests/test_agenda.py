"""The live shared agenda of a meeting (issue 4): how it is built from both preparations and
carried over, how both parties change it at once and see each other's changes (poll, and
server-sent events on PostgreSQL), that no edit is ever lost or silently overwritten, what
is refused, who may see it, and that its pages cost the same number of queries however
long the agenda is.

Answers are checked by status, headers, ids, classes and data attributes, and against the
database; never by translated text.
"""

import contextlib
import http.client
import queue
import socket
import threading
import time
import types
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from medsamtale.agenda import live as agenda_live
from medsamtale.agenda import meeting as agenda_meeting
from medsamtale.extensions import db
from medsamtale.models import AgendaItem, Conversation, Pick, Question, QuestionSet
from medsamtale.models.agenda import ITEM_NOTE_MAX, ITEM_TEXT_MAX
from medsamtale.models.questions import FollowUpPrompt
from medsamtale.timeutil import utcnow

from .fixtures.app import OUTSIDERS
from .helpers import HX, assert_block, flashed_error, snapshot

FIELDS = ("text", "employee_note", "leader_note")


# Reading pages -------------------------------------------------------------------------------


class Agenda(HTMLParser):
    """The parts of an agenda page or fragment the tests look at.

    items: each li.agenda-item as a dict (id, section, classes, position, changed, removed,
    draggable, fields {field: text}, versions {field: version}, readonly {fields}, prompts,
    actions); agenda: the attributes of div#agenda; merge: those of div.merge, with
    theirs/yours (its two texts) and merge_version; ids, classes, forms (their actions).
    """

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.items, self.ids, self.classes, self.forms = [], set(), set(), []
        self.agenda = self.merge = self.merge_version = None
        self.theirs = self.yours = None
        self._item, self._depth, self._textarea, self._prompt = None, 0, None, None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if a.get("id"):
            self.ids.add(a["id"])
        self.classes.update(classes)
        if tag == "li" and self._item is None and "agenda-item" in classes:
            self._item = {
                "id": int(a["data-id"]),
                "section": next(c[8:] for c in classes if c.startswith("section-")),
                "classes": classes,
                "position": int(a["data-position"]),
                "changed": int(a["data-changed"]),
                "removed": a.get("data-removed") == "1",
                "draggable": a.get("draggable") == "true",
                "fields": {}, "versions": {}, "readonly": set(), "prompts": [], "actions": [],
            }
            assert a["id"] == f"item-{a['data-id']}"
            self.items.append(self._item)
            self._depth = 1
        elif tag == "li" and self._item is not None:
            self._depth += 1
            self._prompt = []
        elif tag == "textarea":
            self._textarea = (a, classes, [])
        elif tag == "div" and a.get("id") == "agenda":
            self.agenda = a
        elif tag == "div" and "merge" in classes:
            self.merge = a
        elif tag == "input" and self.merge is not None and self.merge_version is None:
            if a.get("name") == "version":
                self.merge_version = int(a["value"])
        elif tag == "form":
            self.forms.append(a.get("action"))
        elif tag == "button" and self._item is not None and a.get("data-action"):
            self._item["actions"].append(a["data-action"])

    def handle_endtag(self, tag):
        if tag == "li" and self._item is not None:
            self._depth -= 1
            if self._depth:
                self._item["prompts"].append("".join(self._prompt).strip())
                self._prompt = None
            else:
                self._item = None
        elif tag == "textarea" and self._textarea is not None:
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

    @property
    def order(self):
        return [item["id"] for item in self.items]

    @property
    def error(self):
        return {"errors", "form-errors"} <= self.classes


def parse(response) -> Agenda:
    return Agenda(response.get_data(as_text=True))


class View:
    """What agenda.js shows the other party: the page it loaded, then each answer of /poll
    merged in by id (removed items dropped) and the list sorted by data-position."""

    def __init__(self, client, conversation_id):
        self.client, self.conversation_id = client, conversation_id
        response = client.get(f"/agenda/{conversation_id}")
        assert response.status_code == 200
        page = parse(response)
        self.version = int(page.agenda["data-version"])
        self.items = page.items

    def refresh(self):
        """Poll as the browser does; returns the changed items (none on a 304)."""
        response = poll(self.client, self.conversation_id, self.version)
        if response.status_code == 304:
            assert response.headers["ETag"] == f'"{self.version}"'
            return []
        assert response.status_code == 200
        self.version = int(response.headers["X-Agenda-Version"])
        assert response.headers["ETag"] == f'"{self.version}"'
        changed = parse(response).items
        by_id = {item["id"]: n for n, item in enumerate(self.items)}
        for item in changed:
            if item["removed"]:
                self.items = [i for i in self.items if i["id"] != item["id"]]
                by_id = {i["id"]: n for n, i in enumerate(self.items)}
            elif item["id"] in by_id:
                self.items[by_id[item["id"]]] = item
            else:
                self.items.append(item)
                by_id[item["id"]] = len(self.items) - 1
        self.items.sort(key=lambda i: i["position"])  # stable, like Array.prototype.sort
        return changed

    @property
    def order(self):
        return [item["id"] for item in self.items]

    def shown(self):
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


# Requests ------------------------------------------------------------------------------------


def poll(client, conversation_id, since, etag=None):
    etag = since if etag is None else etag
    return client.get(f"/agenda/{conversation_id}/poll?since={since}",
                      headers={**HX, "If-None-Match": f'"{etag}"'})


def change(client, conversation_id, path, data=None, since=None, htmx=True):
    """POST a change as agenda.js does (with `since`), or as a plain form (htmx=False)."""
    data = dict(data or {})
    if since is not None:
        data["since"] = since
    return client.post(f"/agenda/{conversation_id}{path}", data=data,
                       headers=HX if htmx else {})


def save(client, conversation_id, item_id, field, value, version, htmx=True):
    data = {"field": field, "value": value}
    if version is not None:
        data["version"] = version
    return client.post(f"/agenda/{conversation_id}/items/{item_id}/text", data=data,
                       headers=HX if htmx else {})


def saved(response):
    """A text save that was stored: 204 and the text's new version."""
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    assert int(response.headers["X-Agenda-Version"]) >= 1
    return int(response.headers["X-Text-Version"])


@pytest.fixture
def changes(rendered):
    """changes(response): an accepted change: 200 and the changed items, answered with the
    `changes` block alone (not a page)."""

    def accepted(response):
        body = response.get_data(as_text=True)
        assert response.status_code == 200, body
        assert_block(rendered, "agenda/agenda.html", "changes")
        assert response.headers["ETag"] == f'"{response.headers["X-Agenda-Version"]}"'
        return parse(response).items

    return accepted


def refused(response, status=409):
    """A change that changed nothing: 409 for a rule that refuses it, 422 for a form that
    fails validation, with the reason in the alert region, nothing else."""
    page = parse(response)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#agenda-error"
    assert page.error
    assert not page.items
    return page


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

    # Both parties see the same agenda, notes in their columns, prompts under the question.
    for who in ("anne", "lars"):
        page = parse(as_(who).get(f"/agenda/{conversation_id}"))
        assert page.agenda["data-live"] == "1"
        assert int(page.agenda["data-version"]) == state["agenda_version"]
        assert page.order == [i["id"] for i in built]
        for shown, item in zip(page.items, built, strict=True):
            assert f"section-{item['section']}" in shown["classes"]
            assert shown["fields"] == {f: item[f] for f in FIELDS}
            assert shown["versions"] == dict.fromkeys(FIELDS, 1)
            assert not shown["readonly"]
            assert shown["prompts"] == item["prompts"].splitlines()
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
    assert page.agenda["data-live"] == "1"
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
    changes(change(lars, first, f"/items/{a}/discussed", {"discussed": "1"}, since=0))
    changes(change(lars, first, f"/items/{d}/remove", since=0))
    changes(change(lars, first, f"/items/{e}/move", {"step": "-1"}, since=0))
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
        assert "data-live" not in page.agenda
        assert all(i["readonly"] == set(FIELDS) and not i["actions"] for i in page.items)
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


def test_polling_answers_304_until_something_changes(app, meeting, as_, changes):
    lars = as_("lars")
    version = agenda_version(app, meeting)
    response = poll(lars, meeting, version)
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == f'"{version}"'
    assert response.headers["X-Agenda-Version"] == str(version)

    first, second, *_rest = item_ids(app, meeting)
    changes(change(as_("anne"), meeting, f"/items/{second}/discussed", {"discussed": "1"},
                   since=version))
    response = poll(lars, meeting, version)
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert response.headers["X-Agenda-Version"] == str(version + 1)
    changed = parse(response).items
    assert [i["id"] for i in changed] == [second]
    assert "discussed" in changed[0]["classes"]
    assert first not in [i["id"] for i in changed]

    assert poll(lars, meeting, version + 1).status_code == 304
    # Without If-None-Match, or with an older one, the changes since `since` come back.
    response = lars.get(f"/agenda/{meeting}/poll?since={version}", headers=HX)
    assert response.status_code == 200 and [i["id"] for i in parse(response).items] == [second]
    response = poll(lars, meeting, 0)
    assert response.status_code == 200
    assert [i["id"] for i in parse(response).items] == item_ids(app, meeting)


def test_each_change_reaches_the_other_party(app, meeting, as_, changes):
    """Anne and Lars each change the agenda; the other sees it on a fresh page and through
    polling, with only the changed items in each answer."""
    anne, lars = as_("anne"), as_("lars")
    a, b, c, pay = item_ids(app, meeting)
    views = {"lars": View(lars, meeting), "anne": View(anne, meeting)}

    def step(who, path, data, expected_changed):
        since = views[who].version
        before = agenda_version(app, meeting)
        response = change(as_(who), meeting, path, data, since=since)
        answered = changes(response)
        assert agenda_version(app, meeting) == before + 1
        assert response.headers["X-Agenda-Version"] == str(before + 1)
        other = "anne" if who == "lars" else "lars"
        polled = views[other].refresh()
        assert {i["id"] for i in polled} == set(expected_changed(answered))
        assert {i["id"] for i in answered} == {i["id"] for i in polled}
        assert views[other].refresh() == []  # and then 304
        # The one who made the change merges its own answer: views kept in step by polling.
        views[who].refresh()
        for view in views.values():
            assert view.order == item_ids(app, meeting)
            assert view.shown() == shown_in_db(app, meeting)
            assert parse(view.client.get(f"/agenda/{meeting}")).order == view.order
        return answered

    # Add: after the ordinary items, before salary; salary moves down one.
    answered = step("anne", "/items", {"text": "  Nytt punkt fra Anne  "},
                    lambda answered: [i["id"] for i in answered])
    new = max(item_ids(app, meeting))
    assert item_ids(app, meeting) == [a, b, c, new, pay]
    assert {i["id"] for i in answered} == {new, pay}
    assert items(app, meeting)[3]["text"] == "Nytt punkt fra Anne"
    assert items(app, meeting)[3]["section"] == "added"

    step("lars", f"/items/{c}/move", {"step": "-1"}, lambda _: [b, c])
    assert item_ids(app, meeting) == [a, c, b, new, pay]
    step("anne", f"/items/{a}/move", {"step": "1"}, lambda _: [a, c])
    assert item_ids(app, meeting) == [c, a, b, new, pay]
    step("lars", f"/items/{b}/discussed", {"discussed": "1"}, lambda _: [b])
    assert [i["discussed"] for i in items(app, meeting)] == [False, False, True, False, False]
    step("anne", f"/items/{b}/discussed", {"discussed": "0"}, lambda _: [b])
    assert not any(i["discussed"] for i in items(app, meeting))
    step("lars", "/order", {"item": [str(i) for i in (new, a, c, b, pay)]},
         lambda _: [new, c, b])  # a keeps its place
    assert item_ids(app, meeting) == [new, a, c, b, pay]
    step("anne", f"/items/{c}/remove", None, lambda _: [c])
    assert item_ids(app, meeting) == [new, a, b, pay]
    assert [i["removed"] for i in items(app, meeting, removed=True) if i["id"] == c] == [True]


def test_moving_after_removals_keeps_the_other_partys_order(app, meeting, as_, changes):
    """Positions left with gaps by removals are renumbered by the next move; every item whose
    position changes must come with the changes, or the other party sorts them wrongly."""
    anne, lars = as_("anne"), as_("lars")
    a, b, c, pay = item_ids(app, meeting)
    for text in ("D", "E"):
        changes(change(anne, meeting, "/items", {"text": text}, since=0))
    d, e = item_ids(app, meeting)[3:5]
    view = View(lars, meeting)
    assert view.order == [a, b, c, d, e, pay]
    for removed in (a, b):
        changes(change(anne, meeting, f"/items/{removed}/remove", since=0))
    view.refresh()
    assert view.order == [c, d, e, pay]

    changes(change(anne, meeting, f"/items/{e}/move", {"step": "-1"}, since=0))
    assert item_ids(app, meeting) == [c, e, d, pay]
    view.refresh()
    assert view.order == item_ids(app, meeting)
    # The fresh page and the polling view agree on the positions too.
    page = parse(lars.get(f"/agenda/{meeting}"))
    assert [i["position"] for i in view.items] == [i["position"] for i in page.items]


def test_move_rules(app, meeting, as_, changes):
    """The first cannot move up, the last down; salary stays below the rest (R8)."""
    lars = as_("lars")
    changes(change(lars, meeting, "/items", {"text": "Siste lønn"}, since=0))
    a, _b, c, added, pay = item_ids(app, meeting)
    before = agenda_snapshot(app)
    for item_id, step in ((a, -1), (added, 1), (pay, -1), (pay, 1), (a, 0), (a, 2), (c, -2)):
        refused(change(lars, meeting, f"/items/{item_id}/move", {"step": str(step)}, since=0))
    refused(change(lars, meeting, f"/items/{a}/move", {"step": "x"}, since=0))
    assert agenda_snapshot(app) == before

    # Salary cannot be reordered above the others either.
    order = item_ids(app, meeting)
    for wrong in ([pay, *order[:-1]], [*order[:-2], pay, order[-2]]):
        refused(change(lars, meeting, "/order", {"item": [str(i) for i in wrong]}, since=0))
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


# 4. No lost edits ------------------------------------------------------------------------------


def test_two_saves_on_the_same_version_conflict_and_nothing_is_overwritten(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    assert saved(save(lars, meeting, item_id, "leader_note", "Lars skriver", 1)) == 2
    agenda_before = agenda_version(app, meeting)

    response = save(anne, meeting, item_id, "leader_note", "Anne skriver", 1)
    assert response.status_code == 409
    merge = parse(response)
    assert merge.merge == {"class": "merge", "role": "alert",
                           "data-merge-item": str(item_id), "data-merge-field": "leader_note"}
    assert (merge.theirs, merge.yours, merge.merge_version) == ("Lars skriver", "Anne skriver", 2)
    assert not merge.items
    item = items(app, meeting)[0]
    assert (item["leader_note"], item["leader_note_version"]) == ("Lars skriver", 2)
    assert agenda_version(app, meeting) == agenda_before

    # Anne chooses her own text, saved on the version the merge block named.
    assert saved(save(anne, meeting, item_id, "leader_note", merge.yours, 2)) == 3
    # The same, without htmx: the whole page with the merge block, status 409. Lars, on
    # "Lars skriver", changes the word that Anne changed since.
    response = save(lars, meeting, item_id, "leader_note", "Per skriver", 2, htmx=False)
    assert response.status_code == 409
    page = parse(response)
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
            assert response.status_code == 409
            merge = parse(response)
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
                elif status == 409:
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
    view = View(lars, meeting)  # Lars's screen, as it is before Anne's save
    mine = "Kurs i vår.\n\nMer ansvar i prosjektet, fra høsten."
    response = anne.post(f"/agenda/{meeting}/items/{item_id}/text", headers=HX, data={
        "field": "employee_note", "value": mine, "version": 2, "caret": len(mine)})
    merged = "Kurs i prosjektledelse i vår.\n\nMer ansvar i prosjektet, fra høsten."
    assert response.status_code == 200
    assert response.get_data(as_text=True) == merged
    assert response.headers["X-Text-Version"] == "4"
    assert response.headers["X-Caret"] == str(len(merged))  # still at the end of her words
    assert items(app, meeting)[0]["employee_note"] == merged
    # Lars's screen gets the merged text with the next changes it asks for.
    assert [i["fields"]["employee_note"] for i in view.refresh()] == [merged]


def test_a_save_typed_on_ones_own_sent_text_merges_only_what_is_new(app, meeting, as_):
    """Anne kept typing while her last save was merged: her text is what she sent, plus
    more, not the merged text. She says so (basis=sent) and nothing is doubled."""
    anne, lars = as_("anne"), as_("lars")
    item_id = item_ids(app, meeting)[0]
    assert saved(save(anne, meeting, item_id, "employee_note", "Første. Andre.", 1)) == 2
    assert saved(save(lars, meeting, item_id, "employee_note", "Første. Andre. Tredje.", 2)) == 3
    response = save(anne, meeting, item_id, "employee_note", "Først. Andre.", 2)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "Først. Andre. Tredje.")
    assert response.headers["X-Text-Version"] == "4"
    # She had typed on after sending "Først. Andre.", and did not take the merged text.
    response = anne.post(f"/agenda/{meeting}/items/{item_id}/text", headers=HX, data={
        "field": "employee_note", "value": "Først. Andre, og mer.", "version": 4,
        "basis": "sent"})
    assert response.get_data(as_text=True) == "Først. Andre, og mer. Tredje."
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
    response = save(anne, meeting, item_id, "leader_note", "Vi møtes i mai.", 2)
    assert response.status_code == 409
    merge = parse(response)
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
        refused(change(anne, meeting, "/items", {"text": text}, since=0), 422)
        refused(save(anne, meeting, item_id, "text", text, 1), 422)
    for field in ("employee_note", "leader_note"):
        refused(save(anne, meeting, item_id, field, "x" * (ITEM_NOTE_MAX + 1), 1), 422)
    assert agenda_snapshot(app) == before

    # The limits themselves are allowed.
    changes(change(anne, meeting, "/items", {"text": "y" * ITEM_TEXT_MAX}, since=0))
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
        refused(change(anne, meeting, path, data, since=0))
    for field in FIELDS:
        refused(save(anne, meeting, dags[0], field, "Anne i Dags agenda", 1))
    # A reorder naming another agenda's item, leaving one out, or naming one twice.
    for order in ([*mine[:-1], dags[0]], [mine[0], *dags, *mine[1:]], mine[1:],
                  [mine[0], *mine], [mine[0], mine[0], *mine[2:]], []):
        refused(change(anne, meeting, "/order", {"item": [str(i) for i in order]}, since=0))
    assert agenda_snapshot(app) == before


def test_a_removed_item_cannot_change(app, meeting, as_, changes):
    anne = as_("anne")
    a, b, *_rest = item_ids(app, meeting)
    changes(change(anne, meeting, f"/items/{a}/remove", since=0))
    before = agenda_snapshot(app)
    refused(save(anne, meeting, a, "text", "Tilbake?", 1))
    for path, data in ((f"/items/{a}/remove", None), (f"/items/{a}/move", {"step": "1"}),
                       (f"/items/{a}/discussed", {"discussed": "1"})):
        refused(change(anne, meeting, path, data, since=0))
    refused(change(anne, meeting, "/order", {"item": [str(i) for i in (a, *item_ids(
        app, meeting))]}, since=0))
    assert agenda_snapshot(app) == before
    assert item_ids(app, meeting)[0] == b


def test_nothing_changes_once_the_meeting_is_over(app, meeting, as_):
    a, b, c, pay = item_ids(app, meeting)
    end(as_, meeting, [])
    before = agenda_snapshot(app)
    for who in ("anne", "lars"):
        client = as_(who)
        refused(change(client, meeting, "/items", {"text": "For sent"}, since=0))
        refused(save(client, meeting, a, "text", "For sent", 1))
        refused(save(client, meeting, a, "employee_note", "For sent", 1))
        for path, data in ((f"/items/{b}/move", {"step": "-1"}), (f"/items/{c}/remove", None),
                           (f"/items/{a}/discussed", {"discussed": "1"}),
                           ("/order", {"item": [str(i) for i in (b, a, c, pay)]})):
            refused(change(client, meeting, path, data, since=0))
        assert poll(client, meeting, agenda_version(app, meeting)).status_code == 304
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
        ("GET", f"{base}/end", None),
        ("POST", f"{base}/start", {}),
        ("POST", f"{base}/end", {"carry": str(item_id)}),
        ("POST", f"{base}/items", {"text": "Innbrudd", "since": "0"}),
        ("POST", f"{item}/remove", {"since": "0"}),
        ("POST", f"{item}/discussed", {"discussed": "1", "since": "0"}),
        ("POST", f"{item}/move", {"step": "1", "since": "0"}),
        ("POST", f"{base}/order", {"item": [str(item_id)], "since": "0"}),
        ("POST", f"{item}/text", {"field": "text", "value": "Innbrudd", "version": "1"}),
        ("POST", f"{base}/presence", {}),
    ]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_refused_everything(app, meeting, as_, who):
    """Another employee of the leader, another leader and the HR admin get 403."""
    client = as_(who)
    item_id = item_ids(app, meeting)[0]
    before = agenda_snapshot(app)
    for method, path, data in every_request(meeting, item_id):
        for headers in (HX, {}):
            response = client.open(path, method=method, data=data, headers=headers)
            assert response.status_code == 403, (method, path)
            assert "agenda-items" not in response.get_data(as_text=True)
    response = poll(client, meeting, agenda_version(app, meeting))
    assert response.status_code == 403 and "ETag" not in response.headers
    assert agenda_snapshot(app) == before


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
        assert as_("lars").open(path, method=method, data=data).status_code == 404


# 7. Query counts -------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_agenda(
    app, people, make_conversation, picked, as_, count_queries, changes
):
    """The page, a poll (304 and 200) and a text save cost the same for 3 items as for 20."""
    ordinary, _salary = picked
    small = make_conversation(people["anne"])
    large = make_conversation(people["dag"])
    add_picks(app, small, ordinary[:3])
    add_picks(app, large, ordinary[3:13])
    start(as_, small)
    start(as_, large, leader="lena")
    for n in range(10):
        changes(change(as_("dag"), large, "/items", {"text": f"Punkt {n}"}, since=0))
    for conversation_id in (small, large):
        for item in items(app, conversation_id):
            assert saved(save(as_("lars" if conversation_id == small else "lena"),
                              conversation_id, item["id"], "employee_note", "Notat", 1)) == 2
    assert [len(items(app, c)) for c in (small, large)] == [3, 20]

    def cost(client, conversation_id):
        counted = {}
        version = agenda_version(app, conversation_id)
        first = items(app, conversation_id)[0]["id"]
        requests = {
            "page": lambda: client.get(f"/agenda/{conversation_id}"),
            "poll 304": lambda: poll(client, conversation_id, version),
            "poll 200": lambda: poll(client, conversation_id, 0),
            "save": lambda: save(client, conversation_id, first, "leader_note", "Ny", 1),
            "change": lambda: change(client, conversation_id, f"/items/{first}/discussed",
                                     {"discussed": "1"}, since=0),
        }
        statuses = {"page": 200, "poll 304": 304, "poll 200": 200, "save": 204, "change": 200}
        for name, request in requests.items():
            with count_queries() as statements:
                response = request()
            assert response.status_code == statuses[name], name
            if name in ("poll 200", "change"):
                assert len(parse(response).items) == len(items(app, conversation_id))
            counted[name] = len(statements)
        return counted

    small_cost, large_cost = cost(as_("lars"), small), cost(as_("lena"), large)
    assert small_cost == large_cost
    assert small_cost["poll 304"] <= 3


# 8. Live: server-sent events on PostgreSQL, polling on SQLite -----------------------------------


def on_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


class EventStream:
    """/agenda/<id>/events read over real HTTP by a thread of its own, as EventSource does;
    next() waits for the next event."""

    PROBE = "probe"

    def __init__(self, browser, conversation_id):
        self.connection = browser.connection(timeout=30)
        self.connection.request("GET", f"/agenda/{conversation_id}/events",
                                headers={"Cookie": browser.cookie, "Accept": "text/event-stream"})
        self.socket = self.connection.sock
        self.response = self.connection.getresponse()
        self.events = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        if self.response.status == 200:
            self.reader.start()

    def _read(self):
        event = data = None
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif not line and (event or data):  # comments and retry: are skipped
                    self.events.put((event, data))
                    event = data = None
        except Exception:  # the stream closed under it by close(): the reader ends
            pass
        self.events.put(None)

    def next(self, seconds=2.0, probes=False):
        """The next event as (event, data) within `seconds`; probes are skipped unless
        asked for."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                event = self.events.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"no event within {seconds} seconds")
            assert event is not None, "the stream ended"
            if probes or event[1] != self.PROBE:
                return event

    def wait_until_listening(self, app, conversation_id, seconds=2.0):
        """NOTIFY the agenda's channel, as a change does, with a probe until one comes
        through: from then on the stream hears every change."""
        channel = agenda_live.channel(conversation_id)
        deadline = time.monotonic() + seconds
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.execute(sql("SELECT pg_notify(:channel, :probe)"),
                                   {"channel": channel, "probe": self.PROBE})
                db.session.commit()
                with contextlib.suppress(queue.Empty):
                    if self.events.get(timeout=0.05) == ("changed", self.PROBE):
                        return
        pytest.fail(f"the stream did not listen on {channel} within {seconds} seconds")

    def close(self):
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.response.close()
        self.connection.close()
        self.reader.join(5)
        assert not self.reader.is_alive()


def test_a_change_reaches_the_other_party_at_once(app, meeting, as_, live_server, changes):
    lars, anne = Http(live_server, as_("lars")), as_("anne")
    version = agenda_version(app, meeting)
    item_id = item_ids(app, meeting)[1]
    page = parse(as_("lars").get(f"/agenda/{meeting}"))
    if not on_postgresql(app):
        # SQLite has no LISTEN/NOTIFY: no stream, and the page polls instead.
        assert "data-events-url" not in page.agenda
        assert "data-poll-url" in page.agenda
        assert lars.request("GET", f"/agenda/{meeting}/events")[0] == 404
        status, headers, _body = lars.request(
            "GET", f"/agenda/{meeting}/poll?since={version}", None,
            {"If-None-Match": f'"{version}"'})
        assert status == 304
        changes(change(anne, meeting, f"/items/{item_id}/discussed",
                       {"discussed": "1"}, since=version))
        status, headers, body = lars.request(
            "GET", f"/agenda/{meeting}/poll?since={version}", None,
            {"If-None-Match": f'"{version}"'})
        assert status == 200 and headers["X-Agenda-Version"] == str(version + 1)
        changed = Agenda(body).items
        assert [i["id"] for i in changed] == [item_id] and "discussed" in changed[0]["classes"]
        return

    assert page.agenda["data-events-url"] == f"/agenda/{meeting}/events"
    stream = EventStream(lars, meeting)
    try:
        assert stream.response.status == 200
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        assert stream.response.headers["Cache-Control"] == "no-cache"
        assert stream.next() == ("changed", str(version))
        # A change made before the stream listens is missed (the next test); here it comes
        # once the stream listens, as it will a moment after the page opened.
        stream.wait_until_listening(app, meeting)
        began = time.monotonic()
        changes(change(anne, meeting, f"/items/{item_id}/discussed",
                       {"discussed": "1"}, since=version))
        assert stream.next() == ("changed", str(version + 1))
        assert time.monotonic() - began < 2
        # A text save is announced too.
        saved(save(as_("lars"), meeting, item_id, "leader_note", "Live", 1))
        assert stream.next() == ("changed", str(version + 2))
    finally:
        stream.close()
    # What the events announced is there to fetch.
    response = poll(as_("lars"), meeting, version)
    assert response.status_code == 200 and [i["id"] for i in parse(response).items] == [item_id]


def test_a_change_just_after_the_stream_opens_is_not_missed(
    app, meeting, as_, live_server, monkeypatch, changes
):
    """The stream tells its version first; a change made right after that must still be
    announced, however long the stream's own database connection takes to open."""
    lars, anne = Http(live_server, as_("lars")), as_("anne")
    version = agenda_version(app, meeting)
    item_id = item_ids(app, meeting)[0]
    if not on_postgresql(app):
        assert lars.request("GET", f"/agenda/{meeting}/events")[0] == 404
        view = View(as_("lars"), meeting)
        changes(change(anne, meeting, f"/items/{item_id}/discussed",
                       {"discussed": "1"}, since=version))
        assert [i["id"] for i in view.refresh()] == [item_id]
        assert view.version == version + 1
        return

    def slow_connect(*args, **kwargs):
        time.sleep(0.5)  # a busy database server, or one further away
        return psycopg.connect(*args, **kwargs)

    monkeypatch.setattr(agenda_live, "psycopg", types.SimpleNamespace(connect=slow_connect))
    stream = EventStream(lars, meeting)
    try:
        assert stream.response.status == 200
        assert stream.next(seconds=3) == ("changed", str(version))
        changes(change(anne, meeting, f"/items/{item_id}/discussed",
                       {"discussed": "1"}, since=version))
        assert stream.next() == ("changed", str(version + 1))
    finally:
        stream.close()


def test_presence(app, meeting, as_):
    anne, lars = as_("anne"), as_("lars")
    response = lars.post(f"/agenda/{meeting}/presence", headers=HX)
    assert response.status_code == 200
    assert parse(response).ids == {"presence"}
    assert "here" not in parse(response).classes
    response = anne.post(f"/agenda/{meeting}/presence", headers=HX)
    assert "here" in parse(response).classes
    response = lars.post(f"/agenda/{meeting}/presence", headers=HX)
    assert "here" in parse(response).classes
