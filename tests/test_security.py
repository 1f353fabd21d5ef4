"""Security of every request and answer (medsamtale/security.py): the headers on every
route, the real client address behind a proxy, ids out of range, huge versions, control
characters in what is sent, and redirect targets that only stay on this site."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from medsamtale import create_app, security
from medsamtale.extensions import db
from medsamtale.models import (
    Action,
    AgendaItem,
    Conversation,
    MinutesPoint,
    Pick,
    Question,
    QuestionSet,
    Theme,
)
from medsamtale.models.conversations import HELD
from medsamtale.security import INT_MAX, safe_next
from medsamtale.timeutil import oslo_today
from tests.fixtures.app import EMAILS, PASSWORD, logged_in
from tests.helpers import HX, say_ready, snapshot, wait_for_htmx

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": security.PERMISSIONS_POLICY,
}
WHO = ("lars", "anne", "hr")  # a leader, an employee, the HR admin
FAKE_ID = INT_MAX  # a valid id that no row has


def assert_secure_headers(response, where):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (where, name, response.headers)
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'", where
    assert directives["script-src"] == "'self'", where  # tests serve htmx from the app
    assert directives["style-src"] == "'self'", where
    assert directives["frame-ancestors"] == "'none'", where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where


def page_rules(app):
    """Every route but static files, with the methods it takes."""
    return [(rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
            for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def url_of(rule, values: dict) -> str:
    """`rule`'s address: a value of `values` for each id, the first choice of each `any`."""
    args = {}
    for name, converter in rule._converters.items():
        if hasattr(converter, "items"):
            args[name] = sorted(converter.items)[0]
        elif isinstance(converter, security.IdConverter):
            args[name] = values.get(name, FAKE_ID)
        else:
            args[name] = "not-a-token"
    _, path = rule.build({**(rule.defaults or {}), **args}, append_unknown=False)
    return path


def get(client, path, **kwargs):
    """GET `path`; an event stream is not read, only its status and headers."""
    response = client.get(path, buffered=False, **kwargs)
    response.close()
    return response


@pytest.fixture
def world(app, people, make_conversation):
    """Real ids of each kind: Anne's conversation with Lars, held (agenda, minutes, an
    action), and Dag's sent one with Lena, with a pick."""
    from medsamtale import flow
    from medsamtale.agenda import editing, meeting

    held, dag = make_conversation(people["anne"]), make_conversation(people["dag"])
    say_ready(app, held)
    with app.app_context():
        question = db.session.scalar(sa.select(Question).order_by(Question.id))
        db.session.add(Pick(conversation_id=dag, question_id=question.id, position=0))
        conversation = db.session.get(Conversation, held)
        meeting.start(conversation)
        db.session.flush()
        editing.add_item(conversation, "Arbeidsmiljø")
        for item in editing.live_items(conversation):
            item.discussed = True
        flow.end_meeting(conversation, set())
        db.session.add(Action(conversation_id=held, position=0, what="Kurs",
                              responsible="employee", deadline=oslo_today()))
        db.session.commit()

        def first(model, *where):
            return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id))

        return {
            "conversation_id": held,
            "item_id": first(AgendaItem, AgendaItem.conversation_id == held),
            "point_id": first(MinutesPoint),
            "action_id": first(Action),
            "pick_id": first(Pick),
            "user_id": people["anne"],
            "employee_id": people["anne"],
            "set_id": first(QuestionSet),
            "theme_id": first(Theme),
            "question_id": question.id,
            "number": 1,
            "dag": dag,
        }


# Headers --------------------------------------------------------------------------------


def test_every_route_answers_with_the_security_headers_and_no_store(app, as_, world, client):
    clients = {"nobody": client, **{who: as_(who) for who in WHO}}
    for rule, methods in page_rules(app):
        for values in ({}, world):
            path = url_of(rule, values)
            for who, each in clients.items():
                for method in methods:
                    response = get(each, path) if method == "GET" else each.open(
                        path, method=method)
                    where = (who, method, path, response.status_code)
                    assert_secure_headers(response, where)
                    assert response.headers.get("Cache-Control") == "no-store", where
                    assert "Strict-Transport-Security" not in response.headers, where


def test_static_files_keep_their_caching_and_carry_the_headers(client):
    with client.get("/static/js/app.js") as response:
        assert response.status_code == 200
        assert_secure_headers(response, "static")
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_htmx_on_the_cdn_is_the_one_outside_script_allowed(app_config, app):
    cdn = "https://cdn.jsdelivr.net/npm/htmx.org@4.0.1/dist/htmx.min.js"
    side = create_app({**app_config, "HTMX_CDN_URL": cdn})
    policy = side.test_client().get("/login").headers["Content-Security-Policy"]
    assert f"script-src 'self' {cdn};" in policy
    with side.app_context():
        db.engine.dispose()


