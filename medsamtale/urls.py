"""Absolute links for what leaves the app (emails, calendar files), built on PUBLIC_BASE_URL."""

from flask import current_app


def public_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """An absolute link built on PUBLIC_BASE_URL rather than on a request, so it works in
    the outbox worker and other commands too; `_anchor` as in url_for."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path + (f"#{_anchor}" if _anchor else "")
