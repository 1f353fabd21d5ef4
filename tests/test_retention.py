"""Retention (medsamtale/retention): each kind of data goes after its period and not a day
before, nothing of a person on legal hold goes, nothing else is touched, the audit log
says the kind and the count only; HR's settings and the legal hold, refused when wrong."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from medsamtale.audit import READ, record
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
    MinutesRemark,
    MinutesVersion,
    Organisation,
    Pick,
    User,
)
from medsamtale.models.leadership import MinutesShare
from medsamtale.models.minutes import APPROVED
from medsamtale.retention import services as retention
from medsamtale.scheduled import queue_scheduled
from medsamtale.timeutil import from_oslo, oslo_today, utcnow
from tests.fixtures.domain import agree_actions
from tests.helpers import row, snapshot
from tests.test_scim import scim, token  # noqa: F401 (fixtures)

TOPIC = "Jeg vil snakke om arbeidsmengden i helgene"
REOPEN = "Punktet om kurs er feil"
REMARK = "Jeg er uenig i punktet om arbeidstid"
UPDATE = "Har meldt meg på kurset"


def later(moment, months=0, days=0):
    """`moment` `months` calendar months and `days` days later."""
    return retention.months_before(moment, -months) + timedelta(days=days)


def fill(app, conversation_id, lena_id):
    """Everything a conversation can hold beside what the meeting left: topics, an agreed
    action with an update, approved minutes with a remark and a reopen request's comment,
    a version of an agenda text and a share with another leader."""
    agree_actions(app, conversation_id, ("Ta kurs i prosjektledelse", 30))
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        conversation.employee_topics, conversation.leader_topics = TOPIC, "Turnusen"
        minutes = db.session.scalar(sa.select(Minutes).where(
            Minutes.conversation_id == conversation_id))
        minutes.reopen_request_comment = REOPEN
        action = db.session.scalar(sa.select(Action).where(
            Action.conversation_id == conversation_id))
        db.session.add(ActionUpdate(action_id=action.id, author_id=conversation.employee_id,
                                    comment=UPDATE))
        db.session.add(MinutesRemark(minutes_id=minutes.id, version_number=1, body=REMARK,
                                     author_name=conversation.employee.name))
        item = db.session.scalar(sa.select(AgendaItem).where(
            AgendaItem.conversation_id == conversation_id).order_by(AgendaItem.id))
        db.session.add(AgendaText(item_id=item.id, field="employee_note", version=1,
                                  text=item.employee_note, sent=item.employee_note))
        db.session.add(MinutesShare(conversation_id=conversation_id, leader_id=lena_id))
        db.session.commit()


def approved_at(app, conversation_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.max(MinutesVersion.decided_at)).join(Minutes)
            .where(Minutes.conversation_id == conversation_id,
                   MinutesVersion.decision == APPROVED))


def contents(app, conversation_id) -> dict:
    """All a conversation holds, table by table, read in a fresh session."""
    with app.app_context():
        def rows(model, where, *columns):
            return [tuple(found) for found in db.session.execute(
                sa.select(*(getattr(model, c) for c in columns)).where(where)
                .order_by(*model.__table__.primary_key.columns))]

        minutes = sa.select(Minutes.id).where(Minutes.conversation_id == conversation_id)
        items = sa.select(AgendaItem.id).where(AgendaItem.conversation_id == conversation_id)
        actions = sa.select(Action.id).where(Action.conversation_id == conversation_id)
        return {
            "conversation": rows(Conversation, Conversation.id == conversation_id, "id",
                                 "starts_at", "held_at", "state", "message",
                                 "employee_topics", "leader_topics"),
            "picks": rows(Pick, Pick.conversation_id == conversation_id, "id",
                          "employee_note", "leader_note"),
            "items": rows(AgendaItem, AgendaItem.conversation_id == conversation_id, "id",
                          "text", "employee_note", "leader_note", "action_id"),
            "texts": rows(AgendaText, AgendaText.item_id.in_(items), "item_id", "field",
                          "version", "text"),
            "minutes": rows(Minutes, Minutes.conversation_id == conversation_id, "id",
                            "state", "reopen_request_comment"),
            "points": rows(MinutesPoint, MinutesPoint.minutes_id.in_(minutes), "id",
                           "heading", "body"),
            "versions": rows(MinutesVersion, MinutesVersion.minutes_id.in_(minutes), "id",
                             "number", "content", "decision"),
            "remarks": rows(MinutesRemark, MinutesRemark.minutes_id.in_(minutes), "id",
                            "body"),
            "shares": rows(MinutesShare, MinutesShare.conversation_id == conversation_id,
                           "id", "leader_id"),
            "actions": rows(Action, Action.conversation_id == conversation_id, "id", "what"),
            "updates": rows(ActionUpdate, ActionUpdate.action_id.in_(actions), "id",
                            "comment"),
        }


def untouched(app):
    """What retention never changes: the people, the organisation, the audit log."""
    return (snapshot(app, User), snapshot(app, Organisation),
            snapshot(app, AuditEvent, "id", "action", "detail", "conversation_id"))


def retention_events(app):
    with app.app_context():
        return [(e.actor_id, e.subject_user_id, e.conversation_id, e.detail)
                for e in db.session.scalars(sa.select(AuditEvent).where(
                    AuditEvent.action == "retention_deleted").order_by(AuditEvent.id))]


def plan(app, now):
    with app.app_context():
        return dict(retention.plan(now))


def run(app, now, batch=retention.BATCH):
    with app.app_context():
        return dict(retention.run(now, batch=batch))


NOTHING = {"record": 0, "preparation": 0, "agenda": 0, "audit": 0}


@pytest.fixture(autouse=True)
def organisation(app):
    """The organisation, with the default periods: 6 and 12 months, 5 years; the audit
    log's 50 years, so the clock moved for the other rules leaves it be (its own tests, at
    the end, set it)."""
    with app.app_context():
        db.session.add(Organisation(name="Fjordvik kommune", retain_audit_years=50))
        db.session.commit()


@pytest.fixture
def two(app, people, held_conversation):
    """Anne's conversation, approved and filled; Bjørn's, held with minutes not yet
    approved and filled as far as that goes. Returns (anne's, bjørn's) ids."""
    anne = held_conversation(people["anne"])
    fill(app, anne, people["lena"])
    bjorn = held_conversation(people["bjorn"])
    with app.app_context():
        conversation = db.session.get(Conversation, bjorn)
        conversation.employee_topics = TOPIC
        db.session.commit()
    return anne, bjorn


# Preparation notes and drafts ---------------------------------------------------------------


def test_preparation_goes_six_months_after_approval_and_not_a_day_before(app, two):
    anne, bjorn = two
    before, others = contents(app, anne), contents(app, bjorn)
    assert before["points"] and before["picks"][0][1] and before["texts"]
    due = later(approved_at(app, anne), months=6)

    day_before = due - timedelta(days=1)
    assert plan(app, day_before) == NOTHING
    kept = untouched(app)
    assert run(app, day_before) == NOTHING
    assert contents(app, anne) == before and untouched(app) == kept

    expected = len(before["points"]) + len(before["picks"]) + 1 + 1  # topics, comment
    assert plan(app, due) == {**NOTHING, "preparation": expected}
    assert contents(app, anne) == before  # the plan deleted nothing
    assert run(app, due) == {**NOTHING, "preparation": expected}

    after = contents(app, anne)
    assert after["conversation"][0][5:] == ("", "")
    assert [(n1, n2) for _id, n1, n2 in after["picks"]] == [("", "")] * len(before["picks"])
    assert after["points"] == []
    assert after["minutes"][0][2] == ""
    # The rest of Anne's conversation, and everything of Bjørn's, is as it was.
    for kind in ("items", "texts", "versions", "remarks", "shares", "actions", "updates"):
        assert after[kind] == before[kind], kind
    assert contents(app, bjorn) == others
    # Nothing more goes the next day.
    assert plan(app, due + timedelta(days=1)) == NOTHING


def test_minutes_reopened_and_approved_again_count_from_the_latest_approval(
    app, people, held_conversation
):
    conversation_id = held_conversation(people["anne"])
    agree_actions(app, conversation_id, ("Ta kurs", 30))
    first = approved_at(app, conversation_id)
    with app.app_context():
        minutes = db.session.scalar(sa.select(Minutes).where(
            Minutes.conversation_id == conversation_id))
        minutes.reopen()
        db.session.commit()
        # Reopened: not approved, so nothing goes, however long ago the approval was.
        assert dict(retention.plan(later(first, months=7))) == NOTHING
        version = minutes.submit({"points": [], "actions": [], "no_actions": True}, "Anne")
        minutes.decide(version.number, APPROVED, "Lars", at=later(first, months=3))
        db.session.commit()
    assert plan(app, later(first, months=7))["preparation"] == 0
    assert plan(app, later(first, months=9))["preparation"] > 0


# The agenda ---------------------------------------------------------------------------------


def test_agenda_notes_go_twelve_months_after_approval_and_the_items_stay(app, two):
    anne, bjorn = two
    others = contents(app, bjorn)
    due = later(approved_at(app, anne), months=12)
    run(app, due - timedelta(days=1))  # the preparation went; the agenda stays
    before = contents(app, anne)
    assert any(text for _id, text, *_notes in [i[:4] for i in before["items"]])
    assert plan(app, due - timedelta(days=1)) == NOTHING

    items = len(before["items"])
    assert run(app, due) == {**NOTHING, "agenda": items + len(before["texts"])}
    after = contents(app, anne)
    assert [i[0] for i in after["items"]] == [i[0] for i in before["items"]]
    assert [i[1:4] for i in after["items"]] == [("", "", "")] * items
    assert [i[4] for i in after["items"]] == [i[4] for i in before["items"]]
    assert after["texts"] == []
    for kind in ("versions", "remarks", "shares", "actions", "updates", "minutes"):
        assert after[kind] == before[kind], kind
    assert contents(app, bjorn) == others


# The approved record ------------------------------------------------------------------------


def test_the_record_goes_five_years_after_the_employment_ends(app, people, as_, two):
    anne, bjorn = two
    agree_actions(app, bjorn, ("Bjørns tiltak", 30))  # approved, but Bjørn still works here
    response = as_("hr").post(f"/admin/users/{people['anne']}/deactivate")
    assert response.status_code == 302
    ended = row(app, User, people["anne"])["employment_ended_on"]
    assert ended == oslo_today()
    due = from_oslo(later(ended, months=60), time(12))
    # The other rules would take their kinds from Bjørn too by then: first let them.
    run(app, due - timedelta(days=1))
    others = contents(app, bjorn)
    before = contents(app, anne)
    assert before["versions"] and before["actions"] and before["minutes"]
    assert plan(app, due - timedelta(days=1)) == NOTHING

    with app.app_context():  # a read of it in the audit log, which points to it
        record(READ, actor=None, conversation=anne, page="minutes.show")
        db.session.commit()
    expected = sum(len(rows) for kind, rows in before.items() if kind != "conversation")
    assert plan(app, due) == {**NOTHING, "record": expected}
    assert run(app, due) == {**NOTHING, "record": expected}
    after = contents(app, anne)
    # The conversation stays, with its dates and without content; all else of it goes.
    assert after["conversation"] == before["conversation"]  # topics went already
    assert after["conversation"][0][1] is not None
    assert all(rows == [] for kind, rows in after.items() if kind != "conversation")
    assert contents(app, bjorn) == others
    with app.app_context():  # the audit log's event of it still points to it
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.conversation_id == anne)) == 1


def test_the_record_blanks_a_conversation_that_never_got_approved_minutes(
    app, people, as_, make_conversation
):
    conversation_id = make_conversation(people["anne"])
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        conversation.employee_topics, conversation.message = TOPIC, "Velkommen"
        db.session.commit()
    as_("hr").post(f"/admin/users/{people['anne']}/deactivate")
    due = from_oslo(later(oslo_today(), months=60), time(12))
    assert run(app, due)["record"] == 1
    assert contents(app, conversation_id)["conversation"][0][4:] == ("", "", "")


# The legal hold -----------------------------------------------------------------------------


def test_a_legal_hold_keeps_everything_until_it_is_lifted(app, people, as_, two):
    anne, _bjorn = two
    hr = as_("hr")
    hr.post(f"/admin/users/{people['anne']}/deactivate")
    response = hr.post(f"/admin/users/{people['anne']}/legal-hold",
                       data={"reason": "Sak 2026/114 i tingretten"})
    assert response.status_code == 302
    page = hr.get(f"/admin/users/{people['anne']}").get_data(as_text=True)
    assert "Bevaringspålegg siden" in page and "Sak 2026/114 i tingretten" in page
    before = contents(app, anne)
    far = from_oslo(later(oslo_today(), months=12 * 30), time(12))
    run(app, far)
    assert contents(app, anne) == before

    response = hr.post(f"/admin/users/{people['anne']}/legal-hold/lift")
    assert response.status_code == 302
    assert "Bevaringspålegget for Anne Aas er opphevet." in hr.get(
        response.location).get_data(as_text=True)
    assert run(app, far)["record"] > 0
    assert contents(app, anne)["versions"] == []
    with app.app_context():
        events = [(e.action, e.subject_user_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.like("legal_hold%"))
            .order_by(AuditEvent.id))]
    assert events == [("legal_hold_set", people["anne"], {}),
                      ("legal_hold_lifted", people["anne"], {})]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_legal_hold_without_a_reason_or_too_long_is_refused(app, people, as_, reason):
    kept = snapshot(app, User)
    response = as_("hr").post(f"/admin/users/{people['anne']}/legal-hold",
                              data={"reason": reason})
    assert response.status_code == 422
    message = ("Høyst 2000 tegn." if reason.strip() else
               "Skriv hvorfor personen får bevaringspålegg. Ingenting ble endret.")
    page = response.get_data(as_text=True)
    assert message in page
    if reason.strip():  # what was typed is still there, to shorten
        assert reason in page
    assert "Anne Aas" in page  # the person's page, with what it had
    assert snapshot(app, User) == kept


def test_lifting_a_hold_there_is_not_is_refused(app, people, as_):
    kept = snapshot(app, User)
    response = as_("hr").post(f"/admin/users/{people['anne']}/legal-hold/lift")
    assert "Anne Aas har ikke bevaringspålegg. Ingenting ble endret." in as_("hr").get(
        response.location).get_data(as_text=True)
    assert snapshot(app, User) == kept


@pytest.mark.parametrize("who", ["anne", "lars", "lena"])
def test_only_hr_puts_on_or_lifts_a_legal_hold(app, people, as_, who):
    kept = snapshot(app, User)
    for url, data in ((f"/admin/users/{people['bjorn']}/legal-hold", {"reason": "Sak"}),
                      (f"/admin/users/{people['bjorn']}/legal-hold/lift", {})):
        response = as_(who).post(url, data=data)
        assert response.status_code == 403
        assert "Ingen tilgang" in response.get_data(as_text=True)
    assert snapshot(app, User) == kept


# Employment end -----------------------------------------------------------------------------


def test_deactivating_records_the_end_of_the_employment_and_reactivating_clears_it(
    app, people, as_
):
    hr = as_("hr")
    hr.post(f"/admin/users/{people['bjorn']}/deactivate")
    assert row(app, User, people["bjorn"])["employment_ended_on"] == oslo_today()
    page = hr.get(f"/admin/users/{people['bjorn']}").get_data(as_text=True)
    assert "Arbeidsforholdet ble avsluttet" in page
    hr.post(f"/admin/users/{people['bjorn']}/reactivate")
    assert row(app, User, people["bjorn"])["employment_ended_on"] is None


def test_the_directory_deactivating_records_the_end_of_the_employment_too(
    app, scim, make_user  # noqa: F811 (the fixture)
):
    anne = make_user("Anne Aas", "anne@example.no")
    assert scim("DELETE", f"/Users/{anne}").status_code == 204
    assert row(app, User, anne)["employment_ended_on"] == oslo_today()
    response = scim("PATCH", f"/Users/{anne}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": True}]})
    assert response.status_code == 200 and response.body["active"] is True
    assert row(app, User, anne)["employment_ended_on"] is None


# The audit log, the batches, the CLI and the worker -----------------------------------------


def test_the_audit_log_names_the_kind_and_the_count_never_the_content(app, two):
    anne, _bjorn = two
    counts = run(app, later(approved_at(app, anne), months=12))
    events = retention_events(app)
    assert events == [(None, None, None, {"kind": kind, "count": counts[kind]})
                      for kind in ("preparation", "agenda")]
    with app.app_context():
        details = " ".join(str(d) for d in db.session.scalars(sa.select(AuditEvent.detail)))
    for content in (TOPIC, REOPEN, "Vil lære mer om prosjektledelse"):
        assert content not in details
    # A run with nothing due records nothing.
    run(app, later(approved_at(app, anne), months=12))
    assert retention_events(app) == events


def test_in_batches_of_two_everything_due_still_goes(app, people, held_conversation):
    conversation_id = held_conversation(people["anne"], picks=5)
    agree_actions(app, conversation_id, ("Ta kurs", 30))
    due = later(approved_at(app, conversation_id), months=6)
    expected = plan(app, due)["preparation"]
    assert expected >= 5
    changed = []

    def count_rows(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().upper().startswith(("UPDATE PICK", "DELETE FROM MINUTES_POINT",
                                                  "UPDATE CONVERSATION")):
            changed.append(_cursor.rowcount)

    with app.app_context():
        sa.event.listen(db.engine, "after_cursor_execute", count_rows)
        try:
            assert dict(retention.run(due, batch=2))["preparation"] == expected
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", count_rows)
    assert changed and max(changed) <= 2 and sum(changed) >= 5
    assert plan(app, due) == NOTHING
    assert [p[1:] for p in contents(app, conversation_id)["picks"]] == [("", "")] * 5


def test_flask_retention_plan_lists_the_kinds_and_deletes_nothing(app, runner, two):
    anne, _bjorn = two
    with app.app_context():  # approved seven months ago
        db.session.execute(sa.update(MinutesVersion).values(
            decided_at=later(utcnow(), months=-7)))
        db.session.commit()
    before = contents(app, anne)
    result = runner.invoke(args=["retention", "plan"])
    assert result.exit_code == 0, result.output
    expected = len(before["points"]) + len(before["picks"]) + 2
    assert result.output.splitlines() == ["record: 0", f"preparation: {expected}",
                                          "agenda: 0", "audit: 0"]
    assert contents(app, anne) == before and retention_events(app) == []

    result = runner.invoke(args=["retention", "run", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert f"preparation: {expected}" in result.output
    assert contents(app, anne)["points"] == []
    assert runner.invoke(args=["retention", "run", "--batch", "0"]).exit_code != 0


def test_the_worker_runs_retention_once_a_day(app, two):
    anne, _bjorn = two
    with app.app_context():
        db.session.execute(sa.update(MinutesVersion).values(
            decided_at=later(utcnow(), months=-7)))
        db.session.commit()
        queue_scheduled()
    assert contents(app, anne)["points"] == []
    assert [e[3]["kind"] for e in retention_events(app)] == ["preparation"]
    with app.app_context():  # a second pass the same day does not look again
        db.session.get(Conversation, anne).employee_topics = TOPIC
        db.session.commit()
        queue_scheduled()
    assert contents(app, anne)["conversation"][0][5] == TOPIC


def test_a_failing_retention_pass_is_logged_and_the_worker_goes_on(
    app, monkeypatch, caplog
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(retention, "run", broken)
    with app.app_context():
        assert queue_scheduled() == 0
    assert "retention failed" in caplog.text


# HR's settings ------------------------------------------------------------------------------


def settings(**periods):
    return {"name": "Fjordvik kommune", "personnel_file": "minutes",
            "retain_preparation_months": "6", "retain_agenda_months": "12",
            "retain_record_years": "5", "retain_audit_years": "5", **periods}


def test_hr_sets_the_retention_periods(app, as_, people):
    hr = as_("hr")
    page = hr.get("/admin/organisation").get_data(as_text=True)
    assert "Hvor lenge opplysninger oppbevares" in page and 'value="6"' in page
    response = hr.post("/admin/organisation", data=settings(
        retain_preparation_months="3", retain_agenda_months="24", retain_record_years="10"))
    assert response.status_code == 302
    assert snapshot(app, Organisation, "retain_preparation_months", "retain_agenda_months",
                    "retain_record_years") == [(3, 24, 10)]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("retain_preparation_months", "0", "Skriv et helt antall måneder fra 1 til 600."),
    ("retain_preparation_months", "-1", "Skriv et helt antall måneder fra 1 til 600."),
    ("retain_agenda_months", "601", "Skriv et helt antall måneder fra 1 til 600."),
    ("retain_agenda_months", "tolv", "Skriv et helt antall måneder fra 1 til 600."),
    ("retain_record_years", "", "Skriv et helt antall år fra 1 til 50."),
    ("retain_record_years", "51", "Skriv et helt antall år fra 1 til 50."),
    ("retain_record_years", "2.5", "Skriv et helt antall år fra 1 til 50."),
    ("retain_audit_years", "0", "Skriv et helt antall år fra 1 til 50."),
])
def test_a_bad_retention_period_is_refused_and_nothing_is_saved(
    app, as_, people, field, value, message
):
    hr = as_("hr")
    hr.post("/admin/organisation", data=settings())
    kept = snapshot(app, Organisation)
    response = hr.post("/admin/organisation", data=settings(name="Nytt navn", **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert snapshot(app, Organisation) == kept


# The audit log's own period ------------------------------------------------------------------


def old_events(app, count: int, years: float, **fields) -> list[int]:
    """`count` events `years` ago, chained onto the log as record() would have: ids."""
    from medsamtale.audit import GENESIS, digest

    ids = []
    with app.app_context():
        previous = db.session.scalar(sa.select(AuditEvent.hash).order_by(
            AuditEvent.id.desc()).limit(1)) or GENESIS
        for minute in range(count):
            event = AuditEvent(at=utcnow() - timedelta(days=365.25 * years, minutes=-minute),
                               action="login", address="", detail={}, previous_hash=previous,
                               **fields)
            event.hash = previous = digest(event)
            db.session.add(event)
            db.session.flush()
            ids.append(event.id)
        db.session.commit()
    return ids


def set_audit_years(app, years: int) -> None:
    with app.app_context():
        Organisation.current().retain_audit_years = years
        db.session.commit()


def event_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def test_the_oldest_events_go_after_the_log_s_period_and_the_rest_still_verifies(app, runner):
    old = old_events(app, 3, years=6)
    kept = old_events(app, 2, years=4)
    with app.app_context():
        record("login", actor=None)
        db.session.commit()
    set_audit_years(app, 5)
    young = [i for i in event_ids(app) if i not in old]

    assert plan(app, utcnow()) == {**NOTHING, "audit": 3}
    assert run(app, utcnow()) == {**NOTHING, "audit": 3}
    assert event_ids(app)[:len(young)] == young  # the others are all there
    (cut,) = [detail for *_, detail in retention_events(app) if detail["kind"] == "audit"]
    assert cut["count"] == 3 and cut["first_kept"] == kept[0]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"OK: {len(young) + 1} events" in result.output
    assert run(app, utcnow()) == NOTHING  # nothing more is due


def test_the_log_keeps_everything_from_the_first_event_about_a_person_on_hold(app, people):
    with app.app_context():
        anne = db.session.get(User, people["anne"])
        anne.legal_hold_reason, anne.legal_hold_since = "Tvist om oppsigelse", utcnow()
        db.session.commit()
    first = old_events(app, 2, years=8)
    about_anne = old_events(app, 1, years=7, subject_user_id=people["anne"])
    after = old_events(app, 2, years=7)
    set_audit_years(app, 5)
    assert run(app, utcnow())["audit"] == 2
    assert event_ids(app)[:3] == about_anne + after and first[0] not in event_ids(app)


def test_events_removed_at_the_start_without_retention_break_the_chain(app, runner):
    old = old_events(app, 3, years=6)
    with app.app_context():
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == old[0]))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event {old[1]}" in result.output


def test_postgresql_refuses_to_delete_an_event_younger_than_a_year(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's; the SQLite suite runs the rule alone")
        (young,) = old_events(app, 1, years=0.5)
        (old,) = old_events(app, 1, years=0)  # chained after it, so the chain stays whole
        with pytest.raises(sa.exc.DBAPIError, match="at least a year"):
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == young))
        db.session.rollback()
        assert young in event_ids(app) and old in event_ids(app)
