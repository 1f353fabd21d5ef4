"""The meeting: one shared agenda, edited by both parties at once and kept live.

The page works with plain form posts. static/js/agenda.js makes it live: it saves texts
as the person types, sends changes with the agenda version it has (`since`), and merges
the changed items it gets back, from a change of its own, from polling (/poll answers 304
while nothing has changed) or, on PostgreSQL, after a "changed" event from /events.
"""

import time

import psycopg
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..conversations.views import apply_change, conversation_for
from ..extensions import db
from ..htmx import is_partial, render
from ..models import Conversation
from ..models.conversations import HELD, IN_PROGRESS
from ..timeutil import utcnow
from . import services
from .services import AgendaRefused, Conflict

bp = Blueprint("agenda", __name__, url_prefix="/agenda")

EVENT_STREAM_SECONDS = 300  # the browser reconnects by itself after this
KEEP_ALIVE_SECONDS = 15


def live_push() -> bool:
    """Server-sent events need PostgreSQL's LISTEN/NOTIFY; SQLite polls."""
    return db.engine.dialect.name == "postgresql"


@bp.route("/<int:conversation_id>")
def show(conversation_id: int):
    """The agenda during the meeting; before it, a page to start it; after it, the record."""
    conversation = conversation_for("party", conversation_id)
    if services.is_due(conversation):
        try:
            services.start(conversation)
        except AgendaRefused:  # the other party started it a moment ago
            db.session.rollback()
        else:
            db.session.commit()
    if conversation.state not in (IN_PROGRESS, HELD):
        return render("agenda/waiting.html", conversation=conversation)
    return _page(conversation)


def _page(conversation, status=200, merge=None):
    return render(
        "agenda/agenda.html",
        status=status,
        conversation=conversation,
        items=services.live_items(conversation),
        editable=conversation.state == IN_PROGRESS,
        live_push=live_push(),
        merge=merge,
        now=utcnow(),
    )


