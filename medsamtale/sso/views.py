"""OpenID Connect sign-in (Authlib): the provider's button on the log-in page, the callback,
linking accounts, log-out at the provider."""

from flask import Blueprint

bp = Blueprint("sso", __name__, url_prefix="/sso")
