"""The home page and each person's own settings."""

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..conversations.services import leader_overview, open_conversation
from ..extensions import db
from ..followup.services import open_actions
from ..htmx import render
from ..minutes.services import minutes_tasks
from ..roles import public
from ..timeutil import oslo_today

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """The start page: your own next conversation, minutes waiting for you, the actions you
    follow up (R14) and, for a leader, your people's conversations (R1)."""
    return home_page()


def home_page(block: str | None = None, status: int = 200, **extra):
    if block == "actions":
        return render("main/home.html", block, status, actions=open_actions(current_user),
                      today=oslo_today(), **extra)
    return render(
        "main/home.html",
        status=status,
        own_conversation=open_conversation(current_user.id),
        overview=leader_overview(current_user) if current_user.is_leader else [],
        minutes_tasks=minutes_tasks(current_user),
        actions=open_actions(current_user),
        today=oslo_today(),
        **extra,
    )


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the language of the interface, for this visit or for the account."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
        flash(_("Language changed."), "success")
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("main.home"))


@bp.route("/health")
@public
def health():
    """For load balancers and the benchmark's baseline: answers without touching anything."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
