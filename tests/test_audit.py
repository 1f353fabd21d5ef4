"""The audit log: a chain of hashes `flask audit verify` checks (and finds broken when a
row is edited or removed), one writer of the chain at a time even under concurrent
requests, the events a person's and HR's actions leave, each read of a conversation's
content, the HR admin's view (no reads), the employee's view (reads of their own
conversations only), and the JSON lines for the organisation's log system.

Assertions are on data and structure (ids, data attributes, status codes), not on
translated wording."""

import io
import json
import re
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import AuditEvent

from .fixtures.app import EMAILS, PASSWORD, logged_in
from .fixtures.domain import agree_actions

HX = {"HX-Request": "true"}
IMPORT_HEADER = "name,email,leader_email,role\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    """Every test here also writes the JSON lines to a file."""
    return {**app_config, "AUDIT_LOG_FILE": str(tmp_path / "audit.jsonl")}


def events(app, action=None) -> list[dict]:
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [{"id": e.id, "action": e.action, "actor": e.actor_id,
                 "subject": e.subject_user_id, "conversation": e.conversation_id,
                 "address": e.address, "detail": e.detail, "at": e.at}
                for e in db.session.scalars(query)]


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def raw_sql(app, statement, **params):
    """Run SQL beside the app, as someone with the database's owner rights would (on
    PostgreSQL with the append-only trigger switched off for that connection)."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(statement), params)


def log_ins(app, client, count=3):
    for _ in range(count):
        logged_in(client, EMAILS["anne"])
        client.post("/logout")


# The chain ----------------------------------------------------------------------------------


def test_verify_passes_on_a_whole_chain(app, people, client, runner):
    log_ins(app, client)
    recorded = events(app)
    assert [e["action"] for e in recorded] == ["login", "logout"] * 3
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert f"OK: {len(recorded)} events" in result.output


def test_verify_names_an_edited_row(app, people, client, runner):
    log_ins(app, client)
    edited = events(app)[2]["id"]
    raw_sql(app, "UPDATE audit_event SET detail = :detail WHERE id = :id",
            detail=json.dumps({"page": "somewhere else"}), id=edited)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at event {edited}:" in result.output


def test_verify_finds_a_removed_row(app, people, client, runner):
    log_ins(app, client)
    recorded = events(app)
    raw_sql(app, "DELETE FROM audit_event WHERE id = :id", id=recorded[2]["id"])
    result = verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at event {recorded[3]['id']}:" in result.output


def test_verify_finds_a_rewritten_chain_link(app, people, client, runner):
    """Editing a row and giving it a new, correct-looking hash still breaks the link of
    the next row."""
    log_ins(app, client)
    recorded = events(app)
    raw_sql(app, "UPDATE audit_event SET hash = :hash WHERE id = :id",
            hash="f" * 64, id=recorded[1]["id"])
    result = verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at event {recorded[1]['id']}:" in result.output


