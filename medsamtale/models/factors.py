"""Second factors: TOTP secrets, hashed recovery codes, passkey credentials."""

from __future__ import annotations

from ..extensions import db  # noqa: F401
