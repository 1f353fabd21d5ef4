"""Accessibility, proven in the suite (issue 13, point 11, and the skip link of point 2).

Every page each role reaches (employee, leader, HR admin, and a person logged out) is opened
in a real Chromium at 390×844 and at 1280×800, and axe-core checks it against the WCAG 2.1
A and AA rules (tests/a11y.py); the colour contrast axe leaves for review is decided from
the computed styles. Each page is a test case of its own, so a failure names the page, the
rule and the nodes. At 390 px no page scrolls sideways.

The pages come from the app's url_map: every GET route is either a page in VISITS, with the
person who opens it and the state it needs (set up with the domain fixtures), or named in
NOT_PAGES with why it is no page. A new route that is neither is a failing case of its own,
so no new page is forgotten.

The module builds its world once: one app and one live server for all its cases, each
person logged in once in a browser context of their own, reused by every case."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from medsamtale import create_app
from medsamtale.extensions import db
from tests.a11y import axe_problems, overflow_problems, report
from tests.fixtures.app import PASSWORD, app_settings, made_app
from tests.fixtures.browser import log_in, new_context, serving
from tests.fixtures.domain import agree_actions
from tests.helpers import wait_for_htmx

pytestmark = pytest.mark.e2e

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
WIDTHS = {"390": PHONE, "1280": DESKTOP}


# One app, one server, one world for the whole module ---------------------------------------


@pytest.fixture(scope="module")
def app_config(migrated_database, smtp_server):
    """The app's test settings (tests/fixtures/app.py), with CSRF on as in production."""
    return app_settings(migrated_database, smtp_server.port, WTF_CSRF_ENABLED=True)


@pytest.fixture(scope="module")
def app(app_config):
    """The app for every case of this module; emptied at its end as the per-test app is."""
    with made_app(app_config) as app:
        yield app


@pytest.fixture(scope="module")
def live_server(app):
    """The app served over real HTTP, for the module."""
    with serving(app) as url:
        yield url


@dataclass
class World:
    """The ids of the people and conversations the pages are opened with."""

    people: dict
    conversations: dict
    tokens: dict
    ids: dict


WORLD: dict = {}  # built by the first case that needs it, kept for the module


