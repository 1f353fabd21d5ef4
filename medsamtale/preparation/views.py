"""Preparation pages: the employee's ten-question picker and the leader's own preparation.

Each change is saved at once. An htmx request gets the changed block of the page back (with
status 409 and the reason when the change was refused); a plain form post is redirected
back to the page, with the reason as a message.
"""

import re

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..conversations.views import apply_change, conversation_for, is_stale, stale_message
from ..extensions import db
from ..htmx import is_partial, render
from ..models import Pick, Question, Theme
from ..models.conversations import MAX_PICKS
from ..timeutil import utcnow
from . import services
from .services import PreparationRefused

bp = Blueprint("preparation", __name__, url_prefix="/prepare")


def _picks(conversation) -> list[Pick]:
    return db.session.scalars(
        select(Pick)
        .where(Pick.conversation_id == conversation.id)
        .order_by(Pick.position, Pick.id)
        .options(joinedload(Pick.question).joinedload(Question.theme))
    ).all()


def _menu(conversation, query: str) -> list[tuple[Theme, list[Question]]]:
    """The set's themes and questions in use, those matching `query` (text or prompts)."""
    themes = db.session.scalars(
        select(Theme)
        .where(Theme.question_set_id == conversation.question_set_id, Theme.retired_at.is_(None))
        .order_by(Theme.is_salary, Theme.position, Theme.id)
        .options(selectinload(Theme.questions).selectinload(Question.prompts))
    ).all()
    words = query.lower().split()

    def matches(theme, question):
        text = " ".join([theme.name, question.text, *(p.text for p in question.prompts)])
        return all(word in text.lower() for word in words)

    menu = []
    for theme in themes:
        questions = [q for q in theme.questions if not q.retired and matches(theme, q)]
        if questions:
            menu.append((theme, questions))
    return menu


def _employee_page(conversation_id: int, error: str | None = None, status: int = 200,
                   block: str | None = None):
    conversation = conversation_for("employee", conversation_id)
    query = (request.values.get("q") or "").strip()[:100]
    picks = _picks(conversation)
    return render(
        "preparation/prepare.html",
        block,
        status,
        conversation=conversation,
        picks=picks,
        picked={pick.question_id for pick in picks},
        menu=_menu(conversation, query),
        query=query,
        max_picks=MAX_PICKS,
        error=error,
    )


@bp.route("/<int:conversation_id>")
def prepare(conversation_id: int):
    """The employee's preparation: the invitation, the ten questions, notes and topics."""
    return _employee_page(conversation_id, block="picker")


def _employee_change(conversation_id: int, change, block: str = "picker"):
    """Make one change for the employee; answer with the block, or redirect to the page."""
    conversation = conversation_for("employee", conversation_id, lock=True)
    error = None
    try:
        if is_stale(conversation):
            raise PreparationRefused(stale_message())
        change(conversation)
    except PreparationRefused as refused:
        db.session.rollback()
        error = str(refused.message)
    else:
        db.session.commit()
    if is_partial():
        if block == "saved":
            return render("preparation/prepare.html", "saved", 409 if error else 200,
                          error=error, saved_at=utcnow())
        return _employee_page(conversation_id, error, 409 if error else 200, block)
    if error:
        flash(error, "error")
    return redirect(
        url_for(".prepare", conversation_id=conversation_id, q=request.form.get("q") or None)
        + _anchor()
    )


def _anchor() -> str:
    """The posted place on the page to return to, such as "#pick-12", if it is one."""
    anchor = request.form.get("anchor", "")
    return anchor if re.fullmatch(r"#[\w-]+", anchor) else ""


@bp.route("/<int:conversation_id>/picks", methods=["POST"])
def add_pick(conversation_id: int):
    question_id = request.form.get("question_id", type=int)
    return _employee_change(
        conversation_id, lambda conversation: services.add_pick(conversation, question_id)
    )


@bp.route("/<int:conversation_id>/picks/<int:pick_id>/remove", methods=["POST"])
def remove_pick(conversation_id: int, pick_id: int):
    return _employee_change(
        conversation_id, lambda conversation: services.remove_pick(conversation, pick_id)
    )


@bp.route("/<int:conversation_id>/picks/<int:pick_id>/move", methods=["POST"])
def move_pick(conversation_id: int, pick_id: int):
    step = request.form.get("step", 0, type=int)
    return _employee_change(
        conversation_id, lambda conversation: services.move_pick(conversation, pick_id, step)
    )


@bp.route("/<int:conversation_id>/picks/<int:pick_id>/note", methods=["POST"])
def employee_note(conversation_id: int, pick_id: int):
    note = request.form.get("note", "")
    return _employee_change(
        conversation_id,
        lambda conversation: services.save_employee_note(conversation, pick_id, note),
        block="saved",
    )


@bp.route("/<int:conversation_id>/topics", methods=["POST"])
def employee_topics(conversation_id: int):
    topics = request.form.get("topics", "")
    return _employee_change(
        conversation_id,
        lambda conversation: services.save_employee_topics(conversation, topics),
        block="saved",
    )


@bp.route("/<int:conversation_id>/ready", methods=["POST"])
def employee_ready(conversation_id: int):
    conversation = conversation_for("employee", conversation_id, lock=True)
    apply_change(conversation, services.mark_employee_ready,
                      _("Ready. %(name)s has been told.", name=conversation.leader.name))
    return redirect(url_for(".prepare", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/reopen", methods=["POST"])
def employee_reopen(conversation_id: int):
    conversation = conversation_for("employee", conversation_id, lock=True)
    apply_change(conversation, services.reopen_employee_preparation,
                      _("Your preparation is open for changes again."))
    return redirect(url_for(".prepare", conversation_id=conversation_id))


# The leader's preparation ---------------------------------------------------------------------


@bp.route("/<int:conversation_id>/leader")
def leader(conversation_id: int):
    """The leader's notes per picked question (once the employee is ready) and own topics."""
    conversation = conversation_for("leader", conversation_id)
    picks = _picks(conversation) if conversation.leader_may_see_picks else []
    return render("preparation/leader.html", conversation=conversation, picks=picks)


def _leader_change(conversation_id: int, change, block: str = "saved"):
    conversation = conversation_for("leader", conversation_id, lock=True)
    error = None
    try:
        change(conversation)
    except PreparationRefused as refused:
        db.session.rollback()
        error = str(refused.message)
    else:
        db.session.commit()
    if is_partial():
        return render("preparation/prepare.html", block, 409 if error else 200,
                      error=error, saved_at=utcnow())
    if error:
        flash(error, "error")
    return redirect(url_for(".leader", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/leader/picks/<int:pick_id>/note", methods=["POST"])
def leader_note(conversation_id: int, pick_id: int):
    note = request.form.get("note", "")
    return _leader_change(
        conversation_id, lambda conversation: services.save_leader_note(conversation, pick_id, note)
    )


@bp.route("/<int:conversation_id>/leader/topics", methods=["POST"])
def leader_topics(conversation_id: int):
    topics = request.form.get("topics", "")
    return _leader_change(
        conversation_id, lambda conversation: services.save_leader_topics(conversation, topics)
    )


@bp.route("/<int:conversation_id>/leader/ready", methods=["POST"])
def leader_ready(conversation_id: int):
    conversation = conversation_for("leader", conversation_id, lock=True)
    ready = request.form.get("ready") != "0"
    apply_change(
        conversation,
        lambda c: services.mark_leader_ready(c, ready),
        _("Marked as prepared.") if ready else _("Your preparation is open again."),
    )
    return redirect(url_for(".leader", conversation_id=conversation_id))
