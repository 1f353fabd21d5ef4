"""The Flask extensions, created unbound and initialised in create_app()."""

import sqlite3
import time

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from itsdangerous import BadSignature
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# How long an SQLite connection waits for another's write to end before it gives up with
# "database is locked": concurrent writers take their turn (a decision waits for the one
# made a moment before, then finds it made) rather than fail.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_waits_its_turn(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def client_address() -> str:
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_address)

# Log-in and password links, and the second factor; nothing else is rate limited.
THROTTLED_BLUEPRINTS = ("auth", "factors")


def init_limiter(app) -> None:
    """Flask-Limiter guards the views of THROTTLED_BLUEPRINTS (their @limiter.limit); the
    hooks it adds run for that blueprint's requests only, so no other request pays."""
    hook_lists = (app.before_request_funcs, app.after_request_funcs,
                  app.teardown_request_funcs)
    before = [list(hooks.get(None, [])) for hooks in hook_lists]
    limiter.init_app(app)
    for hooks, existing in zip(hook_lists, before, strict=True):
        added = [f for f in hooks.get(None, []) if f not in existing]
        hooks[None] = existing
        for blueprint in THROTTLED_BLUEPRINTS:
            hooks.setdefault(blueprint, []).extend(added)


SESSIONS_KEPT = 20_000  # decoded session cookies kept per process


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for less per request: the signer is made once per
    app, requests that need no session (the health check, static files) open none, and a
    cookie already verified is not verified and decoded again while it is valid (kept by
    its exact value, so nothing unsigned is ever taken; only sessions of plain values, so
    that what a request changes is its own copy)."""

    sessionless = ("/health",)

    def get_signing_serializer(self, app):
        serializer = app.extensions.get("session_serializer")
        if serializer is None:
            serializer = app.extensions["session_serializer"] = super().get_signing_serializer(
                app)
        return serializer

    def open_session(self, app, request):
        if request.path in self.sessionless or request.path.startswith(
            app.static_url_path + "/"
        ):
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        lifetime = app.permanent_session_lifetime.total_seconds()
        verified = app.extensions.setdefault("sessions_verified", {})
        kept = verified.get(value)
        if kept is not None and time.time() - kept[1] <= lifetime:
            return self.session_class(kept[0])
        try:
            data, signed_at = self.get_signing_serializer(app).loads(
                value, max_age=int(lifetime), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, str | int | float | bool | None) for v in data.values()):
            if len(verified) >= SESSIONS_KEPT:
                verified.clear()
            verified[value] = (data, signed_at.timestamp())
        return self.session_class(data)
