"""The minutes: the employee's editor, the leader's approval, versions, print, PDF, archive.

Only the two parties of a conversation reach these pages (access.held_conversation_for);
the leader reads submitted versions, never the employee's draft. The employee may share
approved minutes with their current leader (sharing.py), who then reads the approved
version here, and its print view and PDF, and nothing else (sharing.readable_minutes_for).
Every change goes through make_change: editor changes answer htmx with the changed block of
the page (a refusal in #minutes-error, so what was typed stays), plain posts with a
redirect back.
"""

from functools import partial

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import flow
from ..access import EMPLOYEE, LEADER, PARTY, held_conversation_for, is_employee
from ..change import make_change, saved_status
from ..extensions import db
from ..htmx import render
from ..models import MinutesPoint, User
from ..models.minutes import APPROVED, SUBMITTED
from ..timeutil import to_oslo
from . import approval, drafting, next_meeting, pdf, remarks, sharing
from .archive import archive_for
from .differences import differences
from .forms import (
    ActionForm,
    CommentForm,
    NextMeetingForm,
    PointForm,
    RemarkForm,
    SendBackForm,
)

bp = Blueprint("minutes", __name__, url_prefix="/minutes")

NEW = "new"
NEXT_PREFIX = "next"  # the next meeting's form, apart from the page's other forms
ERROR_TARGET = "#minutes-error"


@bp.route("/<id:conversation_id>")
def show(conversation_id: int):
    """The employee's editor or the minutes as submitted; the leader's reading and decision;
    for the leader the employee shared them with, the approved minutes to read."""
    conversation, party = sharing.readable_minutes_for(conversation_id)
    if not party:
        return _shared_page(conversation)
    return make_change(flow.minutes_of_held, conversation,
                       page=lambda outcome: _page(conversation, outcome.result))


def _shared_page(conversation):
    """The approved minutes as the employee's current leader reads them once shared: the
    approved version only, with no control to change anything."""
    minutes = drafting.minutes_of(conversation)
    version = minutes.approved_version if minutes else None
    if version is None:
        abort(404)
    return render("minutes/minutes.html", conversation=conversation, minutes=minutes,
                  version=version, shared=True, is_employee=False,
                  remarks=remarks.remarks_on(version))


def _page(conversation, minutes, block=None, *, posted=None, comment_form=None,
          next_form=None, remark_form=None):
    """The minutes page, or one block of it. `posted` is (action id or NEW, form) for an
    action form sent with errors, shown again with what was typed. What changed since the
    previous version is shown to the leader only while there is something to decide."""
    employee = is_employee(conversation)
    editing = employee and minutes.is_editable
    context = {}
    if editing:
        actions = drafting.actions_of(conversation)
        forms = {action.id: ActionForm(formdata=None, obj=action, prefix=f"a{action.id}")
                 for action in actions}
        forms[NEW] = ActionForm(formdata=None, prefix=NEW)
        if posted:
            forms[posted[0]] = posted[1]
        context.update(actions=actions, action_forms=forms)
    elif minutes.first_approved_at:
        context.update(followed_up=drafting.actions_of(conversation, with_updates=True))
    if employee and minutes.first_approved_at:  # withdrawn at any time, shared once approved
        share = sharing.current_share(conversation)
        context.update(shared_with=share.leader if share else None,
                       share_target=sharing.share_target(conversation)
                       if minutes.state == APPROVED else None)
    version, previous = minutes.latest_version, minutes.previous_version
    deciding = not employee and minutes.state == SUBMITTED and previous is not None
    return render(
        "minutes/minutes.html",
        block,
        conversation=conversation,
        minutes=minutes,
        version=version,
        previous=previous,
        changes=differences(previous.content, version.content) if deciding else None,
        editing=editing,
        is_employee=employee,
        comment_form=comment_form or (CommentForm if employee else SendBackForm)(formdata=None),
        next_form=next_form or NextMeetingForm(
            formdata=None, prefix=NEXT_PREFIX, kind=minutes.next_meeting_kind,
            on=minutes.next_meeting_on),
        next_meeting_kinds=next_meeting.KIND_LABELS,
        next_meeting_days=next_meeting.NEXT_MEETING_REMINDER_DAYS,
        remarks=remarks.remarks_on(version),
        remark_form=remark_form or RemarkForm(formdata=None),
        **context,
    )


def _back(conversation_id: int, anchor: str | None = None) -> str:
    return url_for(".show", conversation_id=conversation_id, _anchor=anchor)


# The employee's draft ----------------------------------------------------------------------------


def _draft_change(conversation_id: int, change, *args, block, anchor: str, form=None):
    """One change of the draft; htmx gets `block` of the page (or, a function, the answer
    it makes: the status of an autosave), a plain post is sent back to the page at
    `anchor`. A draft that cannot change says why, rather than what is wrong with the
    form."""
    conversation = held_conversation_for(EMPLOYEE, conversation_id, lock=True)
    minutes = drafting.minutes_of(conversation)
    posted = None
    if isinstance(form, ActionForm):  # shown again with what was typed and its errors
        posted = (request.view_args.get("action_id") or NEW, form)

    def page(_outcome, block=None):
        return _page(conversation, minutes, block,
                     posted=posted if posted and form.errors else None)

    return make_change(
        change, minutes, *args, form=form if minutes.is_editable else None,
        back=_back(conversation_id, anchor), page=page,
        block=block if callable(block) else partial(page, block=block),
        error_target=None if callable(block) else ERROR_TARGET,
    )


