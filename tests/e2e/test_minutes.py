"""End-to-end: the minutes, written by the employee and approved by the leader.

Anne (employee) and Lars (leader) each get their own browser context on the same held
conversation. Anne rewrites a point (saved as she types), agrees an action, is stopped by a
past deadline, and submits; Lars reads the version and sends it back with a comment; Anne
revises and submits again; Lars sees what changed and approves; both then see the approved,
confirmed minutes and the two versions. Each step emails the other party.

Elements are found by ids, classes and form actions, never by translated text, so the
tests survive changes to the catalogue.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import Action, Minutes, MinutesPoint
from medsamtale.models.minutes import APPROVED, RETURNED
from medsamtale.timeutil import oslo_today, to_oslo, utcnow
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.helpers import SAVE, ids_of, new_mail, one_new_mail, posted

pytestmark = pytest.mark.e2e

SAVED = re.compile(r"\d{1,2}[:.]\d{2}")  # "Lagret 14:05": a time, whatever the words around it

FIRST_TEXT = "Anne tar kurset i prosjektledelse i vår; Lars setter av tid og budsjett."
SECOND_TEXT = "Anne tar kurset i prosjektledelse innen 1. juni; Lars setter av to dager."
COMMENT = "Skriv inn når kurset skal være fullført, og hvor mye tid du får."
ACTION_WHAT = "Melde seg på kurs i prosjektledelse"
ACTION_GOAL = "Prosjektledelse"
ACTION_GOAL_CHANGED = "Prosjektledelse og planlegging"


# Helpers -------------------------------------------------------------------------------------


def points(page):
    return page.locator("#points section.minutes-point")


def write_point(page, point_id: int, body: str):
    """Replace a point's text by typing, as a person does, and wait for the autosave."""
    field = page.locator(f"#point-{point_id} textarea[name=body]")
    status = page.locator(f"#point-status-{point_id}")
    started = to_oslo(utcnow()).replace(second=0, microsecond=0)
    with page.expect_response(posted(f"/points/{point_id}"), timeout=SAVE) as saved:
        field.fill("")
        field.press_sequentially(body)
    assert saved.value.status == 200
    expect(status.locator(".saved")).to_have_text(SAVED, timeout=SAVE)
    expect(status.locator(".errors")).to_have_count(0)
    expect(field).to_have_value(body)
    # The time shown is the Oslo wall clock at the save.
    shown = SAVED.search(status.locator(".saved").inner_text()).group()
    now = to_oslo(utcnow())
    minutes = [started + timedelta(minutes=m) for m in range(3)]
    assert shown.replace(".", ":") in {f"{m:%H:%M}" for m in minutes if m <= now}, shown


def action_items(page):
    return page.locator("#actions ol.actions-list > li")


def new_action_form(page):
    return page.locator('#actions form.action-form[action$="/actions"]')


def submit_button(page, action: str):
    """The submit button of the main form whose action ends in /<action>."""
    return page.locator(f'main form[action$="/{action}"] button[type=submit]')


def state(page, name: str):
    return page.locator(f".heading-row span.state.state-{name}")


def stored_body(app, point_id: int) -> str:
    with app.app_context():
        return db.session.get(MinutesPoint, point_id).body


# The whole round: write, submit, send back, revise, approve --------------------------------