def build_world(request) -> World:
    """Every state a page needs, made with the domain fixtures (tests/fixtures/domain.py):

    - Anne: a conversation held with approved minutes whose actions are followed up (the
      archive, versions, print, follow-up on the home page), and one in progress (the live
      agenda, the end of the meeting).
    - Bjørn: preparing, with picks, notes and topics (the picker with picks; the leader's
      preparation page while the employee is not ready; the agenda before the meeting).
    - Dag (Lena's): ready (the leader's preparation page with the picks).
    - Cecilie: minutes submitted, sent back and submitted again (the leader's decision,
      with what changed).
    - Gro: held, the minutes being written (the employee's editor).
    - Eva: planned, not sent; Frida: invited, another time proposed.
    - A change of Bjørn's leader waiting for a second HR admin (four eyes).
    """
    from medsamtale.admin import changes
    from medsamtale.auth import email_change
    from medsamtale.conversations import services as conversations
    from medsamtale.followup import services as followup
    from medsamtale.models import (
        Action,
        Conversation,
        Minutes,
        Organisation,
        PasswordToken,
        Question,
        QuestionSet,
        Theme,
        User,
    )
    from medsamtale.models.minutes import RETURNED
    from medsamtale.preparation import services as preparation
    from medsamtale.timeutil import utcnow

    app = request.getfixturevalue("app")
    people = dict(request.getfixturevalue("people"))
    make_user = request.getfixturevalue("make_user")
    make_conversation = request.getfixturevalue("make_conversation")
    held_conversation = request.getfixturevalue("held_conversation")
    lars = people["lars"]
    for key, name in (("cecilie", "Cecilie Dahl"), ("gro", "Gro Holm"), ("eva", "Eva Moe"),
                      ("frida", "Frida Nes")):
        people[key] = make_user(name, f"{key}@example.no", leader_id=lars)
    people["hedda"] = make_user("Hedda Hovland", "hedda@example.no", roles=("hr_admin",))
    people["nils"] = make_user("Nils Ny", "nils@example.no", leader_id=lars, password=False)

    done = held_conversation(people["anne"])
    first, _second = agree_actions(app, done, ("Ta kurs i prosjektledelse", 30),
                                   ("Finne en mentor", 90))
    live = make_conversation(people["anne"])
    preparing = make_conversation(people["bjorn"])
    ready = make_conversation(people["dag"])
    submitted = held_conversation(people["cecilie"])
    draft = held_conversation(people["gro"])
    planned = make_conversation(people["eva"], sent=False)
    proposed = make_conversation(people["frida"])

    with app.test_request_context():
        session = db.session
        questions = session.scalars(
            sa.select(Question).join(Theme).join(QuestionSet)
            .where(QuestionSet.key == "standard", Question.retired_at.is_(None))
            .order_by(Theme.position, Question.position).limit(4)).all()
        anne, bjorn = session.get(User, people["anne"]), session.get(User, people["bjorn"])
        followup.record_progress(session.get(Action, first), anne, "Godt i gang", False)
        for conversation_id, employee in ((preparing, bjorn),
                                          (ready, session.get(User, people["dag"])),
                                          (live, anne)):
            conversation = session.get(Conversation, conversation_id)
            for question in questions[:3]:
                pick = preparation.add_pick(conversation, question.id)
                session.flush()
                preparation.save_note(conversation, "employee", pick.id,
                                      f"Notatet til {employee.name}")
            preparation.save_topics(conversation, "employee", "Arbeidstid og hjemmekontor")
            if conversation_id != preparing:
                preparation.mark_employee_ready(conversation)
        from medsamtale.agenda import meeting

        meeting.start(session.get(Conversation, live))
        conversations.propose_time(session.get(Conversation, proposed),
                                   utcnow() + timedelta(days=22), "Jeg er på kurs den dagen")

        minutes = session.scalar(sa.select(Minutes).where(Minutes.conversation_id == submitted))
        from medsamtale.minutes.drafting import content_of

        version = minutes.submit(content_of(minutes), "Cecilie Dahl")
        minutes.decide(version.number, RETURNED, "Lars Lie", "Skriv mer om kurset")
        minutes.points[0].body = "Vi ble enige om et kurs i prosjektledelse i vår."
        minutes.submit(content_of(minutes), "Cecilie Dahl")

        organisation = Organisation.current()
        if organisation is None:
            organisation = Organisation(name="Fjordvik kommune")
            session.add(organisation)
        organisation.second_hr_approver = True
        hedda = session.get(User, people["hedda"])
        changes.ask_second_approver(bjorn, changes.Wanted(True, False, False, hedda), hedda)
        email_token = email_change.EmailChange.issue(anne, "anne.aas@example.no", None,
                                                     timedelta(days=7))[1]
        password_token = PasswordToken.issue(session.get(User, people["nils"]), "welcome",
                                             timedelta(days=7))
        theme = session.get(Theme, questions[0].theme_id)
        ids = {"question": questions[0].id, "theme": theme.id, "set": theme.question_set_id}
        # Units for the HR overview (progress): Helse with its sub-unit Sykehjem.
        from medsamtale.models import Unit

        helse = Unit(name="Helse", leader_id=lars)
        sykehjem = Unit(name="Sykehjem", parent=helse)
        session.add_all([helse, sykehjem])
        session.flush()
        anne.unit_id, bjorn.unit_id = helse.id, sykehjem.id
        ids["progress_unit"] = helse.id
        # An open round over Helse, for the rounds' pages.
        from medsamtale.models import Round, RoundMember
        from medsamtale.timeutil import oslo_today

        autumn = Round(name="Medarbeidersamtaler høsten 2027", starts_on=oslo_today(),
                       ends_on=oslo_today() + timedelta(days=60), units=[helse])
        session.add(autumn)
        session.flush()
        session.add_all([RoundMember(round_id=autumn.id, user_id=anne.id),
                         RoundMember(round_id=autumn.id, user_id=bjorn.id)])
        ids["round"] = autumn.id
        # Lena stands in for Lars this month, for the deputies' page and her home page.
        from medsamtale.models import Deputy

        session.add(Deputy(leader_id=lars, deputy_id=people["lena"], starts_on=oslo_today(),
                           ends_on=oslo_today() + timedelta(days=30)))
        session.commit()

    return World(
        people=people,
        conversations={"done": done, "live": live, "preparing": preparing, "ready": ready,
                       "submitted": submitted, "draft": draft, "planned": planned,
                       "proposed": proposed},
        tokens={"email": email_token, "password": password_token},
        ids=ids,
    )


