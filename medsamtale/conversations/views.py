"""The leader plans, changes, sends and cancels a conversation; the employee answers it."""

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..access import EMPLOYEE, LEADER, conversation_for
from ..change import Page, make_change
from ..deputies import services as deputies
from ..extensions import db
from ..htmx import render
from ..models import QuestionSet, User
from ..timeutil import to_oslo
from . import services
from .forms import PlanForm, ProposeTimeForm

bp = Blueprint("conversations", __name__, url_prefix="/conversations")


def _plan_form(conversation=None, **kwargs) -> PlanForm:
    reports = db.session.scalars(
        select(User).where(User.leader_id == current_user.id, User.active).order_by(User.name)
    ).all()
    question_sets = db.session.scalars(select(QuestionSet).order_by(QuestionSet.position)).all()
    form = PlanForm(
        leader=current_user, reports=reports, question_sets=question_sets,
        current=conversation, **kwargs,
    )
    if conversation is None:  # a deputy also plans for the people of the leaders they stand in for
        form.employee.choices += [
            (person.id, _("%(name)s (for %(leader)s)", name=person.name, leader=leader.name))
            for person, leader in _deputized_people()]
    return form


def _deputized_people() -> list[tuple[User, User]]:
    """(person, leader) for the active people of the leaders the current user stands in
    for today, by name: two queries."""
    leaders = {d.leader_id: d.leader for d in deputies.active_deputyships(current_user)}
    if not leaders:
        return []
    people = db.session.scalars(
        select(User).where(User.leader_id.in_(leaders), User.active, User.id != current_user.id)
        .order_by(User.name, User.id)
    ).all()
    return [(person, leaders[person.leader_id]) for person in people]


def _show(conversation) -> str:
    return url_for(".show", conversation_id=conversation.id)


@bp.route("/plan", methods=["GET", "POST"])
def plan():
    """Plan a conversation with one of the leader's own people."""
    if not current_user.is_leader:
        abort(403)
    form = _plan_form(employee=request.args.get("employee", 0, type=int))
    return make_change(
        lambda: services.plan(current_user, db.session.get(User, form.employee.data),
                              **form.details()),
        form=form, back=_show,
        page=Page("conversations/plan.html", form=form, conversation=None),
        done=_("The conversation is planned. Read the invitation, then send it."),
    )


@bp.route("/<id:conversation_id>")
def show(conversation_id: int):
    """The leader's page: the invitation as the employee will read it, answers and actions."""
    conversation = conversation_for(LEADER, conversation_id)
    return render("conversations/show.html", conversation=conversation)


@bp.route("/<id:conversation_id>/edit", methods=["GET", "POST"])
def edit(conversation_id: int):
    """Move the conversation or change its details; a sent invitation is updated."""
    conversation = conversation_for(LEADER, conversation_id, lock=request.method == "POST")
    if request.method == "GET":
        start = to_oslo(conversation.starts_at)
        form = _plan_form(conversation, obj=conversation, day=start.date(),
                          clock=start.time(), version=conversation.version)
    else:
        form = _plan_form(conversation)
    del form.employee
    return make_change(
        lambda: services.change(conversation, **form.details()),
        stale=conversation, form=form, back=_show(conversation),
        page=Page("conversations/plan.html", form=form, conversation=conversation),
        done=lambda updated: _("Saved. %(name)s has been sent the new time.",
                               name=conversation.employee.name) if updated else _("Saved."),
    )


# The leader's steps from the conversation's page: what each does, and what it says then.
LEADER_STEPS = {
    "send": (services.send_invitation, _l("The invitation has been sent to %(name)s.")),
    "cancel": (services.cancel, _l("The conversation is cancelled.")),
    "keep-time": (services.keep_time, _l("%(name)s has been told the time stands.")),
    "use-proposed-time": (services.use_proposed_time,
                          _l("Moved. %(name)s has been sent the new time.")),
}


@bp.route('/<id:conversation_id>/<any(send, cancel, "keep-time", "use-proposed-time"):step>',
          methods=["POST"])
def leader_step(conversation_id: int, step: str):
    """Send the invitation, cancel the conversation, keep the planned time the employee
    asked to move, or move to the time they proposed."""
    change, done = LEADER_STEPS[step]
    conversation = conversation_for(LEADER, conversation_id, lock=True)
    return make_change(change, conversation, stale=conversation, back=_show(conversation),
                       done=str(done) % {"name": conversation.employee.name})


@bp.route("/<id:conversation_id>/respond", methods=["GET", "POST"])
def respond(conversation_id: int):
    """The employee proposes another time."""
    conversation = conversation_for(EMPLOYEE, conversation_id, lock=request.method == "POST")
    form = ProposeTimeForm()
    return make_change(
        lambda: services.propose_time(conversation, form.starts_at, form.comment.data or ""),
        stale=conversation, form=form,
        page=Page("conversations/respond.html", conversation=conversation, form=form),
        back=url_for("preparation.prepare", conversation_id=conversation_id),
        done=_("Your proposal has been sent to %(name)s.", name=conversation.leader.name),
    )


@bp.route("/<id:conversation_id>/accept", methods=["POST"])
def accept(conversation_id: int):
    """The employee accepts the invitation's time."""
    conversation = conversation_for(EMPLOYEE, conversation_id, lock=True)
    return make_change(
        services.accept, conversation, stale=conversation,
        back=url_for("preparation.prepare", conversation_id=conversation_id),
        done=_("Accepted. %(name)s has been told.", name=conversation.leader.name),
    )
