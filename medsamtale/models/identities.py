"""Accounts linked to an OpenID provider: (issuer, subject) per person."""

from __future__ import annotations

from ..extensions import db  # noqa: F401