def test_minutes_written_sent_back_revised_and_approved(
    app, contexts, live_server, held, deliver, mailbox
):
    url = f"{live_server}/minutes/{held}"
    today = oslo_today()
    future, past = today + timedelta(days=60), today - timedelta(days=1)

    # Before anyone opens the page, Anne has been asked to write the minutes.
    received = new_mail(deliver, mailbox)
    asked = [m for m in received if m["To"] == EMAILS["anne"]]
    assert asked, [(m["To"], m["Subject"]) for m in received]
    assert not [m for m in received if m["To"] == EMAILS["lars"]]
    subjects = {"requested": asked[-1]["Subject"]}

    def told(step: str, who: str):
        """The step has emailed `who` alone; its subject is kept as the step's."""
        received.append(one_new_mail(deliver, mailbox, EMAILS[who]))
        subjects[step] = received[-1]["Subject"]

    # Anne: the editor, one point per discussed item, with both parties' notes. ----------
    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(url)
    expect(state(anne, "draft")).to_have_count(1)
    expect(points(anne)).to_have_count(2)
    point = ids_of(points(anne), "point-")[0]
    body = anne.locator(f"#body-{point}")
    expect(body).to_have_value(re.compile("Vil lære mer om prosjektledelse"))
    expect(body).to_have_value(re.compile("Enig, vi finner et kurs"))
    expect(anne.locator(f"#heading-{point}")).not_to_have_value("")
    expect(anne.locator(f"#point-status-{point}")).to_be_empty()

    # She rewrites the first point; it is saved while she types.
    write_point(anne, point, FIRST_TEXT)
    assert stored_body(app, point) == f"<p>{FIRST_TEXT}</p>"

    # She adds an action with a deadline two months ahead.
    expect(action_items(anne)).to_have_count(0)
    form = new_action_form(anne)
    form.locator("#new-what").fill(ACTION_WHAT)
    form.locator('input[name="new-responsible"][value="employee"]').check()
    form.locator("#new-deadline").fill(future.isoformat())
    form.locator("#new-goal").fill(ACTION_GOAL)
    form.locator("button[type=submit]").click()
    expect(action_items(anne)).to_have_count(1)
    item = action_items(anne).first
    action_id = int(item.get_attribute("id").removeprefix("action-"))
    expect(item.locator(f"#a{action_id}-what")).to_have_value(ACTION_WHAT)
    expect(item.locator(f'input[name="a{action_id}-responsible"][value="employee"]')) \
        .to_be_checked()
    expect(item.locator(f"#a{action_id}-deadline")).to_have_value(future.isoformat())
    expect(item.locator(f"#a{action_id}-goal")).to_have_value(ACTION_GOAL)
    # The form for a new action is empty again, and nothing was refused.
    expect(new_action_form(anne).locator("#new-what")).to_have_value("")
    expect(new_action_form(anne).locator("#new-deadline")).to_have_value("")
    expect(anne.locator("#actions .errors")).to_have_count(0)

    # The action is saved when she changes one of its fields.
    goal = anne.locator(f"#a{action_id}-goal")
    with anne.expect_response(posted(f"/actions/{action_id}")) as changed:
        goal.fill(ACTION_GOAL_CHANGED)
        goal.press("Tab")
    assert changed.value.status == 200
    expect(anne.locator(f"#a{action_id}-goal")).to_have_value(ACTION_GOAL_CHANGED)
    expect(action_items(anne)).to_have_count(1)
    with app.app_context():
        assert db.session.get(Action, action_id).goal == ACTION_GOAL_CHANGED

    # A second action with yesterday as deadline is refused, with the error at the field,
    # and what she typed is kept.
    form = new_action_form(anne)
    form.locator("#new-what").fill("Noe som skulle vært gjort i går")
    form.locator('input[name="new-responsible"][value="leader"]').check()
    form.locator("#new-deadline").fill(past.isoformat())
    with anne.expect_response(posted(f"/minutes/{held}/actions")) as refused:
        form.locator("button[type=submit]").click()
    assert refused.value.status == 422
    deadline = new_action_form(anne).locator("#new-deadline")
    errors = anne.locator("#new-deadline-errors")
    expect(errors).to_be_visible()
    expect(errors.locator("li")).to_have_count(1)
    # Next to the field: in the same field block, and linked to it for screen readers.
    expect(new_action_form(anne).locator(".field.has-errors:has(#new-deadline)")
           .locator("#new-deadline-errors")).to_have_count(1)
    expect(deadline).to_have_attribute("aria-invalid", "true")
    expect(deadline).to_have_attribute("aria-describedby", re.compile(r"\bnew-deadline-errors\b"))
    expect(deadline).to_have_value(past.isoformat())
    expect(new_action_form(anne).locator("#new-what")) \
        .to_have_value("Noe som skulle vært gjort i går")
    expect(anne.locator("#new-what-errors")).to_have_count(0)
    expect(action_items(anne)).to_have_count(1)  # the good action stands, no other
    expect(anne.locator("#minutes-error")).to_be_empty()  # a field error, not a refusal
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(Action).where(Action.conversation_id == held)
        ) == 1

    # She submits: the draft becomes version 1, and Lars is told.
    submit_button(anne, "submit").click()
    expect(anne).to_have_url(url)
    expect(state(anne, "submitted")).to_have_count(1)
    expect(anne.locator("#points")).to_have_count(0)
    expect(anne.locator("#actions")).to_have_count(0)
    expect(anne.locator("#minutes-document")).to_contain_text(FIRST_TEXT)
    expect(anne.locator("ol.versions > li")).to_have_count(1)
    told("submitted", "lars")

    # Lars: reads version 1 and sends it back with a comment. -------------------------------
    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(url)
    expect(state(lars, "submitted")).to_have_count(1)
    document = lars.locator("#minutes-document")
    expect(document.locator(".user-text").first).to_have_text(FIRST_TEXT)
    expect(document.locator("table.actions-table tbody tr")).to_have_count(1)
    expect(document.locator("table.actions-table")).to_contain_text(ACTION_WHAT)
    expect(document.locator("table.actions-table")).to_contain_text(ACTION_GOAL_CHANGED)
    expect(document.locator("section.signatures")).to_contain_text("Anne Aas")
    expect(lars.locator("section.changes")).to_have_count(0)  # nothing to compare with yet
    expect(lars.locator("#points")).to_have_count(0)  # he reads, he does not edit
    expect(submit_button(lars, "approve")).to_be_visible()
    send_back = lars.locator('main form[action$="/send-back"]')
    send_back.locator("textarea#comment[name=comment]").fill(COMMENT)
    send_back.locator("button[type=submit]").click()
    expect(lars).to_have_url(url)
    expect(state(lars, "returned")).to_have_count(1)
    expect(submit_button(lars, "approve")).to_have_count(0)
    expect(lars.locator('main form[action$="/send-back"]')).to_have_count(0)
    told("returned", "anne")

    # Anne: sees his comment, and the editor with her text; revises and submits again. ----
    anne.goto(url)
    expect(state(anne, "returned")).to_have_count(1)
    expect(anne.locator(".notice .user-comment")).to_have_text(COMMENT)
    expect(anne.locator(f"#body-{point}")).to_have_value(FIRST_TEXT)
    expect(action_items(anne)).to_have_count(1)
    write_point(anne, point, SECOND_TEXT)
    assert stored_body(app, point) == f"<p>{SECOND_TEXT}</p>"
    submit_button(anne, "submit").click()
    expect(anne).to_have_url(url)
    expect(state(anne, "submitted")).to_have_count(1)
    expect(anne.locator("#minutes-document")).to_contain_text(SECOND_TEXT)
    expect(anne.locator("ol.versions > li")).to_have_count(2)
    told("resubmitted", "lars")

    # Lars: sees what changed since version 1, and approves version 2. ----------------------
    lars.goto(url)
    expect(state(lars, "submitted")).to_have_count(1)
    changes = lars.locator("section.changes")
    expect(changes).to_be_visible()
    # Only the rewritten point changed, and in it only the words that changed are marked.
    expect(changes.locator(".change-point")).to_have_count(1)
    expect(changes.locator(".change-point del")).to_have_text(
        [re.compile(r"i vår;$"), re.compile(r"tid og budsjett\.$")])
    expect(changes.locator(".change-point ins")).to_have_text(
        [re.compile(r"innen 1\. juni;$"), re.compile(r"to dager\.$")])
    expect(changes.locator(".change-text")).to_contain_text("Anne tar kurset i prosjektledelse")
    expect(lars.locator("#minutes-document .user-text").first).to_have_text(SECOND_TEXT)
    submit_button(lars, "approve").click()
    expect(lars).to_have_url(url)
    expect(state(lars, "approved")).to_have_count(1)
    expect(submit_button(lars, "approve")).to_have_count(0)
    signatures = lars.locator("#minutes-document section.signatures")
    expect(signatures).to_contain_text("Anne Aas")
    expect(signatures).to_contain_text("Lars Lie")
    told("approved", "anne")

    # Anne: approved and locked, confirmed by both, two versions kept. ----------------------
    anne.goto(url)
    expect(state(anne, "approved")).to_have_count(1)
    expect(anne.locator("#points")).to_have_count(0)
    expect(submit_button(anne, "submit")).to_have_count(0)
    document = anne.locator("#minutes-document")
    expect(document.locator(".user-text").first).to_have_text(SECOND_TEXT)
    signatures = document.locator("section.signatures")
    expect(signatures.locator("dd")).to_have_count(2)
    expect(signatures.locator("dd").nth(0)).to_contain_text("Anne Aas")
    expect(signatures.locator("dd").nth(1)).to_contain_text("Lars Lie")
    for page in (anne, lars):
        page.goto(url)
        versions = page.locator("ol.versions > li")
        expect(versions).to_have_count(2)
        # Newest first: version 2 approved, version 1 sent back.
        expect(versions.nth(0).locator('a[href$="/versions/2"]')).to_have_count(1)
        expect(versions.nth(0).locator(".tag.done")).to_have_count(1)
        expect(versions.nth(1).locator('a[href$="/versions/1"]')).to_have_count(1)
        expect(versions.nth(1).locator(".tag.warning")).to_have_count(1)

    with app.app_context():
        minutes = db.session.scalar(sa.select(Minutes).where(Minutes.conversation_id == held))
        assert minutes.state == APPROVED
        assert [v.decision for v in minutes.versions] == [RETURNED, APPROVED]
        assert minutes.versions[0].comment == COMMENT
        assert minutes.versions[0].content["points"][0]["body"] == f"<p>{FIRST_TEXT}</p>"
        assert minutes.versions[1].content["points"][0]["body"] == f"<p>{SECOND_TEXT}</p>"

    # One email per step, each to the party whose turn it is, each its own subject.
    assert new_mail(deliver, mailbox) == []
    assert [m["To"] for m in received[-4:]] == [
        EMAILS["lars"], EMAILS["anne"], EMAILS["lars"], EMAILS["anne"]
    ]
    kinds = [subjects[k] for k in ("requested", "submitted", "returned", "approved")]
    assert all(kinds) and len(set(kinds)) == 4, subjects
    assert subjects["resubmitted"] not in {
        subjects["requested"], subjects["returned"], subjects["approved"]
    }, subjects


