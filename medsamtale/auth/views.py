"""Logging in and out, and setting a password through an emailed link."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..change import Page, make_change
from ..errors import error_page
from ..extensions import limiter
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
    """Log in with email and password (a password hashed the old way is rehashed)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    return make_change(
        lambda: login_user(form.user), form=form, back=_safe_next(request.args.get("next")),
        page=Page("auth/login.html", form=form),
    )


@bp.errorhandler(429)
def too_many_attempts(_error):
    """Answer a throttled login with the login page and a clear message."""
    if request.endpoint != "auth.login":
        return error_page(429)
    form = LoginForm(formdata=None)
    form.form_errors.append(
        _("Too many failed attempts. Wait a few minutes, or reset your password.")
    )
    return render("auth/login.html", form=form, status=429)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and go back to the login page."""
    return make_change(logout_user, back=url_for("auth.login"), done=_("You are logged out."))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    """Ask for a link to set a new password."""
    form = ForgotPasswordForm()
    return make_change(
        _send_reset_link, form.email.data, form=form, back=url_for("auth.login"),
        # The same answer whether or not the address has an account.
        done=_("If the address belongs to an account, we have sent a link to it."),
        page=Page("auth/forgot_password.html", form=form),
    )


def _send_reset_link(email: str) -> None:
    user = User.by_email(email)
    if user and user.active:
        send_password_link(user, RESET)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """Choose a password through a single-use link from an email."""
    link = PasswordToken.find(token)
    problem = "unknown" if link is None else link.problem
    if problem:
        return render("auth/link_problem.html", problem=problem, status=410)
    form = SetPasswordForm()
    return make_change(
        _use_link, link, form.password.data, form=form, back=url_for("auth.login"),
        done=_("Your password is set. You can log in now."),
        page=Page("auth/set_password.html", form=form, link=link),
    )


def _use_link(link: PasswordToken, password: str) -> None:
    link.user.set_password(password)
    link.use()
    logout_user()
