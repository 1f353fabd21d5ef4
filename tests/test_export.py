"""The employee's copy of everything about them (issue 16, point 3): asked for on their own
page, built by the worker, emailed as a link that works once, for them alone, for seven
days; the ZIP holds medsamtale.json (their conversations with both parties' texts, the
leader's own preparation notes included, the minutes and their history, their remarks, the
actions and their follow-up, their invitations, the read log) and a PDF per approved
minutes, and nothing of anyone else's conversations."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from medsamtale.extensions import db
from medsamtale.models import ActionUpdate, AuditEvent, Pick
from tests.fixtures.app import BASE_URL, EMAILS
from tests.fixtures.domain import agree_actions
from tests.helpers import new_mail, one_new_mail, snapshot, text_of

LEADER_NOTE = "Lederens egne notater: Anne virker sliten, spør om arbeidsmengden."
REMARK = "Jeg er uenig i punktet om arbeidstid: vi avtalte fire dager hjemmekontor."
UPDATE = "Kurset er bestilt til mars."
ACTION = "Ta kurs i prosjektledelse"
BJORN_NOTE = "Bjørns hemmelige forberedelse om lønn"
LINK = re.compile(re.escape(BASE_URL) + r"(/account/export/[A-Za-z0-9_-]+)")


@pytest.fixture
def exports(app):
    """The personal_export table (until its migration is written: made from the model),
    and the model."""
    from medsamtale.models.exports import PersonalExport

    with app.app_context():
        PersonalExport.__table__.create(db.engine, checkfirst=True)
    return PersonalExport


@pytest.fixture
def annes(app, people, held, as_):
    """Anne's conversation with Lars: held, the leader's own note on a pick, an action
    agreed in approved minutes and followed up, Anne's remark, and reads by both."""
    with app.app_context():
        pick = db.session.scalars(sa.select(Pick).where(Pick.conversation_id == held)
                                  .order_by(Pick.id)).first()
        pick.leader_note = LEADER_NOTE
        db.session.commit()
    (action_id,) = agree_actions(app, held, (ACTION, 30))
    with app.app_context():
        db.session.add(ActionUpdate(action_id=action_id, author_id=people["lars"],
                                    comment=UPDATE))
        db.session.commit()
    assert as_("anne").post(f"/minutes/{held}/remarks", data={"body": REMARK}).status_code == 302
    assert as_("lars").get(f"/minutes/{held}").status_code == 200
    assert as_("anne").get(f"/minutes/{held}").status_code == 200
    return held


def build(app):
    from medsamtale.account.export import build_pending_exports

    with app.app_context():
        return build_pending_exports()


def ask_and_get_link(app, client, deliver, mailbox):
    """Ask for the copy as `client`, let the worker build it; returns the emailed link."""
    new_mail(deliver, mailbox)
    response = client.post("/account/export")
    assert response.status_code == 302
    assert build(app) == 1
    message = one_new_mail(deliver, mailbox, EMAILS["anne"])
    assert message["Subject"] == "Kopien av alt om deg er klar"
    return LINK.search(text_of(message)).group(1)


def opened(body: bytes) -> tuple[dict, dict]:
    archive = zipfile.ZipFile(io.BytesIO(body))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("medsamtale.json")), files


def test_the_employee_gets_everything_once_through_the_emailed_link(
    app, as_, people, annes, exports, deliver, mailbox
):
    anne = as_("anne")
    page = anne.get("/account/").get_data(as_text=True)
    assert "Last ned en kopi av alt om deg" in page
    link = ask_and_get_link(app, anne, deliver, mailbox)
    assert "Kopien din er klar" in anne.get("/account/").get_data(as_text=True)
    with app.app_context():  # stored sealed, as the content it holds is
        (stored,) = db.session.execute(sa.text("SELECT zip_data FROM personal_export")
                                       ).scalars().all()
    assert bytes(stored).startswith(b"ms1$") and b"PK" not in bytes(stored)[:8]

    response = anne.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    data, files = opened(response.data)

    assert data["format"] == "medsamtale-export/1"
    assert data["person"]["name"] == "Anne Aas"
    assert data["person"]["email"] == EMAILS["anne"]
    assert "employment_ended_on" in data["person"] and "unit" in data["person"]
    (conversation,) = data["conversations"]
    assert conversation["id"] == annes and conversation["leader"] == "Lars Lie"
    assert conversation["state"] == "held"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", conversation["starts_at"])
    assert LEADER_NOTE in [pick["leader_note"] for pick in conversation["picks"]]
    assert "Vil lære mer om prosjektledelse" in [p["employee_note"] for p in conversation["picks"]]
    assert all(pick["question"] for pick in conversation["picks"])
    assert conversation["agenda"] and all("text" in item for item in conversation["agenda"])
    minutes = conversation["minutes"]
    assert minutes["state"] == "approved"
    assert [v["decision"] for v in minutes["versions"]] == ["approved"]
    assert minutes["approved"]["actions"][0]["what"] == ACTION
    assert [r["body"] for r in minutes["remarks"]] == [REMARK]
    (action,) = conversation["actions"]
    assert action["what"] == ACTION
    assert [(u["author"], u["comment"]) for u in action["updates"]] == [("Lars Lie", UPDATE)]
    (invitation,) = data["invitations"]
    assert invitation["conversation_id"] == annes and invitation["invited_at"]
    readers = {(read["reader"], read["reader_is"], read["page"]) for read in data["read_log"]}
    assert ("Lars Lie", "leader", "minutes.show") in readers
    assert ("Anne Aas", "you", "minutes.show") in readers
    assert {read["page_label"] for read in data["read_log"]} == {"Referat"}

    (name,) = files
    assert re.fullmatch(r"referat-\d{4}-\d\d-\d\d\.pdf", name)
    assert files[name].startswith(b"%PDF")
    # The same file as the minutes' own PDF, made in the worker: with the remark.
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(files[name])).pages).split())
    assert "fire dager hjemmekontor" in text and ACTION in text

    # Once: a second use gets nothing, and the ZIP is gone from the database.
    again = anne.get(link)
    assert again.status_code == 410 and b"PK" not in again.data[:2]
    assert "allerede blitt brukt" in again.get_data(as_text=True)
    assert snapshot(app, exports, "zip_data") == [(None,)]
    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.subject_user_id, AuditEvent.detail)
            .where(AuditEvent.action.like("personal_export%")).order_by(AuditEvent.id)).all()
    assert [(a, s) for a, s, _d in events] == [
        ("personal_export_requested", people["anne"]),
        ("personal_export_built", people["anne"]),
        ("personal_export_downloaded", people["anne"])]
    assert all(detail == {} for _a, _s, detail in events)  # nothing of the content


