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
    assert stored_body(app, point) == FIRST_TEXT

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
    assert stored_body(app, point) == SECOND_TEXT
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
    expect(changes.locator("li.added ins").filter(has_text=SECOND_TEXT)).to_have_count(1)
    expect(changes.locator("li.removed del").filter(has_text=FIRST_TEXT)).to_have_count(1)
    # Only the rewritten point changed: the old text is not added, the new not removed.
    expect(changes.locator("li.added").filter(has_text=FIRST_TEXT)).to_have_count(0)
    expect(changes.locator("li.removed").filter(has_text=SECOND_TEXT)).to_have_count(0)
    expect(changes.locator("li.added")).to_have_count(1)
    expect(changes.locator("li.removed")).to_have_count(1)
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
        assert minutes.versions[0].content["points"][0]["body"] == FIRST_TEXT
        assert minutes.versions[1].content["points"][0]["body"] == SECOND_TEXT

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