# Issue 13: the toolbar, the responsible person, double clicks, a phone --------------------------


def no_actions_agreed(app, conversation_id: int) -> None:
    with app.app_context():
        minutes = db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == conversation_id))
        minutes.no_actions = True
        db.session.commit()


def slow(page, latency_ms: int = 400) -> None:
    """The page's connection as a slow phone's: every answer takes `latency_ms` longer."""
    session = page.context.new_cdp_session(page)
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms, "downloadThroughput": -1,
        "uploadThroughput": -1,
    })


def select_text(field, start: int, end: int) -> None:
    field.focus()
    field.evaluate("(el, [start, end]) => el.setSelectionRange(start, end)", [start, end])


def test_bold_and_a_list_from_the_toolbar_show_in_the_minutes_and_the_print_view(
    app, contexts, live_server, held
):
    url = f"{live_server}/minutes/{held}"
    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(url)
    point = ids_of(points(anne), "point-")[0]
    field = anne.locator(f"#body-{point}")
    toolbar = anne.locator(f'[data-format-for="body-{point}"]')
    expect(toolbar).to_be_visible()
    field.fill("Viktig avtale\nkurs i vår\nmentor")
    # "Viktig" made bold, the two last lines a bulleted list, with the toolbar's buttons.
    select_text(field, 0, len("Viktig"))
    toolbar.locator('[data-format="bold"]').click()
    start = len("**Viktig** avtale\n") + 2  # from within the second line to the last
    select_text(field, start, len("**Viktig** avtale\nkurs i vår\nmen"))
    with anne.expect_response(posted(f"/points/{point}"), timeout=SAVE) as saved:
        toolbar.locator('[data-format="list"]').click()
    assert saved.value.status == 200
    expect(field).to_have_value("**Viktig** avtale\n- kurs i vår\n- mentor")
    expect(anne.locator(f"#point-status-{point} .saved")).to_have_count(1)
    # The preview shows it as the minutes will, without a reload.
    anne.locator(f"#point-{point} .preview-box summary").click()
    preview = anne.locator(f"#preview-{point}")
    expect(preview.locator("strong")).to_have_text("Viktig")
    expect(preview.locator("li")).to_have_text(["kurs i vår", "mentor"])
    assert "**" not in stored_body(app, point)
    no_actions_agreed(app, held)
    anne.reload()
    submit_button(anne, "submit").click()
    expect(state(anne, "submitted")).to_have_count(1)

    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    for address in (url, f"{url}/versions/1/print"):
        lars.goto(address)
        text = lars.locator("#minutes-document .user-text").first
        expect(text.locator("strong")).to_have_text("Viktig")
        expect(text.locator("ul > li")).to_have_text(["kurs i vår", "mentor"])
        weight = text.locator("strong").evaluate("el => getComputedStyle(el).fontWeight")
        assert int(weight) >= 600, weight
        expect(text).not_to_contain_text("**")