@pytest.mark.parametrize("who", ["lars", "hr", "bjorn"])
def test_nobody_else_gets_anything_with_the_link(app, as_, annes, exports, deliver, mailbox,
                                                 who):
    link = ask_and_get_link(app, as_("anne"), deliver, mailbox)
    before = snapshot(app, exports)
    response = as_(who).get(link)
    assert response.status_code == 404
    assert b"PK" not in response.data[:2]
    assert "gjelder bare personen" in response.get_data(as_text=True)
    assert snapshot(app, exports) == before  # not used up either
    assert as_("anne").get(link).status_code == 200


def test_logged_out_the_link_serves_nothing(app, client, as_, annes, exports, deliver,
                                            mailbox):
    link = ask_and_get_link(app, as_("anne"), deliver, mailbox)
    response = client.get(link)
    assert response.status_code in (302, 401)
    assert b"PK" not in response.data[:2]
    assert as_("anne").get(link).status_code == 200


def test_a_second_request_while_one_is_pending_changes_nothing(
    app, as_, annes, exports, deliver, mailbox
):
    anne = as_("anne")
    assert anne.post("/account/export").status_code == 302
    before = snapshot(app, exports)
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = anne.post("/account/export")
    assert response.status_code == 302
    page = anne.get(response.location).get_data(as_text=True)
    assert "Du har allerede bedt om en kopi" in page and "Ingenting ble endret." in page
    assert snapshot(app, exports) == before and len(before) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events
    assert "Du ba om en kopi" in anne.get("/account/").get_data(as_text=True)
    # Once built, a new copy may be asked for; it replaces the one not yet fetched.
    new_mail(deliver, mailbox)
    assert build(app) == 1
    first = LINK.search(text_of(one_new_mail(deliver, mailbox, EMAILS["anne"]))).group(1)
    assert build(app) == 0  # nothing more waiting
    second = ask_and_get_link(app, anne, deliver, mailbox)
    assert anne.get(first).status_code == 410
    assert anne.get(second).status_code == 200


def test_an_expired_link_fails_and_the_copy_is_deleted(
    app, as_, annes, exports, deliver, mailbox
):
    anne = as_("anne")
    link = ask_and_get_link(app, anne, deliver, mailbox)
    with app.app_context():
        for each in db.session.scalars(sa.select(exports)):
            each.ready_at -= timedelta(days=7, minutes=1)
        db.session.commit()
    build(app)  # the worker deletes what has expired
    assert snapshot(app, exports, "zip_data", "used_at") == [(None, None)]
    response = anne.get(link)
    assert response.status_code == 410
    assert "har utløpt" in response.get_data(as_text=True)


def test_an_expired_link_fails_even_before_the_worker_has_deleted_it(
    app, as_, annes, exports, deliver, mailbox
):
    anne = as_("anne")
    link = ask_and_get_link(app, anne, deliver, mailbox)
    with app.app_context():
        for each in db.session.scalars(sa.select(exports)):
            each.ready_at -= timedelta(days=8)
        db.session.commit()
    assert anne.get(link).status_code == 410


def test_the_copy_holds_nothing_of_another_employees_conversations(
    app, as_, people, annes, held_conversation, exports, deliver, mailbox
):
    bjorns = held_conversation(people["bjorn"], note=BJORN_NOTE)
    assert as_("bjorn").get(f"/minutes/{bjorns}").status_code == 200
    assert as_("lars").get(f"/minutes/{bjorns}").status_code == 200
    link = ask_and_get_link(app, as_("anne"), deliver, mailbox)
    body = as_("anne").get(link).data
    data, files = opened(body)
    assert [c["id"] for c in data["conversations"]] == [annes]
    assert {read["conversation_id"] for read in data["read_log"]} == {annes}
    assert [i["conversation_id"] for i in data["invitations"]] == [annes]
    text = json.dumps(data, ensure_ascii=False)
    assert BJORN_NOTE not in text and "Bjørn Berg" not in text
    assert len(files) == 1


def test_a_link_that_was_never_made_is_not_found(as_, exports):
    response = as_("anne").get("/account/export/not-a-token")
    assert response.status_code == 404
    assert "Lenken kan ikke brukes" in response.get_data(as_text=True)


def test_two_requests_at_once_make_one(app, people, exports, monkeypatch):
    """The second of two requests that both found nothing waiting is refused by the
    database's index, and changes nothing."""
    from medsamtale.account import export
    from medsamtale.errors import Refused
    from medsamtale.models import User

    with app.app_context():
        anne = db.session.get(User, people["anne"])
        export.request_export(anne)
        db.session.commit()
        monkeypatch.setattr(export, "pending_export", lambda _user: None)
        with pytest.raises(Refused):
            export.request_export(anne)
        db.session.rollback()
    assert len(snapshot(app, exports)) == 1
