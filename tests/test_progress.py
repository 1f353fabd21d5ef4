"""The HR overview (issue 15, point 3): per unit (with its sub-units) and per leader, how
many people have had their conversation, as figures, bars and a weekly chart, with a
drill-down to each person's state and dates and exports as CSV and XLSX; never a word of
what was said or written."""

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from medsamtale.agenda import meeting
from medsamtale.extensions import db
from medsamtale.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    AgendaText,
    AuditEvent,
    Conversation,
    Minutes,
    MinutesPoint,
    MinutesVersion,
    Pick,
    Question,
    Round,
    RoundMember,
    Unit,
    User,
)
from medsamtale.sealing import SealedJSON, SealedText
from medsamtale.timeutil import oslo_today, utcnow

from .fixtures.domain import agree_actions

FIGURES = ("people", "planned", "invited", "held", "approved", "overdue", "none12")


# A small organisation -----------------------------------------------------------------------


def _unit(name, parent=None, leader=None) -> int:
    unit = Unit(name=name, parent_id=parent, leader_id=leader)
    db.session.add(unit)
    db.session.flush()
    return unit.id


def _place(people: dict, where: dict) -> None:
    for key, unit_id in where.items():
        db.session.get(User, people[key]).unit_id = unit_id


@pytest.fixture
def organisation(app, people, make_user, make_conversation, held_conversation):
    """Helse (Lars: Lars, Anne) with its sub-unit Sykehjem (Bjørn, Frode) and Skole (Lena:
    Lena, Dag, Eli). Anne: held, minutes approved, one overdue action and one not yet due;
    Bjørn: held, minutes being written; Dag: invited; Eli: planned, not sent; Frode: a
    cancelled conversation. A round with Anne, Bjørn and Dag, to which Anne's and Dag's
    conversations belong."""
    people = dict(people)
    people["eli"] = make_user("Eli Strand", "eli@example.no", leader_id=people["lena"])
    people["frode"] = make_user("Frode Fjell", "frode@example.no", leader_id=people["lars"])
    anne = held_conversation(people["anne"])
    agree_actions(app, anne, ("Ta et kurs", -5), ("Finne en mentor", 30))
    held_conversation(people["bjorn"])
    dag = make_conversation(people["dag"])
    make_conversation(people["eli"], sent=False)
    cancelled = make_conversation(people["frode"])
    with app.app_context():
        from medsamtale.conversations import services as conversations

        conversations.cancel(db.session.get(Conversation, cancelled))
        helse = _unit("Helse", leader=people["lars"])
        sykehjem = _unit("Sykehjem", helse)
        skole = _unit("Skole", leader=people["lena"])
        _place(people, {"lars": helse, "anne": helse, "bjorn": sykehjem, "frode": sykehjem,
                        "lena": skole, "dag": skole, "eli": skole})
        today = oslo_today()
        autumn = Round(name="Høsten", starts_on=today - timedelta(days=30),
                       ends_on=today + timedelta(days=30))
        db.session.add(autumn)
        db.session.flush()
        for key in ("anne", "bjorn", "dag"):
            db.session.add(RoundMember(round_id=autumn.id, user_id=people[key]))
        for conversation_id in (anne, dag):
            db.session.get(Conversation, conversation_id).round_id = autumn.id
        db.session.commit()
        units = {"helse": helse, "sykehjem": sykehjem, "skole": skole}
        return {"people": people, "units": units, "round": autumn.id}


def _cells(page: str, row_id: str) -> dict:
    """The figures of a table row, by name."""
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert found, row_id
    numbers = re.findall(r"<td>(\d+)</td>", found.group(1))
    return dict(zip(FIGURES, map(int, numbers), strict=True))


def _expected(*numbers) -> dict:
    return dict(zip(FIGURES, numbers, strict=True))


YEAR = {  # unit or leader: people, planned, invited, held, approved, overdue, none12
    "helse": _expected(4, 2, 2, 2, 1, 1, 2),
    "sykehjem": _expected(2, 1, 1, 1, 0, 0, 1),
    "skole": _expected(3, 2, 1, 0, 0, 0, 3),
    "lars": _expected(3, 2, 2, 2, 1, 1, 1),
    "lena": _expected(2, 2, 1, 0, 0, 0, 2),
}
ROUND = {
    "helse": _expected(2, 1, 1, 1, 1, 1, 0),
    "sykehjem": _expected(1, 0, 0, 0, 0, 0, 0),
    "skole": _expected(1, 1, 1, 0, 0, 0, 1),
    "lars": _expected(2, 1, 1, 1, 1, 1, 0),
    "lena": _expected(1, 1, 1, 0, 0, 0, 1),
}


