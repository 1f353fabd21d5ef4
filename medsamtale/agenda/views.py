"""The meeting: one shared agenda, edited by both parties at once and kept live.

The page works with plain form posts. static/js/agenda.js makes it live: it saves texts
as the person types, sends changes with the agenda version it has (`since`), and merges
the changed items it gets back, from a change of its own, from polling (/poll answers 304
while nothing has changed) or, on PostgreSQL, after a "changed" event from /events.
"""

from functools import partial

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import flow
from ..access import LEADER, PARTY, conversation_for
from ..change import first_error, make_change
from ..errors import alert
from ..extensions import db
from ..htmx import render
from ..models import Conversation
from ..models.conversations import HELD, IN_PROGRESS
from ..timeutil import utcnow
from . import editing, live, meeting
from .editing import Conflict
from .forms import ItemForm, TextForm

bp = Blueprint("agenda", __name__, url_prefix="/agenda")

ERROR_TARGET = "#agenda-error"


@bp.route("/<int:conversation_id>")
def show(conversation_id: int):
    """The agenda during the meeting; before it, a page to start it; after it, the record."""
    conversation = conversation_for(PARTY, conversation_id)
    if meeting.is_due(conversation):  # it opens by itself at the planned time
        return make_change(meeting.start, conversation, page=partial(_opened, conversation))
    return _opened(conversation)


def _opened(conversation, _outcome=None):
    if conversation.state not in (IN_PROGRESS, HELD):
        return render("agenda/waiting.html", conversation=conversation)
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
        live_push=live.has_push(),
        merge=refused if isinstance(refused, Conflict) else None,
        error=error,
        now=utcnow(),
    )


def _show(conversation_id: int, anchor: str | None = None) -> str:
    return url_for(".show", conversation_id=conversation_id, _anchor=anchor)


@bp.route("/<int:conversation_id>/start", methods=["POST"])
def start(conversation_id: int):
    """The leader starts the meeting; the agenda is built from both preparations."""
    conversation = conversation_for(LEADER, conversation_id, lock=True)
    return make_change(meeting.start, conversation, stale=conversation,
                       back=_show(conversation_id))


@bp.route("/<int:conversation_id>/end", methods=["GET", "POST"])
def end(conversation_id: int):
    """The leader ends the meeting and chooses which items not discussed to carry over."""
    conversation = conversation_for(LEADER, conversation_id, lock=request.method == "POST")
    if request.method == "GET":
        pending = [i for i in editing.live_items(conversation) if not i.discussed]
        return render("agenda/end.html", conversation=conversation, pending=pending)
    carry = {int(i) for i in request.form.getlist("carry") if i.isdigit()}
    return make_change(
        flow.end_meeting, conversation, carry, stale=conversation, back=_show(conversation_id),
        done=_("The conversation is over. %(name)s can now write the minutes.",
               name=conversation.employee.name),
    )


# Live -------------------------------------------------------------------------------------------


def _changes(conversation, since: int):
    """The items changed since `since`, as the `changes` block, stamped with the version.

    The version is read before the items, so it never claims a change the answer lacks.
    """
    version = conversation.agenda_version
    body, status, headers = render(
        "agenda/agenda.html",
        "changes",
        conversation=conversation,
        items=live.changes_since(conversation, since),
        editable=conversation.state == IN_PROGRESS,
    )
    headers.update(_version_headers(version))
    return body, status, headers


def _version_headers(version: int) -> dict:
    return {
        "ETag": f'"{version}"',
        "X-Agenda-Version": str(version),
        "Cache-Control": "no-cache",
    }


@bp.route("/<int:conversation_id>/poll")
def poll(conversation_id: int):
    """Nothing changed: 304 from one small query, without rendering. Else the changes."""
    row = live.current_version(conversation_id)
    if row is None or row.invited_at is None:
        abort(404)
    if current_user.id not in (row.employee_id, row.leader_id):
        abort(403)
    if request.if_none_match.contains(str(row.agenda_version)):
        return Response(status=304, headers=_version_headers(row.agenda_version))
    conversation = db.session.get(Conversation, conversation_id)
    return _changes(conversation, request.args.get("since", 0, type=int))


