"""Settings read from the environment, with safe defaults for a local run."""

import os
from datetime import timedelta

# Subresource integrity of htmx.min.js 4.0.1; static/vendor/htmx-4.0.1.min.js is that file.
HTMX_INTEGRITY = "sha384-Qp9rdC8H7EqOoX+nR0P3RPG2Noji+qdwJlGpfzwQJsfOpp3sGwIdSP9xO3+UlEhn"
# htmx's SSE extension of the same release (dist/ext/hx-sse.min.js), vendored beside it.
HTMX_SSE_INTEGRITY = "sha384-v8HvucQ+ohQhMg0arboXc5049yNR46QKMjphs7YDch+Wm7zpfK5XVS01f26mQDJV"


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the usual short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def from_environment(instance_path: str) -> dict:
    """Build the configuration from environment variables.

    Every setting has a default that is safe on a developer's machine; production sets
    SECRET_KEY, DATABASE_URL, the MAIL_* settings, PUBLIC_BASE_URL and RATELIMIT_STORAGE_URI.
    """
    default_db = "sqlite:///" + os.path.join(instance_path, "medsamtale.sqlite")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL", default_db)),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # The master key(s) that seal the conversations' content (medsamtale/sealing): the
        # key itself, or a file holding it (by default instance/encryption.key, which
        # scripts/start makes); the first key seals, any after it only open.
        "ENCRYPTION_KEY": os.environ.get("ENCRYPTION_KEY", ""),
        "ENCRYPTION_KEY_FILE": os.environ.get("ENCRYPTION_KEY_FILE", ""),
        # Mail
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Medsamtale <medsamtale@localhost>"
        ),
        # The local mail catcher scripts/start runs (medsamtale.devmail): the folder it
        # writes each message to, and its port. /dev/mail shows that folder only while the
        # catcher is the mail server (devmail.mailbox.catching), never behind HTTPS.
        "MAIL_CATCHER_DIR": os.environ.get("MAIL_CATCHER_DIR", ""),
        "MAIL_CATCHER_PORT": _int("MAIL_CATCHER_PORT", 0),
        # -- sign-in through OpenID Connect (medsamtale/sso) --
        # The provider's issuer (its discovery document is at
        # <issuer>/.well-known/openid-configuration); "" turns sign-in through it off.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").rstrip("/"),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "openid email profile"),
        # The button on the log-in page, such as "Logg inn med Microsoft".
        "OIDC_BUTTON_LABEL": os.environ.get("OIDC_BUTTON_LABEL", ""),
        # The claim holding the person's address (Entra ID: "preferred_username" works too).
        "OIDC_EMAIL_CLAIM": os.environ.get("OIDC_EMAIL_CLAIM", "email"),
        # Take the address claim as verified without `email_verified`: only for a provider
        # that is the organisation's own directory (its tenant assigns the addresses).
        "OIDC_TRUST_EMAIL": _bool("OIDC_TRUST_EMAIL", False),
        # Make an account (as employee) for a verified address that has none.
        "OIDC_CREATE_USERS": _bool("OIDC_CREATE_USERS", False),
        # -- end sso --
        # -- second factors and local log-in (medsamtale/factors) --
        # false: no password form and no password log-in, except for an HR admin with a
        # second factor (the break-glass account); nor are password links sent to others.
        "LOCAL_LOGIN": _bool("LOCAL_LOGIN", True),
        # Who must have a second factor: such a person without one sets one up right after
        # the password, before any other page.
        "MFA_REQUIRED_FOR_HR": _bool("MFA_REQUIRED_FOR_HR", True),
        "MFA_REQUIRED_FOR_LEADERS": _bool("MFA_REQUIRED_FOR_LEADERS", False),
        # How long the step between the password and the second factor may take.
        "FACTOR_STEP_MINUTES": _int("FACTOR_STEP_MINUTES", 5),
        # Passkeys (WebAuthn): the relying party's id, a domain ("" for the host of
        # PUBLIC_BASE_URL), and the origin the browser reports ("" for PUBLIC_BASE_URL).
        "WEBAUTHN_RP_ID": os.environ.get("WEBAUTHN_RP_ID", ""),
        "WEBAUTHN_ORIGIN": os.environ.get("WEBAUTHN_ORIGIN", ""),
        # -- end factors --
        # -- provisioning (medsamtale/scim) --
        # Requests the directory may make per address, and requests with a wrong or revoked
        # token per address (a refused one is answered 429 in SCIM's error shape).
        "SCIM_RATE_LIMIT": os.environ.get("SCIM_RATE_LIMIT", "1200 per minute"),
        "SCIM_AUTH_FAILURE_LIMIT": os.environ.get("SCIM_AUTH_FAILURE_LIMIT",
                                                  "20 per 15 minutes"),
        # Whether a person the directory creates is emailed a link to choose a password
        # (off: they sign in through single sign-on, or HR sends the link from their page).
        "SCIM_WELCOME_EMAIL": _bool("SCIM_WELCOME_EMAIL", False),
        # -- end scim --
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_RETRY_BASE_SECONDS": _int("OUTBOX_RETRY_BASE_SECONDS", 30),
        "OUTBOX_POLL_SECONDS": _int("OUTBOX_POLL_SECONDS", 5),
        # Sent messages are deleted from the outbox after this many days.
        "OUTBOX_KEEP_SENT_DAYS": _int("OUTBOX_KEEP_SENT_DAYS", 30),
        # Days before a conversation to remind whoever has not finished preparing.
        "PREPARATION_REMINDER_DAYS": _int("PREPARATION_REMINDER_DAYS", 2),
        # Days before an agreed action's deadline to remind both parties (and again after).
        "ACTION_REMINDER_DAYS": _int("ACTION_REMINDER_DAYS", 7),
        # Accounts
        "PASSWORD_TOKEN_HOURS": _int("PASSWORD_TOKEN_HOURS", 24),
        "WELCOME_TOKEN_DAYS": _int("WELCOME_TOKEN_DAYS", 7),
        # How long the link that confirms a new address (asked for by HR) works.
        "EMAIL_CHANGE_TOKEN_DAYS": _int("EMAIL_CHANGE_TOKEN_DAYS", 7),
        # Failed log-ins to one account from one address; from all addresses together (a
        # much higher cap, so failures from elsewhere do not lock out the right password).
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT_ALL": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_ALL",
                                                      "100 per hour"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int("SESSION_HOURS", 12)),
        # A session nobody used for this long is ended (the server keeps sessions).
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 60),
        # How often an open event stream asks whether its session is still open.
        "SESSION_CHECK_SECONDS": _int("SESSION_CHECK_SECONDS", 30),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        # How many proxies are in front of the app (each adds to X-Forwarded-For and sets
        # X-Forwarded-Proto); 0: none, the forwarded headers are ignored (medsamtale.security).
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # A CSRF token must outlive the longest meeting, so it lasts as long as the session.
        "WTF_CSRF_TIME_LIMIT": _int("SESSION_HOURS", 12) * 3600,
        # Language and time
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "LANGUAGES": {"nb": "Norsk bokmål", "en": "English"},
        # htmx from a CDN, with the vendored copy as fallback; "" serves only the vendored copy.
        "HTMX_CDN_URL": os.environ.get(
            "HTMX_CDN_URL", "https://cdn.jsdelivr.net/npm/htmx.org@4.0.1/dist/htmx.min.js"
        ),
        "HTMX_INTEGRITY": HTMX_INTEGRITY,
        "HTMX_SSE_INTEGRITY": HTMX_SSE_INTEGRITY,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Agenda items' HTML kept per process (agenda.fragments): 15 items a meeting.
        "AGENDA_ITEMS_KEPT": _int("AGENDA_ITEMS_KEPT", 20_000),
        # How long a text waits after the last key before it saves itself, everywhere.
        "AUTOSAVE_DELAY_MS": 500,
        # The audit log, also as JSON lines for the organisation's log system: a file to
        # append to, and a syslog (`/dev/log`, or `host:port` over UDP); "" for none.
        "AUDIT_LOG_FILE": os.environ.get("AUDIT_LOG_FILE", ""),
        "AUDIT_SYSLOG": os.environ.get("AUDIT_SYSLOG", ""),
    }
