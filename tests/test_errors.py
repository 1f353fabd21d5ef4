"""Every error is the app's own page: in Norwegian, in the base layout, saying what to do; an
htmx request gets a small error block for the page's alert region instead. No Werkzeug
default page reaches a person, whatever they request."""

import re

import pytest
from flask import abort
from werkzeug.routing.converters import AnyConverter

from medsamtale.roles import public

from .helpers import HX, assert_template

WERKZEUG_PAGE = re.compile(r"<title>\d{3} [A-Z]", re.I)  # "<title>404 Not Found</title>"


def add_route(app, rule, view, methods=("GET",)):
    """A route of the test's own, open to everyone, added before the app's first request."""
    view.__name__ = f"test_{abs(hash(rule))}"
    app.add_url_rule(rule, view_func=public(view), methods=list(methods))


def assert_app_error_page(response, status):
    """The base layout in Norwegian (header and footer), a heading and a way home."""
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert '<html lang="nb">' in page and 'class="site-header"' in page
    assert "<h1>" in page and 'href="/"' in page
    assert not WERKZEUG_PAGE.search(page)
    return page


def assert_error_block(rendered, response, status):
    """For htmx: the message alone (_alert.html), for the page's alert region; no page."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert response.headers["HX-Retarget"] == "#page-error"
    assert body.startswith('<p class="errors form-errors">')
    assert_template(rendered, "_alert.html")
    return body


@pytest.fixture
def failing_app(app):
    """The app with routes that fail in the ways no ordinary page does."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, no traceback

    def boom():
        raise RuntimeError("a bug")

    add_route(app, "/test/boom", boom)
    add_route(app, "/test/conflict", lambda: abort(409))
    add_route(app, "/test/gone", lambda: abort(410))
    add_route(app, "/test/teapot", lambda: abort(418))
    return app


def test_not_found_forbidden_and_not_allowed_are_the_apps_own_pages(client, as_, people):
    assert_app_error_page(client.get("/no/such/page"), 404)
    lars_conversation_page = "/conversations/987654"
    assert_app_error_page(as_("anne").get(lars_conversation_page), 404)
    assert_app_error_page(as_("anne").get("/admin/"), 403)
    page = assert_app_error_page(as_("anne").get("/logout"), 405)
    assert "Det kan ikke gjøres her" in page


def test_a_bad_request_and_an_expired_form_are_the_apps_own_pages(app, client, hr_admin,
                                                                  question_bank):
    from medsamtale.extensions import db
    from medsamtale.models import Theme

    with app.app_context():
        theme_id = db.session.scalars(db.select(Theme.id)).first()
    page = assert_app_error_page(client.post(f"/admin/questions/themes/{theme_id}/move",
                                             data={"direction": "sideways"}), 400)
    assert "Noe var galt med forespørselen" in page
    app.config["WTF_CSRF_ENABLED"] = True
    page = assert_app_error_page(client.post("/admin/organisation", data={"name": "X"}), 400)
    assert "Skjemaet er utløpt" in page


def test_a_bug_is_a_calm_500_page_without_a_traceback(failing_app, rendered):
    client = failing_app.test_client()
    page = assert_app_error_page(client.get("/test/boom"), 500)
    assert "Noe gikk galt" in page
    assert "RuntimeError" not in page and "Traceback" not in page
    assert_error_block(rendered, client.get("/test/boom", headers=HX), 500)


def test_conflict_gone_and_unusual_codes_are_the_apps_own_pages(failing_app):
    client = failing_app.test_client()
    assert "Ingenting ble endret" in assert_app_error_page(client.get("/test/conflict"), 409)
    assert "Ikke lenger tilgjengelig" in assert_app_error_page(client.get("/test/gone"), 410)
    # A code without a text of its own gets the general one for its family.
    assert "Noe var galt med forespørselen" in assert_app_error_page(
        client.get("/test/teapot"), 418)


def test_a_too_large_request_is_the_apps_own_page(app, client):
    body = {"email": "x@example.no", "password": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    assert "For stort" in assert_app_error_page(client.post("/login", data=body), 413)


def test_too_many_attempts_is_the_apps_own_page(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"
    for _attempt in range(2):
        response = client.post("/password/forgot", data={"email": "ukjent@example.no"})
    assert "For mange forsøk" in assert_app_error_page(response, 429)


def test_htmx_requests_get_the_error_as_a_block(client, as_, people, rendered):
    body = assert_error_block(rendered, as_("anne").get("/no/such/page", headers=HX), 404)
    assert "Siden finnes ikke" in body
    assert_error_block(rendered, as_("anne").get("/admin/", headers=HX), 403)
    assert_error_block(rendered, as_("anne").get("/logout", headers=HX), 405)


def arguments(rule, values):
    """The values of the rule's arguments: for a word the rule chooses among
    (<any(ready, reopen):step>), the first of its words; the others from `values`."""
    words = {name: sorted(converter.items)[0] for name, converter in rule._converters.items()
             if isinstance(converter, AnyConverter)}
    return {name: words[name] if name in words else values[name]
            for name in rule.arguments if name in values or name in words}


def test_no_route_answers_with_a_default_page_or_a_500(app, as_, people):
    """Every route, requested as every kind of person with ids that exist and ids that do
    not, and with or without htmx, answers with a page of the app's."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    values = {"conversation_id": 1, "item_id": 1, "pick_id": 1, "point_id": 1,
              "action_id": 1, "number": 1, "employee_id": people["anne"],
              "user_id": people["anne"], "set_id": 1, "theme_id": 1, "question_id": 1,
              "item_kind": "themes", "kind": "themes", "action": "retire", "token": "x",
              "session_id": 1, "change_id": 1, "passkey_id": 1,
              "token_id": 1, "scim_id": "1", "rest": "Groups", "message_id": 1,
              "unit_id": 1, "leader_id": 1, "round_id": 1, "deputy_id": 1}
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for who in ("anne", "lars", "hr"):
        for rule in rules:
            for unknown in (False, True):
                url = rule.build({name: 987654 if unknown and isinstance(value, int) else value
                                  for name, value in arguments(rule, values).items()},
                                 append_unknown=False)[1]
                for headers in ({}, HX):
                    response = as_(who).get(url, headers=headers)
                    body = response.get_data().decode("utf-8", "replace")  # exports are binary
                    assert response.status_code < 500, (who, url, headers, body[:300])
                    assert not WERKZEUG_PAGE.search(body), (who, url, headers)
