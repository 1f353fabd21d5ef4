"""Second factors for local accounts: TOTP with recovery codes, passkeys (WebAuthn), and HR's reset
of a person's factors.

/account/factors is the person's own page; /login/factor is the step between the password and
the session; /login/passkey signs in without a password; /admin/users/<id>/factors/reset is
the HR admin's. The passkey ceremonies answer JSON to static/js/passkeys.js."""

import io

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.sessions import log_in
from ..change import Page, make_change
from ..errors import Refused, error_page
from ..extensions import client_address, db, limiter
from ..htmx import render
from ..models import User
from ..models.factors import Passkey, RecoveryCode, TotpSecret, has_factor
from ..roles import hr_admin_required, public
from ..security import safe_next
from . import passkeys, services
from .forms import CodeForm, SetupCodeForm

bp = Blueprint("factors", __name__)

# What a person who must set up a factor first may still open.
OPEN_DURING_SETUP = frozenset({"static", "auth.logout", "main.set_language", "main.health"})


@bp.before_app_request
def setup_first():
    """A person who must have a second factor and has none sets one up before anything."""
    if (session.get(services.SETUP_NEEDED) and request.blueprint != "factors"
            and request.endpoint not in OPEN_DURING_SETUP and current_user.is_authenticated):
        flash(_("Set up a second factor before you go on."), "info")
        return redirect(url_for("factors.index"))
    return None


def _failed(response) -> bool:
    """Only attempts that did not get in count against the limits."""
    return response.status_code >= 400


def _step_key() -> str:
    step = session.get(services.STEP)
    user = step.get("user") if isinstance(step, dict) else None
    return f"factor:{user}|{client_address()}"


def _limited(setting: str, scope: str, key_func=None):
    return limiter.limit(lambda: current_app.config[setting], key_func=key_func,
                         methods=["POST"], deduct_when=_failed, scope=scope)


@bp.errorhandler(429)
def too_many_attempts(_error):
    """A throttled second step: its page (or JSON for a passkey) and a clear message."""
    message = _("Too many failed attempts. Wait a few minutes and try again.")
    if request.endpoint == "factors.second_step":
        form = CodeForm(formdata=None)
        form.form_errors.append(message)
        return render("factors/second_step.html", form=form, status=429)
    return jsonify(error=message), 429  # the passkey ceremonies


def _ceremony(change, *args, ok=lambda result: {}):
    """Answer a passkey ceremony's request with JSON: `ok(result)` once the change is made
    and committed, or the reason it was refused (400), nothing changed."""
    try:
        result = change(*args)
    except Refused as refused:
        db.session.rollback()
        return jsonify(error=str(refused.message)), 400
    db.session.commit()
    return jsonify(ok(result))


def _options(json_text: str):
    response = make_response(json_text)
    response.headers["Content-Type"] = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response


# The person's own page ----------------------------------------------------------------------


def _index_context() -> dict:
    secret = TotpSecret.of(current_user.id)
    return {"totp": secret if secret is not None and secret.confirmed_at else None,
            "passkeys": Passkey.of(current_user.id),
            "codes_left": RecoveryCode.left(current_user.id),
            "required": services.requires_factor(current_user),
            "setup_needed": session.get(services.SETUP_NEEDED, False)}


@bp.route("/account/factors")
def index():
    """The person's second factors: the authenticator app, passkeys, recovery codes."""
    return render("factors/index.html", **_index_context())


@bp.route("/account/factors/totp/start", methods=["POST"])
def start_totp():
    """Make a new secret to set up an authenticator app with (not counted yet)."""
    return make_change(services.start_totp, current_user._get_current_object(),
                       back=lambda secret: url_for(".totp" if secret else ".index"))


@bp.route("/account/factors/totp", methods=["GET", "POST"])
def totp():
    """The secret as a QR code and as text, confirmed with a first code; the recovery
    codes are then shown, once."""
    secret = TotpSecret.of(current_user.id)
    if secret is None or secret.confirmed_at is not None:
        return redirect(url_for(".index"))
    form = SetupCodeForm()
    return make_change(
        services.confirm_totp, current_user._get_current_object(), form.code.data, form=form,
        page=lambda outcome: _totp_answer(outcome, form, secret),
    )


def _totp_answer(outcome, form, secret):
    if outcome.result:
        return render("factors/codes.html", codes=outcome.result, first=True)
    return render("factors/totp.html", form=form, secret=secret.secret,
                  uri=services.provisioning_uri(current_user, secret))


@bp.route("/account/factors/totp/qr.svg")
def totp_qr():
    """The secret being set up, as a QR code (SVG made here: no outside service)."""
    secret = TotpSecret.of(current_user.id)
    if secret is None or secret.confirmed_at is not None:
        return error_page(404)
    svg = io.BytesIO()
    segno.make(services.provisioning_uri(current_user, secret), error="m").save(
        svg, kind="svg", scale=5, border=2, title=_("QR code for your authenticator app"))
    return svg.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}


