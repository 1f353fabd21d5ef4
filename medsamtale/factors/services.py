"""Second factors: who needs one, the step between the password and the session, TOTP set-up
and use, recovery codes, and HR's reset of a person's factors.

The step after a correct password (`begin_step`) keeps only the person's id, where to go
next and until when in the Flask session: no session is started (auth.sessions.log_in)
until the second factor is given. A person who must have a factor and has none is logged
in with the session marked `SETUP_NEEDED`, and sent to set one up before any other page
(views.setup_first)."""

from __future__ import annotations

import hmac
import time
from datetime import timedelta

import pyotp
from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from .. import audit
from ..errors import Refused
from ..extensions import db
from ..models import Organisation, User
from ..models.factors import Passkey, PasskeyChallenge, RecoveryCode, TotpSecret, has_factor
from ..models.sessions import RESET_BY_HR
from ..outbox import queue_email
from ..timeutil import utcnow

STEP = "factor_step"  # Flask session: {"user": id, "until": epoch seconds, "next": url}
SETUP_NEEDED = "factor_setup_needed"  # Flask session: log-in needs a factor set up first
TOTP_WINDOW = 1  # steps of 30 seconds either side of now that a code may come from
CODE_MAX = 40


# Who needs a factor, and logging in with one ------------------------------------------------


def requires_factor(user: User) -> bool:
    config = current_app.config
    return bool((user.is_hr_admin and config["MFA_REQUIRED_FOR_HR"])
                or (user.is_leader and config["MFA_REQUIRED_FOR_LEADERS"]))


def may_use_password(user: User) -> bool:
    """With LOCAL_LOGIN off only the break-glass account logs in with a password: an HR
    admin with a second factor."""
    if current_app.config["LOCAL_LOGIN"]:
        return True
    return user.is_hr_admin and has_factor(user.id)


def begin_step(user: User, next_url: str) -> None:
    """After a correct password: the second step, for FACTOR_STEP_MINUTES."""
    minutes = current_app.config["FACTOR_STEP_MINUTES"]
    session[STEP] = {"user": user.id, "until": time.time() + minutes * 60, "next": next_url}


def pending_user() -> User | None:
    """The active person half-way through logging in, while their step lasts."""
    step = session.get(STEP)
    if not isinstance(step, dict) or step.get("until", 0) < time.time():
        return None
    user = db.session.get(User, step.get("user"))
    return user if user is not None and user.active else None


def step_next() -> str:
    step = session.get(STEP)
    return step.get("next") if isinstance(step, dict) else None


def end_step() -> None:
    session.pop(STEP, None)


# TOTP ---------------------------------------------------------------------------------------


def issuer() -> str:
    return Organisation.shown_name() or "Medsamtale"


def provisioning_uri(user: User, secret: TotpSecret) -> str:
    return pyotp.TOTP(secret.secret).provisioning_uri(name=user.email, issuer_name=issuer())


