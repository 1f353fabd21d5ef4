"""The minutes: the employee's editor, the leader's approval, versions, print, PDF, archive.

Only the two parties of a conversation reach these pages (conversation_for); the leader
reads submitted versions, never the employee's draft. Editor changes answer htmx with the
changed block of the page, and plain posts with a redirect back to it.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..conversations.views import apply_change, conversation_for
from ..extensions import db
from ..htmx import is_partial, render
from ..models import Conversation, Minutes, User
from ..models.conversations import HELD
from ..timeutil import utcnow
from . import pdf, services
from .forms import ActionForm, CommentForm
from .services import MinutesRefused

bp = Blueprint("minutes", __name__, url_prefix="/minutes")

NEW = "new"


def _conversation(role: str, conversation_id: int, lock: bool = False):
    conversation = conversation_for(role, conversation_id, lock=lock)
    if conversation.state != HELD:
        abort(404)
    return conversation


def _is_employee(conversation) -> bool:
    return conversation.employee_id == current_user.id


@bp.route("/<int:conversation_id>")
def show(conversation_id: int):
    """The employee's editor or the minutes as submitted; the leader's reading and decision."""
    conversation = _conversation("party", conversation_id)
    minutes = services.minutes_of(conversation)
    if minutes is None:  # held before minutes existed: open them quietly
        minutes = services.open_minutes(conversation, notify=False)
        db.session.commit()
    return _page(conversation, minutes)


def _page(conversation, minutes, block=None, status=200, *, posted=None, comment_form=None):
    """The minutes page, or one block of it. `posted` is (action id or NEW, form) for an
    action form sent with errors, shown again with what was typed."""
    employee = _is_employee(conversation)
    editing = employee and minutes.is_editable
    context = {}
    if editing:
        actions = services.actions_of(conversation)
        forms = {action.id: ActionForm(formdata=None, obj=action, prefix=f"a{action.id}")
                 for action in actions}
        forms[NEW] = ActionForm(formdata=None, prefix=NEW)
        if posted:
            forms[posted[0]] = posted[1]
        context.update(actions=actions, action_forms=forms)
    elif minutes.first_approved_at:
        context.update(followed_up=services.actions_of(conversation, with_updates=True))
    version = minutes.latest_version
    previous = minutes.versions[-2] if len(minutes.versions) > 1 else None
    return render(
        "minutes/minutes.html",
        block,
        status,
        conversation=conversation,
        minutes=minutes,
        version=version,
        changes=services.changes(previous.content, version.content)
        if previous and not employee else None,
        editing=editing,
        is_employee=employee,
        comment_form=comment_form or CommentForm(formdata=None),
        **context,
    )


# The employee's draft ----------------------------------------------------------------------------


def _edit(conversation_id: int, change, block: str, anchor: str = ""):
    """Make one change to the draft; answer with `block`, or redirect to the page."""
    conversation = _conversation("employee", conversation_id, lock=True)
    minutes = services.minutes_of(conversation)
    error = None
    try:
        change(minutes)
    except MinutesRefused as refused:
        db.session.rollback()
        error = str(refused.message)
    else:
        db.session.commit()
    if is_partial():
        if block == "saved":  # the autosave's status, next to the field
            return render("minutes/minutes.html", "saved", 409 if error else 200, error=error,
                          saved_at=utcnow())
        if error:  # shown above the editor; what the person typed stays where it is
            body, status, headers = render("minutes/minutes.html", "refused", 409, error=error)
            headers.update({"HX-Retarget": "#minutes-error", "HX-Reswap": "innerHTML"})
            return body, status, headers
        return _page(conversation, minutes, block)
    if error:
        flash(error, "error")
    return redirect(url_for(".show", conversation_id=conversation_id) + anchor)


@bp.route("/<int:conversation_id>/points/<int:point_id>", methods=["POST"])
def save_point(conversation_id: int, point_id: int):
    heading, body = request.form.get("heading", ""), request.form.get("body", "")
    return _edit(
        conversation_id,
        lambda minutes: services.save_point(minutes, point_id, heading, body),
        "saved",
        f"#point-{point_id}",
    )


@bp.route("/<int:conversation_id>/points", methods=["POST"])
def add_point(conversation_id: int):
    return _edit(conversation_id, services.add_point, "points", "#points")


@bp.route("/<int:conversation_id>/points/<int:point_id>/remove", methods=["POST"])
def remove_point(conversation_id: int, point_id: int):
    return _edit(
        conversation_id, lambda minutes: services.remove_point(minutes, point_id), "points",
        "#points",
    )


@bp.route("/<int:conversation_id>/actions", methods=["POST"])
@bp.route("/<int:conversation_id>/actions/<int:action_id>", methods=["POST"])
def save_action(conversation_id: int, action_id: int | None = None):
    """Add an action, or change one; a form with errors comes back with what was typed."""
    form = ActionForm(prefix=f"a{action_id}" if action_id else NEW)
    if form.validate():
        details = form.details()
        return _edit(
            conversation_id,
            lambda minutes: services.save_action(minutes, action_id, details),
            "actions",
            "#actions",
        )
    conversation = _conversation("employee", conversation_id)
    minutes = services.minutes_of(conversation)
    if not minutes.is_editable:  # say why nothing can change, rather than field errors
        return _edit(conversation_id, services.ensure_editable, "actions")
    return _page(conversation, minutes, "actions" if is_partial() else None, 422,
                 posted=(action_id or NEW, form))


@bp.route("/<int:conversation_id>/actions/<int:action_id>/remove", methods=["POST"])
def remove_action(conversation_id: int, action_id: int):
    return _edit(
        conversation_id, lambda minutes: services.remove_action(minutes, action_id), "actions",
        "#actions",
    )


@bp.route("/<int:conversation_id>/no-actions", methods=["POST"])
def no_actions(conversation_id: int):
    none_agreed = request.form.get("no_actions") == "1"
    return _edit(
        conversation_id, lambda minutes: services.set_no_actions(minutes, none_agreed),
        "actions", "#actions",
    )


def _decide(role: str, conversation_id: int, change, done, *, with_comment: bool = False):
    """One plain-form step of the approval: `change(minutes, comment)` on the locked
    conversation, `done(conversation)` flashed, back to the page. With `with_comment`, a
    missing comment brings the page back with the error next to the field."""
    conversation = _conversation(role, conversation_id, lock=True)
    form = CommentForm()
    if with_comment and not form.validate():
        minutes = services.minutes_of(conversation)
        return _page(conversation, minutes, status=422, comment_form=form)
    apply_change(
        conversation,
        lambda c: change(services.minutes_of(c), form.comment.data),
        done(conversation),
    )
    return redirect(url_for(".show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/submit", methods=["POST"])
def submit(conversation_id: int):
    return _decide(
        "employee", conversation_id, lambda minutes, _comment: services.submit(minutes),
        lambda c: _("The minutes have been sent to %(name)s for approval.", name=c.leader.name),
    )


@bp.route("/<int:conversation_id>/ask-reopen", methods=["POST"])
def ask_reopen(conversation_id: int):
    return _decide(
        "employee", conversation_id, services.request_reopen,
        lambda c: _("%(name)s has been asked to reopen the minutes.", name=c.leader.name),
        with_comment=True,
    )


# The leader's decision ---------------------------------------------------------------------------


@bp.route("/<int:conversation_id>/approve", methods=["POST"])
def approve(conversation_id: int):
    number = request.form.get("number", type=int)
    return _decide(
        "leader", conversation_id, lambda minutes, _comment: services.approve(minutes, number),
        lambda c: _("The minutes are approved. %(name)s has been told.", name=c.employee.name),
    )


@bp.route("/<int:conversation_id>/send-back", methods=["POST"])
def send_back(conversation_id: int):
    number = request.form.get("number", type=int)
    return _decide(
        "leader", conversation_id,
        lambda minutes, comment: services.send_back(minutes, number, comment),
        lambda c: _("The minutes have been sent back to %(name)s.", name=c.employee.name),
        with_comment=True,
    )


@bp.route("/<int:conversation_id>/reopen", methods=["POST"])
def reopen(conversation_id: int):
    return _decide(
        "leader", conversation_id, lambda minutes, _comment: services.reopen(minutes),
        lambda c: _("The minutes are open again. %(name)s has been told.",
                    name=c.employee.name),
    )


# Versions, print and PDF -------------------------------------------------------------------------


def _version(conversation_id: int, number: int):
    conversation = _conversation("party", conversation_id)
    minutes = services.minutes_of(conversation)
    versions = minutes.versions if minutes else []
    if not 1 <= number <= len(versions):
        abort(404)
    return conversation, minutes, versions[number - 1]


@bp.route("/<int:conversation_id>/versions/<int:number>")
def version(conversation_id: int, number: int):
    conversation, minutes, version = _version(conversation_id, number)
    previous = minutes.versions[number - 2] if number > 1 else None
    return render(
        "minutes/version.html",
        conversation=conversation,
        minutes=minutes,
        version=version,
        changes=services.changes(previous.content, version.content) if previous else None,
    )


@bp.route("/<int:conversation_id>/versions/<int:number>/print")
def print_version(conversation_id: int, number: int):
    conversation, minutes, version = _version(conversation_id, number)
    return render("minutes/print.html", conversation=conversation, minutes=minutes,
                  version=version)


@bp.route("/<int:conversation_id>/versions/<int:number>/pdf")
def pdf_version(conversation_id: int, number: int):
    conversation, minutes, version = _version(conversation_id, number)
    body = pdf.minutes_pdf(conversation, version)
    name = f"medarbeidersamtale-{conversation.starts_at:%Y-%m-%d}-v{number}.pdf"
    return body, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    }


# The personnel file (R13) ------------------------------------------------------------------------


@bp.route("/archive")
@bp.route("/archive/<int:employee_id>")
def archive(employee_id: int | None = None):
    """Earlier conversations and their minutes: your own, or, for a leader, those of one
    person that you held with them."""
    person = current_user if employee_id is None else db.session.get(User, employee_id)
    if person is None:
        abort(404)
    query = (
        select(Conversation, Minutes)
        .outerjoin(Minutes, Minutes.conversation_id == Conversation.id)
        .where(Conversation.employee_id == person.id, Conversation.state == HELD)
        .order_by(Conversation.starts_at.desc())
        .options(selectinload(Minutes.versions))
    )
    if person.id != current_user.id:
        query = query.where(Conversation.leader_id == current_user.id)
    rows = db.session.execute(query).all()
    if person.id != current_user.id and not rows and person.leader_id != current_user.id:
        abort(403)
    return render("minutes/archive.html", person=person, rows=rows)
