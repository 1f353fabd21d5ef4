"""Refusals by the rules, and the app's own error pages.

A service that the rules forbid to do something raises `Refused` with a message for the
person who tried; the change pipeline (medsamtale.change) answers it with 409. Any other
HTTP error gets a Norwegian page in the base layout, or, for an htmx request, a small error
block in the page's alert region, so no Werkzeug default page ever reaches a person.
"""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .htmx import is_partial


class Refused(Exception):
    """A change the rules do not allow; `message` says why, for the person who tried."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# (title, what to do) for each status a person can meet.
ERROR_TEXTS = {
    400: (_l("Something was wrong with the request"),
          _l("Go back, reload the page and try again. Nothing was saved.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("We could not find that page.")),
    405: (_l("That cannot be done here"),
          _l("This address does not take that kind of request. Go back and use the page's "
             "own buttons and links.")),
    409: (_l("Nothing was changed"),
          _l("The page was out of date, or the change is not allowed now. Reload the page "
             "and try again.")),
    410: (_l("No longer available"), _l("This link is no longer in use.")),
    413: (_l("Too large"), _l("The file or form you sent is too large.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes and try again.")),
    500: (_l("Something went wrong"),
          _l("An error occurred on our side, not because of anything you did. Try again in "
             "a moment; if it keeps happening, tell your HR admin.")),
}
CSRF_TEXTS = (_l("The form has expired"),
              _l("Go back, reload the page and try again. Nothing was saved."))


def error_page(status: int, texts: tuple | None = None):
    """The error page for `status`; an htmx request gets only its message, in #page-error."""
    family = status if status in ERROR_TEXTS else (500 if status >= 500 else 400)
    title, message = texts or ERROR_TEXTS[family]
    if is_partial():
        return alert(message, "#page-error", status, title=title)
    return render_template("error.html", title=title, message=message), status


def alert(message, target: str, status: int, title=None):
    """For htmx: `message` shown in the alert region `target`, the rest of the page (and
    what was typed in it) left as it is."""
    body = render_template("_alert.html", title=title, message=message)
    return body, status, {"HX-Retarget": target, "HX-Reswap": "innerHTML"}


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Every HTTP error, and (as InternalServerError) any unhandled exception."""
        if error.code is None or error.code < 400:  # routing redirects pass through
            return error
        return error_page(error.code, CSRF_TEXTS if isinstance(error, CSRFError) else None)
