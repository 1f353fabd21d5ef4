"""Second factors for local accounts: TOTP with recovery codes, passkeys (WebAuthn), and HR's reset
of a person's factors."""

from flask import Blueprint

bp = Blueprint("factors", __name__, url_prefix="/account/factors")