@bp.route("/<int:conversation_id>/start", methods=["POST"])
def start(conversation_id: int):
    conversation = conversation_for("leader", conversation_id, lock=True)
    apply_change(conversation, services.start)
    return redirect(url_for(".show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/end", methods=["GET", "POST"])
def end(conversation_id: int):
    """The leader ends the meeting and chooses which items not discussed to carry over."""
    conversation = conversation_for("leader", conversation_id, lock=request.method == "POST")
    if request.method == "POST":
        carry = {int(i) for i in request.form.getlist("carry") if i.isdigit()}
        apply_change(
            conversation,
            lambda c: services.end(c, carry),
            _("The conversation is over. %(name)s can now write the minutes.",
              name=conversation.employee.name),
        )
        return redirect(url_for(".show", conversation_id=conversation_id))
    pending = [i for i in services.live_items(conversation) if not i.discussed]
    return render("agenda/end.html", conversation=conversation, pending=pending)


# Live -------------------------------------------------------------------------------------------


def _changes(conversation, since: int, status: int = 200):
    """The items changed since `since`, as the `changes` block, stamped with the version.

    The version is read before the items, so it never claims a change the answer lacks.
    """
    version = conversation.agenda_version
    body, status, headers = render(
        "agenda/agenda.html",
        "changes",
        status,
        conversation=conversation,
        items=services.changes_since(conversation, since),
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
    row = db.session.execute(
        select(
            Conversation.employee_id, Conversation.leader_id, Conversation.invited_at,
            Conversation.agenda_version,
        ).where(Conversation.id == conversation_id)
    ).first()
    if row is None:
        abort(404)
    if current_user.id not in (row.employee_id, row.leader_id):
        abort(403)
    if row.invited_at is None:
        abort(404)
    if request.if_none_match.contains(str(row.agenda_version)):
        return Response(status=304, headers=_version_headers(row.agenda_version))
    conversation = db.session.get(Conversation, conversation_id)
    return _changes(conversation, request.args.get("since", 0, type=int))


@bp.route("/<int:conversation_id>/events")
def events(conversation_id: int):
    """A stream of "changed" events carrying only the agenda version (PostgreSQL)."""
    conversation = conversation_for("party", conversation_id)
    if not live_push():
        abort(404)
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    channel = services.channel(conversation.id)
    db.session.remove()  # the stream uses its own connection; give this one back

    def stream():
        with psycopg.connect(url, autocommit=True) as connection:
            # Listen first, then read the version, so no change falls in between.
            connection.execute(f'LISTEN "{channel}"')
            version = connection.execute(
                "SELECT agenda_version FROM conversation WHERE id = %s", (conversation_id,)
            ).fetchone()[0]
            yield f"retry: 1000\nevent: changed\ndata: {version}\n\n"
            deadline = time.monotonic() + EVENT_STREAM_SECONDS
            while time.monotonic() < deadline:
                quiet = True
                for note in connection.notifies(timeout=KEEP_ALIVE_SECONDS, stop_after=1):
                    quiet = False
                    yield f"event: changed\ndata: {note.payload}\n\n"
                if quiet:
                    yield ": still here\n\n"

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.route("/<int:conversation_id>/presence", methods=["POST"])
def presence(conversation_id: int):
    """A heartbeat from one party; answers whether the other is here."""
    conversation = conversation_for("party", conversation_id)
    other_present = services.mark_present(conversation, current_user.id)
    db.session.commit()
    return render("agenda/agenda.html", "presence", conversation=conversation,
                  other_present=other_present)


# Changes ----------------------------------------------------------------------------------------


def _change(conversation_id: int, change):
    """Make one change; answer with the changes since the client's version, or redirect."""
    conversation = conversation_for("party", conversation_id)
    since = request.form.get("since", type=int)
    try:
        change(conversation)
    except AgendaRefused as refused:
        db.session.rollback()
        if is_partial():
            return render("agenda/agenda.html", "error", 422, error=refused.message)
        flash(refused.message, "error")
    else:
        db.session.commit()
        if is_partial() and since is not None:
            return _changes(conversation, since)
    return redirect(url_for(".show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/items", methods=["POST"])
def add_item(conversation_id: int):
    text = request.form.get("text", "")
    return _change(conversation_id, lambda c: services.add_item(c, text))


@bp.route("/<int:conversation_id>/items/<int:item_id>/remove", methods=["POST"])
def remove_item(conversation_id: int, item_id: int):
    return _change(conversation_id, lambda c: services.remove_item(c, item_id))


@bp.route("/<int:conversation_id>/items/<int:item_id>/discussed", methods=["POST"])
def discussed(conversation_id: int, item_id: int):
    value = request.form.get("discussed") == "1"
    return _change(conversation_id, lambda c: services.set_discussed(c, item_id, value))


@bp.route("/<int:conversation_id>/items/<int:item_id>/move", methods=["POST"])
def move_item(conversation_id: int, item_id: int):
    step = request.form.get("step", 0, type=int)
    return _change(conversation_id, lambda c: services.move_item(c, item_id, step))


@bp.route("/<int:conversation_id>/order", methods=["POST"])
def reorder(conversation_id: int):
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit()]
    return _change(conversation_id, lambda c: services.reorder(c, ids))


@bp.route("/<int:conversation_id>/items/<int:item_id>/text", methods=["POST"])
def save_text(conversation_id: int, item_id: int):
    """Save one text typed on `version`: 204 with its new version, or 409 and both texts."""
    conversation = conversation_for("party", conversation_id)
    field = request.form.get("field", "")
    base = request.form.get("version", type=int)
    try:
        if base is None:
            raise AgendaRefused(_("The version sent with the text is missing."))
        version = services.save_text(
            conversation, item_id, field, request.form.get("value", ""), base
        )
    except Conflict as conflict:
        db.session.rollback()
        if is_partial():
            return render("agenda/agenda.html", "merge", 409, conversation=conversation,
                          merge=conflict)
        return _page(conversation, 409, merge=conflict)
    except AgendaRefused as refused:
        db.session.rollback()
        if is_partial():
            return render("agenda/agenda.html", "error", 422, error=refused.message)
        flash(refused.message, "error")
        return redirect(url_for(".show", conversation_id=conversation_id))
    db.session.commit()
    if is_partial():
        headers = _version_headers(conversation.agenda_version)
        headers["X-Text-Version"] = str(version)
        return Response(status=204, headers=headers)
    return redirect(url_for(".show", conversation_id=conversation_id) + f"#item-{item_id}")

