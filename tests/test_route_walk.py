"""Every page, as everyone who is no party to a conversation (issue 12, point 12): marker
text is planted in every content field of Anne's conversations with Lars (one held, with
approved minutes and followed-up actions; one in progress), and every GET route of the app
is requested with their ids as the HR admin, another leader, her colleague and an employee
of another team. No marker appears in any answer, and no answer is a 500. The parties
themselves, walking the same routes, do find the markers: the walk reaches the content."""

import re

import pytest
import sqlalchemy as sa

from medsamtale.agenda import meeting
from medsamtale.extensions import db
from medsamtale.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    AgendaText,
    Conversation,
    Minutes,
    MinutesPoint,
    MinutesVersion,
    Pick,
    Question,
)
from medsamtale.sealing import SealedJSON, SealedText
from medsamtale.timeutil import utcnow

from .fixtures.domain import agree_actions

CONTENT = (Conversation, Pick, AgendaItem, AgendaText, Minutes, MinutesPoint, MinutesVersion,
           Action, ActionUpdate)
# Short texts that are content as well; the other String columns are states and names.
CONTENT_STRINGS = {("conversation", "place"), ("action", "what"),
                   ("action", "responsible_name"), ("action", "goal")}
# Answers that are files, not text (tests/test_progress.py reads the spreadsheet's inside).
BINARY = {"application/pdf",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Routes a walk does not request: files, an endless stream (for the parties), leaving.
SKIPPED = {"static", "auth.logout"}
# What the parties must find somewhere, or the walk proves nothing.
SEEN_BY_PARTIES = {"conversation.message", "conversation.place", "pick.employee_note",
                   "agenda_item.text", "agenda_item.employee_note", "agenda_item.leader_note",
                   "minutes_version.content", "action.what",
                   "action_update.comment"}


def marker(table, column) -> str:
    return "zq" + re.sub(r"[^a-z]", "", f"{table}x{column}")


TEXTS = sa.Text | sa.JSON | SealedText | SealedJSON


def content_columns(model):
    for column in model.__table__.columns:
        key = (model.__tablename__, column.name)
        if isinstance(column.type, TEXTS) or key in CONTENT_STRINGS:
            yield column


NOT_TEXT = {"deadline", "responsible"}  # a version's keys that hold a date or a choice


def plant(value, text):
    """`text` in place of every string a person wrote in a JSON value."""
    if isinstance(value, str):
        return text
    if isinstance(value, dict):
        return {k: v if k in NOT_TEXT else plant(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [plant(v, text) for v in value]
    return value


@pytest.fixture
def planted(app, people, held_conversation, make_conversation, as_):
    """Anne's two conversations with Lars, every content field holding its marker."""
    held = held_conversation(people["anne"])
    excel, _mentor = agree_actions(app, held, ("Ta kurs", 30), ("Mentor", 90))
    as_("anne").post(f"/actions/{excel}/progress", data={"comment": "Godt i gang"})
    current = make_conversation(people["anne"])
    with app.app_context():
        for position, question in enumerate(db.session.scalars(
                sa.select(Question).where(Question.retired_at.is_(None))
                .order_by(Question.id).limit(3))):
            db.session.add(Pick(conversation_id=current, question_id=question.id,
                                position=position, employee_note="notat", leader_note="notat"))
        conversation = db.session.get(Conversation, current)
        conversation.employee_topics, conversation.leader_topics = "tema", "tema"
        conversation.employee_ready_at = utcnow()
        meeting.start(conversation)
        db.session.commit()
    with app.app_context():
        planted = {}
        for model in CONTENT:
            for column in content_columns(model):
                text = marker(model.__tablename__, column.name)
                planted[text] = f"{model.__tablename__}.{column.name}"
                for row in db.session.scalars(sa.select(model)):
                    value = getattr(row, column.key)
                    setattr(row, column.key, plant(value, text) if column.name == "content"
                            else text[:column.type.length or None])
        db.session.commit()
    return {"conversations": (held, current), "markers": planted}


def urls(app, ids):
    """Every GET route, with each of the ids its arguments could take."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        choices = [[]]
        for argument in rule.arguments:
            choices = [c + [(argument, v)] for c in choices
                       for v in ids.get(argument, ("1",))]
        for choice in choices:
            path = rule.rule
            for argument, value in choice:
                path = re.sub(rf"<[^>]*:?{argument}>", str(value), path)
            yield rule.endpoint, path
            if rule.endpoint == "minutes.archive":
                yield rule.endpoint, path + "?q=zq"


def walk(app, client, ids, markers, skip=()):
    """What each page gave away: [(path, status, markers found)]."""
    found = []
    for endpoint, path in urls(app, ids):
        if endpoint in skip:
            continue
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype not in BINARY \
            else response.get_data().decode("latin-1")
        assert response.status_code < 500, (path, response.status_code)
        found.append((path, response.status_code, {m for m in markers if m in body}))
    return found


def test_no_one_but_the_parties_finds_a_word_of_the_conversation(app, people, as_, planted):
    held, current = planted["conversations"]
    ids = {"conversation_id": planted["conversations"], "number": (1, 2),
           "employee_id": (people["anne"],), "user_id": (people["anne"],),
           "token": ("not-a-token",)}
    markers = planted["markers"]
    for who in ("hr", "lena", "bjorn", "dag"):
        leaks = [(path, status, sorted(markers[m] for m in found))
                 for path, status, found in walk(app, as_(who), ids, markers) if found]
        assert leaks == [], who
    seen = set()
    for who in ("anne", "lars"):
        for _path, _status, found in walk(app, as_(who), ids, markers, skip={"agenda.events"}):
            seen |= {markers[m] for m in found}
    assert seen >= SEEN_BY_PARTIES, sorted(SEEN_BY_PARTIES - seen)
