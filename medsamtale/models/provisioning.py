"""Provisioning from the directory: SCIM bearer tokens (stored as digests)."""

from __future__ import annotations

from ..extensions import db  # noqa: F401
