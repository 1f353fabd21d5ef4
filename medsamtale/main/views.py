"""The home page and each person's own settings."""

from flask import Blueprint, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user

from ..audit import hooks as audit_hooks
from ..change import make_change
from ..conversations.services import leader_overview, open_conversation
from ..errors import Refused
from ..followup.services import open_actions
from ..htmx import render
from ..minutes.approval import minutes_tasks
from ..roles import public
from ..security import safe_next
from ..timeutil import oslo_today

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """The start page: your own next conversation, minutes waiting for you, the actions you
    follow up (R14) and, for a leader, your people's conversations (R1). Each area renders
    its own block of it after a change (followup.views for the actions)."""
    actions = open_actions(current_user)
    audit_hooks.showed(action.conversation_id for action in actions)
    return render(
        "main/home.html",
        own_conversation=open_conversation(current_user.id),
        overview=leader_overview(current_user) if current_user.is_leader else [],
        minutes_tasks=minutes_tasks(current_user),
        actions=actions,
        today=oslo_today(),
    )


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the language of the interface, for this visit or for the account."""
    return make_change(
        _choose_language, request.form.get("locale", ""),
        back=safe_next(request.form.get("next")),
        done=_l("Language changed."),  # said in the language chosen
    )


def _choose_language(locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise Refused(_l("That language is not offered."))
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
    refresh()  # what is said from now on is said in the new language


@bp.route("/health")
@public
def health():
    """For load balancers and the benchmark's baseline: answers without touching anything."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
