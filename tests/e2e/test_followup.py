"""End-to-end: following up the agreed actions, and a refused edit of locked minutes.

Anne's held conversation with Lars has two actions in approved minutes. On her home page
Anne records progress on one and marks it done, each time through htmx, without the page
reloading; an empty comment is refused next to the field. Lars then sees only the open
action on his home page, and the history of the done one with the minutes.

Anne also has the minutes editor open when the minutes become locked: what she types is
refused, shown as an error, and stays in the field; nothing changes in the database.

Elements are found by ids, classes, names and form actions, never by translated text, so
the tests survive changes to the catalogue.
"""


import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from medsamtale.extensions import db
from medsamtale.models import Action, ActionUpdate, Minutes, MinutesPoint
from tests.fixtures.app import EMAILS
from tests.fixtures.browser import log_in
from tests.fixtures.domain import agree_actions, approve_minutes
from tests.helpers import SAVE, ids_of, posted

pytestmark = pytest.mark.e2e

MARKER = "window.__sameFollowupPage"


# Helpers -------------------------------------------------------------------------------------


def home_actions(page):
    return page.locator("section#actions li.followup-action")


def home_action_ids(page) -> list[int]:
    return ids_of(home_actions(page), "action-")


def progress_button(page, action_id: int, done: bool):
    return page.locator(
        f'li#action-{action_id} form[action="/actions/{action_id}/progress"] '
        f'button[type=submit][name=done][value="{1 if done else 0}"]'
    )


def set_marker(page):
    page.evaluate(f"{MARKER} = true")


def assert_same_page(page):
    """The marker set on `window` is still there: the page has not been reloaded."""
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded"


def updates(app, action_id: int) -> list[tuple[str, str, bool]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(ActionUpdate).where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.id)
        ).all()
        return [(u.author.name, u.comment, u.kind == "done") for u in rows]


# Follow-up on the home page ------------------------------------------------------------------


EXCEL = "Ta kurs i Excel"
MENTOR = "Mentor for ny kollega"
PROGRESS = "Kurset er bestilt, starter i mars."
DONE = "Kurset er fullført med bestått eksamen."


def test_progress_and_done_on_the_home_page_without_a_reload(
    app, contexts, live_server, held
):
    # Agreed in this order, but the mentor's deadline comes first.
    excel, mentor = agree_actions(app, held, (EXCEL, 90), (MENTOR, 30))

    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(live_server + "/")
    expect(home_actions(anne)).to_have_count(2)
    assert home_action_ids(anne) == [mentor, excel]  # soonest deadline first
    expect(anne.locator(f"li#action-{excel} .action-what")).to_contain_text(EXCEL)
    expect(anne.locator(f"li#action-{mentor} .action-what")).to_contain_text(MENTOR)
    expect(anne.locator("section#actions .last-update")).to_have_count(0)
    set_marker(anne)

    # She records progress on the Excel course: the block is swapped in place.
    anne.locator(f"#comment-{excel}").fill(PROGRESS)
    with anne.expect_response(posted(f"/actions/{excel}/progress")) as progress:
        progress_button(anne, excel, done=False).click()
    assert progress.value.status == 200
    expect(anne.locator(f"li#action-{excel} .last-update")).to_contain_text(PROGRESS)
    expect(anne.locator("section#actions .flash-success")).to_be_visible()
    expect(anne.locator(f"#comment-{excel}")).to_have_value("")  # a fresh form
    expect(home_actions(anne)).to_have_count(2)
    assert home_action_ids(anne) == [mentor, excel]
    assert_same_page(anne)
    assert updates(app, excel) == [("Anne Aas", PROGRESS, False)]

    # Done, without a comment: refused next to the field; the action stays.
    with anne.expect_response(posted(f"/actions/{excel}/progress")) as refused:
        progress_button(anne, excel, done=True).click()
    assert refused.value.status == 422
    errors = anne.locator(f"#comment-{excel}-errors")
    expect(errors).to_be_visible()
    expect(errors.locator("li")).to_have_count(1)
    expect(anne.locator(f"li#action-{excel} .field.has-errors:has(#comment-{excel})")
           .locator(f"#comment-{excel}-errors")).to_have_count(1)
    comment = anne.locator(f"#comment-{excel}")
    expect(comment).to_have_attribute("aria-invalid", "true")
    expect(comment).to_have_attribute("aria-describedby", f"comment-{excel}-errors")
    expect(anne.locator(f"#comment-{mentor}-errors")).to_have_count(0)
    expect(home_actions(anne)).to_have_count(2)
    expect(anne.locator(f"li#action-{excel} .last-update")).to_contain_text(PROGRESS)
    expect(anne.locator("section#actions .flash-success")).to_have_count(0)
    assert_same_page(anne)
    assert updates(app, excel) == [("Anne Aas", PROGRESS, False)]

    # Done, with a comment: the action leaves the list, and she is told.
    anne.locator(f"#comment-{excel}").fill(DONE)
    with anne.expect_response(posted(f"/actions/{excel}/progress")) as finished:
        progress_button(anne, excel, done=True).click()
    assert finished.value.status == 200
    expect(anne.locator(f"li#action-{excel}")).to_have_count(0)
    expect(anne.locator("section#actions .flash-success")).to_be_visible()
    expect(anne.locator(f"#comment-{excel}-errors")).to_have_count(0)
    expect(home_actions(anne)).to_have_count(1)
    assert home_action_ids(anne) == [mentor]
    assert_same_page(anne)
    assert updates(app, excel) == [("Anne Aas", PROGRESS, False), ("Anne Aas", DONE, True)]
    with app.app_context():
        assert db.session.get(Action, excel).done_at is not None
        assert db.session.get(Action, mentor).done_at is None

    # Lars: only the open action on his home page; the history with the minutes.
    lars = contexts()
    log_in(lars, live_server, EMAILS["lars"])
    lars.goto(live_server + "/")
    expect(home_actions(lars)).to_have_count(1)
    assert home_action_ids(lars) == [mentor]
    lars.goto(f"{live_server}/minutes/{held}")
    history = lars.locator("#followup-history")
    expect(history).to_be_visible()
    done = history.locator(f"#followed-{excel}")
    expect(done.locator(".tag.done")).to_have_count(1)
    expect(done.locator("ol.updates > li")).to_have_count(2)
    expect(done.locator("ol.updates > li .user-comment")).to_have_text([PROGRESS, DONE])
    expect(done.locator("ol.updates > li").nth(0)).to_contain_text("Anne Aas")
    expect(done.locator("ol.updates > li").nth(1)).to_contain_text("Anne Aas")
    still_open = history.locator(f"#followed-{mentor}")
    expect(still_open.locator(".tag.warning")).to_have_count(1)
    expect(still_open.locator(".tag.done")).to_have_count(0)
    expect(still_open.locator("ol.updates")).to_have_count(0)


