"""The home page and each person's own settings."""

from flask import Blueprint, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user

from ..audit import hooks as audit_hooks
from ..change import make_change
from ..errors import Refused
from ..followup.services import open_actions
from ..htmx import render
from ..roles import public
from ..security import safe_next
from ..timeutil import oslo_today
from . import overview

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """The start page, a section for each of the person's roles: a leader's people and the
    next step with each (R1), the employee's own next conversation and step, the actions
    they follow up (R14), and the HR admin's tasks. Each area renders its own block of it
    after a change (followup.views for the actions)."""
    user = current_user
    follows_up = user.is_employee or user.is_leader or user.leader_id is not None
    actions = open_actions(user) if follows_up else []
    audit_hooks.showed(action.conversation_id for action in actions)
    return render(
        "main/home.html",
        leader=overview.leader_home(user) if user.is_leader else None,
        employee=overview.employee_home(user) if user.is_employee or user.leader_id else None,
        admin=overview.admin_home() if user.is_hr_admin else None,
        follows_up=follows_up,
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
