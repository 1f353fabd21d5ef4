"""The meeting: one shared agenda, edited by both parties at once and kept live.

The page works with plain form posts. With htmx (attributes in templates/agenda/), texts
save themselves as they are typed, each change answers with the list of items as it now
is, which htmx morphs into the page, and the page learns of the other party's changes from
its event stream (PostgreSQL: /events) or by polling (/poll answers 204 while nothing is
new). static/js/agenda.js keeps a text being typed and its version together meanwhile.
"""

import time
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import flow, security
from ..access import LEADER, PARTY, conversation_for
from ..auth import sessions
from ..change import first_error, make_change
from ..errors import alert
from ..extensions import db, login_manager
from ..htmx import render
from ..models import Conversation, User
from ..models.conversations import HELD, IN_PROGRESS
from ..roles import public
from ..timeutil import utcnow
from . import editing, live, meeting
from .editing import Conflict
from .forms import ItemForm, TextForm
from .fragments import item_html

bp = Blueprint("agenda", __name__, url_prefix="/agenda")
bp.add_app_template_global(item_html)
bp.add_app_template_global(editing.text_is_editable, "item_text_editable")
bp.add_app_template_global(meeting.is_before_its_day, "starts_early")

ERROR_TARGET = "#agenda-error"


@bp.route("/<id:conversation_id>")
def show(conversation_id: int):
    """The agenda during the meeting; before it, a page to start it; after it, the record."""
    conversation = conversation_for(PARTY, conversation_id)
    if meeting.is_due(conversation):  # it opens by itself at the planned time
        return make_change(meeting.start, conversation, page=partial(_opened, conversation))
    return _opened(conversation)


def _opened(conversation, _outcome=None):
    if conversation.state not in (IN_PROGRESS, HELD):
        return render("agenda/waiting.html", conversation=conversation,
                      may_start=meeting.may_start_early(conversation))
    return _page(conversation)


def _page(conversation, outcome=None, form=None):
    """The whole agenda; after a plain post that changed nothing, with the reason or, for
    a conflict, both texts to choose from."""
    refused = outcome.refused if outcome else None
    error = first_error(form) if form and form.errors else None
    if refused is not None and not isinstance(refused, Conflict):
        error = refused.message
    return render(
        "agenda/agenda.html",
        conversation=conversation,
        items=editing.live_items(conversation),
        editable=conversation.state == IN_PROGRESS,
        merge=refused if isinstance(refused, Conflict) else None,
        error=error,
        now=utcnow(),
        **_live(conversation),
    )


def _live(conversation, presence=None) -> dict:
    """How the page keeps up (`live_push`: an event stream, else polls) and what it shows of
    the other party: the hub's presence (when polling); `moment` is the hub's clock."""
    push = live.has_push()
    if presence is None and not push:
        presence = live.polled(conversation.id, current_user.id)
    other = conversation.leader if current_user.id == conversation.employee_id else (
        conversation.employee)
    return {"live_push": push, "presence": presence, "other": other,
            "moment": time.monotonic()}


def _show(conversation_id: int, anchor: str | None = None) -> str:
    return url_for(".show", conversation_id=conversation_id, _anchor=anchor)


@bp.route("/<id:conversation_id>/start", methods=["POST"])
def start(conversation_id: int):
    """The leader starts the meeting; the agenda is built from both preparations."""
    conversation = conversation_for(LEADER, conversation_id, lock=True)
    return make_change(meeting.start, conversation, stale=conversation,
                       back=_show(conversation_id))


@bp.route("/<id:conversation_id>/end", methods=["GET", "POST"])
def end(conversation_id: int):
    """The leader ends the meeting and chooses which items not discussed to carry over."""
    conversation = conversation_for(LEADER, conversation_id, lock=request.method == "POST")
    if request.method == "GET":
        pending = [i for i in editing.live_items(conversation) if not i.discussed]
        return render("agenda/end.html", conversation=conversation, pending=pending)
    carry = set(security.ids(request.form.getlist("carry")))
    return make_change(
        flow.end_meeting, conversation, carry, stale=conversation, back=_show(conversation_id),
        done=_("The conversation is over. %(name)s can now write the minutes.",
               name=conversation.employee.name),
    )


# Live -------------------------------------------------------------------------------------------


def _changes(conversation, presence=None):
    """What a browser needs after a change, or from a poll that found one: the list of
    items as it now is, which htmx morphs into the page (a text being typed keeps its text
    and version, see static/js/agenda.js), the agenda's version, and who is here."""
    return render(
        "agenda/agenda.html", "changes",
        conversation=conversation,
        items=editing.live_items(conversation),
        editable=conversation.state == IN_PROGRESS,
        oob=True,
        now=utcnow(),  # a plain GET (no htmx) gets the whole page, meeting bar and all
        **_live(conversation, presence),
    )


@bp.route("/<id:conversation_id>/poll")
@public  # it checks the session itself, in its one query
def poll(conversation_id: int):
    """Nothing new: 204, from memory (PostgreSQL, see live.known_unchanged) or after one
    small query, nothing rendered. Else the list of items (and, for a browser that polls
    because the server has no push, who is here)."""
    session_id = session.get("_user_id")
    since = request.args.get("since", type=security.counter)  # out of range: None, a full answer
    if live.known_unchanged(conversation_id, session_id, since,
                            request.args.get("latest", type=security.counter),
                            request.args.get("shown")):
        return Response(status=204)
    row = live.poll_state(conversation_id, session_id)
    if row is None:  # not logged in, not a party, or no such agenda: say which
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        conversation_for(PARTY, conversation_id)  # 404 or 403
        abort(404)
    viewer = User.parse_session_id(session_id)[0]
    presence = None if live.has_push() else live.polled(conversation_id, viewer)
    other = row.leader_id if viewer == row.employee_id else row.employee_id
    if since == row.agenda_version and (
        presence is None or request.args.get("shown") == presence.shown(other)
    ):
        return Response(status=204)
    return _changes(db.session.get(Conversation, conversation_id), presence)


