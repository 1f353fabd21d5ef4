"""Account operations that span models or send mail."""

from datetime import timedelta

from flask import current_app

from ..models import PasswordToken, User
from ..models.accounts import RESET, WELCOME
from ..outbox import queue_email
from ..urls import public_url


def send_password_link(user: User, purpose: str) -> None:
    """Queue an email with a single-use link to set (WELCOME) or reset (RESET) a password."""
    if purpose == WELCOME:
        lifetime = timedelta(days=current_app.config["WELCOME_TOKEN_DAYS"])
    else:
        lifetime = timedelta(hours=current_app.config["PASSWORD_TOKEN_HOURS"])
    token = PasswordToken.issue(user, purpose, lifetime)
    queue_email(
        user,
        "welcome" if purpose == WELCOME else "password_reset",
        link=public_url("auth.set_password", token=token),
        expires_in=lifetime,
    )


__all__ = ["RESET", "WELCOME", "send_password_link"]