def test_the_responsible_persons_name_is_asked_for_only_for_someone_else(
    app, browser, contexts, live_server, held
):
    url = f"{live_server}/minutes/{held}"
    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(url)
    form = new_action_form(anne)
    name = form.locator("#new-responsible_name")
    expect(name).to_be_hidden()
    form.locator('input[name="new-responsible"][value="leader"]').check()
    expect(name).to_be_hidden()
    form.locator('input[name="new-responsible"][value="other"]').check()
    expect(name).to_be_visible()
    name.fill("Kari i HR")
    form.locator("#new-what").fill("Avklare kurset med HR")
    form.locator("#new-deadline").fill((oslo_today() + timedelta(days=30)).isoformat())
    form.locator("button[type=submit]").click()
    expect(action_items(anne)).to_have_count(1)
    item = action_items(anne).first
    expect(item.locator('input[name$="-responsible_name"]')).to_have_value("Kari i HR")
    expect(item.locator('input[name$="-responsible_name"]')).to_be_visible()
    expect(new_action_form(anne).locator("#new-responsible_name")).to_be_hidden()

    # Without JavaScript it works the same: it is the style sheet that shows the field.
    plain = browser.new_context(java_script_enabled=False, locale="nb-NO",
                                timezone_id="Europe/Oslo").new_page()
    try:
        log_in(plain, live_server, EMAILS["anne"])
        plain.goto(url)
        form = new_action_form(plain)
        expect(form.locator("#new-responsible_name")).to_be_hidden()
        form.locator('input[name="new-responsible"][value="other"]').check()
        expect(form.locator("#new-responsible_name")).to_be_visible()
    finally:
        plain.context.close()


