"""Follow-up of the agreed actions from the home page: progress, or done, with a comment."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..conversations.views import conversation_for
from ..extensions import db
from ..htmx import is_partial
from ..main.views import home_page
from . import services
from .services import FollowUpRefused

bp = Blueprint("followup", __name__, url_prefix="/actions")


@bp.route("/<int:action_id>/progress", methods=["POST"])
def progress(action_id: int):
    action = services.followed_up(action_id)
    if action is None:
        abort(404)
    conversation_for("party", action.conversation_id, lock=True)
    comment = request.form.get("comment", "")
    done = request.form.get("done") == "1"
    try:
        services.record_progress(action, current_user, comment, done)
    except FollowUpRefused as refused:
        db.session.rollback()
        failed = {"id": action_id, "message": str(refused.message), "comment": comment}
        if is_partial():
            return home_page("actions", 422, failed=failed)
        flash(failed["message"], "error")
    else:
        db.session.commit()
        message = _("Marked as done.") if done else _("Your comment is saved.")
        if is_partial():
            return home_page("actions", done_message=message)
        flash(message, "success")
    return redirect(url_for("main.home", _anchor="actions"))


@bp.route("/<int:action_id>/reopen", methods=["POST"])
def reopen(action_id: int):
    """Not done after all: from the history of the action on the minutes page."""
    action = services.followed_up(action_id)
    if action is None:
        abort(404)
    conversation_for("party", action.conversation_id, lock=True)
    try:
        services.reopen_action(action, current_user, request.form.get("comment", ""))
    except FollowUpRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
    else:
        db.session.commit()
        flash(_("The action is open again."), "success")
    return redirect(url_for("minutes.show", conversation_id=action.conversation_id,
                            _anchor=f"followed-{action_id}"))