@bp.route("/account/factors/totp/remove", methods=["POST"])
def remove_totp():
    """Remove the authenticator app."""
    return make_change(services.remove_totp, current_user._get_current_object(),
                       back=url_for(".index"), done=_("The authenticator app is removed."))


@bp.route("/account/factors/recovery-codes", methods=["POST"])
def recovery_codes():
    """Ten new recovery codes (the old ones stop working), shown once."""
    return make_change(
        services.new_recovery_codes, current_user._get_current_object(),
        page=lambda outcome: render("factors/codes.html", codes=outcome.result, first=False),
    ) if has_factor(current_user.id) else redirect(url_for(".index"))


@bp.route("/account/factors/passkeys/options", methods=["POST"])
def passkey_options():
    """The options for the browser to make a passkey with (navigator.credentials.create)."""
    json_text = passkeys.registration_options(current_user)
    db.session.commit()
    return _options(json_text)


@bp.route("/account/factors/passkeys", methods=["POST"])
def add_passkey():
    """Keep the passkey the browser made."""
    return _ceremony(passkeys.register, current_user._get_current_object(),
                     request.form.get("credential", ""), request.form.get("name", ""),
                     ok=lambda _passkey: {"redirect": url_for(".index")})


@bp.route("/account/factors/passkeys/<id:passkey_id>/remove", methods=["POST"])
def remove_passkey(passkey_id: int):
    """Remove one of one's passkeys."""
    return make_change(passkeys.remove, current_user._get_current_object(), passkey_id,
                       back=url_for(".index"), done=_("The passkey is removed."))


# Logging in ---------------------------------------------------------------------------------


def _logged_in(user: User) -> str:
    """Begin the session of the person who gave their factor; where to go now."""
    next_url = services.step_next() or url_for("main.home")
    services.end_step()
    log_in(user)
    return next_url


def _second_step(user: User, code: str) -> str:
    services.second_step(user, code)
    return _logged_in(user)


@bp.route("/login/factor", methods=["GET", "POST"])
@public
@_limited("LOGIN_LIMIT_PER_ACCOUNT", "factor-account", _step_key)
@_limited("LOGIN_LIMIT_PER_ADDRESS", "factor-address")
def second_step():
    """After the password: the authenticator app's code, a recovery code, or a passkey."""
    user = services.pending_user()
    if user is None:
        services.end_step()
        flash(_("Log in again: the step after the password took too long."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    return make_change(
        _second_step, user, form.code.data, form=form, back=lambda url: url,
        page=Page("factors/second_step.html", form=form,
                  has_passkey=lambda: bool(Passkey.of(user.id))),
    )


@bp.route("/login/factor/passkey/options", methods=["POST"])
@public
def second_step_passkey_options():
    """The options for the person's passkeys at the second step."""
    user = services.pending_user()
    if user is None:
        return jsonify(error=_("Log in again: the step after the password took too long.")), 400
    json_text = passkeys.authentication_options(passkeys.SECOND_STEP, user)
    db.session.commit()
    return _options(json_text)


@bp.route("/login/factor/passkey", methods=["POST"])
@public
@_limited("LOGIN_LIMIT_PER_ACCOUNT", "factor-account", _step_key)
@_limited("LOGIN_LIMIT_PER_ADDRESS", "factor-address")
def second_step_passkey():
    """The second step with a passkey."""
    user = services.pending_user()
    if user is None:
        return jsonify(error=_("Log in again: the step after the password took too long.")), 400
    return _ceremony(lambda: _logged_in(passkeys.authenticate(
        passkeys.SECOND_STEP, request.form.get("credential", ""), user)),
        ok=lambda url: {"redirect": url})


@bp.route("/login/passkey/options", methods=["POST"])
@public
def passkey_sign_in_options():
    """The options for signing in with any passkey of this site, without a password."""
    json_text = passkeys.authentication_options(passkeys.SIGN_IN, None)
    db.session.commit()
    return _options(json_text)


@bp.route("/login/passkey", methods=["POST"])
@public
@_limited("LOGIN_LIMIT_PER_ADDRESS", "factor-address")
def passkey_sign_in():
    """Sign in with a passkey alone (it is two factors itself: the device and its lock)."""
    return _ceremony(_signed_in, request.form.get("credential", ""),
                     safe_next(request.form.get("next")), ok=lambda url: {"redirect": url})


def _signed_in(credential: str, next_url: str) -> str:
    log_in(passkeys.authenticate(passkeys.SIGN_IN, credential, None))
    return next_url


# HR's reset ---------------------------------------------------------------------------------


@bp.route("/admin/users/<id:user_id>/factors/reset", methods=["GET", "POST"])
@hr_admin_required
def reset(user_id: int):
    """Remove a person's second factors when they lost them, after asking (not one's own)."""
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        return render("factors/reset.html", user=user, has_factor=has_factor(user.id))
    return make_change(
        services.reset_factors, user, current_user._get_current_object(),
        back=url_for("admin.edit_user", user_id=user.id),
        done=_("%(name)s's second factors are removed, and %(name)s is told by email.",
               name=user.name),
    )