@bp.route("/<int:conversation_id>/events")
def events(conversation_id: int):
    """A stream of "changed" events carrying only the agenda version (PostgreSQL)."""
    conversation = conversation_for(PARTY, conversation_id)
    if not live.has_push():
        abort(404)
    return Response(
        live.event_stream(conversation.id),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.route("/<int:conversation_id>/presence", methods=["POST"])
def presence(conversation_id: int):
    """A heartbeat from one party; answers whether the other is here."""
    conversation = conversation_for(PARTY, conversation_id)
    other_present = live.mark_present(conversation, current_user.id)
    db.session.commit()
    return render("agenda/agenda.html", "presence", conversation=conversation,
                  other_present=other_present)


# Changes ----------------------------------------------------------------------------------------


def _agenda_change(conversation_id: int, change, *args, form=None):
    """One change of the agenda: htmx gets the items changed since its version (`since`),
    or the reason nothing changed in the agenda's alert region."""
    conversation = conversation_for(PARTY, conversation_id)
    since = request.form.get("since", type=int)

    def changes(_outcome):
        if form is not None and form.errors:
            return alert(first_error(form), ERROR_TARGET, 422)
        return _changes(conversation, since)

    return make_change(
        change, conversation, *args, form=form, back=_show(conversation_id),
        block=None if since is None else changes, error_target=ERROR_TARGET,
    )


@bp.route("/<int:conversation_id>/items", methods=["POST"])
def add_item(conversation_id: int):
    """Add an item, after everything but salary and conditions."""
    form = ItemForm()
    return _agenda_change(conversation_id, editing.add_item, form.text.data, form=form)


@bp.route("/<int:conversation_id>/items/<int:item_id>/remove", methods=["POST"])
def remove_item(conversation_id: int, item_id: int):
    """Remove an item from the agenda."""
    return _agenda_change(conversation_id, editing.remove_item, item_id)


@bp.route("/<int:conversation_id>/items/<int:item_id>/discussed", methods=["POST"])
def discussed(conversation_id: int, item_id: int):
    """Mark an item discussed, or not discussed after all."""
    value = request.form.get("discussed") == "1"
    return _agenda_change(conversation_id, editing.set_discussed, item_id, value)


@bp.route("/<int:conversation_id>/items/<int:item_id>/move", methods=["POST"])
def move_item(conversation_id: int, item_id: int):
    """Move an item one place up or down."""
    step = request.form.get("step", 0, type=int)
    return _agenda_change(conversation_id, editing.move_item, item_id, step)


@bp.route("/<int:conversation_id>/order", methods=["POST"])
def reorder(conversation_id: int):
    """Put the items in the order given (drag and drop)."""
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit()]
    return _agenda_change(conversation_id, editing.reorder, ids)


@bp.route("/<int:conversation_id>/items/<int:item_id>/text", methods=["POST"])
def save_text(conversation_id: int, item_id: int):
    """Save one text typed on `version`: 204 with its new version, or 409 and both texts."""
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
    """For agenda.js: 204 and the text's new version, the merge block for a conflict, or
    the reason in the agenda's alert region."""
    refused = outcome.refused
    if isinstance(refused, Conflict):
        return render("agenda/agenda.html", "merge", conversation=conversation, merge=refused)
    if refused is not None or form.errors:
        return alert(refused.message if refused else first_error(form), ERROR_TARGET, 409)
    saved = outcome.result
    headers = _version_headers(conversation.agenda_version)
    headers["X-Text-Version"] = str(saved.version)
    if saved.text == form.text:
        return Response(status=204, headers=headers)
    if saved.caret is not None:  # merged with the other party's changes: the text as it is
        headers["X-Caret"] = str(saved.caret)
    return Response(saved.text, 200, headers, mimetype="text/plain")
