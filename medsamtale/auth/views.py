"""Logging in and out, setting a password through an emailed link, and changing one's own
password."""

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..change import Page, make_change
from ..errors import error_page
from ..extensions import client_address, limiter
from ..htmx import render
from ..models import PasswordToken, UserSession
from ..models.people import normalise_email
from ..roles import public
from ..security import safe_next
from ..sso.services import end_session_url
from . import email_change, services, sessions
from .forms import WRONG_CURRENT, ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from .sessions import log_out

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """Only attempts that did not log in count against the limits."""
    return response.status_code != 302


def _account_key() -> str:
    """An account from one address: failures from elsewhere never lock out the right
    password typed here."""
    return "login:" + normalise_email(request.form.get("email", "")) + "|" + client_address()


def _account_all_key() -> str:
    """An account from every address together: the much higher cap of a spread attack."""
    return "login-all:" + normalise_email(request.form.get("email", ""))


def _failures_limited(setting: str, scope: str, key_func=None):
    """A limit, from `setting`, on the failed posts to a view (per address, or per what
    `key_func` gives)."""
    return limiter.limit(lambda: current_app.config[setting], key_func=key_func,
                         methods=["POST"], deduct_when=_failed, scope=scope)


@bp.route("/login", methods=["GET", "POST"])
@public
@_failures_limited("LOGIN_LIMIT_PER_ACCOUNT", "login-account", _account_key)
@_failures_limited("LOGIN_LIMIT_PER_ACCOUNT_ALL", "login-account-all", _account_all_key)
@_failures_limited("LOGIN_LIMIT_PER_ADDRESS", "login-address")
def login():
    """Log in with email and password (a password hashed the old way is rehashed)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    return make_change(
        lambda: services.after_password(form.user, safe_next(request.args.get("next"))),
        form=form, back=lambda url: url, page=Page("auth/login.html", form=form),
    )


@bp.errorhandler(429)
def too_many_attempts(_error):
    """Answer a throttled login (or password change) with its page and a clear message."""
    message = _("Too many failed attempts. Wait a few minutes, or reset your password.")
    if request.endpoint == "auth.login":
        form = LoginForm(formdata=None)
        form.form_errors.append(message)
        return render("auth/login.html", form=form, status=429)
    if request.endpoint == "auth.change_password":
        form = ChangePasswordForm(formdata=None, user=current_user)
        form.form_errors.append(message)
        return render("auth/change_password.html", form=form, status=429)
    return error_page(429)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and go back to the login page (through the OpenID provider's log-out, after
    signing in through it: sso.services.end_session_url, read before the session ends)."""
    back = end_session_url() or url_for("auth.login")
    return make_change(log_out, back=back, done=_("You are logged out."))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    """Ask for a link to set a new password."""
    form = ForgotPasswordForm()
    return make_change(
        services.request_reset_link, form.email.data, form=form, back=url_for("auth.login"),
        # The same answer whether or not the address has an account.
        done=_("If the address belongs to an account, we have sent a link to it."),
        page=Page("auth/forgot_password.html", form=form),
    )


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """Choose a password through a single-use link from an email."""
    link = PasswordToken.find(token)
    problem = "unknown" if link is None else link.problem
    if problem:
        return render("auth/link_problem.html", problem=problem, status=410)
    form = SetPasswordForm(user=link.user)
    return make_change(
        services.set_password_by_link, link, form.password.data, form=form,
        back=url_for("auth.login"),
        done=_("Your password is set. You can log in now."),
        page=Page("auth/set_password.html", form=form, link=link),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=lambda: f"password-change:{getattr(current_user, 'id', None)}",
    methods=["POST"],
    deduct_when=lambda _response: g.get(WRONG_CURRENT, False),
    scope="password-change",
)
def change_password():
    """Change one's own password, giving the current one; the other sessions end."""
    form = ChangePasswordForm(user=current_user)
    return make_change(
        services.change_password, current_user._get_current_object(), form.password.data,
        form=form,
        back=url_for("main.home"),
        done=_("Your password is changed. You were logged out everywhere else."),
        page=Page("auth/change_password.html", form=form),
    )


# A new address, confirmed by its owner (email_change.py) ------------------------------------


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Confirm, logged in as oneself, the new address HR asked for, with the link sent to
    it; someone else's link is refused (403)."""
    change = email_change.find(token)
    problem = "unknown" if change is None else change.problem
    if problem:
        return render("auth/confirm_email_problem.html", problem=problem, status=410)
    if change.user_id != current_user.id:
        return render("auth/confirm_email_problem.html", problem="other_account", status=403)
    form = email_change.ConfirmForm()
    return make_change(
        email_change.confirm, change, form=form, back=url_for("main.home"),
        done=_("Your address is now %(email)s. You were logged out everywhere else.",
               email=change.new_email),
        page=Page("auth/confirm_email.html", form=form, change=change),
    )


# Where one is logged in (sessions.py) --------------------------------------------------------


@bp.route("/account/sessions")
def account_sessions():
    """The person's open sessions: device, address, since when, last seen."""
    return render("auth/sessions.html", open_sessions=UserSession.open_for(
        current_user.id, sessions.idle_limit()), current=sessions.current_session())


@bp.route("/account/sessions/<id:session_id>/end", methods=["POST"])
def end_session(session_id: int):
    """End one of one's own sessions (a lost phone, a shared computer)."""
    return make_change(sessions.end_one, current_user, session_id,
                       back=url_for(".account_sessions"), done=_("That session is ended."))


@bp.route("/account/sessions/end-others", methods=["POST"])
def end_other_sessions():
    """End every session but this one."""
    return make_change(sessions.end_others, current_user, back=url_for(".account_sessions"),
                       done=_("You are logged out everywhere else."))
