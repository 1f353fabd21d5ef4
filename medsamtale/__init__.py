"""Medsamtale: the Norwegian medarbeidersamtale, planned, prepared and followed up."""

import os
from datetime import date
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user

from . import config, dates, sealing, security, text
from .errors import register_error_pages
from .extensions import CookieSessions, babel, csrf, db, init_limiter, login_manager, mail, migrate

PACKAGE = Path(__file__).resolve().parent


def resource(name: str) -> Path:
    """A top-level folder of the project (templates, static, migrations): inside the
    package in an installed wheel, beside it in a checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(resource("templates")),
        static_folder=str(resource("static")),
        instance_path=os.environ.get("INSTANCE_PATH") or None,
    )
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if app.config["SESSION_COOKIE_SECURE"]:  # behind HTTPS: bound to this host alone
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(uri)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    sealing.init_app(app)  # refuses to start without the key that opens the content
    security.init_app(app)  # before the blueprints: their routes use its converter
    register_blueprints(app)
    register_templating(app)
    register_error_pages(app)
    register_commands(app)
    return app


def select_locale() -> str | None:
    """The account's language, else this visit's choice; None means BABEL_DEFAULT_LOCALE."""
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return session.get("locale")


def register_extensions(app: Flask) -> None:
    from .auth.sessions import load_user

    app.session_interface = CookieSessions()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource("migrations")))
    mail.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    babel.init_app(app, locale_selector=select_locale)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.login_message = lazy_gettext("Please log in to see this page.")


def register_blueprints(app: Flask) -> None:
    from .account.views import bp as account_bp
    from .admin.views import bp as admin_bp
    from .agenda.views import bp as agenda_bp
    from .audit import log as audit_log
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .branding.views import bp as branding_bp
    from .conversations.views import bp as conversations_bp
    from .deputies.views import bp as deputies_bp
    from .devmail.views import bp as devmail_bp
    from .factors.views import bp as factors_bp
    from .followup.views import bp as followup_bp
    from .mailqueue.views import bp as mailqueue_bp
    from .main.views import bp as main_bp
    from .minutes.views import bp as minutes_bp
    from .preparation.views import bp as preparation_bp
    from .privacy.views import bp as privacy_bp
    from .progress.views import bp as progress_bp
    from .questionbank.views import bp as questionbank_bp
    from .rounds.views import bp as rounds_bp
    from .scim.views import bp as scim_bp
    from .sso.views import bp as sso_bp
    from .units.views import bp as units_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(questionbank_bp)
    app.register_blueprint(conversations_bp)
    app.register_blueprint(preparation_bp)
    app.register_blueprint(agenda_bp)
    app.register_blueprint(minutes_bp)
    app.register_blueprint(followup_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(branding_bp)
    app.register_blueprint(devmail_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(factors_bp)
    app.register_blueprint(scim_bp)
    app.register_blueprint(mailqueue_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(deputies_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(privacy_bp)
    audit_log.init_app(app)  # what the audit log records by itself

    @app.before_request
    def require_login():
        """Every page needs a login, except those a view marks as public and static files."""
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if request.endpoint in (None, "static") or getattr(view, "is_public", False):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None


def register_templating(app: Flask) -> None:
    from .models import Organisation
    from .roles import ROLE_LABELS

    app.jinja_env.filters["datetime"] = dates.moment
    app.jinja_env.filters["date"] = dates.day
    app.jinja_env.filters["clock"] = dates.clock
    app.jinja_env.filters["meeting_time"] = dates.meeting_time
    app.jinja_env.filters["isodate"] = lambda value, form="medium": (
        dates.day(date.fromisoformat(value), form) if value else ""
    )
    # Text people write in the minutes: sanitised HTML, and the same as typed for editing.
    app.jinja_env.filters["user_html"] = text.as_html
    app.jinja_env.filters["editable_text"] = text.for_editing
    app.jinja_env.globals["autosave_delay"] = app.config["AUTOSAVE_DELAY_MS"]

    @app.context_processor
    def layout_context():
        return {
            "organisation_name": Organisation.shown_name(),
            "role_labels": ROLE_LABELS,
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
        }


def register_commands(app: Flask) -> None:
    from .audit.cli import audit_cli
    from .cli import demo_command, init_command, outbox_cli
    from .retention.cli import retention_cli
    from .sealing.cli import keys_cli

    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(keys_cli)
