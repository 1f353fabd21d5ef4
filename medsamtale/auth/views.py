"""Logging in and out, and setting a password through an emailed link."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..htmx import render
from ..models import PasswordToken, User
from ..models.accounts import RESET
from ..models.people import normalise_email
from ..roles import public
from .forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from .services import send_password_link

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """Only attempts that did not log in count against the limits."""
    return response.status_code != 302


def _account_key() -> str:
    return "login:" + normalise_email(request.form.get("email", ""))


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
    scope="login-address",
)
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user and user.active and user.check_password(form.password.data):
            db.session.commit()  # keeps a rehashed password
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_("Wrong email or password."))
    status = 422 if form.is_submitted() else 200
    return render("auth/login.html", form=form, status=status)


def too_many_attempts(_error):
    """Answer a throttled login with the login page and a clear message."""
    form = LoginForm()
    form.form_errors.append(
        _("Too many failed attempts. Wait a few minutes, or reset your password.")
    )
    return render("auth/login.html", form=form, status=429)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and go back to the login page."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    """Ask for a link to set a new password."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user and user.active:
            send_password_link(user, RESET)
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If the address belongs to an account, we have sent a link to it."), "info")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render("auth/forgot_password.html", form=form, status=status)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """Choose a password through a single-use link from an email."""
    link = PasswordToken.find(token)
    problem = "unknown" if link is None else link.problem
    if problem:
        return render("auth/link_problem.html", problem=problem, status=410)
    form = SetPasswordForm()
    if form.validate_on_submit():
        link.user.set_password(form.password.data)
        link.use()
        db.session.commit()
        logout_user()
        flash(_("Your password is set. You can log in now."), "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render("auth/set_password.html", form=form, link=link, status=status)