def _point_saved(form: PointForm, point_id: int):
    """The answer to a point's autosave: its status, and once saved the preview of its text
    as the minutes will show it."""
    status = saved_status(form)

    def answer(outcome):
        if outcome.refused is not None or form.errors:
            return status(outcome)
        preview = render_block("minutes/minutes.html", "preview",
                               point=db.session.get(MinutesPoint, point_id))
        return (f"{status(outcome)}<hx-partial hx-target=\"#preview-{point_id}\" "
                f"hx-swap=\"outerHTML\">{preview}</hx-partial>")

    return answer


@bp.route("/<id:conversation_id>/points/<id:point_id>", methods=["POST"])
def save_point(conversation_id: int, point_id: int):
    """Save a point as the employee types (autosave); the text is Markdown."""
    form = PointForm()
    return _draft_change(conversation_id, drafting.save_point, point_id,
                         form.heading.data or "", form.body.data or "",
                         block=_point_saved(form, point_id), anchor=f"point-{point_id}",
                         form=form)


@bp.route("/<id:conversation_id>/points", methods=["POST"])
def add_point(conversation_id: int):
    """Add an empty point at the end."""
    return _draft_change(conversation_id, drafting.add_point, block="points", anchor="points")


@bp.route("/<id:conversation_id>/points/<id:point_id>/remove", methods=["POST"])
def remove_point(conversation_id: int, point_id: int):
    """Remove a point from the draft."""
    return _draft_change(conversation_id, drafting.remove_point, point_id, block="points",
                         anchor="points")


@bp.route("/<id:conversation_id>/actions", methods=["POST"])
@bp.route("/<id:conversation_id>/actions/<id:action_id>", methods=["POST"])
def save_action(conversation_id: int, action_id: int | None = None):
    """Add an action, or change one; a form with errors comes back with what was typed."""
    form = ActionForm(prefix=f"a{action_id}" if action_id else NEW)
    return _draft_change(
        conversation_id, lambda minutes: drafting.save_action(minutes, action_id, form.details()),
        block="actions", anchor="actions", form=form,
    )


@bp.route("/<id:conversation_id>/actions/<id:action_id>/remove", methods=["POST"])
def remove_action(conversation_id: int, action_id: int):
    """Remove an action from the draft."""
    return _draft_change(conversation_id, drafting.remove_action, action_id, block="actions",
                         anchor="actions")


@bp.route("/<id:conversation_id>/no-actions", methods=["POST"])
def no_actions(conversation_id: int):
    """Say plainly that no actions were agreed (or take it back)."""
    none_agreed = request.form.get("no_actions") == "1"
    return _draft_change(conversation_id, drafting.set_no_actions, none_agreed, block="actions",
                         anchor="actions")


# Submitting and deciding -------------------------------------------------------------------------


# The steps of the approval: who takes each, what it does, whether it carries the number
# of the version decided on, the form of its comment (None: no comment), and what it says
# then (%(name)s: the other).
DECISIONS = {
    "submit": (EMPLOYEE, approval.submit, False, None,
               _l("The minutes have been sent to %(name)s for approval.")),
    "ask-reopen": (EMPLOYEE, approval.request_reopen, False, CommentForm,
                   _l("%(name)s has been asked to reopen the minutes.")),
    "approve": (LEADER, approval.approve, True, None,
                _l("The minutes are approved. %(name)s has been told.")),
    "send-back": (LEADER, approval.send_back, True, SendBackForm,
                  _l("The minutes have been sent back to %(name)s.")),
    "reopen": (LEADER, approval.reopen, False, None,
               _l("The minutes are open again. %(name)s has been told.")),
}


@bp.route('/<id:conversation_id>/<any(submit, "ask-reopen", approve, "send-back", reopen):step>',
          methods=["POST"])
def decide(conversation_id: int, step: str):
    """The employee submits the draft or asks to reopen approved minutes; the leader
    approves the version they read, sends it back with a comment, or reopens the minutes.
    A comment that is missing brings the page back with the error, and what was typed."""
    role, change, numbered, comment_form, done = DECISIONS[step]
    conversation = held_conversation_for(role, conversation_id, lock=True)
    minutes = drafting.minutes_of(conversation)
    form = comment_form() if comment_form else None
    args = [request.form.get("number", type=int)] if numbered else []
    if form is not None:
        args.append(form.comment.data)
    other = conversation.leader if role == EMPLOYEE else conversation.employee

    def page(outcome):
        if outcome.refused is not None and form is not None:
            # Said at the top: after a decision made a moment before, the form is gone.
            flash(str(outcome.refused.message), "error")
        return _page(conversation, minutes, comment_form=form)

    return make_change(
        change, minutes, *args, form=form, back=_back(conversation_id),
        done=str(done) % {"name": other.name}, page=page,
    )


