"""The leader plans, changes, sends and cancels a conversation; the employee answers it."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..htmx import render
from ..models import Conversation, QuestionSet, User
from ..timeutil import to_oslo
from . import services
from .forms import PlanForm, ProposeTimeForm
from .services import ConversationRefused

bp = Blueprint("conversations", __name__, url_prefix="/conversations")


def conversation_for(role: str, conversation_id: int, *, lock: bool = False) -> Conversation:
    """The conversation, if the current user is its `role`: "leader", "employee", or
    "party" for either of the two.

    Nobody else may see it, HR admins included. The employee sees it once it is sent; until
    then it is the leader's draft.
    """
    if lock:
        conversation = services.locked(conversation_id)
    else:
        conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        abort(404)
    if role == "party":
        role = "leader" if conversation.leader_id == current_user.id else "employee"
    if getattr(conversation, f"{role}_id") != current_user.id:
        abort(403)
    if role == "employee" and not conversation.is_sent:
        abort(404)
    return conversation


def is_stale(conversation: Conversation) -> bool:
    """True when the form came from a page older than the conversation's last change."""
    sent = request.form.get("version")
    return sent is not None and sent != str(conversation.version)


def _plan_form(conversation=None, **kwargs) -> PlanForm:
    reports = db.session.scalars(
        select(User).where(User.leader_id == current_user.id, User.active).order_by(User.name)
    ).all()
    question_sets = db.session.scalars(select(QuestionSet).order_by(QuestionSet.position)).all()
    return PlanForm(
        leader=current_user, reports=reports, question_sets=question_sets,
        current=conversation, **kwargs,
    )


@bp.route("/plan", methods=["GET", "POST"])
def plan():
    """Plan a conversation with one of the leader's own people."""
    if not current_user.is_leader:
        abort(403)
    form = _plan_form(employee=request.args.get("employee", 0, type=int))
    if form.validate_on_submit():
        employee = db.session.get(User, form.employee.data)
        try:
            conversation = services.plan(current_user, employee, **form.details())
        except ConversationRefused as refused:
            form.form_errors.append(refused.message)
        else:
            db.session.commit()
            flash(_("The conversation is planned. Read the invitation, then send it."), "success")
            return redirect(url_for(".show", conversation_id=conversation.id))
    return render("conversations/plan.html", form=form, conversation=None)


@bp.route("/<int:conversation_id>")
def show(conversation_id: int):
    """The leader's page: the invitation as the employee will read it, answers and actions."""
    conversation = conversation_for("leader", conversation_id)
    return render("conversations/show.html", conversation=conversation)


@bp.route("/<int:conversation_id>/edit", methods=["GET", "POST"])
def edit(conversation_id: int):
    """Move the conversation or change its details; a sent invitation is updated."""
    conversation = conversation_for("leader", conversation_id, lock=request.method == "POST")
    if request.method == "GET":
        start = to_oslo(conversation.starts_at)
        form = _plan_form(
            conversation, obj=conversation, day=start.date(), clock=start.time(),
            version=conversation.version,
        )
    else:
        form = _plan_form(conversation)
    del form.employee
    if form.is_submitted() and is_stale(conversation):
        form.form_errors.append(stale_message())
    elif form.validate_on_submit():
        try:
            updated = services.change(conversation, **form.details())
        except ConversationRefused as refused:
            form.form_errors.append(refused.message)
        else:
            db.session.commit()
            flash(
                _("Saved. %(name)s has been sent the new time.", name=conversation.employee.name)
                if updated else _("Saved."),
                "success",
            )
            return redirect(url_for(".show", conversation_id=conversation.id))
    return render("conversations/plan.html", form=form, conversation=conversation)


def apply_change(conversation: Conversation, change, done: str | None = None) -> bool:
    """Make one change asked for by a plain form post. A stale page or a refusal by the rules
    changes nothing and flashes why; otherwise the change is committed and `done` flashed."""
    try:
        if is_stale(conversation):
            raise ConversationRefused(stale_message())
        change(conversation)
    except ConversationRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return False
    db.session.commit()
    if done:
        flash(done, "success")
    return True


def _leader_action(conversation_id: int, action, done_message: str):
    conversation = conversation_for("leader", conversation_id, lock=True)
    apply_change(conversation, action, done_message % {"name": conversation.employee.name})
    return redirect(url_for(".show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/send", methods=["POST"])
def send(conversation_id: int):
    return _leader_action(
        conversation_id, services.send_invitation, _("The invitation has been sent to %(name)s.")
    )


@bp.route("/<int:conversation_id>/cancel", methods=["POST"])
def cancel(conversation_id: int):
    return _leader_action(conversation_id, services.cancel, _("The conversation is cancelled."))


@bp.route("/<int:conversation_id>/keep-time", methods=["POST"])
def keep_time(conversation_id: int):
    return _leader_action(
        conversation_id, services.keep_time, _("%(name)s has been told the time stands.")
    )


@bp.route("/<int:conversation_id>/use-proposed-time", methods=["POST"])
def use_proposed_time(conversation_id: int):
    def move(conversation):
        if not conversation.has_proposal:
            raise ConversationRefused(_("There is no proposed time to answer."))
        services.change(conversation, starts_at=conversation.proposed_starts_at)

    return _leader_action(
        conversation_id, move, _("Moved. %(name)s has been sent the new time.")
    )


@bp.route("/<int:conversation_id>/respond", methods=["GET", "POST"])
def respond(conversation_id: int):
    """The employee accepts the invitation or proposes another time."""
    conversation = conversation_for("employee", conversation_id, lock=request.method == "POST")
    form = ProposeTimeForm()
    if form.is_submitted() and is_stale(conversation):
        form.form_errors.append(stale_message())
    elif form.validate_on_submit():
        try:
            services.propose_time(conversation, form.starts_at, form.comment.data or "")
        except ConversationRefused as refused:
            form.form_errors.append(refused.message)
        else:
            db.session.commit()
            flash(
                _("Your proposal has been sent to %(name)s.", name=conversation.leader.name),
                "success",
            )
            return redirect(url_for("preparation.prepare", conversation_id=conversation_id))
    return render("conversations/respond.html", conversation=conversation, form=form)


@bp.route("/<int:conversation_id>/accept", methods=["POST"])
def accept(conversation_id: int):
    conversation = conversation_for("employee", conversation_id, lock=True)
    apply_change(conversation, services.accept,
                 _("Accepted. %(name)s has been told.", name=conversation.leader.name))
    return redirect(url_for("preparation.prepare", conversation_id=conversation_id))


def stale_message() -> str:
    return _(
        "The conversation changed after you opened this page, so nothing was saved. "
        "Look at it again and repeat what you meant to do."
    )