def test_a_double_click_on_submit_send_back_and_approve_does_each_once(
    app, contexts, live_server, held, deliver, mailbox
):
    url = f"{live_server}/minutes/{held}"
    write_text = "Anne tar kurset i vår."
    no_actions_agreed(app, held)
    new_mail(deliver, mailbox)  # the request to write the minutes
    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(url)
    write_point(anne, ids_of(points(anne), "point-")[0], write_text)

    def versions():
        with app.app_context():
            minutes = db.session.scalar(sa.select(Minutes).where(Minutes.conversation_id == held))
            return [(v.number, v.decision) for v in minutes.versions]

    def impatient(page, button):
        """A double click on `button`, on a slow connection, and one more click while the
        page is still waiting: with a real mouse, whatever the button's state."""
        button.scroll_into_view_if_needed()
        slow(page)
        box = button.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.dblclick(x, y)
        page.wait_for_timeout(300)
        page.mouse.click(x, y)

    def done_once(page, to: str):
        """The step went through once: said so, no refusal on the page, one email."""
        expect(page.locator(".flash-success")).to_have_count(1)
        expect(page.locator(".flash-error")).to_have_count(0)
        one_new_mail(deliver, mailbox, EMAILS[to])

    impatient(anne, submit_button(anne, "submit"))
    expect(state(anne, "submitted")).to_have_count(1)
    done_once(anne, "lars")
    assert versions() == [(1, None)]

    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(url)
    send_back = lars.locator('main form[action$="/send-back"]')
    send_back.locator("textarea[name=comment]").fill(COMMENT)
    impatient(lars, send_back.locator("button[type=submit]"))
    expect(state(lars, "returned")).to_have_count(1)
    done_once(lars, "anne")
    assert versions() == [(1, RETURNED)]

    anne.goto(url)
    submit_button(anne, "submit").click()
    expect(state(anne, "submitted")).to_have_count(1)
    done_once(anne, "lars")
    lars.goto(url)
    impatient(lars, submit_button(lars, "approve"))
    expect(state(lars, "approved")).to_have_count(1)
    done_once(lars, "anne")
    assert versions() == [(1, RETURNED), (2, APPROVED)]
    assert new_mail(deliver, mailbox) == []