@pytest.fixture
def world(request) -> World:
    if "world" not in WORLD:
        WORLD["world"] = build_world(request)
    return WORLD["world"]


@pytest.fixture(scope="module")
def browsers(browser, live_server):
    """pages(who): a page in a browser context of its own for each person, logged in once
    (None: logged out), reused by every case."""
    made = {}

    def page_of(who: str | None):
        if who not in made:
            context = new_context(browser)
            made[who] = context.new_page()
            if who is not None:
                log_in(made[who], live_server, f"{who}@example.no", PASSWORD)
        return made[who]

    yield page_of
    for page in made.values():
        page.context.close()
    WORLD.clear()
    OVERFLOW.clear()
    OPEN.clear()


# The pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One page as one person opens it: `who` (None: logged out), a label for the test id,
    and its path, made from the world."""

    who: str | None
    label: str
    path: object  # World -> str
    status: int = 200
    act: object = None  # what the person does on the page first (page -> None), if anything


def send_with_errors(fields: dict | None = None, form: str = "main form[method=post]"):
    """Fill `fields` ({selector: text}) and send the page's (first `form`) form, which
    answers with its errors: the page as a person who made a mistake sees it."""

    def act(page):
        for selector, text in (fields or {}).items():
            page.locator(selector).fill(text)
        with page.expect_navigation():
            page.locator(f"{form} button[type=submit]").first.click()
        expect(page.locator("main .errors").first).to_be_visible()

    return act


def start_an_authenticator_app(page):
    """From the factors page, begin setting up an app: the page with the QR code."""
    with page.expect_navigation():
        page.locator("main form[action$='/totp/start'] button[type=submit]").click()
    expect(page.locator("main img[src$='qr.svg']")).to_be_visible()


def conversation(key: str, template: str):
    return lambda w: template.format(c=w.conversations[key])


VISITS = {
    # Logged out
    "auth.login": [
        Visit(None, "logged-out", lambda w: "/login"),
        Visit(None, "wrong-password", lambda w: "/login", act=send_with_errors(
            {"#email": "nobody@example.no", "#password": "not-the-password"})),
    ],
    "auth.forgot_password": [
        Visit(None, "logged-out", lambda w: "/password/forgot"),
        Visit(None, "not-an-address", lambda w: "/password/forgot",
              act=send_with_errors({"#email": "not an address"})),
    ],
    "auth.set_password": [
        Visit(None, "welcome-link", lambda w: f"/password/set/{w.tokens['password']}"),
        Visit(None, "too-short", lambda w: f"/password/set/{w.tokens['password']}",
              act=send_with_errors({"#password": "kort", "#confirm": "kort"})),
        Visit(None, "link-problem", lambda w: "/password/set/not-a-token", 410),
    ],
    # Everyone's own pages
    "main.home": [Visit("anne", "employee-with-actions", lambda w: "/"),
                  Visit("bjorn", "employee-preparing", lambda w: "/"),
                  Visit("lars", "leader", lambda w: "/"),
                  Visit("hr", "hr-admin", lambda w: "/")],
    "account.show": [Visit("anne", "employee", lambda w: "/account/"),
                     Visit("hr", "hr-admin", lambda w: "/account/"),
                     Visit("bjorn", "copy-asked-for", lambda w: "/account/",
                           act=lambda page: page.click("#export-request"))],
    "account.download_export": [
        Visit("anne", "link-problem", lambda w: "/account/export/not-a-token", 404)],
    "auth.change_password": [
        Visit("anne", "employee", lambda w: "/account/password"),
        Visit("anne", "nothing-filled-in", lambda w: "/account/password",
              act=send_with_errors()),
    ],
    "auth.account_sessions": [Visit("anne", "employee", lambda w: "/account/sessions")],
    "factors.index": [Visit("anne", "employee", lambda w: "/account/factors")],
    "factors.totp": [Visit("frida", "setting-up", lambda w: "/account/factors",
                           act=start_an_authenticator_app)],
    "auth.confirm_email": [
        Visit("anne", "valid-link", lambda w: f"/account/email/{w.tokens['email']}"),
        Visit("anne", "link-problem", lambda w: "/account/email/not-a-token", 410),
    ],
    # The conversation, as the leader plans it and the employee answers it
    "conversations.plan": [
        Visit("lars", "leader", lambda w: "/conversations/plan"),
        Visit("lars", "nothing-filled-in", lambda w: "/conversations/plan",
              act=send_with_errors()),
    ],
    "conversations.show": [
        Visit("lars", "planned", conversation("planned", "/conversations/{c}")),
        Visit("lars", "time-proposed", conversation("proposed", "/conversations/{c}")),
        Visit("lars", "preparing", conversation("preparing", "/conversations/{c}")),
    ],
    "conversations.edit": [Visit("lars", "planned", conversation("planned",
                                                                 "/conversations/{c}/edit"))],
    "conversations.respond": [Visit("bjorn", "employee", conversation(
        "preparing", "/conversations/{c}/respond"))],
    # Preparation
    "preparation.prepare": [
        Visit("bjorn", "with-picks", conversation("preparing", "/prepare/{c}")),
        Visit("dag", "ready", conversation("ready", "/prepare/{c}")),
        Visit("frida", "invited", conversation("proposed", "/prepare/{c}")),
    ],
    "preparation.leader": [
        Visit("lars", "employee-not-ready", conversation("preparing", "/prepare/{c}/leader")),
        Visit("lena", "employee-ready", conversation("ready", "/prepare/{c}/leader")),
    ],
    # The meeting
    "agenda.show": [
        Visit("anne", "employee-live", conversation("live", "/agenda/{c}")),
        Visit("lars", "leader-live", conversation("live", "/agenda/{c}")),
        Visit("bjorn", "employee-waiting", conversation("preparing", "/agenda/{c}")),
        Visit("lena", "leader-may-start", conversation("ready", "/agenda/{c}")),
        Visit("gro", "held", conversation("draft", "/agenda/{c}")),
    ],
    "agenda.end": [Visit("lars", "leader", conversation("live", "/agenda/{c}/end"))],
    # Minutes and follow-up
    "minutes.show": [
        Visit("gro", "employee-writing", conversation("draft", "/minutes/{c}")),
        Visit("lars", "leader-while-written", conversation("draft", "/minutes/{c}")),
        Visit("cecilie", "employee-submitted", conversation("submitted", "/minutes/{c}")),
        Visit("lars", "leader-to-decide", conversation("submitted", "/minutes/{c}")),
        Visit("anne", "employee-approved", conversation("done", "/minutes/{c}")),
        Visit("lars", "leader-approved", conversation("done", "/minutes/{c}")),
    ],
    "minutes.version": [
        Visit("lars", "resubmitted", conversation("submitted", "/minutes/{c}/versions/2")),
        Visit("anne", "approved", conversation("done", "/minutes/{c}/versions/1")),
    ],
    "minutes.print_version": [Visit("anne", "approved", conversation(
        "done", "/minutes/{c}/versions/1/print"))],
    "minutes.archive": [
        Visit("anne", "own", lambda w: "/minutes/archive"),
        Visit("lars", "leader", lambda w: f"/minutes/archive/{w.people['anne']}"),
    ],
    # The HR admin
    "admin.users": [Visit("hr", "hr-admin", lambda w: "/admin/")],
    "admin.new_user": [
        Visit("hr", "hr-admin", lambda w: "/admin/users/new"),
        Visit("hr", "nothing-filled-in", lambda w: "/admin/users/new", act=send_with_errors()),
    ],
    "admin.edit_user": [
        Visit("hr", "address-waiting", lambda w: f"/admin/users/{w.people['anne']}"),
        Visit("hr", "change-pending", lambda w: f"/admin/users/{w.people['bjorn']}"),
    ],
    "admin.import_users": [Visit("hr", "hr-admin", lambda w: "/admin/import")],
    "admin.organisation": [Visit("hr", "hr-admin", lambda w: "/admin/organisation")],
    "admin.pending": [Visit("hr", "hr-admin", lambda w: "/admin/pending")],
    "factors.reset": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/users/{w.people['anne']}/factors/reset"))],
    "scim.tokens": [Visit("hr", "hr-admin", lambda w: "/admin/scim")],
    "audit.index": [Visit("hr", "hr-admin", lambda w: "/admin/audit/")],
    "mailqueue.undelivered": [Visit("hr", "hr-admin", lambda w: "/admin/mail/")],
    "units.index": [Visit("hr", "hr-admin", lambda w: "/admin/units/")],
    "units.new": [
        Visit("hr", "hr-admin", lambda w: "/admin/units/new"),
        Visit("hr", "nothing-filled-in", lambda w: "/admin/units/new", act=send_with_errors()),
    ],
    "units.edit": [
        Visit("hr", "with-people", lambda w: f"/admin/units/{w.ids['progress_unit']}"),
        Visit("hr", "name-emptied", lambda w: f"/admin/units/{w.ids['progress_unit']}",
              act=send_with_errors({"#name": " "})),
    ],
    "rounds.index": [Visit("hr", "hr-admin", lambda w: "/admin/rounds/")],
    "rounds.new": [
        Visit("hr", "hr-admin", lambda w: "/admin/rounds/new"),
        Visit("hr", "nothing-filled-in", lambda w: "/admin/rounds/new",
              act=send_with_errors()),
    ],
    "rounds.show": [Visit("hr", "open-round", lambda w: f"/admin/rounds/{w.ids['round']}")],
    "privacy.statement": [Visit(None, "logged-out", lambda w: "/personvern/")],
    "deputies.index": [
        Visit("hr", "a-current-deputy", lambda w: "/admin/deputies/"),
        Visit("hr", "nothing-filled-in", lambda w: "/admin/deputies/",
              act=send_with_errors(form="main form.stack")),
    ],
    "progress.index": [Visit("hr", "hr-admin", lambda w: "/admin/progress/")],
    "progress.unit": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/progress/units/{w.ids['progress_unit']}"))],
    "progress.leader": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/progress/leaders/{w.people['lars']}"))],
    "questionbank.index": [Visit("hr", "hr-admin", lambda w: "/admin/questions/")],
    "questionbank.edit_question": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/questions/questions/{w.ids['question']}"))],
    "questionbank.new_question": [
        Visit("hr", "hr-admin", lambda w: (
            f"/admin/questions/themes/{w.ids['theme']}/questions/new")),
        Visit("hr", "nothing-filled-in", lambda w: (
            f"/admin/questions/themes/{w.ids['theme']}/questions/new"), act=send_with_errors()),
    ],
    "questionbank.edit_theme": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/questions/themes/{w.ids['theme']}"))],
    "questionbank.new_theme": [Visit("hr", "hr-admin", lambda w: (
        f"/admin/questions/sets/{w.ids['set']}/themes/new"))],
}

# The app's own error pages (no route of their own).
ERROR_VISITS = [
    Visit(None, "404-logged-out", lambda w: "/no-such-page", 404),
    Visit("anne", "404", lambda w: "/conversations/999999", 404),
    Visit("anne", "403", lambda w: "/admin/", 403),
    Visit("anne", "405", lambda w: "/logout", 405),
]

# GET routes that are no page a person reads, and why.
NOT_PAGES = {
    "static": "files",
    "main.health": "plain text for load balancers",
    "agenda.poll": "an htmx fragment of the agenda page",
    "agenda.elapsed": "an htmx fragment of the agenda page",
    "agenda.events": "an event stream",
    "minutes.pdf_version": "a PDF",
    "progress.export_csv": "a CSV file",
    "progress.export_xlsx": "a spreadsheet",
    "branding.logo": "an image",
    "branding.stylesheet": "a style sheet",
    "factors.totp_qr": "an image (the QR code on the set-up page)",
    # Reached only between the password and the second factor; tests/e2e/test_factors.py
    # runs axe on it there.
    "factors.second_step": "the log-in's second step (checked in tests/e2e/test_factors.py)",
    "sso.login": "a redirect to the OpenID provider",
    "sso.callback": "the OpenID provider's answer, which redirects",
    "scim.users": "the SCIM API (JSON for the directory)",
    "scim.user": "the SCIM API (JSON for the directory)",
    "scim.service_provider_config": "the SCIM API (JSON for the directory)",
    "scim.resource_types": "the SCIM API (JSON for the directory)",
    "scim.schemas": "the SCIM API (JSON for the directory)",
    "scim.unknown": "the SCIM API (JSON for the directory)",
    # Only on a developer's machine, while the local mail catcher is the mail server; a 404
    # everywhere else, here too.
    "devmail.index": "the local mail catcher's page (developer's machine only)",
    "devmail.show": "the local mail catcher's page (developer's machine only)",
}


def _routes() -> list[str]:
    """The endpoints of the app's GET routes."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods})


