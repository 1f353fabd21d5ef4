"""Passkeys (WebAuthn, py_webauthn): registering one, and signing in with one, as the second
factor or without a password (a discoverable credential, user verification required).

Each ceremony's challenge is kept in the Flask session for the browser's answer and, by its
digest, in the database (PasskeyChallenge), from which it is deleted when used: a challenge
is taken once, even when a copy of the cookie is sent again."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import audit
from ..errors import Refused
from ..extensions import db
from ..models import User
from ..models.factors import PASSKEY_NAME_MAX, Passkey, PasskeyChallenge
from ..timeutil import utcnow
from . import services

REGISTER, SECOND_STEP, SIGN_IN = "register", "second_step", "sign_in"
CHALLENGE = "passkey_challenge"  # Flask session: {"purpose": …, "value": hex}
CREDENTIAL_MAX = 20_000  # characters of a browser's answer


def rp_id() -> str:
    return current_app.config["WEBAUTHN_RP_ID"] or urlsplit(
        current_app.config["PUBLIC_BASE_URL"]).hostname


def origin() -> str:
    return current_app.config["WEBAUTHN_ORIGIN"] or current_app.config["PUBLIC_BASE_URL"]


def _challenge(purpose: str, user_id: int | None) -> bytes:
    challenge = PasskeyChallenge.issue(purpose, user_id, services.challenge_lifetime())
    session[CHALLENGE] = {"purpose": purpose, "value": challenge.hex()}
    return challenge


def _take_challenge(purpose: str, user_id: int | None) -> bytes:
    kept = session.pop(CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        raise Refused(_l("The passkey request has expired. Try again."))
    challenge = bytes.fromhex(kept.get("value", ""))
    taken = PasskeyChallenge.take(challenge, purpose, user_id)
    db.session.commit()  # taken for good, whatever the answer turns out to be
    if not taken:
        raise Refused(_l("The passkey request has expired. Try again."))
    return challenge


def _user_handle(user: User) -> bytes:
    return f"medsamtale-user-{user.id}".encode()


def registration_options(user: User) -> str:
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=services.issuer(), user_id=_user_handle(user),
        user_name=user.email, user_display_name=user.name,
        challenge=_challenge(REGISTER, user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_raw(p.credential_id))
                             for p in Passkey.of(user.id)],
    )
    return options_to_json(options)


def _raw(credential_id: str) -> bytes:
    return base64url_to_bytes(credential_id)


def _parsed(credential: str) -> dict:
    if not credential or len(credential) > CREDENTIAL_MAX:
        raise Refused(_l("The passkey's answer was not understood. Try again."))
    try:
        parsed = json.loads(credential)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("id"), str):
        raise Refused(_l("The passkey's answer was not understood. Try again."))
    return parsed


def register(user: User, credential: str, name: str) -> Passkey:
    """Keep the passkey the browser made, once its attestation checks out."""
    challenge = _take_challenge(REGISTER, user.id)
    try:
        verified = verify_registration_response(
            credential=_parsed(credential), expected_challenge=challenge,
            expected_rp_id=rp_id(), expected_origin=origin(), require_user_verification=True)
    except WebAuthnException as error:
        _refused(user, REGISTER, error)
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.by_credential(credential_id) is not None:
        raise Refused(_l("This passkey is registered already."))
    name = " ".join((name or "").split())[:PASSKEY_NAME_MAX] or str(_l("Passkey"))
    passkey = Passkey(user_id=user.id, credential_id=credential_id, name=name,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count)
    db.session.add(passkey)
    session.pop(services.SETUP_NEEDED, None)
    audit.record("factor_added", actor=user, subject=user, kind="passkey")
    return passkey


def authentication_options(purpose: str, user: User | None) -> str:
    """For the second step, the person's passkeys; for signing in, any discoverable one."""
    allowed = [] if user is None else [
        PublicKeyCredentialDescriptor(id=_raw(p.credential_id)) for p in Passkey.of(user.id)]
    options = generate_authentication_options(
        rp_id=rp_id(), challenge=_challenge(purpose, None if user is None else user.id),
        allow_credentials=allowed, user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options)


def authenticate(purpose: str, credential: str, user: User | None) -> User:
    """The active person whose passkey signed the challenge (who must be `user` at the
    second step); a refusal is audited."""
    challenge = _take_challenge(purpose, None if user is None else user.id)
    parsed = _parsed(credential)
    passkey = Passkey.by_credential(parsed["id"])
    owner = None if passkey is None else db.session.get(User, passkey.user_id)
    if owner is None or not owner.active or (user is not None and not owner.is_same(user)):
        _refused(user, purpose, "unknown passkey")
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origin(), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except WebAuthnException as error:
        _refused(owner, purpose, error)
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, utcnow()
    audit.record("factor_used", actor=owner, subject=owner, kind="passkey")
    return owner


def _refused(user: User | None, purpose: str, error) -> None:
    db.session.rollback()
    audit.record("factor_failed", actor=None, subject=user, kind="passkey", why=purpose,
                 error=str(error)[:200])
    db.session.commit()
    raise Refused(_l("The passkey could not be used. Try again, or use another way in."))


def remove(user: User, passkey_id: int) -> None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise Refused(_l("That passkey is not yours, or it is removed already."))
    services.keeps_required_factor(user, passkeys=len(Passkey.of(user.id)) - 1)
    db.session.delete(passkey)
    audit.record("factor_removed", actor=user, subject=user, kind="passkey")
