"""What every request and answer passes through for safety, in one place:

- the answer's security headers (one `after_request`): a strict Content-Security-Policy
  (scripts from the app and the pinned htmx file on the CDN only, no inline script, no
  eval, no inline style, no framing), nosniff, Referrer-Policy, Permissions-Policy, HSTS
  when the session cookie is Secure, and `Cache-Control: no-store` on everything but
  static files (and the organisation's versioned logo and colours), so that no page or
  fragment holding a conversation is kept by a browser or a proxy;
- the `id` URL converter: a whole number that fits the INTEGER columns ids live in
  (1 to 2**31 - 1); anything else is a 404 before a view or the database sees it;
- the check of submitted text (one `before_request`): a NUL byte or another control
  character in a form field or the query string is refused with 422 and a reason (tab, CR
  and LF are allowed in form fields, where multi-line texts are typed);
- `safe_next`, the one check of every redirect target a request names (login's `next`,
  the language switch's), which only lets paths on this site through;
- `TRUSTED_PROXIES`: Werkzeug's ProxyFix for that many proxies in front, so the address
  the login throttling counts is the client's and not the proxy's.
"""

import re
from urllib.parse import unquote, urlsplit

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, ValidationError

# The largest value of the INTEGER columns that ids, versions and positions are kept in.
INT_MAX = 2**31 - 1

# Control characters (Unicode category Cc): C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same less tab, CR and LF, which multi-line texts hold.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same less tab, which a search box may be given by a paste.
_CONTROL_IN_QUERY = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

CONTROL_TEXTS = (
    _l("The text contains characters that are not allowed"),
    _l("Remove the invisible control characters (such as a NUL byte) from what you typed or "
       "pasted, and try again. Nothing was saved."),
)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Everything of this module, for create_app: the converter, the two hooks, ProxyFix."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.url_map.converters["id"] = IdConverter
    policy = content_security_policy(app.config.get("HTMX_CDN_URL") or "",
                                     sign_in_origin(app.config.get("OIDC_ISSUER") or ""))
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS
    # First of the app's hooks, so nothing (the session, the database) sees refused text.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_characters)

    @app.after_request
    def security_headers(response):
        response.headers.extend(headers)  # no view sets these: no need to replace
        # Static files, and a versioned file a view marks immutable (the organisation's
        # logo and colours, branding/views.py), keep their caching.
        if request.endpoint != "static" and not response.cache_control.immutable:
            response.headers["Cache-Control"] = "no-store"
        return response


def sign_in_origin(issuer: str) -> str:
    """The OpenID provider's origin (OIDC_ISSUER, medsamtale/sso): logging out, a form, is
    sent on to its end-session endpoint, which form-action must allow; "" for none."""
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(cdn_url: str, sign_in: str = "") -> str:
    """The policy: everything from this site only; scripts also from the one pinned htmx
    file on the CDN (its integrity hash is on the script tag); no inline script or style,
    no eval, no plugins, no framing, forms posting to this site only (and logging out sent
    on to the OpenID provider's origin `sign_in`, when there is one)."""
    scripts = "'self'" + (f" {cdn_url}" if cdn_url else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'" + (f" {sign_in}" if sign_in else ""),
        "frame-ancestors 'none'",
    ))


class IdConverter(BaseConverter):
    """`<id:name>`: a row's id, 1 to INT_MAX; anything else matches no route (404)."""

    regex = r"[0-9]{1,10}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= INT_MAX:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def counter(value) -> int:
    """A version, position or id sent in a form or query (`type=` of request.args.get):
    a whole number 0 to INT_MAX, else ValueError (so .get gives its default)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValueError(value)
    number = int(text)
    if number > INT_MAX:
        raise ValueError(value)
    return number


def step(value) -> int:
    """A move's step (-1 or 1, bounded like a counter): ValueError for anything else."""
    text = str(value).strip()
    return -counter(text[1:]) if text.startswith("-") else counter(text)


def ids(values) -> list[int]:
    """`values` (a form's getlist) as ids, in order: 0, which no row has, for each value
    that is not one, so that a list naming something else is still refused as such."""
    found = []
    for value in values:
        try:
            found.append(counter(value))
        except ValueError:
            found.append(0)
    return found


def refuse_control_characters():
    """422 with a reason for a NUL byte or another control character in the query string,
    a form field's name or value (where tab, CR and LF are allowed) or the path."""
    from .errors import error_page  # errors renders templates; this module is below it

    if request.view_args and any(
        isinstance(v, str) and _CONTROL.search(v) for v in request.view_args.values()
    ):
        raise NotFound()
    if request.query_string:  # most requests have none: no need to parse it
        for key, value in request.args.items(multi=True):
            if _CONTROL.search(key) or _CONTROL_IN_QUERY.search(value):
                return error_page(422, CONTROL_TEXTS)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for key, value in request.form.items(multi=True):
            if _CONTROL.search(key) or _CONTROL_IN_TEXT.search(value):
                return error_page(422, CONTROL_TEXTS)
    return None


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` when it is a path on this site, else `default` (the home page). Refused:
    anything not starting with one "/" (other sites, "//host", "javascript:", " //host"),
    backslashes (browsers read "/\\host" as "//host"), and control characters, plain or
    percent-encoded (a newline would split the Location header; browsers drop tabs, so
    "/\\t/host" is "//host")."""
    fallback = default or url_for("main.home")
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2048:
        return fallback
    decoded = unquote(target)
    for text in (target, decoded):
        if _CONTROL.search(text) or "\\" in text or text.startswith("//"):
            return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