def start_totp(user: User) -> TotpSecret:
    """A new secret to set up, not counted until confirmed; an earlier unconfirmed one is
    replaced. A confirmed one must be removed first."""
    found = TotpSecret.of(user.id)
    if found is not None and found.confirmed_at is not None:
        raise Refused(_l("You already have an authenticator app. Remove it first."))
    if found is None:
        found = TotpSecret(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(found)
    else:
        found.secret, found.created_at, found.last_step = pyotp.random_base32(), utcnow(), None
    db.session.flush()
    return found


def _matching_step(secret: TotpSecret, code: str) -> int | None:
    """The time step `code` is the code of, within TOTP_WINDOW of now; None if none."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret.secret)
    now = int(time.time()) // totp.interval
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _take_code(user: User, secret: TotpSecret, code: str, kind: str) -> None:
    """Accept `code` once, or refuse it (audit `factor_failed`, committed at once)."""
    step = _matching_step(secret, code)
    if step is None:
        _failed(user, kind, "wrong")
        raise Refused(_l("That code is not right. Type the code your app shows now."))
    if not secret.take_step(step):
        _failed(user, kind, "reused")
        raise Refused(_l("That code was used already. Wait for the next code in your app."))


def confirm_totp(user: User, code: str) -> list[str]:
    """Count the app once its first code is right: ten new recovery codes, to show once."""
    secret = TotpSecret.of(user.id)
    if secret is None or secret.confirmed_at is not None:
        raise Refused(_l("Start setting up the app again: there is nothing to confirm."))
    _take_code(user, secret, code, "totp_setup")
    secret.confirmed_at = utcnow()
    codes = RecoveryCode.issue(user.id)
    audit.record("factor_added", actor=user, subject=user, kind="totp")
    session.pop(SETUP_NEEDED, None)
    return codes


def remove_totp(user: User) -> None:
    secret = TotpSecret.of(user.id)
    if secret is None:
        raise Refused(_l("You have no authenticator app to remove."))
    keeps_required_factor(user, totp=False)
    db.session.delete(secret)
    audit.record("factor_removed", actor=user, subject=user, kind="totp")


def keeps_required_factor(user: User, totp: bool = True, passkeys: int | None = None) -> None:
    """Refuse to take away the last factor of a person who must have one."""
    if not requires_factor(user):
        return
    secret = TotpSecret.of(user.id)
    has_totp = totp and secret is not None and secret.confirmed_at is not None
    count = len(Passkey.of(user.id)) if passkeys is None else passkeys
    if not has_totp and count == 0:
        raise Refused(_l("You must have a second factor. Add another one before you remove "
                         "this one."))


def new_recovery_codes(user: User) -> list[str]:
    if not has_factor(user.id):
        raise Refused(_l("Set up an authenticator app or a passkey first."))
    codes = RecoveryCode.issue(user.id)
    audit.record("recovery_codes_made", actor=user, subject=user)
    return codes


def second_step(user: User, code: str) -> str:
    """Check a code at the second step (the app's code, or a recovery code): what was used.
    A refusal is audited and committed; nothing else changes."""
    code = (code or "").strip()[:CODE_MAX]
    secret = TotpSecret.of(user.id)
    digits = "".join(code.split())
    if digits.isdigit() and len(digits) == 6:
        if secret is None or secret.confirmed_at is None:
            _failed(user, "totp", "none")
            raise Refused(_l("That code is not right. Type the code your app shows now."))
        _take_code(user, secret, digits, "totp")
        audit.record("factor_used", actor=user, subject=user, kind="totp")
        return "totp"
    if not RecoveryCode.use(user.id, code):
        _failed(user, "recovery_code", "wrong")
        raise Refused(_l("That recovery code is not right, or it was used already."))
    audit.record("factor_used", actor=user, subject=user, kind="recovery_code",
                 left=RecoveryCode.left(user.id))
    return "recovery_code"


def _failed(user: User, kind: str, why: str) -> None:
    """A refused factor, in the audit log at once (the request's change is rolled back)."""
    db.session.rollback()
    audit.record("factor_failed", actor=None, subject=user, kind=kind, why=why)
    db.session.commit()


# HR's reset ---------------------------------------------------------------------------------


def reset_factors(user: User, by: User) -> None:
    """An HR admin removes another person's factors (the person lost them): the person is
    logged out everywhere, emailed, and it is in the audit log. HR sees no secret."""
    if user.is_same(by):
        raise Refused(_l("You cannot reset your own factors here. Ask another HR admin."))
    removed = 0
    for model in (TotpSecret, Passkey, RecoveryCode, PasskeyChallenge):
        gone = db.session.execute(delete(model).where(model.user_id == user.id)
                                  .execution_options(synchronize_session=False)).rowcount
        removed += gone if model in (TotpSecret, Passkey) else 0
    if not removed:
        raise Refused(_l("%(name)s has no second factor to reset.", name=user.name))
    user.end_sessions(RESET_BY_HR)
    queue_email(user, "factors_reset", requester=by.name)
    audit.record("factors_reset", actor=by, subject=user)


def challenge_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["FACTOR_STEP_MINUTES"])