def test_the_apps_connection_cannot_change_or_remove_events(app, people, client):
    log_ins(app, client, 1)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the append-only trigger is PostgreSQL's")
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event"):
            # a DELETE, row by row: no event younger than a year (retention cuts older ones)
            with pytest.raises(sa.exc.DBAPIError, match="append-only|at least a year"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
    assert len(events(app)) == 2


def test_concurrent_requests_keep_one_chain(app, people, held, as_, live_server, runner):
    """Log-ins, failed log-ins and reads of conversations from many threads at once over
    real HTTP, each often the first write of its transaction: every event is chained to
    the one before it, and `flask audit verify` passes."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    app.extensions["audit_reads"].seconds = 0  # every read is recorded here
    address = urlsplit(live_server)
    cookies = {who: as_(who).get_cookie("session").value for who in ("anne", "lars")}
    pages = {"anne": f"/minutes/{held}", "lars": f"/agenda/{held}"}
    before = len(events(app))

    def request(method, path, body=None, cookie=None):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        try:
            connection.request(method, path, body=body, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    def work(n):
        who = ("anne", "lars")[n % 2]
        if n % 3 == 0:
            return request("POST", "/login", urlencode(
                {"email": f"nobody{n}@example.no", "password": "wrong"}))
        if n % 3 == 1:
            return request("GET", pages[who], cookie=cookies[who])
        return request("POST", "/login", urlencode({"email": EMAILS[who],
                                                    "password": PASSWORD}))

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(work, range(48)))
    assert statuses.count(200) == 16 and statuses.count(302) == 16, statuses
    recorded = events(app)[before:]
    assert sorted(e["action"] for e in recorded) == sorted(
        ["conversation_read"] * 16 + ["login"] * 16 + ["login_failed"] * 16)
    result = verify(runner)
    assert result.exit_code == 0, result.output


# What is recorded ---------------------------------------------------------------------------


def test_log_ins_failures_and_log_outs_are_recorded(app, people, client):
    client.post("/login", data={"email": EMAILS["anne"], "password": "wrong"},
                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    client.post("/login", data={"email": "nobody@example.no", "password": "wrong"})
    logged_in(client, EMAILS["anne"])
    client.post("/logout")
    failed_known, failed_unknown, login, logout = events(app)
    assert failed_known["action"] == failed_unknown["action"] == "login_failed"
    assert (failed_known["subject"], failed_known["address"]) == (people["anne"], "10.1.2.3")
    assert failed_unknown["subject"] is None
    assert failed_unknown["detail"].get("email") == "nobody@example.no"
    assert (login["action"], login["actor"], login["subject"]) == (
        "login", people["anne"], people["anne"])
    assert (logout["action"], logout["actor"]) == ("logout", people["anne"])
    assert all("wrong" not in json.dumps(e["detail"]) for e in events(app))


def test_an_hr_action_records_what_changed_but_not_the_content(app, people, as_):
    hr = as_("hr")
    assert hr.post(f"/admin/users/{people['bjorn']}/deactivate").status_code == 302
    (change,) = events(app, "hr_change")
    assert (change["actor"], change["subject"]) == (people["hr"], people["bjorn"])
    assert change["detail"]["page"] == "admin.deactivate_user"
    (user_change,) = [c for c in change["detail"]["changed"] if c["table"] == "users"]
    # One entry for the row, though two flushes changed it; the end date named, not shown.
    assert user_change == {"table": "users", "id": people["bjorn"],
                           "fields": ["active", "employment_ended_on"],
                           "values": {"active": False}}


def test_an_hr_edit_names_changed_fields_without_their_values(app, people, as_):
    hr = as_("hr")
    assert hr.post("/admin/organisation", data={"name": "Fjordvik"}).status_code == 302
    assert hr.post("/admin/organisation", data={"name": "Hemmelig AS"}).status_code == 302
    created, renamed = events(app, "hr_change")
    assert created["detail"]["page"] == renamed["detail"]["page"] == "admin.organisation"
    (organisation,) = created["detail"]["new"]["organisation"]
    assert renamed["detail"]["changed"] == [
        {"table": "organisation", "id": organisation, "fields": ["name"]}]
    assert "Hemmelig" not in json.dumps(renamed["detail"])


def test_a_form_that_fails_or_a_preview_records_nothing(app, people, as_):
    hr = as_("hr")
    assert hr.post("/admin/organisation", data={"name": ""}).status_code == 422
    rows = "".join(f"Ny Person {n},ny{n}@example.no,lars@example.no,employee\n"
                   for n in range(12))
    preview = hr.post("/admin/import", data={
        "file": (io.BytesIO((IMPORT_HEADER + rows).encode()), "people.csv")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    assert events(app, "hr_change") == []


def test_an_import_is_recorded_as_counts(app, people, as_):
    hr = as_("hr")
    rows = "".join(f"Ny Person {n},ny{n}@example.no,lars@example.no,employee\n"
                   for n in range(12))
    assert hr.post("/admin/import/confirm",
                   data={"csv_text": IMPORT_HEADER + rows}).status_code == 302
    (change,) = events(app, "hr_change")
    assert change["detail"]["page"] == "admin.confirm_import"
    assert change["detail"]["new"]["users"] == 12  # counted, not listed
    assert "Ny Person" not in json.dumps(change["detail"])
    assert "ny0@example.no" not in json.dumps(change["detail"])


def test_a_question_bank_change_is_recorded(app, people, as_, question_bank):
    from medsamtale.models import Theme

    with app.app_context():
        theme_id = db.session.scalar(sa.select(Theme.id).order_by(Theme.id).limit(1))
    hr = as_("hr")
    response = hr.post(f"/admin/questions/themes/{theme_id}/retire")
    assert response.status_code == 302
    (change,) = events(app, "hr_change")
    assert change["detail"]["page"] == "questionbank.set_retired"
    assert change["detail"]["args"] == {"kind": "themes", "item_id": theme_id,
                                        "action": "retire"}
    assert change["detail"]["changed"] == [
        {"table": "theme", "id": theme_id, "fields": ["retired_at"]}]


def test_reads_of_a_conversation_are_recorded_once_in_ten_minutes(app, people, held, as_):
    lars, anne = as_("lars"), as_("anne")
    before = len(events(app, "conversation_read"))
    assert lars.get(f"/agenda/{held}").status_code == 200
    assert lars.get(f"/agenda/{held}").status_code == 200  # again: the same read
    assert lars.get(f"/agenda/{held}/poll?since=0", headers=HX).status_code in (200, 204)
    assert anne.get(f"/minutes/{held}").status_code == 200
    reads = events(app, "conversation_read")[before:]
    assert [(r["actor"], r["conversation"], r["detail"]["page"]) for r in reads] == [
        (people["lars"], held, "agenda.show"), (people["anne"], held, "minutes.show")]
    assert all(set(r["detail"]) == {"page"} for r in reads)  # names the page, no content


def test_the_home_pages_actions_are_recorded_as_reads(app, people, held, as_):
    """The home page shows the text of the actions each party follows up: a read of each
    conversation they come from, for the parties; nothing for someone who sees none."""
    agree_actions(app, held, ("Ta kurs i Excel", 30))
    before = len(events(app, "conversation_read"))
    for who in ("lars", "bjorn"):
        page = as_(who).get("/").get_data(as_text=True)
        assert ("Ta kurs i Excel" in page) == (who == "lars")
    as_("lars").get("/")  # again within ten minutes: no new event
    reads = events(app, "conversation_read")[before:]
    assert [(r["actor"], r["conversation"], r["detail"]["page"]) for r in reads] == [
        (people["lars"], held, "main.home")]


def test_a_refused_read_is_not_recorded(app, people, held, as_):
    before = len(events(app, "conversation_read"))
    assert as_("bjorn").get(f"/agenda/{held}").status_code in (403, 404)
    assert len(events(app, "conversation_read")) == before


# Who sees the log ---------------------------------------------------------------------------


def rows_of(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def test_hr_sees_hr_actions_and_failed_log_ins_but_no_reads(app, people, held, as_, client):
    client.post("/login", data={"email": EMAILS["dag"], "password": "wrong"})
    as_("lars").get(f"/agenda/{held}")
    as_("bjorn")  # logs in
    hr = as_("hr")
    hr.post(f"/admin/users/{people['bjorn']}/deactivate")
    response = hr.get("/admin/audit/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    actions = rows_of(html)
    assert {"hr_change", "login_failed", "login"} <= set(actions)
    assert "conversation_read" not in actions
    assert "Vil lære mer om prosjektledelse" not in html  # no conversation content
    # Filtered by kind and by person.
    failed = rows_of(hr.get("/admin/audit/?action=login_failed").get_data(as_text=True))
    assert failed == ["login_failed"]
    of_bjorn = hr.get(f"/admin/audit/?person={people['bjorn']}").get_data(as_text=True)
    assert set(rows_of(of_bjorn)) == {"login", "hr_change"}  # his log-in, his deactivation
    assert "conversation_read" not in rows_of(
        hr.get("/admin/audit/?action=conversation_read").get_data(as_text=True))


def test_hr_sees_how_many_reads_each_month_but_not_who_read_what(app, people, held, as_):
    from medsamtale.timeutil import utcnow

    before = len(events(app, "conversation_read"))
    as_("lars").get(f"/agenda/{held}")
    as_("anne").get(f"/minutes/{held}")
    as_("anne").get(f"/minutes/{held}")  # within ten minutes: the same read
    assert len(events(app, "conversation_read")) == before + 2
    html = as_("hr").get("/admin/audit/").get_data(as_text=True)
    section = html[html.index('id="reads-per-month"'):]
    section = section[:section.index("</section>")]
    assert "Lesinger av samtaler per måned" in section
    month = f"{utcnow():%Y-%m}"
    assert re.search(rf'<tr data-month="{month}"><td>{month}</td><td>{before + 2}</td></tr>',
                     section), section
    for name in ("Lars Lie", "Anne Aas", "Lena Larsen"):
        assert name not in section
    assert "Vil lære mer om prosjektledelse" not in html


def test_only_hr_sees_the_log(people, as_):
    assert as_("lars").get("/admin/audit/").status_code == 403


def test_the_log_is_paged(app, people, as_, client):
    with app.app_context():
        from medsamtale import audit

        for n in range(60):
            audit.record("login_failed", actor=None, email=f"x{n}@example.no")
    hr = as_("hr")
    first = hr.get("/admin/audit/").get_data(as_text=True)
    assert len(rows_of(first)) == 50
    older = re.search(r'id="audit-older" href="([^"]+)"', first).group(1)
    second = hr.get(older.replace("&amp;", "&")).get_data(as_text=True)
    shown = [set(re.findall(r"audit-event-(\d+)", html)) for html in (first, second)]
    assert len(shown[1]) == 11 and not shown[0] & shown[1]  # 60 failures and HR's log-in


def reads_on(html: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(
        r'class="read" data-reader="(\d+)" data-conversation="(\d+)"', html)]


def test_the_employee_sees_who_read_their_conversations(app, people, held, as_,
                                                        held_conversation):
    other = held_conversation(people["dag"])  # Dag's conversation with Lena
    assert as_("lars").get(f"/agenda/{held}").status_code == 200
    assert as_("lena").get(f"/agenda/{other}").status_code == 200
    page = as_("anne").get("/account/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert reads_on(html) == [(people["lars"], held)]
    read = events(app, "conversation_read")[-2]
    with app.test_request_context():
        shown = app.jinja_env.filters["datetime"](read["at"])
    assert shown in html  # when, on the Oslo clock, as the app writes times
    # Bjørn, another of Lars's people, sees none of it; Dag sees only Lena's read of his.
    assert reads_on(as_("bjorn").get("/account/").get_data(as_text=True)) == []
    assert reads_on(as_("dag").get("/account/").get_data(as_text=True)) == [
        (people["lena"], other)]
    # The leader's own page lists no reads of conversations they lead.
    assert reads_on(as_("lars").get("/account/").get_data(as_text=True)) == []


def test_the_layout_links_to_the_own_page(people, as_):
    html = as_("anne").get("/").get_data(as_text=True)
    assert 'href="/account/"' in html.split("<main")[0]  # in the header's account menu


# The JSON lines -------------------------------------------------------------------------------


def test_committed_events_go_to_the_file_as_json_lines(app, people, client, tmp_path):
    client.post("/login", data={"email": EMAILS["anne"], "password": "wrong"})
    logged_in(client, EMAILS["anne"])
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    stored = events(app)
    assert [(p["id"], p["action"]) for p in parsed] == [(e["id"], e["action"]) for e in stored]
    assert parsed[1]["subject_user_id"] == people["anne"]
    assert parsed[1]["previous_hash"] == parsed[0]["hash"]


def test_an_event_rolled_back_is_not_written(app, people, tmp_path):
    from medsamtale import audit

    with app.test_request_context():
        audit.record("login", actor=people["anne"], subject=people["anne"])
        db.session.rollback()
        audit.record("logout", actor=people["anne"], subject=people["anne"])
        db.session.commit()
    parsed = [json.loads(line) for line in
              (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [p["action"] for p in parsed] == ["logout"]
    assert [e["action"] for e in events(app)] == ["logout"]


class Syslog(socketserver.BaseRequestHandler):
    received: list[bytes] = []

    def handle(self):
        self.received.append(self.request[0])


def test_events_go_to_syslog(app, people, client):
    server = socketserver.UDPServer(("127.0.0.1", 0), Syslog)
    Syslog.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config["AUDIT_SYSLOG"] = f"127.0.0.1:{server.server_address[1]}"
        logged_in(client, EMAILS["anne"])
        for _ in range(50):
            if Syslog.received:
                break
            threading.Event().wait(0.05)
    finally:
        server.shutdown()
        server.server_close()
        handler = app.extensions.pop("audit_syslog", None)
        if handler:
            handler.close()
    (message,) = Syslog.received
    text = message.decode()
    assert text.startswith("<")  # a syslog priority
    line = json.loads(text.split("medsamtale-audit: ", 1)[1].rstrip("\x00"))
    assert (line["action"], line["subject_user_id"]) == ("login", people["anne"])