def _row_ids(organisation) -> dict:
    units, people = organisation["units"], organisation["people"]
    return {"helse": f"unit-{units['helse']}", "sykehjem": f"unit-{units['sykehjem']}",
            "skole": f"unit-{units['skole']}", "lars": f"leader-{people['lars']}",
            "lena": f"leader-{people['lena']}"}


# The figures, as the HR admin sees them ------------------------------------------------------


def test_the_overview_counts_each_unit_with_its_sub_units_and_each_leader(organisation, as_):
    page = as_("hr").get("/admin/progress/").get_data(as_text=True)
    for key, row_id in _row_ids(organisation).items():
        assert _cells(page, row_id) == YEAR[key], key
    # Lars and Lena report to nobody.
    assert _cells(page, "leader-none") == _expected(2, 0, 0, 0, 0, 0, 2)
    assert "2 av 7 holdt (29 %), 1 med godkjent referat." in page
    assert 'role="img"' in page
    assert 'aria-label="2 av 4 holdt, 1 med godkjent referat, 2 innkalt og 2 planlagt"' in page


def test_a_round_counts_its_members_and_its_conversations(organisation, as_):
    page = as_("hr").get(f"/admin/progress/?round={organisation['round']}").get_data(
        as_text=True)
    assert "<h2>Høsten</h2>" in page
    for key, row_id in _row_ids(organisation).items():
        assert _cells(page, row_id) == ROUND[key], key
    # The week of Anne's conversation has one held conversation; the chart says it.
    assert "Holdte samtaler per uke i runden: 1 holdt samtale i alt" in page
    assert re.search(r"<tr><td>\d+</td><td>[\d.]+</td><td>1</td></tr>", page)