@bp.route("/<id:conversation_id>/next-meeting", methods=["POST"])
def set_next_meeting(conversation_id: int):
    """After approval, the leader says when the next conversation or a follow-up should be."""
    conversation = held_conversation_for(LEADER, conversation_id, lock=True)
    minutes = drafting.minutes_of(conversation)
    form = NextMeetingForm(prefix=NEXT_PREFIX)
    return make_change(
        lambda: next_meeting.set_next_meeting(minutes, form.kind.data, form.on.data),
        form=form, back=_back(conversation_id, "next-meeting"),
        # Before approval the page has no such form: the refusal is flashed on it instead.
        page=(lambda _outcome: _page(conversation, minutes, next_form=form))
        if minutes.state == APPROVED else None,
        done=_l("The next meeting is set. You will be reminded of it."),
    )


@bp.route("/<id:conversation_id>/remarks", methods=["POST"])
def add_remark(conversation_id: int):
    """The employee adds a remark (merknad) to the approved minutes."""
    conversation = held_conversation_for(EMPLOYEE, conversation_id, lock=True)
    minutes = drafting.minutes_of(conversation)
    form = RemarkForm()
    return make_change(
        lambda: remarks.add_remark(conversation, minutes, current_user, form.body.data),
        form=form, back=_back(conversation_id, "remarks"),
        page=(lambda _outcome: _page(conversation, minutes, remark_form=form))
        if minutes is not None and minutes.state == APPROVED else None,
        done=_l("Your remark is kept with the minutes, and %(name)s has been told.",
                name=conversation.leader.name),
    )


# Sharing with the current leader ------------------------------------------------------------------


@bp.route("/<id:conversation_id>/share", methods=["POST"])
def share(conversation_id: int):
    """The employee lets their current leader read the approved minutes."""
    conversation = held_conversation_for(PARTY, conversation_id, lock=True)
    return make_change(
        sharing.share, conversation, current_user, back=_back(conversation_id, "sharing"),
        done=lambda made: _("The minutes are shared with %(name)s, who has been told by "
                            "email.", name=made.leader.name),
    )


@bp.route("/<id:conversation_id>/share/withdraw", methods=["POST"])
def withdraw_share(conversation_id: int):
    """The employee takes the share back."""
    conversation = held_conversation_for(PARTY, conversation_id, lock=True)
    return make_change(
        sharing.withdraw, conversation, current_user, back=_back(conversation_id, "sharing"),
        done=lambda leader: _("The sharing is withdrawn: %(name)s can no longer read the "
                              "minutes.", name=leader.name),
    )


# Versions, print and PDF -------------------------------------------------------------------------


def _version(conversation_id: int, number: int, *, shared: bool = False):
    """One version of the minutes, for their parties; with `shared`, also the approved
    version for the leader the employee shared the minutes with (and no other)."""
    if shared:
        conversation, party = sharing.readable_minutes_for(conversation_id)
    else:
        conversation, party = held_conversation_for(PARTY, conversation_id), True
    minutes = drafting.minutes_of(conversation)
    versions = minutes.versions if minutes else []
    if not 1 <= number <= len(versions):
        abort(404)
    if not party and versions[number - 1] is not minutes.approved_version:
        abort(404)
    return conversation, minutes, versions[number - 1]


@bp.route("/<id:conversation_id>/versions/<id:number>")
def version(conversation_id: int, number: int):
    """One version, with what changed since the one before."""
    conversation, minutes, version = _version(conversation_id, number)
    previous = minutes.versions[number - 2] if number > 1 else None
    return render(
        "minutes/version.html",
        conversation=conversation,
        minutes=minutes,
        version=version,
        previous=previous,
        changes=differences(previous.content, version.content) if previous else None,
        remarks=remarks.remarks_on(version),
    )


@bp.route("/<id:conversation_id>/versions/<id:number>/print")
def print_version(conversation_id: int, number: int):
    """One version as a page to print; the PDF is made from the same page."""
    conversation, _minutes, version = _version(conversation_id, number, shared=True)
    return render(pdf.TEMPLATE, **pdf.print_context(conversation, version))


@bp.route("/<id:conversation_id>/versions/<id:number>/pdf")
def pdf_version(conversation_id: int, number: int):
    """One version as a PDF, for the personnel file."""
    conversation, _minutes, version = _version(conversation_id, number, shared=True)
    body = pdf.minutes_pdf(conversation, version)
    name = f"medarbeidersamtale-{to_oslo(conversation.held_on):%Y-%m-%d}-v{number}.pdf"
    return body, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    }


# The personnel file (R13) ------------------------------------------------------------------------


@bp.route("/archive")
@bp.route("/archive/<id:employee_id>")
def archive(employee_id: int | None = None):
    """Earlier conversations and their minutes: your own, or, for a leader, those of one
    person that you held with them."""
    person = current_user if employee_id is None else db.session.get(User, employee_id)
    if person is None:
        abort(404)
    rows = archive_for(current_user, person)
    if rows is None:
        abort(403)
    return render("minutes/archive.html", person=person, rows=rows,
                  only_actions=pdf.only_actions())
