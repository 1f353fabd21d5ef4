"""The Flask extensions, created unbound and initialised in create_app()."""

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
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


def client_address() -> str:
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_address)

THROTTLED_BLUEPRINT = "auth"  # log-in and password links; nothing else is rate limited


def init_limiter(app) -> None:
    """Flask-Limiter guards the views of THROTTLED_BLUEPRINT (their @limiter.limit); the
    hooks it adds run for that blueprint's requests only, so no other request pays."""
    hook_lists = (app.before_request_funcs, app.after_request_funcs,
                  app.teardown_request_funcs)
    before = [list(hooks.get(None, [])) for hooks in hook_lists]
    limiter.init_app(app)
    for hooks, existing in zip(hook_lists, before, strict=True):
        added = [f for f in hooks.get(None, []) if f not in existing]
        hooks[None] = existing
        hooks.setdefault(THROTTLED_BLUEPRINT, []).extend(added)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for less per request: the signer is made once per
    app, and requests that need no session (the health check, static files) open none."""

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
        return super().open_session(app, request)