def test_hsts_only_when_the_session_cookie_is_secure(app_config, app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    side = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    response = side.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == security.HSTS
    with side.app_context():
        db.engine.dispose()


def test_pages_have_no_inline_script_or_style(as_, world):
    """The policy blocks inline scripts, handlers and style attributes: pages have none."""
    pages = ["/", f"/agenda/{world['conversation_id']}",
             f"/minutes/{world['conversation_id']}", f"/prepare/{world['dag']}"]
    for who, path in [("anne", pages[0]), ("anne", pages[1]), ("anne", pages[2]),
                      ("lena", pages[3]), ("lars", pages[0])]:
        html = as_(who).get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html, (who, path)
        assert " onclick=" not in html and "hx-on" not in html, (who, path)


# Behind a proxy -------------------------------------------------------------------------


def side_app(app_config, **settings):
    return create_app({**app_config, "LOGIN_LIMIT_PER_ADDRESS": "2 per 15 minutes",
                       **settings})


def failed_login(client, forwarded_for):
    return client.post("/login", data={"email": EMAILS["anne"], "password": "wrong"},
                       headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"})


def test_behind_a_trusted_proxy_the_login_limit_counts_each_real_address(app_config, app,
                                                                        people):
    proxied = side_app(app_config, TRUSTED_PROXIES=1)
    client = proxied.test_client()
    assert [failed_login(client, "203.0.113.5").status_code for _ in range(2)] == [422, 422]
    assert failed_login(client, "203.0.113.5").status_code == 429
    # Another person behind the same proxy is not throttled for the first one's attempts.
    assert failed_login(client, "203.0.113.6").status_code == 422
    with proxied.app_context():
        db.engine.dispose()


def test_without_trusted_proxies_the_forwarded_address_is_ignored(app_config, app, people):
    plain = side_app(app_config)
    client = plain.test_client()
    assert [failed_login(client, f"203.0.113.{n}").status_code for n in (1, 2)] == [422, 422]
    # Claiming yet another address does not escape the limit: the connection's counts.
    assert failed_login(client, "203.0.113.3").status_code == 429
    with plain.app_context():
        db.engine.dispose()


# Ids, positions and versions out of range -------------------------------------------------


def test_every_number_in_a_route_is_an_id(app):
    """Routes take ids through the `id` converter, which knows the columns' range."""
    from werkzeug.routing.converters import NumberConverter

    plain = [rule.rule for rule, _methods in page_rules(app)
             if any(isinstance(c, NumberConverter) for c in rule._converters.values())]
    assert plain == []


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_id_beyond_the_columns_range_is_404_on_every_route(app, as_, world, number):
    for rule, methods in page_rules(app):
        ids = [name for name, c in rule._converters.items()
               if isinstance(c, security.IdConverter)]
        for name in ids:
            path = url_of(rule, world)
            real = str(world.get(name, FAKE_ID))
            parts = path.split("/")
            parts[parts.index(real)] = str(number)
            huge = "/".join(parts)
            for method in methods:
                response = as_("lars").open(huge, method=method)
                assert response.status_code == 404, (method, huge, response.status_code)


def test_id_zero_and_leading_signs_are_404(as_, world):
    assert as_("anne").get("/agenda/0").status_code == 404
    assert as_("anne").get("/agenda/-1").status_code == 404
    assert as_("anne").get(f"/agenda/{world['conversation_id']}").status_code == 200


@pytest.fixture
def meeting(app, people, make_conversation):
    """Anne's conversation with Lars, its meeting under way: (id, [item ids])."""
    from medsamtale.agenda import editing
    from medsamtale.agenda import meeting as meetings

    conversation_id = make_conversation(people["anne"])
    say_ready(app, conversation_id)
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        meetings.start(conversation)
        db.session.flush()
        editing.add_item(conversation, "Arbeidsmiljø")
        editing.add_item(conversation, "Kurs")
        db.session.commit()
        return conversation_id, [i.id for i in editing.live_items(conversation)]


HUGE = [str(2**31), str(2**63), "9" * 30, "9" * 5000, "-" + "9" * 30, "²"]


def test_a_huge_since_is_treated_as_none_and_answers_the_whole_list(as_, meeting, rendered):
    conversation_id, _items = meeting
    for since in HUGE:
        response = as_("anne").get(f"/agenda/{conversation_id}/poll",
                                   query_string={"since": since, "latest": since}, headers=HX)
        assert response.status_code == 200, since
        assert rendered.blocks == [("agenda/agenda.html", "changes")], since


def test_huge_versions_positions_and_ids_in_agenda_forms_change_nothing(app, as_, meeting):
    conversation_id, items = meeting
    anne = as_("anne")
    before = snapshot(app, AgendaItem)
    for huge in HUGE:
        saves = [
            (f"items/{items[0]}/text", {"field": "text", "value": "Ny tekst", "version": huge}),
            (f"items/{items[0]}/move", {"step": huge}),
            ("order", {"item": [huge, *map(str, items)]}),
        ]
        for path, data in saves:
            response = anne.post(f"/agenda/{conversation_id}/{path}", data=data, headers=HX)
            assert 400 <= response.status_code < 500, (path, data, response.status_code)
    assert snapshot(app, AgendaItem) == before


def test_huge_carried_over_ids_end_the_meeting_carrying_nothing(app, as_, meeting):
    conversation_id, items = meeting
    response = as_("lars").post(f"/agenda/{conversation_id}/end",
                                data={"carry": [str(2**63), "9" * 5000, "²"]})
    assert response.status_code == 302
    with app.app_context():
        carried = db.session.scalars(sa.select(AgendaItem.id).where(
            AgendaItem.conversation_id == conversation_id, AgendaItem.carry_over)).all()
        assert db.session.get(Conversation, conversation_id).state == HELD
    assert carried == []


def test_a_huge_question_or_step_in_the_preparation_changes_nothing(app, as_, people,
                                                                   make_conversation):
    conversation_id = make_conversation(people["anne"])
    anne = as_("anne")
    for huge in HUGE:
        response = anne.post(f"/prepare/{conversation_id}/picks",
                             data={"question_id": huge}, headers=HX)
        assert 400 <= response.status_code < 500, (huge, response.status_code)
    assert snapshot(app, Pick) == []


def test_plan_with_a_huge_employee_opens_the_empty_form(as_, people):
    for huge in HUGE:
        response = as_("lars").get("/conversations/plan", query_string={"employee": huge})
        assert response.status_code == 200, huge


# Control characters -----------------------------------------------------------------------


def control_message(app, locale="nb") -> str:
    with app.test_request_context(), force_locale(locale):
        return str(security.CONTROL_TEXTS[1])


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\x1b[31m", "\x08", "\x7f", "\x85"])
def test_control_characters_in_a_form_field_are_refused_and_nothing_changes(app, as_, meeting,
                                                                          bad):
    conversation_id, _items = meeting
    before = snapshot(app, AgendaItem)
    response = as_("anne").post(f"/agenda/{conversation_id}/items",
                                data={"text": f"Lønn {bad} og sånt"})
    assert response.status_code == 422
    assert control_message(app) in response.get_data(as_text=True)
    assert snapshot(app, AgendaItem) == before
    # With htmx, the reason goes to the page's alert region; what was typed stays.
    response = as_("anne").post(f"/agenda/{conversation_id}/items",
                                data={"text": f"Lønn {bad}"}, headers=HX)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#page-error"
    assert control_message(app) in response.get_data(as_text=True)
    assert snapshot(app, AgendaItem) == before


def test_tab_and_line_breaks_in_a_text_are_kept(app, as_, meeting):
    conversation_id, items = meeting
    response = as_("anne").post(
        f"/agenda/{conversation_id}/items/{items[0]}/text",
        data={"field": "employee_note", "value": "Første linje\r\n\tandre linje", "version": "1"},
        headers=HX)
    assert response.status_code == 204
    with app.app_context():
        note = db.session.get(AgendaItem, items[0]).employee_note
    assert note == "Første linje\n\tandre linje" or note == "Første linje\r\n\tandre linje"


def test_control_characters_in_the_query_string_or_a_field_name_are_refused(app, as_, people,
                                                                           make_conversation):
    conversation_id = make_conversation(people["anne"])
    anne = as_("anne")
    for query in ({"q": "ledelse\x00"}, {"q": "linje\nto"}, {"q\x00": "x"}):
        response = anne.get(f"/prepare/{conversation_id}", query_string=query)
        assert response.status_code == 422, query
        assert control_message(app) in response.get_data(as_text=True)
    response = anne.post(f"/prepare/{conversation_id}/topics", data={"topics\x00": "x"})
    assert response.status_code == 422


def test_a_nul_in_the_login_form_is_refused_in_the_visitors_language(app, client, people):
    client.post("/language", data={"locale": "en"})
    response = client.post("/login", data={"email": "anne@example.no\x00", "password": "x"})
    assert response.status_code == 422
    assert control_message(app, "en") in response.get_data(as_text=True)


def test_a_nul_in_a_path_token_is_404(client):
    assert client.get("/password/set/abc%00def").status_code == 404


# Redirect targets -----------------------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https://evil.example", "http:evil.example", "javascript:alert(1)",
    "/%0d%0aLocation:%20https://evil.example", "/\r\nLocation: https://evil.example",
    "/\nx", "\x00", "/\x00", " //evil.example", "///evil.example", "/%2F%2Fevil.example",
    "/%5Cevil.example", "evil.example", "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example", "", None,
]
SAFE = ["/", "/agenda/5", "/admin/users/3?tab=x", "/minutes/1#point-2", "/prepare/2?q=l%C3%B8nn"]


def test_safe_next_lets_only_paths_on_this_site_through(app):
    with app.test_request_context():
        for target in OPEN_REDIRECTS:
            assert safe_next(target) == "/", repr(target)
        for target in SAFE:
            assert safe_next(target) == target
        assert safe_next("//evil.example", "/login") == "/login"


def test_login_and_the_language_switch_never_send_anyone_off_site(app, people):
    for target in OPEN_REDIRECTS:
        client = app.test_client()
        response = client.post("/language", data={"locale": "en", "next": target or ""})
        if response.status_code != 422:  # a NUL is refused before anything
            assert (response.status_code, response.location) == (302, "/"), repr(target)
        response = client.post("/login", query_string={"next": target or ""},
                               data={"email": EMAILS["anne"], "password": PASSWORD})
        if response.status_code != 422:
            assert (response.status_code, response.location) == (302, "/"), repr(target)
    client = logged_in(app.test_client(), EMAILS["anne"])
    response = client.post("/language", data={"locale": "nb", "next": "/minutes/archive"})
    assert response.location == "/minutes/archive"


# Never a 500 ----------------------------------------------------------------------------


def test_a_plain_get_of_every_route_never_answers_500(app, as_, world, client):
    clients = {"nobody": client, **{who: as_(who) for who in (*WHO, "lena")}}
    for rule, methods in page_rules(app):
        if "GET" not in methods:
            continue
        for values in ({}, world, {**world, "conversation_id": world["dag"]}):
            path = url_of(rule, values)
            for who, each in clients.items():
                for headers in ({}, HX):
                    response = get(each, path, headers=headers)
                    assert response.status_code < 500, (who, path, headers,
                                                        response.status_code)


# In a real browser ----------------------------------------------------------------------


def csp_violations(page) -> list[str]:
    """Chromium reports each thing the policy blocked in the console: collect them."""
    reported = []
    page.on("console", lambda message: reported.append(message.text)
            if "Content Security Policy" in message.text else None)
    return reported


@pytest.mark.e2e
def test_the_main_pages_work_under_the_policy_without_a_violation(app, contexts, live_server,
                                                                  people, world,
                                                                  make_conversation):
    from medsamtale.agenda import meeting
    from tests.fixtures.browser import log_in

    live = make_conversation(people["bjorn"])
    say_ready(app, live)
    with app.app_context():
        meeting.start(db.session.get(Conversation, live))
        db.session.commit()
    violations = []

    def person(who):
        page = contexts()
        violations.extend(csp_violations(page))
        page.goto(live_server + "/login")
        log_in(page, live_server, EMAILS[who])
        wait_for_htmx(page)
        return page

    anne = person("anne")  # home, then her held conversation's minutes and agenda
    for path in (f"/minutes/{world['conversation_id']}", f"/agenda/{world['conversation_id']}",
                 "/minutes/archive"):
        anne.goto(live_server + path)
        wait_for_htmx(anne)
    dag = person("dag")  # the picker: its search asks the server through htmx
    dag.goto(f"{live_server}/prepare/{world['dag']}")
    with dag.expect_response(lambda r: "/prepare/" in r.url and "q=" in r.url) as searched:
        dag.locator("#filter-q").fill("ledelse")
    assert searched.value.status == 200
    bjorn = person("bjorn")  # the live agenda polls through htmx
    with bjorn.expect_response(lambda r: "/poll" in r.url) as polled:
        bjorn.goto(f"{live_server}/agenda/{live}")
    assert polled.value.status in (200, 204)
    assert violations == []


class TestTheCdnFallbackUnderThePolicy:
    """A CDN that cannot be reached: the fallback (a file, not inline) loads the vendored
    htmx, and the policy, which allows the CDN's one file, blocks nothing."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "HTMX_CDN_URL": "http://127.0.0.1:9/htmx.org@4.0.1/htmx.min.js"}

    @pytest.mark.e2e
    def test_the_vendored_htmx_is_loaded_without_a_violation(self, page, live_server):
        violations = csp_violations(page)
        with page.expect_request("**/static/vendor/htmx-4.0.1.min.js"):
            page.goto(live_server + "/login")
        wait_for_htmx(page)
        assert violations == []