def _cases():
    for endpoint in _routes():
        if endpoint in NOT_PAGES:
            continue
        for visit in VISITS.get(endpoint, [None]):
            label = visit.label if visit else "no-visit"
            yield pytest.param(endpoint, visit, id=f"{endpoint}[{label}]")
    for visit in ERROR_VISITS:
        yield pytest.param("error", visit, id=f"error[{visit.label}]")


CASES = list(_cases())


def open_page(browsers, live_server, world, endpoint, visit, viewport):
    if visit is None:
        pytest.fail(f"{endpoint} is a GET route with no visit: add it to VISITS (who opens "
                    "it, in which state) or, if it is no page, to NOT_PAGES", pytrace=False)
    page = browsers(visit.who)
    page.set_viewport_size(viewport)
    path = visit.path(world)
    where = f"{path} as {visit.who or 'nobody logged in'}" + (
        f" ({visit.label})" if visit.act else "")
    if OPEN.get(visit.who) == (visit, page.url):  # open at the other width: only resized
        return page, where
    response = page.goto(live_server + path)
    assert response.status == visit.status, (path, response.status, page.url)
    assert page.url == live_server + path, f"{path} was redirected to {page.url}"
    wait_for_htmx(page)
    if visit.act:
        visit.act(page)
    OPEN[visit.who] = (visit, page.url)
    return page, where


