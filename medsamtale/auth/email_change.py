"""A new address for an account: asked for (by HR), confirmed by its owner.

HR never changes a person's address directly. Asking for a change (`request`) leaves the
address as it is, emails a link to the new address and a notice to the old one. Only the
person, logged in as themselves, confirms it with that link (`confirm`): then the address
changes, both addresses are told, and the person's other sessions end. So a password link,
which always goes to the address on file, only ever reaches the owner of the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import update

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import EmailChange, User
from ..models.sessions import EMAIL_CHANGED
from ..outbox import queue_email
from ..timeutil import utcnow
from ..urls import public_url
from .sessions import current_session


@dataclass
class Address:
    """A person reached at an address that is not (or no longer) their account's: what
    queue_email needs of a recipient."""

    name: str
    email: str
    locale: str


class ConfirmForm(FlaskForm):
    """The confirmation page's button: nothing but the CSRF token."""


def find(token: str) -> EmailChange | None:
    return EmailChange.find(token)


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["EMAIL_CHANGE_TOKEN_DAYS"])


def request(user: User, new_email: str, requested_by: User | None) -> EmailChange:
    """Ask for `user`'s address to become `new_email`: nothing changes until they confirm.
    A link goes to the new address, a notice to the old one."""
    change, token = EmailChange.issue(user, new_email, requested_by, lifetime())
    context = {"new_email": change.new_email, "old_email": user.email,
               "requester": requested_by.name if requested_by else None,
               "expires_in": lifetime()}
    queue_email(Address(user.name, change.new_email, user.locale), "email_change_confirm",
                link=public_url("auth.confirm_email", token=token), **context)
    queue_email(user, "email_change_requested", **context)
    record("email_change_requested", subject=user, by_hr=requested_by is not None)
    return change


def cancel_open(user: User) -> int:
    """Cancel the person's changes of address still waiting; how many there were."""
    result = db.session.execute(
        update(EmailChange).where(EmailChange.user_id == user.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.cancelled_at.is_(None))
        .values(cancelled_at=utcnow()), execution_options={"synchronize_session": "fetch"})
    return result.rowcount


def cancel(user: User) -> None:
    """HR withdraws the change of address it asked for."""
    if not cancel_open(user):
        raise Refused(_l("No change of address is waiting for this person."))
    record("email_change_cancelled", subject=user)


def confirm(change: EmailChange) -> str:
    """The owner confirms: the address changes, both addresses are told, and every other
    session of the person ends (all but the one they confirmed in). Returns the address."""
    user, keep = change.user, current_session()
    other = User.by_email(change.new_email)
    if other is not None and other is not user:
        raise Refused(_l("Another account has this address now. Ask HR for help."))
    # The first write of the transaction, so that two confirmations make one change.
    claimed = db.session.execute(
        update(EmailChange).where(EmailChange.id == change.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.cancelled_at.is_(None))
        .values(confirmed_at=utcnow()), execution_options={"synchronize_session": "fetch"})
    if claimed.rowcount != 1:
        raise Refused(_l("This link has already been used."))
    old_email, user.email = user.email, change.new_email
    user.end_sessions(EMAIL_CHANGED, keep=keep)
    context = {"old_email": old_email, "new_email": user.email}
    queue_email(Address(user.name, old_email, user.locale), "email_changed", **context)
    queue_email(user, "email_changed", **context)
    record("email_changed", subject=user)
    return user.email