@bp.route("/<id:conversation_id>/events")
def events(conversation_id: int):
    """The party's event stream (PostgreSQL): "update" when the agenda changed, and, as
    they change, who is here and typing where and the minutes the meeting has lasted."""
    conversation = conversation_for(PARTY, conversation_id)
    if not live.has_push():
        abort(404)
    other = conversation.leader if current_user.id == conversation.employee_id else (
        conversation.employee)

    def block(name, **context):
        return render_block("agenda/agenda.html", name, conversation=conversation,
                            other=other, live_push=True, oob=True, **context)

    session_id = session.get("_user_id")
    return Response(
        stream_with_context(live.event_stream(
            conversation, current_user.id, block, lambda: sessions.is_open(session_id))),
        mimetype="text/event-stream",
        headers={"X-Accel-Buffering": "no"},  # Cache-Control: no-store, as every page (security.py)
    )


@bp.route("/<id:conversation_id>/elapsed")
def elapsed(conversation_id: int):
    """How long the meeting has lasted, for the meeting bar of a page that polls."""
    conversation = conversation_for(PARTY, conversation_id)
    if conversation.started_at is None:  # no meeting yet, so nothing has lasted
        abort(404)
    return render("agenda/agenda.html", "elapsed", conversation=conversation, now=utcnow(),
                  live_push=live.has_push())


# Changes ----------------------------------------------------------------------------------------


def _agenda_change(conversation_id: int, change, *args, form=None):
    """One change of the agenda: htmx gets the list of items as it now is, or the reason
    nothing changed in the agenda's alert region."""
    conversation = conversation_for(PARTY, conversation_id)

    def changes(_outcome):
        if form is not None and form.errors:
            return alert(first_error(form), ERROR_TARGET, 422)
        return _changes(conversation)

    return make_change(change, conversation, *args, form=form, back=_show(conversation_id),
                       block=changes, error_target=ERROR_TARGET)


@bp.route("/<id:conversation_id>/items", methods=["POST"])
def add_item(conversation_id: int):
    """Add an item, after everything but salary and conditions."""
    form = ItemForm()
    return _agenda_change(conversation_id, editing.add_item, form.text.data, form=form)


@bp.route("/<id:conversation_id>/items/<id:item_id>/remove", methods=["POST"])
def remove_item(conversation_id: int, item_id: int):
    """Remove an item from the agenda."""
    return _agenda_change(conversation_id, editing.remove_item, item_id)


@bp.route("/<id:conversation_id>/items/<id:item_id>/discussed", methods=["POST"])
def discussed(conversation_id: int, item_id: int):
    """Mark an item discussed, or not discussed after all."""
    value = request.form.get("discussed") == "1"
    return _agenda_change(conversation_id, editing.set_discussed, item_id, value)


@bp.route("/<id:conversation_id>/items/<id:item_id>/move", methods=["POST"])
def move_item(conversation_id: int, item_id: int):
    """Move an item one place up or down."""
    step = request.form.get("step", 0, type=security.step)
    return _agenda_change(conversation_id, editing.move_item, item_id, step)


@bp.route("/<id:conversation_id>/order", methods=["POST"])
def reorder(conversation_id: int):
    """Put the items in the order given (drag and drop)."""
    ids = security.ids(request.form.getlist("item"))
    return _agenda_change(conversation_id, editing.reorder, ids)


@bp.route("/<id:conversation_id>/items/<id:item_id>/text", methods=["POST"])
def save_text(conversation_id: int, item_id: int):
    """Save one text typed on `version`: 204 with its new version, 200 with the merged
    text, or 409 and both texts when both changed the same words."""
    conversation = conversation_for(PARTY, conversation_id)
    form = TextForm()
    return make_change(
        lambda: editing.save_text(conversation, item_id, form.field.data, form.text,
                                  form.version.data, author_id=current_user.id,
                                  basis=form.basis.data or "", caret=form.caret.data),
        form=form, back=_show(conversation_id, f"item-{item_id}"),
        page=partial(_page, conversation, form=form),
        block=partial(_text_saved, conversation, form),
    )


def _text_saved(conversation, form, outcome):
    """For htmx: 204 and the text's new version; 200 and the merged text, with where the
    caret is now; the merge block in the text's own place for a conflict; or the reason in
    the agenda's alert region."""
    refused = outcome.refused
    if isinstance(refused, Conflict):
        body = render_template("agenda/_merge.html", conversation=conversation, merge=refused)
        target = f"#merge-{refused.field}-{refused.item.id}"
        return body, 409, {"HX-Retarget": target, "HX-Reswap": "innerHTML"}
    if refused is not None or form.errors:
        return alert(refused.message if refused else first_error(form), ERROR_TARGET, 409)
    saved = outcome.result
    headers = {"X-Text-Version": str(saved.version)}
    if saved.text == form.text:
        return Response(status=204, headers=headers)
    if saved.caret is not None:
        headers["X-Caret"] = str(saved.caret)
    return Response(saved.text, 200, headers, mimetype="text/plain")
