"""The one place that reads htmx's request headers and picks a whole page or a block of it."""

from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_partial() -> bool:
    """True for an htmx request that swaps part of a page (not a full-page or history load)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Request-Type") != "full"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context):
    """The page `template`, or only its `block` when htmx asks for part of the page."""
    if block and is_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return body, status, {"Vary": "HX-Request, HX-Request-Type"}
