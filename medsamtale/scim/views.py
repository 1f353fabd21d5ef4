"""SCIM 2.0 provisioning from the directory (Entra ID): /scim/v2/Users with an HR-issued
bearer token, and the HR admin's page for those tokens (/admin/scim).

The API is JSON authenticated by its bearer token alone: no cookie session, no login, no
CSRF token (its views are exempt); every request is rate limited per address, and a wrong,
revoked or missing token is a 401 that the audit log records."""

from flask import Blueprint, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..audit import record
from ..change import Page, make_change
from ..errors import error_page
from ..extensions import csrf, db
from ..models.provisioning import ScimToken
from ..roles import hr_admin_required, public
from . import requests, schema, services
from .forms import TokenForm
from .schema import PREFIX, ScimError, answer, error_answer

bp = Blueprint("scim", __name__)


def api(view):
    """A view of the SCIM API: open without a login, exempt from CSRF (the bearer token
    authenticates each request, and no cookie is read)."""
    return csrf.exempt(public(view))


def _in_api() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@bp.before_request
def bearer_token():
    """Every API request names an open token of the HR admin's (services.authenticate)."""
    if not _in_api():
        return None
    try:
        g.scim_token = services.authenticate(request.headers.get("Authorization"))
    except ScimError as error:
        return error_answer(error)
    return None


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """An HTTP error in the API is answered in SCIM's error shape; on the page, as usual."""
    if not _in_api():
        return error_page(error.code or 500)
    return error_answer(ScimError(error.code or 500, error.name))


def _run(change, status: int = 200):
    """Make `change()` (it returns a resource, or None for no body): committed, or, when a
    rule refuses, rolled back and answered in SCIM's error shape; a refused write is
    recorded in the audit log, without what it would have written."""
    try:
        body = change()
    except ScimError as error:
        db.session.rollback()
        if request.method != "GET":
            record("scim_refused", status=error.status, scim_type=error.scim_type,
                   method=request.method, token_id=g.scim_token.id)
        db.session.commit()
        return error_answer(error)
    db.session.commit()
    if body is None:
        return answer(None, 204)
    headers = {"Location": body["meta"]["location"]} if status == 201 else {}
    return answer(body, status, **headers)


def _json():
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise ScimError(400, "The body must be JSON", "invalidSyntax")
    return body


@bp.route(f"{PREFIX}/Users", methods=["GET"])
@api
def users():
    """The people, a page at a time (startIndex, count), filtered by `userName eq "…"`,
    externalId, id or emails."""
    def listing():
        start, count = services.page_numbers(request.args.get("startIndex"),
                                             request.args.get("count"))
        found, total = services.search(request.args.get("filter"), start, count)
        return schema.list_response([schema.user_resource(u, i) for u, i in found], total,
                                    start)

    return _run(listing)


@bp.route(f"{PREFIX}/Users", methods=["POST"])
@api
def create_user():
    """Create a person from the directory (201, with the new resource)."""
    def create():
        wanted = requests.from_resource(_json(), replace=False)
        return schema.user_resource(*services.create(wanted))

    return _run(create, 201)


@bp.route(f"{PREFIX}/Users/<scim_id>", methods=["GET"])
@api
def user(scim_id: str):
    """One person as a SCIM User."""
    return _run(lambda: schema.user_resource(*services.get(scim_id)))


@bp.route(f"{PREFIX}/Users/<scim_id>", methods=["PUT", "PATCH"])
@api
def change_user(scim_id: str):
    """Replace (PUT) or change (PATCH, Entra ID's operations) a person."""
    def change():
        person, identity = services.get(scim_id)
        body = _json()
        wanted = (requests.from_patch(body) if request.method == "PATCH"
                  else requests.from_resource(body, replace=True))
        return schema.user_resource(person, services.update(person, identity, wanted))

    return _run(change)


@bp.route(f"{PREFIX}/Users/<scim_id>", methods=["DELETE"])
@api
def delete_user(scim_id: str):
    """Deactivate a person (204): they are kept, with their conversations."""
    return _run(lambda: services.deactivate(*services.get(scim_id)))


@bp.route(f"{PREFIX}/ServiceProviderConfig", methods=["GET"])
@api
def service_provider_config():
    """What this SCIM service supports."""
    return answer(schema.service_provider_config())


@bp.route(f"{PREFIX}/ResourceTypes", methods=["GET"])
@api
def resource_types():
    """The resource types: User."""
    return answer(schema.resource_types())


@bp.route(f"{PREFIX}/Schemas", methods=["GET"])
@api
def schemas():
    """The User schema and the enterprise extension, as far as Medsamtale keeps them."""
    return answer(schema.schemas())


@bp.route(f"{PREFIX}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@api
def unknown(rest: str):
    """Anything else under the API (Groups among it) is a 404 in SCIM's shape."""
    return error_answer(ScimError(404, "No such resource type"))


# The HR admin's tokens ----------------------------------------------------------------------


@bp.route("/admin/scim", methods=["GET", "POST"])
@hr_admin_required
def tokens():
    """The tokens the directory may use: made here (the token is shown once), listed with
    when each was made and last used, and revoked."""
    form = TokenForm()
    return make_change(
        lambda: services.create_token(form.name.data, current_user._get_current_object()),
        form=form,
        page=Page("scim/tokens.html", form=form, tokens=ScimToken.listed,
                  tenant_url=current_app.config["PUBLIC_BASE_URL"] + PREFIX),
    )


@bp.route("/admin/scim/<id:token_id>/revoke", methods=["POST"])
@hr_admin_required
def revoke(token_id: int):
    """Revoke a token: the directory's next request with it is refused."""
    row = db.get_or_404(ScimToken, token_id)
    return make_change(
        services.revoke_token, row, current_user._get_current_object(),
        back=url_for(".tokens"), done=_("The token «%(name)s» is revoked.", name=row.name),
    )