# The page each person has open, as (visit, address): a case at the other width of the same
# visit resizes it instead of opening it again.
OPEN: dict = {}


def leave(page):
    """Stop the polls and streams of a live page (the agenda) before the next case."""
    if "/agenda/" in page.url:
        page.goto("about:blank")


# What scrolled sideways at 390 px, measured while the page was open for axe: each page is
# opened once per width.
OVERFLOW: dict = {}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("endpoint", "visit"), CASES)
def test_page_meets_wcag_2_1_aa(browsers, live_server, world, endpoint, visit, width):
    page, where = open_page(browsers, live_server, world, endpoint, visit, WIDTHS[width])
    if width == "390":
        OVERFLOW[(endpoint, visit)] = overflow_problems(page)
    problems = axe_problems(page)
    leave(page)
    assert not problems, report(f"{where} at {width} px", problems)


@pytest.mark.parametrize(("endpoint", "visit"), CASES)
def test_page_fits_a_phone_without_scrolling_sideways(browsers, live_server, world, endpoint,
                                                      visit):
    problems = OVERFLOW.pop((endpoint, visit), None)
    if problems is None:
        page, _where = open_page(browsers, live_server, world, endpoint, visit, PHONE)
        problems = overflow_problems(page)
        leave(page)
    path = visit.path(world)
    assert not problems, report(f"{path} as {visit.who or 'nobody logged in'} at 390 px",
                                problems)


