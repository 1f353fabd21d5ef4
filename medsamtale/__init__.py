"""Medsamtale: the Norwegian medarbeidersamtale, planned, prepared and followed up."""

import os
from datetime import date
from pathlib import Path

from flask import Flask, g, has_request_context, render_template, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from . import config, text
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
    )
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(uri)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_templating(app)
    register_errors(app)
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
    from .models import User

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(User.from_session_id)
    login_manager.login_message = lazy_gettext("Please log in to see this page.")


def register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .agenda.views import bp as agenda_bp
    from .auth.views import bp as auth_bp
    from .conversations.views import bp as conversations_bp
    from .followup.views import bp as followup_bp
    from .main.views import bp as main_bp
    from .minutes.views import bp as minutes_bp
    from .preparation.views import bp as preparation_bp
    from .questionbank.views import bp as questionbank_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(questionbank_bp)
    app.register_blueprint(conversations_bp)
    app.register_blueprint(preparation_bp)
    app.register_blueprint(agenda_bp)
    app.register_blueprint(minutes_bp)
    app.register_blueprint(followup_bp)

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

    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["clock"] = lambda value: format_time(value, "HH:mm") if value else ""
    app.jinja_env.filters["meeting_time"] = meeting_time
    app.jinja_env.filters["isodate"] = lambda value, fmt="medium": (
        format_date(date.fromisoformat(value), fmt) if value else ""
    )
    # Text people write in the minutes: sanitised HTML, and the same as typed for editing.
    app.jinja_env.filters["user_html"] = text.as_html
    app.jinja_env.filters["editable_text"] = text.for_editing

    @app.context_processor
    def layout_context():
        if "organisation_name" not in g:
            organisation = Organisation.current()
            g.organisation_name = organisation.name if organisation else "Medsamtale"
        return {
            "organisation_name": g.organisation_name,
            "role_labels": ROLE_LABELS,
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
        }


MEETING_TIME_FORMATS = {"nb": "EEEE d. MMMM y 'kl.' HH:mm", "en": "EEEE d MMMM y 'at' HH:mm"}


def meeting_time(value) -> str:
    """A meeting's time as people write it: "tirsdag 8. desember 2026 kl. 10:00"."""
    if not value:
        return ""
    return format_datetime(value, MEETING_TIME_FORMATS.get(str(get_locale()), "full"))


def register_errors(app: Flask) -> None:
    from flask_babel import gettext as _

    from .auth.views import too_many_attempts

    def error_page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(_error):
        return error_page(403, _("Access denied"), _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(_error):
        return error_page(404, _("Page not found"), _("We could not find that page."))

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return error_page(
            400,
            _("The form has expired"),
            _("Go back, reload the page and try again. Nothing was saved."),
        )

    @app.errorhandler(429)
    def too_many_requests(error):
        if request.endpoint == "auth.login":
            return too_many_attempts(error)
        return error_page(429, _("Too many attempts"), _("Wait a few minutes and try again."))

    @app.errorhandler(413)
    def too_large(_error):
        return error_page(413, _("Too large"), _("The file or form you sent is too large."))


def register_commands(app: Flask) -> None:
    from .cli import demo_command, init_command
    from .outbox import outbox_cli

    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_cli)
