"""OpenID Connect sign-in (Authlib): the provider's button on the log-in page, the callback,
linking accounts, log-out at the provider."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..change import make_change
from ..roles import public
from . import services

bp = Blueprint("sso", __name__, url_prefix="/sso")



@bp.route("/login")
@public
def login():
    """Go to the provider to sign in (the button on the log-in page); 404 without one."""
    services.client()
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    try:
        return services.start(request.args.get("next"))
    except services.SignInRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("auth.login"))


@bp.route("/callback")
@public
def callback():
    """The provider's answer: signed in and sent on, or back to the log-in page with the
    reason (services.finish)."""
    services.client()
    return make_change(services.finish, back=lambda to: to or url_for("auth.login"))


@bp.app_context_processor
def sign_in_button():
    """The provider's button for the log-in page (templates/auth/login.html): its label,
    or None when there is no provider."""
    return {"sso_button": services.button_label() if services.enabled() else None}