# A refused edit loses nothing ----------------------------------------------------------------


def test_a_refused_edit_of_locked_minutes_keeps_what_was_typed(app, contexts, live_server, held):
    [action] = agree_actions(app, held, (EXCEL, 30), approve=False)

    anne = contexts()
    log_in(anne, live_server, EMAILS["anne"])
    anne.goto(f"{live_server}/minutes/{held}")
    expect(anne.locator("#points section.minutes-point")).to_have_count(2)
    point_id = int(anne.locator("#points section.minutes-point").first
                   .get_attribute("id").removeprefix("point-"))
    body = anne.locator(f"#body-{point_id}")
    goal = anne.locator(f"#a{action}-goal")
    expect(body).not_to_have_value("")
    expect(goal).to_have_value("")
    expect(anne.locator("#minutes-error")).to_be_empty()
    set_marker(anne)

    # Meanwhile the minutes are approved and locked.
    with app.app_context():
        stored_body = db.session.get(MinutesPoint, point_id).body
        approve_minutes(db.session.scalar(
            sa.select(Minutes).where(Minutes.conversation_id == held)))
        db.session.commit()

    # Anne adds to the point; the autosave is refused and her text stays in the field.
    typed = body.input_value() + " Lars setter av to dager i april."
    body.focus()
    body.evaluate("field => field.setSelectionRange(field.value.length, field.value.length)")
    with anne.expect_response(posted(f"/points/{point_id}"), timeout=SAVE) as saved:
        body.press_sequentially(" Lars setter av to dager i april.")
    assert saved.value.status == 409
    # The refusal is shown in the point's own status, next to the text (`block == "saved"`
    # in minutes/views.py _edit keeps it there rather than above the editor).
    status = anne.locator(f"#point-status-{point_id}")
    expect(status.locator(".errors")).to_be_visible()
    expect(status.locator(".errors")).not_to_be_empty()
    expect(status.locator(".saved")).to_have_count(0)
    expect(body).to_have_value(typed)
    assert_same_page(anne)
    with app.app_context():
        assert db.session.get(MinutesPoint, point_id).body == stored_body

    # She changes the action's goal: refused above the editor; the field keeps her goal.
    with anne.expect_response(posted(f"/actions/{action}")) as changed:
        goal.fill("Regneark")
        goal.press("Tab")
    assert changed.value.status == 409
    error = anne.locator("#minutes-error .errors")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(anne.locator(f"#a{action}-goal")).to_have_value("Regneark")
    expect(anne.locator(f"#a{action}-what")).to_have_value(EXCEL)
    expect(anne.locator("#actions ol.actions-list > li")).to_have_count(1)
    expect(anne.locator(f"#body-{point_id}")).to_have_value(typed)
    assert_same_page(anne)
    with app.app_context():
        stored = db.session.get(Action, action)
        assert (stored.what, stored.goal) == (EXCEL, "")
        assert db.session.get(MinutesPoint, point_id).body == stored_body
