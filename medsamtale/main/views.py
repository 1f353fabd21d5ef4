"""The home page and each person's own settings."""

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..htmx import render
from ..models import User
from ..roles import public

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """The start page: who you are, your leader and, for a leader, your people."""
    reports = db.session.scalars(
        select(User)
        .where(User.leader_id == current_user.id, User.active)
        .order_by(User.name)
        .options(selectinload(User.reports))
    ).all()
    return render("main/home.html", reports=reports)


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
