"""Secret tokens that travel in a link or a cookie: the database keeps only their digest,
so a copy of it opens no session and follows no link."""

import hashlib
import secrets


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A new token, and the digest to store for it."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)