def test_the_round_can_be_chosen_with_htmx_and_the_figures_come_as_a_block(
        organisation, as_):
    response = as_("hr").get(f"/admin/progress/?round={organisation['round']}",
                             headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="figures">')
    assert "<h2>Høsten</h2>" in body


def test_a_unit_drill_down_lists_its_people_with_state_and_dates(organisation, as_):
    helse = organisation["units"]["helse"]
    page = as_("hr").get(f"/admin/progress/units/{helse}").get_data(as_text=True)
    names = re.findall(r'<tr id="person-\d+">\s*<th scope="row">([^<]+)</th>', page)
    assert names == ["Anne Aas", "Bjørn Berg", "Frode Fjell", "Lars Lie"]
    anne = re.search(rf'<tr id="person-{organisation["people"]["anne"]}">(.*?)</tr>', page,
                     re.S).group(1)
    today = oslo_today().strftime("%d.%m.%Y")
    assert "Holdt, referatet godkjent" in anne and "Helse" in anne and "Lars Lie" in anne
    assert anne.count(today) == 3  # held, minutes approved, last held: today
    assert "<td>1</td>" in anne  # one overdue action
    bjorn = re.search(rf'<tr id="person-{organisation["people"]["bjorn"]}">(.*?)</tr>', page,
                      re.S).group(1)
    assert "Holdt, referatet er ikke godkjent" in bjorn and "Helse/Sykehjem" in bjorn
    frode = re.search(rf'<tr id="person-{organisation["people"]["frode"]}">(.*?)</tr>', page,
                      re.S).group(1)
    assert "Ingen samtale planlagt" in frode and "Ingen på tolv måneder" in frode
    assert "4 av 4" not in page and "2 av 4 holdt, 1 med godkjent referat, 1 forfalte" in page


def test_a_leader_drill_down_lists_the_people_who_report_to_them(organisation, as_):
    lena = organisation["people"]["lena"]
    page = as_("hr").get(f"/admin/progress/leaders/{lena}").get_data(as_text=True)
    names = re.findall(r'<tr id="person-\d+">\s*<th scope="row">([^<]+)</th>', page)
    assert names == ["Dag Eide", "Eli Strand"]
    assert "Innkalt" in page and "Planlagt, ikke sendt" in page
    in_round = as_("hr").get(f"/admin/progress/leaders/{lena}?round={organisation['round']}")
    names = re.findall(r'<tr id="person-\d+">\s*<th scope="row">([^<]+)</th>',
                       in_round.get_data(as_text=True))
    assert names == ["Dag Eide"]


def test_unknown_units_leaders_and_rounds_are_not_found(organisation, as_):
    hr = as_("hr")
    assert hr.get("/admin/progress/units/987654").status_code == 404
    assert hr.get("/admin/progress/leaders/987654").status_code == 404
    for value in ("987654", "abc", "-1", "1.5"):
        assert hr.get(f"/admin/progress/?round={value}").status_code == 404, value
        assert hr.get(f"/admin/progress/export.xlsx?round={value}").status_code == 404


def test_nobody_but_the_hr_admin_opens_the_overview_or_the_exports(organisation, as_):
    lars = organisation["people"]["lars"]
    helse = organisation["units"]["helse"]
    for who in ("lars", "anne"):
        for path in ("/admin/progress/", f"/admin/progress/units/{helse}",
                     f"/admin/progress/leaders/{lars}", "/admin/progress/export/people.csv",
                     "/admin/progress/export.xlsx"):
            assert as_(who).get(path).status_code == 403, (who, path)


# Exports --------------------------------------------------------------------------------------


def _csv(client, table, query="") -> list[list[str]]:
    response = client.get(f"/admin/progress/export/{table}.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx(client, query="") -> dict:
    response = client.get(f"/admin/progress/export.xlsx{query}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets}


def _figures_of(rows, name) -> dict:
    row = next(row for row in rows if row[0] == name)
    return dict(zip(FIGURES, (int(value) for value in row[1:8]), strict=True))


def test_the_exports_have_the_figures_per_unit_leader_and_person(organisation, as_):
    hr = as_("hr")
    units = _csv(hr, "units")
    assert units[0] == ["Enhet", "Personer", "Planlagt", "Innkalt", "Gjennomført",
                        "Referatet er godkjent", "Forfalte tiltak",
                        "Ingen de siste tolv månedene"]
    assert _figures_of(units, "Helse") == YEAR["helse"]
    assert _figures_of(units, "Helse/Sykehjem") == YEAR["sykehjem"]
    assert _figures_of(_csv(hr, "leaders"), "Lena Larsen") == YEAR["lena"]
    people = _csv(hr, "people")
    assert people[0][:4] == ["Navn", "Enhet", "Leder", "Status"]
    anne = next(row for row in people if row[0] == "Anne Aas")
    today = oslo_today().isoformat()
    assert anne[1:4] == ["Helse", "Lars Lie", "Holdt, referatet godkjent"]
    assert anne[5:9] == ["Ja", today, today, "1"]

    sheets = _xlsx(hr)
    assert list(sheets) == ["Enheter", "Ledere", "Personer"]
    assert sheets["Enheter"][0] == units[0]
    assert _figures_of(sheets["Enheter"], "Helse/Sykehjem") == YEAR["sykehjem"]
    assert _figures_of(sheets["Ledere"], "Lars Lie") == YEAR["lars"]
    anne = next(row for row in sheets["Personer"] if row[0] == "Anne Aas")
    assert anne[6].date() == oslo_today() and anne[8] == 1

    in_round = _xlsx(hr, f"?round={organisation['round']}")
    assert _figures_of(in_round["Enheter"], "Helse") == ROUND["helse"]
    assert [row[0] for row in in_round["Personer"][1:]] == ["Anne Aas", "Bjørn Berg",
                                                             "Dag Eide"]


def test_every_export_is_in_the_audit_log(organisation, app, as_):
    hr = as_("hr")
    hr.get("/admin/progress/export/units.csv")
    hr.get(f"/admin/progress/export.xlsx?round={organisation['round']}")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "progress_exported").order_by(AuditEvent.id)).all()
        assert [(e.actor_id, e.detail) for e in events] == [
            (organisation["people"]["hr"], {"round_id": None, "table": "units",
                                            "format": "csv"}),
            (organisation["people"]["hr"], {"round_id": organisation["round"],
                                            "table": "all", "format": "xlsx"}),
        ]
    audit_page = hr.get("/admin/audit/").get_data(as_text=True)
    assert "Framdrift eksportert" in audit_page


def test_names_that_look_like_formulas_stay_text_in_both_exports(organisation, app, as_):
    with app.app_context():
        db.session.get(User, organisation["people"]["dag"]).name = '=HYPERLINK("x","y")'
        db.session.get(User, organisation["people"]["eli"]).name = "@SUM(A1)"
        db.session.commit()
    hr = as_("hr")
    names = [row[0] for row in _csv(hr, "people")]
    assert "'=HYPERLINK(\"x\",\"y\")" in names and "'@SUM(A1)" in names
    response = hr.get("/admin/progress/export.xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = [row[0] for row in workbook["Personer"].iter_rows()]
    formula = next(cell for cell in cells if str(cell.value).startswith("=HYPER"))
    assert formula.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        assert not any(b"<f>" in book.read(name) for name in book.namelist())


# No content, ever ------------------------------------------------------------------------------

CONTENT = (Conversation, Pick, AgendaItem, AgendaText, Minutes, MinutesPoint, MinutesVersion,
           Action, ActionUpdate)
# Text the parties do not write: states, kinds, keys and the names the minutes are signed
# with. Every other String, Text or JSON column of CONTENT is planted with a marker.
NOT_CONTENT = {
    ("conversation", "state"), ("conversation", "last_change"),
    ("conversation", "calendar_uid"), ("agenda_item", "section"), ("agenda_text", "field"),
    ("minutes", "state"), ("minutes", "next_meeting_kind"),
    ("minutes_version", "submitted_by_name"), ("minutes_version", "decision"),
    ("minutes_version", "decided_by_name"), ("action", "responsible"),
    ("action_update", "kind"), ("conversation", "data_key_id"),
}


def _texts(model):
    for column in model.__table__.columns:
        if isinstance(column.type, sa.String | sa.JSON | SealedText | SealedJSON):
            yield column


def _marker(number: int) -> str:
    return f"zqpm{number:02d}m"


def _planted(value, text):
    if isinstance(value, str):
        return text
    if isinstance(value, dict):
        return {k: v if k in ("deadline", "responsible") else _planted(v, text)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_planted(v, text) for v in value]
    return value


@pytest.fixture
def planted(app, organisation, as_, make_conversation):
    """The organisation, with a marker in every content field of every row: Anne's held
    conversation (minutes approved, actions followed up), and Dag's, in progress."""
    people = organisation["people"]
    action = db_first(app, Action)
    as_("anne").post(f"/actions/{action}/progress", data={"comment": "Godt i gang"})
    with app.app_context():
        dag = db.session.scalar(sa.select(Conversation).where(
            Conversation.employee_id == people["dag"]))
        for position, question in enumerate(db.session.scalars(
                sa.select(Question).where(Question.retired_at.is_(None))
                .order_by(Question.id).limit(2))):
            db.session.add(Pick(conversation_id=dag.id, question_id=question.id,
                                position=position))
        dag.employee_topics = dag.leader_topics = "tema"
        dag.employee_ready_at = utcnow()
        meeting.start(dag)
        db.session.flush()
        item = db.session.scalar(sa.select(AgendaItem).where(
            AgendaItem.conversation_id == dag.id).limit(1))
        db.session.add(AgendaText(item_id=item.id, field="text", version=1, text="t", sent="t"))
        minutes = db.session.scalar(sa.select(Minutes).where(
            Minutes.conversation_id == db.session.scalar(sa.select(Conversation.id).where(
                Conversation.employee_id == people["anne"], Conversation.held_at.is_not(None)))))
        minutes.reopen_request_comment = "x"
        planted, markers = set(), {}
        for model in CONTENT:
            for column in _texts(model):
                key = (model.__tablename__, column.name)
                if key in NOT_CONTENT:
                    continue
                text = _marker(len(planted))
                rows = db.session.scalars(sa.select(model)).all()
                assert rows, f"no {model.__tablename__} row to plant {column.name} in"
                for row in rows:
                    value = getattr(row, column.key)
                    setattr(row, column.key, _planted(value, text) if column.name == "content"
                            else text[:column.type.length or None])
                planted.add(key)
                markers[text] = f"{key[0]}.{key[1]}"
        db.session.commit()
    return {**organisation, "planted": planted, "markers": markers}


def db_first(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(model.id).order_by(model.id).limit(1))


def test_the_planted_fields_are_every_content_column_there_is(planted):
    every = {(model.__tablename__, column.name) for model in CONTENT for column in _texts(model)}
    assert planted["planted"] == every - NOT_CONTENT
    assert {("pick", "employee_note"), ("pick", "leader_note"),
            ("conversation", "employee_topics"), ("conversation", "leader_topics"),
            ("agenda_item", "text"), ("agenda_item", "employee_note"),
            ("minutes_point", "body"), ("minutes_version", "content"), ("action", "what"),
            ("action_update", "comment")} <= planted["planted"]


def test_no_hr_page_or_export_shows_a_word_of_any_conversation(planted, as_):
    hr = as_("hr")
    markers = planted["markers"]
    paths = []
    for query in ("", f"?round={planted['round']}"):
        paths += [f"/admin/progress/{query}", f"/admin/progress/export.xlsx{query}"]
        paths += [f"/admin/progress/units/{unit}{query}" for unit in planted["units"].values()]
        paths += [f"/admin/progress/leaders/{planted['people'][who]}{query}"
                  for who in ("lars", "lena")]
        paths += [f"/admin/progress/export/{table}.csv{query}"
                  for table in ("units", "leaders", "people")]
    for path in paths:
        response = hr.get(path)
        assert response.status_code == 200, path
        body = response.get_data()
        if path.startswith("/admin/progress/export.xlsx"):
            with zipfile.ZipFile(io.BytesIO(body)) as book:
                body = b"".join(book.read(name) for name in book.namelist())
        text = body.decode("utf-8")
        leaks = sorted(field for marker, field in markers.items() if marker in text)
        assert leaks == [], path


# Bounded queries --------------------------------------------------------------------------------


def _crowd(app, question_bank, units, leaders, per_unit, start):
    """`per_unit` more people in each unit, with conversations in turn: none, planned,
    invited, held, held with minutes approved and an overdue action."""
    from medsamtale.models.minutes import APPROVED

    now = utcnow()
    with app.app_context():
        for unit_id, leader_id in zip(units, leaders, strict=True):
            for n in range(start, start + per_unit):
                person = User(name=f"Person {unit_id}-{n:03d}", unit_id=unit_id,
                              email=f"p{unit_id}-{n}@example.no", leader_id=leader_id)
                db.session.add(person)
                db.session.flush()
                kind = n % 5
                if kind == 0:
                    continue
                conversation = Conversation(
                    employee_id=person.id, leader_id=leader_id, place="Rom",
                    question_set_id=question_bank["standard"], starts_at=now,
                    invited_at=now if kind >= 2 else None,
                    started_at=now if kind >= 3 else None, held_at=now if kind >= 3 else None)
                conversation.refresh_state()
                db.session.add(conversation)
                db.session.flush()
                if kind == 4:
                    db.session.add(Minutes(conversation_id=conversation.id, state=APPROVED,
                                           first_approved_at=now))
                    db.session.add(Action(conversation_id=conversation.id, what="x",
                                          responsible="employee",
                                          deadline=oslo_today() - timedelta(days=1)))
        db.session.commit()


def _queries(client, count_queries, path) -> int:
    client.get(path)
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_the_pages_and_exports_cost_the_same_queries_for_2_and_for_20_people_a_unit(
        app, organisation, as_, question_bank, count_queries):
    units = list(organisation["units"].values())
    people = organisation["people"]
    leaders = [people["lars"], people["lars"], people["lena"]]
    hr = as_("hr")
    paths = ["/admin/progress/", f"/admin/progress/?round={organisation['round']}",
             f"/admin/progress/units/{units[0]}", f"/admin/progress/leaders/{people['lars']}",
             "/admin/progress/export/people.csv", "/admin/progress/export.xlsx"]
    _crowd(app, question_bank, units, leaders, 2, 0)
    few = {path: _queries(hr, count_queries, path) for path in paths}
    _crowd(app, question_bank, units, leaders, 18, 2)
    page = hr.get("/admin/progress/").get_data(as_text=True)
    assert _cells(page, f"unit-{units[2]}")["people"] == 3 + 20
    many = {path: _queries(hr, count_queries, path) for path in paths}
    assert many == few
    assert max(few.values()) <= 14, few
