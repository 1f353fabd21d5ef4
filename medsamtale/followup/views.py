"""Follow-up of the agreed actions from the home page: progress, or done, with a comment;
and, from the minutes' history, opening a done action again."""

from functools import partial

from flask import Blueprint, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..change import first_error, make_change
from ..extensions import db
from ..htmx import render
from ..models import Conversation
from ..timeutil import oslo_today
from . import services
from .forms import ProgressForm, ReopenActionForm

bp = Blueprint("followup", __name__, url_prefix="/actions")


def _action(action_id: int):
    """An action being followed up, for its employee or the leader who follows it up now
    (who took it over when the person changed leaders), its conversation locked."""
    action = services.followed_up(action_id)
    if action is None:
        abort(404)
    if current_user.id not in (action.leader_id, action.conversation.employee_id):
        abort(403)
    Conversation.locked(action.conversation_id)
    db.session.refresh(action)  # read again now that it is ours: done a moment ago?
    return action


def _actions_block(action_id: int, form: ProgressForm, outcome):
    """The home page's list of actions: after a change, with what it did, or with the
    reason next to the comment, which keeps what was typed."""
    failed = None
    if outcome.refused is not None or form.errors:
        message = outcome.refused.message if outcome.refused else first_error(form)
        failed = {"id": action_id, "message": message, "comment": form.comment.data or ""}
    return render("main/home.html", "actions", actions=services.open_actions(current_user),
                  today=oslo_today(), failed=failed,
                  done_message=None if failed else _done_message(form))


def _done_message(form: ProgressForm) -> str:
    return _("Marked as done.") if form.marks_done else _("Your comment is saved.")


@bp.route("/<id:action_id>/progress", methods=["POST"])
def progress(action_id: int):
    """Record how an action is going, or mark it done, with a comment."""
    action = _action(action_id)
    form = ProgressForm()
    return make_change(
        services.record_progress, action, current_user, form.comment.data, form.marks_done,
        form=form, back=url_for("main.home", _anchor="actions"),
        done=_done_message(form), block=partial(_actions_block, action_id, form),
    )


@bp.route("/<id:action_id>/reopen", methods=["POST"])
def reopen(action_id: int):
    """Not done after all: from the history of the action on the minutes page."""
    action = _action(action_id)
    form = ReopenActionForm()
    return make_change(
        services.reopen_action, action, current_user, form.comment.data, form=form,
        back=url_for("minutes.show", conversation_id=action.conversation_id,
                     _anchor=f"followed-{action_id}"),
        done=_("The action is open again."),
    )
