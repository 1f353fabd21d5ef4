"""Preparation pages: the employee's ten-question picker and the leader's own preparation.

Each change is saved at once through make_change: an htmx request gets the changed block
of the page back (with status 409 and the reason when the change was refused); a plain
form post is redirected back to the page, with the reason as a message.
"""

import re
from functools import partial

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import security
from ..access import EMPLOYEE, LEADER, conversation_for
from ..change import make_change, saved_status
from ..extensions import db
from ..htmx import render
from ..models import Pick, Question
from ..models.conversations import MAX_PICKS
from . import picker, services
from .forms import NoteForm, TopicsForm

bp = Blueprint("preparation", __name__, url_prefix="/prepare")

QUERY_MAX = 100


def _picks(conversation) -> list[Pick]:
    return db.session.scalars(
        select(Pick)
        .where(Pick.conversation_id == conversation.id)
        .order_by(Pick.position, Pick.id)
        .options(joinedload(Pick.question).joinedload(Question.theme))
    ).all()


def _query() -> str:
    """The menu's filter; words beyond QUERY_MAX characters cannot narrow it further."""
    return (request.values.get("q") or "").strip()[:QUERY_MAX]


def _employee_page(conversation_id: int, outcome=None, block: str | None = None,
                   acted: picker.Acted | None = None):
    """The employee's page (or its `block`); after a change from the control `acted`,
    with the focus and any refusal placed next to it."""
    conversation = conversation_for(EMPLOYEE, conversation_id)
    query = _query()
    picks = _picks(conversation)
    menu = picker.menu(conversation.question_set_id, query)
    refused = outcome is not None and outcome.refused is not None
    focus, error_at = picker.focus_and_error(
        menu, picks, len(picks) >= MAX_PICKS, acted, refused, outcome and outcome.result)
    return render(
        "preparation/prepare.html", block, conversation=conversation, picks=picks,
        picked={pick.question_id for pick in picks}, menu=menu, query=query,
        max_picks=MAX_PICKS, error=outcome.refused.message if refused else None,
        error_at=error_at, focus=focus,
    )


@bp.route("/<id:conversation_id>")
def prepare(conversation_id: int):
    """The employee's preparation: the invitation, the ten questions, notes and topics."""
    return _employee_page(conversation_id, block="picker")


def _back(role: str, conversation_id: int) -> str:
    """`role`'s page again, with the menu filtered as it was, at the place posted from."""
    anchor = request.form.get("anchor", "")
    return url_for(".prepare" if role == EMPLOYEE else ".leader",
                   conversation_id=conversation_id, q=request.form.get("q") or None) + (
        anchor if re.fullmatch(r"#[\w-]+", anchor) else "")


def _picker_change(conversation_id: int, acted: picker.Acted, change, *args):
    """One change of the picks from the control `acted`, answered with the picker block
    for htmx."""
    conversation = conversation_for(EMPLOYEE, conversation_id, lock=True)
    return make_change(
        change, conversation, *args, stale=conversation, back=_back(EMPLOYEE, conversation_id),
        block=partial(_employee_page, conversation_id, block="picker", acted=acted),
    )


def _autosave(role: str, conversation_id: int, form, change, *args):
    """One autosaved text of `role`'s preparation, answered with its saved status."""
    conversation = conversation_for(role, conversation_id, lock=True)
    return make_change(change, conversation, *args, stale=conversation, form=form,
                       back=_back(role, conversation_id), block=saved_status(form))


def _step(role: str, conversation_id: int, change, *args, done: str):
    """A step of `role`'s preparation; `done` is flashed, with the other party's name for
    %(name)s. A plain form is sent back to the page; htmx (one request, however often the
    button is clicked) loads the page again, or shows a refusal next to the button."""
    conversation = conversation_for(role, conversation_id, lock=True)
    other = conversation.leader if role == EMPLOYEE else conversation.employee
    back, done = _back(role, conversation_id), done % {"name": other.name}
    return make_change(change, conversation, *args, stale=conversation, back=back, done=done,
                       block=partial(_reload, back, done), error_target="#step-error")


