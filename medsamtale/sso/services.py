"""Signing in through an OpenID provider (OIDC_ISSUER), with Authlib's Flask client.

The authorization code flow with PKCE (S256): `start` sends the person to the provider with
a fresh `state`, `nonce` and code verifier, kept in their session; `finish` takes the
provider's answer at /sso/callback, once: the `state` must be one this browser was given
(it is forgotten at once, so an answer is never taken twice), the code is exchanged for
tokens, and the ID token's signature (the provider's JWKS), issuer, audience, expiry and
nonce are checked (`verified_claims`). `match` then finds the person: by the (issuer,
subject) their account is linked to, else, on the first sign-in, by a verified address of
an active account, which is then linked; an account is made only with OIDC_CREATE_USERS.

Every refusal changes nothing (no link, no session), says why on the log-in page, and is
in the audit log as a failed log-in with its reason (`refuse`).
"""

from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_client import OAuth
from flask import abort, current_app, session, url_for
from flask import request as flask_request
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError
from requests import RequestException

from .. import audit
from ..auth.sessions import log_in
from ..errors import Refused
from ..extensions import db
from ..models import User
from ..models.identities import ISSUER_MAX, SUBJECT_MAX, OidcIdentity
from ..models.people import EMAIL_MAX, NAME_MAX, normalise_email
from ..security import safe_next
from ..timeutil import utcnow

CLIENT = "medsamtale.oidc"  # app.extensions: this app's Authlib client
NAME = "oidc"
NEXT = "sso_next"  # the session: where to go after signing in
ID_TOKEN = "sso_id_token"  # the session: the ID token, for logging out at the provider
LEEWAY = 60  # seconds of clock difference allowed on the ID token's times
TIMEOUT = 10  # seconds to wait for the provider

# Why a sign-in was refused (the audit log's reason), and what the person is told.
MESSAGES = {
    "state": _l("The sign-in could not be completed: it was not started in this browser, "
                "or it was already used. Start again with the button below."),
    "provider": _l("The sign-in service did not sign you in. Try again."),
    "code": _l("The sign-in service did not accept the sign-in (it may already have been "
               "used). Start again with the button below."),
    "token": _l("The answer from the sign-in service could not be verified, so you were not "
                "signed in. Try again, or tell your IT department if it happens again."),
    "unavailable": _l("The sign-in service could not be reached. Try again in a few "
                      "minutes."),
    "no_email": _l("The sign-in service did not give us your email address, so we could "
                   "not find your account. Ask your IT department."),
    "unverified": _l("The sign-in service has not verified your email address, so we could "
                     "not find your account with it. Ask your IT department."),
    "unknown": _l("No account in Medsamtale has the address %(email)s. Ask your HR admin "
                  "to add you."),
    "deactivated": _l("Your account in Medsamtale is deactivated. Ask your HR admin."),
    "linked_elsewhere": _l("The account with the address %(email)s is already linked to "
                           "another person at the sign-in service. Ask your HR admin."),
}


class SignInRefused(Refused):
    """A refused sign-in: `reason` (a key of MESSAGES) for the audit log, and the account
    it was about (`user`), if one was found."""

    def __init__(self, reason: str, user: User | None = None, **values):
        super().__init__(MESSAGES[reason] % values if values else MESSAGES[reason])
        self.reason, self.values = reason, values
        self.user_id = user.id if user is not None else None


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def button_label() -> str:
    return current_app.config.get("OIDC_BUTTON_LABEL") or str(_l("Log in with single sign-on"))


def client():
    """This app's Authlib client, made from its settings on first use (404 without
    OIDC_ISSUER); the provider's discovery document is read, once, when first needed."""
    if not enabled():
        abort(404)
    found = current_app.extensions.get(CLIENT)
    if found is None:
        config = current_app.config
        found = OAuth(current_app).register(
            NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=config["OIDC_ISSUER"] + "/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                           "timeout": TIMEOUT},
        )
        current_app.extensions[CLIENT] = found
    return found


def metadata() -> dict:
    """The provider's discovery document; its issuer must be OIDC_ISSUER itself (OpenID
    Connect Discovery 4.3), or nothing from it is trusted."""
    found = client().load_server_metadata()
    if found.get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"]:
        raise SignInRefused("token")
    return found


# Going to the provider ----------------------------------------------------------------------


def start(next_page: str | None):
    """The redirect to the provider's authorization endpoint (state, nonce and PKCE kept in
    the session by Authlib); where to go afterwards is kept too."""
    try:
        metadata()  # a discovery document for another issuer: refused ("token")
    except (RequestException, ValueError):
        raise SignInRefused("unavailable") from None
    session[NEXT] = safe_next(next_page)
    return client().authorize_redirect(url_for("sso.callback", _external=True))


# Coming back --------------------------------------------------------------------------------


def finish() -> str:
    """Take the provider's answer: the person signed in (a server-side session, as with a
    password), and where to send them. Raises SignInRefused (after recording it)."""
    issuer = current_app.config["OIDC_ISSUER"]
    try:
        token, claims = tokens()
        user, matched = match(issuer, claims)
    except SignInRefused as refused:
        raise refuse(refused) from None
    destination = session.get(NEXT) or url_for("main.home")
    log_in(user)
    session[ID_TOKEN] = token["id_token"]
    audit.record("oidc_sign_in", actor=user, subject=user, matched=matched,
                 issuer=issuer[:ISSUER_MAX])
    return destination


