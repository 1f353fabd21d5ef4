"""The organisation's logo and its colours as a small stylesheet, for every page's header.

Both are public (the log-in page shows them too) and name the version they show (the
organisation's `branding_tag`): asked for by the current tag they are sent to be kept for a
year (`immutable`, which security.py leaves alone); asked for by another tag (a page a
process made before a change, at most a minute old) they give what is current, kept by
nobody. The logo is only ever PNG or JPEG, checked by its first bytes when it was
uploaded, and sent with that type and `nosniff`: no SVG, nothing that can run script.
"""

from flask import Blueprint, abort, make_response
from sqlalchemy import select

from ..extensions import db
from ..models import Organisation
from ..roles import public

bp = Blueprint("branding", __name__, url_prefix="/branding")

YEAR = 365 * 24 * 3600


@bp.app_context_processor
def branding_context():
    """`branding` in every template: what the header shows (models.people.Shown)."""
    return {"branding": Organisation.shown()}


def _kept_if_current(response, tag: str, current: str | None):
    if tag == current:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


@bp.route("/<token>/organisation.css")
@public
def stylesheet(token: str):
    """The accent colour as CSS custom properties (--brand, --brand-dark); empty when the
    organisation uses Medsamtale's own colours."""
    organisation = Organisation.current()
    css = organisation.stylesheet if organisation else ""
    response = make_response(css, 200, {"Content-Type": "text/css; charset=utf-8"})
    return _kept_if_current(response, token, organisation.branding_tag if organisation else None)


@bp.route("/<token>/logo")
@public
def logo(token: str):
    """The organisation's logo, PNG or JPEG; 404 when it has none."""
    found = db.session.execute(
        select(Organisation.logo, Organisation.logo_type, Organisation.branding_tag)
        .order_by(Organisation.id).limit(1)
    ).first()
    if found is None or found.logo is None:
        abort(404)
    response = make_response(found.logo, 200, {"Content-Type": found.logo_type})
    return _kept_if_current(response, token, found.branding_tag)