def _reload(back: str, done: str, outcome):
    """For htmx: the page loaded again (after the change was made), with `done` said."""
    flash(done, "success")
    return "", 200, {"HX-Redirect": back}


@bp.route("/<id:conversation_id>/picks", methods=["POST"])
def add_pick(conversation_id: int):
    """Pick a question from the menu."""
    question_id = request.form.get("question_id", type=security.counter)
    return _picker_change(conversation_id, picker.Acted(question_id=question_id),
                          services.add_pick, question_id)


@bp.route("/<id:conversation_id>/picks/<id:pick_id>/remove", methods=["POST"])
def remove_pick(conversation_id: int, pick_id: int):
    """Remove a question from the picks."""
    return _picker_change(conversation_id, picker.Acted(pick_id=pick_id, button="remove"),
                          services.remove_pick, pick_id)


@bp.route("/<id:conversation_id>/picks/<id:pick_id>/move", methods=["POST"])
def move_pick(conversation_id: int, pick_id: int):
    """Move a pick one place up or down."""
    step = request.form.get("step", 0, type=security.step)
    acted = picker.Acted(pick_id=pick_id, button="up" if step < 0 else "down")
    return _picker_change(conversation_id, acted, services.move_pick, pick_id, step)


@bp.route("/<id:conversation_id>/picks/<id:pick_id>/note", methods=["POST"],
          endpoint="employee_note", defaults={"role": EMPLOYEE})
@bp.route("/<id:conversation_id>/leader/picks/<id:pick_id>/note", methods=["POST"],
          endpoint="leader_note", defaults={"role": LEADER})
def note(conversation_id: int, pick_id: int, role: str):
    """Save the employee's or the leader's own note on a picked question."""
    form = NoteForm()
    return _autosave(role, conversation_id, form, services.save_note, role, pick_id,
                     form.note.data)


@bp.route("/<id:conversation_id>/topics", methods=["POST"], endpoint="employee_topics",
          defaults={"role": EMPLOYEE})
@bp.route("/<id:conversation_id>/leader/topics", methods=["POST"], endpoint="leader_topics",
          defaults={"role": LEADER})
def topics(conversation_id: int, role: str):
    """Save the other things the employee, or the leader, wants to raise."""
    form = TopicsForm()
    return _autosave(role, conversation_id, form, services.save_topics, role, form.topics.data)


# The employee's steps: what each does, and what it says then (%(name)s: the leader).
EMPLOYEE_STEPS = {
    "ready": (services.mark_employee_ready, _l("Ready. %(name)s has been told.")),
    "reopen": (services.reopen_employee_preparation,
               _l("Your preparation is open for changes again.")),
}


@bp.route("/<id:conversation_id>/<any(ready, reopen):step>", methods=["POST"])
def employee_step(conversation_id: int, step: str):
    """Say the preparation is ready (the leader is told and sees the picks), or open it
    again for changes (the leader no longer sees them)."""
    change, done = EMPLOYEE_STEPS[step]
    return _step(EMPLOYEE, conversation_id, change, done=str(done))


# The leader's preparation ---------------------------------------------------------------------


@bp.route("/<id:conversation_id>/leader")
def leader(conversation_id: int):
    """The leader's notes per picked question (once the employee is ready) and own topics."""
    conversation = conversation_for(LEADER, conversation_id)
    picks = _picks(conversation) if conversation.leader_may_see_picks else []
    return render("preparation/leader.html", conversation=conversation, picks=picks)


@bp.route("/<id:conversation_id>/leader/ready", methods=["POST"])
def leader_ready(conversation_id: int):
    """Mark the leader as prepared (no more reminders), or not after all."""
    ready = request.form.get("ready") != "0"
    return _step(LEADER, conversation_id, services.mark_leader_ready, ready,
                 done=_("Marked as prepared.") if ready else _("Your preparation is open again."))