def test_the_minutes_pages_fit_a_phone(app, browser, live_server, held):
    from tests.fixtures.browser import new_context

    url = f"{live_server}/minutes/{held}"

    def phone():
        context = new_context(browser)
        page = context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        return page

    def fits(page):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (page.url, width)

    anne, lars = phone(), phone()
    try:
        log_in(anne, live_server, EMAILS["anne"])
        anne.goto(url)
        fits(anne)
        long_word = "Prosjektledelsesutdanningsprogramkoordineringsansvar" * 2
        write_point(anne, ids_of(points(anne), "point-")[0], f"Første utkast. {long_word}")
        form = new_action_form(anne)
        form.locator("#new-what").fill("Finne et kurs")
        form.locator('input[name="new-responsible"][value="employee"]').check()
        form.locator("#new-deadline").fill((oslo_today() + timedelta(days=30)).isoformat())
        form.locator("#new-goal").fill(long_word)
        form.locator("button[type=submit]").click()
        expect(action_items(anne)).to_have_count(1)
        fits(anne)
        submit_button(anne, "submit").click()
        expect(state(anne, "submitted")).to_have_count(1)
        log_in(lars, live_server, EMAILS["lars"])
        lars.goto(url)
        lars.locator('main form[action$="/send-back"] textarea[name=comment]').fill(COMMENT)
        lars.locator('main form[action$="/send-back"] button[type=submit]').click()
        expect(state(lars, "returned")).to_have_count(1)
        anne.goto(url)
        write_point(anne, ids_of(points(anne), "point-")[0], f"Andre utkast. {long_word}")
        submit_button(anne, "submit").click()
        expect(state(anne, "submitted")).to_have_count(1)
        lars.goto(url)
        expect(lars.locator("section.changes")).to_be_visible()
        fits(lars)
        for path in ("/versions/2", "/versions/2/print"):
            lars.goto(url + path)
            expect(lars.locator("#minutes-document")).to_be_visible()
            fits(lars)
        lars.goto(f"{live_server}/minutes/archive/{lars_employee(app, held)}")
        fits(lars)
    finally:
        anne.context.close()
        lars.context.close()


def lars_employee(app, conversation_id: int) -> int:
    from medsamtale.models import Conversation

    with app.app_context():
        return db.session.get(Conversation, conversation_id).employee_id