def tokens() -> tuple[dict, dict]:
    """The tokens for the answer's code, and the ID token's verified claims (with what the
    userinfo endpoint adds). The answer's `state` must be one this session was given; it is
    forgotten before anything else, so the same answer is never taken twice."""
    oidc, args = client(), flask_request.args
    state = args.get("state", "")
    saved = oidc.framework.get_state_data(session, state) if state else None
    if state:
        oidc.framework.clear_state_data(session, state)
    if not saved or "nonce" not in saved or "code_verifier" not in saved:
        raise SignInRefused("state")
    if args.get("error") or not args.get("code"):
        raise SignInRefused("provider")
    try:
        token = oidc.fetch_access_token(code=args["code"], redirect_uri=saved["redirect_uri"],
                                        code_verifier=saved["code_verifier"])
    except RequestException:
        raise SignInRefused("unavailable") from None
    except AuthlibBaseError:  # the token endpoint refused: a used, foreign or late code
        raise SignInRefused("code") from None
    claims = verified_claims(token, saved["nonce"])
    return token, claims | userinfo(token, claims)


def userinfo(token: dict, claims: dict) -> dict:
    """The claims of the provider's userinfo endpoint that the ID token lacks, when it lacks
    the address (Feide gives it there); only if they are about the same subject (OpenID
    Connect Core 5.3.2)."""
    endpoint = client().load_server_metadata().get("userinfo_endpoint")
    if current_app.config["OIDC_EMAIL_CLAIM"] in claims or not endpoint:
        return {}
    try:
        found = dict(client().userinfo(token=token))
    except (RequestException, AuthlibBaseError, ValueError):
        raise SignInRefused("unavailable") from None
    if found.get("sub") != claims.get("sub"):
        raise SignInRefused("token")
    return {name: value for name, value in found.items() if name not in claims}


def verified_claims(token: dict, nonce: str) -> dict:
    """The claims of `token`'s ID token once its signature (against the provider's JWKS),
    issuer, audience (this client), expiry, issue time, nonce and at_hash are checked;
    SignInRefused("token") when any of them fails or there is none."""
    if not isinstance(token.get("id_token"), str):
        raise SignInRefused("token")
    try:
        metadata()
        return dict(client().parse_id_token(token, nonce=nonce, leeway=LEEWAY))
    except RequestException:
        raise SignInRefused("unavailable") from None
    except (JoseError, AuthlibBaseError, ValueError, KeyError, TypeError):
        raise SignInRefused("token") from None


# Who it is ----------------------------------------------------------------------------------


def match(issuer: str, claims: dict) -> tuple[User, str]:
    """The active person `claims` are about, and how they were found: "subject" (their
    linked account), "email" (a verified address, now linked) or "created"."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX:
        raise SignInRefused("token")
    identity = OidcIdentity.find(issuer, subject)
    if identity is not None:
        if not identity.user.active:
            raise SignInRefused("deactivated", identity.user)
        identity.last_login_at = utcnow()
        return identity.user, "subject"
    email = verified_email(claims)
    user, how = User.by_email(email), "email"
    if user is None and not current_app.config["OIDC_CREATE_USERS"]:
        raise SignInRefused("unknown", email=email)
    if user is None:
        user, how = new_user(email, claims), "created"
    elif not user.active:
        raise SignInRefused("deactivated", user)
    elif OidcIdentity.of(user.id, issuer) is not None:
        raise SignInRefused("linked_elsewhere", user, email=email)
    db.session.add(OidcIdentity(user=user, issuer=issuer, subject=subject,
                                last_login_at=utcnow()))
    return user, how


def verified_email(claims: dict) -> str:
    """The address in OIDC_EMAIL_CLAIM, if the provider vouches for it: `email_verified`
    true, or a claim other than `email` (such as Entra ID's preferred_username, which the
    organisation's tenant assigns), or OIDC_TRUST_EMAIL."""
    config = current_app.config
    claim = config["OIDC_EMAIL_CLAIM"]
    value = claims.get(claim)
    if not isinstance(value, str) or "@" not in value or len(value.strip()) > EMAIL_MAX:
        raise SignInRefused("no_email")
    trusted = claims.get("email_verified") is True or claim != "email"
    if not (trusted or config["OIDC_TRUST_EMAIL"]):
        raise SignInRefused("unverified")
    return normalise_email(value)


def new_user(email: str, claims: dict) -> User:
    """An employee account for a verified address nobody has (OIDC_CREATE_USERS): no
    password, the name the provider gives."""
    given = " ".join(str(claims.get(part) or "") for part in ("given_name", "family_name"))
    name = str(claims.get("name") or given.strip() or email.split("@")[0])[:NAME_MAX]
    user = User(name=name, email=email, is_employee=True)
    db.session.add(user)
    db.session.flush()  # its id, for the session and the link
    return user


def refuse(refused: SignInRefused) -> SignInRefused:
    """Forget whatever the refused sign-in did, and record the refusal (committed at once,
    as a failed password log-in is)."""
    db.session.rollback()
    audit.record("login_failed", actor=None, subject=refused.user_id, method="oidc",
                 reason=refused.reason, **refused.values)
    return refused


# Logging out --------------------------------------------------------------------------------


def end_session_url() -> str | None:
    """Where to send a person who logs out after signing in through the provider: its
    end_session_endpoint with the ID token as hint and the log-in page to come back to;
    None without the provider, its endpoint, or such a sign-in. Read before the session
    is forgotten."""
    id_token = session.get(ID_TOKEN)
    if not enabled() or not id_token:
        return None
    try:
        endpoint = metadata().get("end_session_endpoint")
    except (RequestException, ValueError, SignInRefused):
        return None
    if not endpoint:
        return None
    return add_params_to_uri(endpoint, {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": url_for("auth.login", _external=True),
        "client_id": current_app.config["OIDC_CLIENT_ID"],
    })
