"""Account operations that span models or send mail: logging in, password links and
changing one's password. A failed log-in and a link asked for take the same time whether
or not the address has an account (README, "No account enumeration")."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, session, url_for
from sqlalchemy import update

from .. import audit
from ..extensions import db
from ..factors import services as factors
from ..models import PasswordToken, User
from ..models.accounts import RESET, WELCOME
from ..models.factors import has_factor
from ..models.people import EMAIL_MAX, normalise_email
from ..models.tokens import new_token
from ..outbox import queue_email
from ..passwords import verify_nothing
from ..timeutil import utcnow
from ..urls import public_url
from .sessions import current_session, log_in, log_out


def check_login(email: str, password: str) -> User | None:
    """The active account `email` and `password` belong to, or None, after the same work
    either way: an address without an account (or without a password yet) has a password
    checked against a dummy hash. A failure is recorded in the audit log (committed at
    once), naming the account, or the address typed when there is none."""
    user = User.by_email(email)
    if user is not None and user.password_hash:
        if user.check_password(password) and user.active:
            if factors.may_use_password(user):
                return user
            # LOCAL_LOGIN is off and this is not the break-glass account: the same answer
            # as a wrong password.
            audit.record("login_failed", actor=None, subject=user, why="local_login_off")
            return None
    else:
        verify_nothing(password)
    if user is not None:
        audit.record("login_failed", actor=None, subject=user)
    else:
        audit.record("login_failed", actor=None, email=normalise_email(email)[:EMAIL_MAX])
    return None


def after_password(user: User, next_url: str) -> str:
    """Where a correct password leads: to the second step for a person with a second
    factor (no session yet); otherwise the session begins, and a person who must have a
    factor and has none goes to set one up first."""
    if has_factor(user.id):
        factors.begin_step(user, next_url)
        return url_for("factors.second_step")
    log_in(user)
    if factors.requires_factor(user):
        session[factors.SETUP_NEEDED] = True
        return url_for("factors.index")
    return next_url


def send_password_link(user: User, purpose: str) -> None:
    """Queue an email with a single-use link to set (WELCOME) or reset (RESET) a password."""
    lifetime = _lifetime(purpose)
    token = PasswordToken.issue(user, purpose, lifetime)
    queue_email(
        user,
        "welcome" if purpose == WELCOME else "password_reset",
        link=public_url("auth.set_password", token=token),
        expires_in=lifetime,
    )


def request_reset_link(email: str) -> None:
    """Send a link to choose a new password to `email` if it is an active account's; if
    not, do the same work (a token, its email rendered) and keep nothing of it. Either way
    the request is in the audit log (so both commit a write, which is most of the time)."""
    user = User.by_email(email)
    if user is not None:
        audit.record("password_link_requested", actor=None, subject=user)
    else:
        audit.record("password_link_requested", actor=None,
                     email=normalise_email(email)[:EMAIL_MAX])
    if user is not None and user.active and factors.may_use_password(user):
        send_password_link(user, RESET)
        return
    stand_in = User(name=email, email=normalise_email(email)[:EMAIL_MAX],
                    locale=current_app.config["BABEL_DEFAULT_LOCALE"])
    # What PasswordToken.issue runs first (it retires the person's earlier links; here
    # none), then the token and its email.
    db.session.execute(update(PasswordToken)
                       .where(PasswordToken.user_id.is_(None), PasswordToken.used_at.is_(None))
                       .values(used_at=utcnow()))
    token, _digest = new_token()
    message = queue_email(stand_in, "password_reset",
                          link=public_url("auth.set_password", token=token),
                          expires_in=_lifetime(RESET))
    # Queued and taken back in the same transaction: the same writes, nothing kept.
    db.session.flush()
    db.session.delete(message)


def _lifetime(purpose: str) -> timedelta:
    if purpose == WELCOME:
        return timedelta(days=current_app.config["WELCOME_TOKEN_DAYS"])
    return timedelta(hours=current_app.config["PASSWORD_TOKEN_HOURS"])


def set_password_by_link(link: PasswordToken, password: str) -> None:
    """Set the password of the link's person, once: it ends every session of theirs, and
    this browser's too."""
    link.user.set_password(password)
    link.use()
    audit.record("password_set", actor=None, subject=link.user)
    log_out()


def change_password(user: User, password: str) -> None:
    """The person changes their own password (the form checked the current one): every
    other session of theirs ends, this one stays."""
    user.set_password(password, keep=current_session())
    audit.record("password_changed", actor=user, subject=user)


__all__ = ["RESET", "WELCOME", "send_password_link"]