def test_every_get_route_is_a_visited_page_or_named_as_no_page():
    """A new page must be added to VISITS (or NOT_PAGES), so that it is checked."""
    routes = set(_routes())
    assert routes - set(VISITS) - set(NOT_PAGES) == set()
    assert set(VISITS) | set(NOT_PAGES) <= routes, "VISITS names a route that is gone"


# The skip link (issue 13, point 2) ------------------------------------------------------


@pytest.mark.parametrize("who", [None, "anne"])
def test_the_first_tab_shows_the_skip_link_and_enter_moves_focus_to_main(
        browsers, live_server, world, who):
    page = browsers(who)
    OPEN.pop(who, None)
    page.set_viewport_size(DESKTOP)
    page.goto(live_server + ("/login" if who is None else "/"))
    skip = page.locator('a[href="#main"]').first
    expect(skip).not_to_be_in_viewport()  # hidden until it has focus
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["width"] > 20 and box["height"] > 10 and box["y"] >= 0, box
    problems = [p for p in axe_problems(page) if "skip" in str(p) or "#main" in str(p)]
    assert not problems, report("the skip link, shown", problems)
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert re.search(r"#main$", page.url)
    # The next Tab goes on inside the main content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


# The checker itself: what axe leaves for review is decided -------------------------------

REVIEWED = """<!doctype html><html lang="en"><head><title>Contrast</title></head><body><main>
<h1>Contrast that axe leaves for review</h1>
<p id="light-gradient" style="background: linear-gradient(#fff, #eee); color: #333">Fine</p>
<p id="dark-gradient" style="background: linear-gradient(#fff, #777); color: #333">Too dark
  at the bottom</p>
<div style="background: rgba(0, 0, 0, .5)"><p id="translucent" style="color: #fff;
  background: linear-gradient(rgba(255, 255, 255, .2), rgba(255, 255, 255, .3))">White on
  grey</p></div>
<p id="picture" style="color: #333; background: #fff url(data:image/png;base64,iVBORw0KGgo=)">
  On a picture</p>
</main></body></html>"""


def test_contrast_that_axe_leaves_for_review_is_decided_from_the_computed_styles(page):
    page.set_content(REVIEWED)
    problems = axe_problems(page)
    assert [problem.rule for problem in problems] == ["color-contrast (axe: review)"]
    failing = [node.split()[0] for node in problems[0].nodes]
    assert failing == ["#dark-gradient", "#translucent", "#picture"], problems[0].nodes
    assert "2.82:1 (needs 4.5:1)" in problems[0].nodes[0]
