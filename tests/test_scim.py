"""People from the directory: SCIM 2.0 (/scim/v2) with the HR admin's bearer tokens, tested
with requests shaped as Entra ID sends them (the request/response pairs of Microsoft's
"Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID", and its "Known
issues … SCIM 2.0 protocol compliance" page for the requests without the compliance flag)."""

import json
import re

import pytest
import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, EmailChange, User, UserSession
from medsamtale.models.provisioning import ScimIdentity, ScimToken
from tests.fixtures.app import logged_in
from tests.helpers import snapshot

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MANAGER = ENTERPRISE + ":manager"

# Entra ID's documented Create User request (userName made an address, as a UPN is).
CREATE = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com",
    "active": True,
    "emails": [{"primary": True, "type": "work",
                "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName",
             "givenName": "givenName"},
    "roles": [],
}


@pytest.fixture
def token(app, make_user):
    """A token an HR admin made, as its header."""
    hr = make_user("Hanne HR", "hr@example.no", roles=("hr_admin",))
    with app.app_context():
        row, secret = ScimToken.issue("Entra ID", db.session.get(User, hr))
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def scim(client, token):
    """scim(method, path, body=None, headers=token): the answer, its JSON in `.body`."""

    def call(method, path, body=None, headers=None):
        response = client.open(
            "/scim/v2" + path, method=method,
            data=None if body is None else json.dumps(body),
            headers={**(token if headers is None else headers),
                     "Content-Type": "application/scim+json"})
        text = response.get_data(as_text=True)
        response.body = json.loads(text) if text else None
        return response

    return call


def patch(*operations):
    return {"schemas": [PATCH], "Operations": list(operations)}


def created(scim, **changes):
    response = scim("POST", "/Users", {**CREATE, **changes})
    assert response.status_code == 201, response.body
    return response.body["id"]


def events(app, action):
    with app.app_context():
        return [e.detail for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def refused(response, status, scim_type=None):
    assert response.status_code == status, response.body
    assert response.content_type == "application/scim+json"
    assert response.body["schemas"] == [ERROR]
    assert response.body["status"] == str(status)
    if scim_type:
        assert response.body["scimType"] == scim_type


def people(app):
    return snapshot(app, User, "id", "name", "email", "active", "leader_id", "is_leader")


# Create and get -----------------------------------------------------------------------------


def test_create_user_as_entra_sends_it(app, scim):
    response = scim("POST", "/Users", CREATE)
    assert response.status_code == 201
    assert response.content_type == "application/scim+json"
    body = response.body
    assert body["schemas"] == [USER]
    assert body["externalId"] == CREATE["externalId"]
    assert body["userName"] == CREATE["userName"].lower()
    assert body["active"] is True
    assert body["name"] == {"formatted": "givenName familyName", "givenName": "givenName",
                            "familyName": "familyName"}
    assert body["emails"] == [{"value": CREATE["emails"][0]["value"].lower(), "type": "work",
                               "primary": True}]
    assert body["meta"]["resourceType"] == "User"
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["meta"]["created"])
    with app.app_context():
        user = db.session.get(User, int(body["id"]))
        assert (user.name, user.is_employee, user.is_leader, user.is_hr_admin) == (
            "givenName familyName", True, False, False)
    assert events(app, "scim_user_created")[0]["active"] is True
    # No cookie session is made or needed.
    assert "Set-Cookie" not in response.headers

    again = scim("GET", f"/Users/{body['id']}")
    assert again.status_code == 200
    assert again.body == body


def test_get_user_by_query_found_and_empty(scim, make_user):
    make_user("Kari Nordmann", "kari@example.no")  # a person HR added, matched by address
    user_id = created(scim)
    found = scim("GET", '/Users?filter=userName eq "' + CREATE["userName"] + '"')
    assert found.status_code == 200
    assert found.body["schemas"] == [LIST]
    assert (found.body["totalResults"], found.body["startIndex"],
            found.body["itemsPerPage"]) == (1, 1, 1)
    assert [r["id"] for r in found.body["Resources"]] == [user_id]

    local = scim("GET", '/Users?filter=userName eq "KARI@example.no"')
    assert [r["userName"] for r in local.body["Resources"]] == ["kari@example.no"]
    assert "externalId" not in local.body["Resources"][0]

    by_external = scim("GET", f'/Users?filter=externalId eq "{CREATE["externalId"]}"')
    assert [r["id"] for r in by_external.body["Resources"]] == [user_id]

    empty = scim("GET", '/Users?filter=userName eq "non-existent user"')
    assert empty.status_code == 200
    assert empty.body == {"schemas": [LIST], "totalResults": 0, "Resources": [],
                          "startIndex": 1, "itemsPerPage": 0}


def test_pagination_with_start_index_and_count(scim, make_user, count_queries):
    for n in range(5):
        make_user(f"Person {n}", f"person{n}@example.no")
    first = scim("GET", "/Users?startIndex=1&count=2")
    # Hanne HR (the token's maker) and the five.
    assert (first.body["totalResults"], first.body["itemsPerPage"]) == (6, 2)
    second = scim("GET", "/Users?startIndex=3&count=2")
    last = scim("GET", "/Users?startIndex=5&count=2")
    ids = [r["id"] for page in (first, second, last) for r in page.body["Resources"]]
    assert len(set(ids)) == 6 and second.body["startIndex"] == 3
    assert scim("GET", "/Users?startIndex=7&count=2").body["Resources"] == []
    refused(scim("GET", "/Users?count=many"), 400, "invalidValue")

    with count_queries() as few:
        scim("GET", "/Users?count=1")
    with count_queries() as many:
        scim("GET", "/Users?count=6")
    assert len(many) == len(few) <= 5


def test_a_filter_not_understood_is_refused(scim):
    refused(scim("GET", '/Users?filter=title eq "boss"'), 400, "invalidFilter")
    refused(scim("GET", '/Users?filter=userName sw "a"'), 400, "invalidFilter")
    refused(scim("GET", "/Users?filter=nonsense"), 400, "invalidFilter")


def test_unknown_user_is_a_scim_404(scim):
    refused(scim("GET", "/Users/5171"), 404)
    refused(scim("GET", "/Users/not-an-id"), 404)
    refused(scim("GET", "/Groups"), 404)


# PATCH --------------------------------------------------------------------------------------


def test_patch_multi_valued_properties_as_documented(app, scim):
    user_id = created(scim)
    response = scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value',
         "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}))
    assert response.status_code == 200
    assert response.body["name"]["familyName"] == "updatedFamilyName"
    # The new address waits for the person to confirm it (as when HR asks for one).
    with app.app_context():
        user = db.session.get(User, int(user_id))
        assert user.email == CREATE["emails"][0]["value"].lower()
        assert EmailChange.open_for(user).new_email == "updatedemail@microsoft.com"


def test_patch_replace_single_values_and_entras_strings(app, scim, make_user):
    user_id = created(scim)
    response = scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Replace", "path": "userName", "value": "5b50642d@testuser.com"},
        {"op": "Replace", "path": "displayName", "value": "Kari Nordmann"}))
    assert response.body["userName"] == "5b50642d@testuser.com"
    assert response.body["displayName"] == "Kari Nordmann"

    # Without Entra's compliance flag: "False" as a string, "Replace" capitalised.
    off = scim("PATCH", f"/Users/{user_id}",
               patch({"op": "Replace", "path": "active", "value": "False"}))
    assert off.status_code == 200 and off.body["active"] is False
    on = scim("PATCH", f"/Users/{user_id}",
              patch({"op": "replace", "path": "active", "value": "True"}))
    assert on.body["active"] is True

    # With it: a path-less replace whose value is a dict of paths.
    both = scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "replace", "value": {
            "displayName": "Kari N. Nordmann", "name.givenName": "Kari",
            "name.familyName": "Nordmann",
            ENTERPRISE + ":employeeNumber": "Aklq"}}))
    assert both.status_code == 200
    assert (both.body["displayName"], both.body["name"]["givenName"]) == (
        "Kari N. Nordmann", "Kari")
    with app.app_context():
        assert db.session.get(User, int(user_id)).name == "Kari N. Nordmann"
    assert "name" in events(app, "scim_user_changed")[-1]["fields"]

    refused(scim("PATCH", f"/Users/{user_id}",
                 patch({"op": "replace", "path": "active", "value": "maybe"})),
            400, "invalidValue")


def test_manager_set_changed_and_removed(app, scim, make_user):
    lars = make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    olga = make_user("Olga Olsen", "olga@example.no")  # not a leader yet
    user_id = created(scim)

    # Entra ID's forms of the manager: a string, and [{"$ref": …, "value": …}].
    response = scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Add", "path": MANAGER, "value": str(lars)}))
    assert response.status_code == 200
    assert response.body[ENTERPRISE]["manager"]["value"] == str(lars)
    assert ENTERPRISE in response.body["schemas"]
    response = scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Replace", "path": MANAGER, "value": [{"$ref": None, "value": str(olga)}]}))
    assert response.body[ENTERPRISE]["manager"]["value"] == str(olga)
    with app.app_context():
        user = db.session.get(User, int(user_id))
        assert user.leader_id == olga
        assert db.session.get(User, olga).is_leader  # the directory made Olga a leader
    leader_changes = events(app, "leader_changed")
    assert [e["leader_id"] for e in leader_changes] == [lars, olga]

    removed = scim("PATCH", f"/Users/{user_id}", patch({"op": "Remove", "path": MANAGER}))
    assert removed.status_code == 200
    assert ENTERPRISE not in removed.body
    with app.app_context():
        assert db.session.get(User, int(user_id)).leader_id is None


def test_a_manager_who_is_the_user_or_hr_or_a_loop_is_refused(app, scim, make_user):
    hr = make_user("Hilde HR", "hilde@example.no", roles=("hr_admin",))
    user_id = created(scim)
    other = created(scim, userName="other@testuser.com", externalId="x-2",
                    emails=[{"type": "work", "value": "other@testuser.com"}],
                    **{ENTERPRISE: {"manager": {"value": user_id}}})
    before, log_before = people(app), len(events(app, "scim_refused"))
    for value in (user_id, str(hr), other, "999999"):
        refused(scim("PATCH", f"/Users/{user_id}", patch(
            {"op": "Replace", "path": MANAGER, "value": value},
            {"op": "Replace", "path": "displayName", "value": "Changed"})), 400, "invalidValue")
    assert people(app) == before
    assert len(events(app, "scim_refused")) == log_before + 4


def test_unknown_attribute_is_refused_and_nothing_changes(app, scim):
    user_id = created(scim)
    before = people(app)
    refused(scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Replace", "path": "displayName", "value": "Changed"},
        {"op": "Replace", "path": "favouriteColour", "value": "blue"})), 400, "invalidPath")
    refused(scim("POST", "/Users", {**CREATE, "userName": "new@testuser.com",
                                    "externalId": "new", "shoeSize": 44}),
            400, "invalidValue")
    refused(scim("PATCH", f"/Users/{user_id}", patch({"op": "Remove", "path": "userName"})),
            400, "mutability")
    refused(scim("PATCH", f"/Users/{user_id}", {"Operations": []}), 400, "invalidSyntax")
    refused(scim("POST", "/Users", {**CREATE, "password": "hunter2hunter2"}), 400)
    assert people(app) == before
    assert [e["status"] for e in events(app, "scim_refused")] == [400] * 5


def test_duplicate_user_name_or_external_id_is_409_uniqueness(app, scim, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    user_id = created(scim)
    before = people(app)
    refused(scim("POST", "/Users", CREATE), 409, "uniqueness")
    refused(scim("POST", "/Users", {**CREATE, "userName": "KARI@example.no",
                                    "externalId": "k", "emails": []}), 409, "uniqueness")
    refused(scim("PATCH", f"/Users/{user_id}", patch(
        {"op": "Replace", "path": "userName", "value": "kari@example.no"})), 409, "uniqueness")
    assert people(app) == before


def test_put_replaces_the_person(app, scim):
    user_id = created(scim, **{ENTERPRISE: {}})
    body = {**CREATE, "displayName": "Kari Nordmann", "active": False}
    response = scim("PUT", f"/Users/{user_id}", body)
    assert response.status_code == 200
    assert (response.body["displayName"], response.body["active"]) == ("Kari Nordmann", False)


# Deactivating -------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["patch", "delete"])
def test_deactivating_ends_the_persons_sessions(app, scim, make_user, how):
    anne = make_user("Anne Aas", "anne@example.no")
    browser = logged_in(app.test_client(), "anne@example.no")
    assert browser.get("/").status_code == 200
    if how == "patch":
        response = scim("PATCH", f"/Users/{anne}",
                        patch({"op": "Replace", "path": "active", "value": False}))
        assert response.status_code == 200 and response.body["active"] is False
    else:
        response = scim("DELETE", f"/Users/{anne}")
        assert response.status_code == 204 and response.get_data() == b""
        # Kept, deactivated, with their conversations.
        assert scim("GET", f"/Users/{anne}").body["active"] is False
    answer = browser.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == anne, UserSession.ended_at.is_(None))) == 0
    fields = events(app, "scim_user_changed")[-1]
    assert fields["active"] is False


def test_the_last_hr_admin_is_not_deactivated(app, scim):
    with app.app_context():
        hr = db.session.scalar(sa.select(User.id).where(User.is_hr_admin))
    refused(scim("DELETE", f"/Users/{hr}"), 400, "mutability")
    with app.app_context():
        assert db.session.get(User, hr).active


# Tokens -------------------------------------------------------------------------------------


def test_wrong_missing_or_revoked_token_is_401_and_logged(app, scim, token):
    before = people(app)
    for headers in ({}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": "Basic " + token["Authorization"][7:]}):
        response = scim("POST", "/Users", CREATE, headers=headers)
        refused(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        row = db.session.scalar(sa.select(ScimToken))
        row.revoke(db.session.get(User, row.created_by_id))
        db.session.commit()
    refused(scim("GET", "/Users"), 401)
    assert people(app) == before
    assert [e["why"] for e in events(app, "scim_refused")] == [
        "missing", "unknown", "unknown", "revoked"]


def test_a_cookie_session_is_not_enough(app, client, hr_admin):
    """A logged-in HR admin's browser, without the token, is refused."""
    response = client.get("/scim/v2/Users")
    assert response.status_code == 401
    assert response.content_type == "application/scim+json"


def test_too_many_wrong_tokens_are_throttled(app, scim, token):
    app.config["SCIM_AUTH_FAILURE_LIMIT"] = "3 per minute"
    for _ in range(3):
        refused(scim("GET", "/Users", headers={"Authorization": "Bearer wrong"}), 401)
    refused(scim("GET", "/Users"), 429)


def test_discovery_documents(scim):
    config = scim("GET", "/ServiceProviderConfig")
    assert config.body["patch"] == {"supported": True}
    assert config.body["filter"]["supported"] is True
    assert config.body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim("GET", "/ResourceTypes")
    assert [r["endpoint"] for r in types.body["Resources"]] == ["/Users"]
    found = scim("GET", "/Schemas").body["Resources"]
    assert [s["id"] for s in found] == [USER, ENTERPRISE]


def test_hr_makes_a_token_sees_it_once_and_revokes_it(app, client, hr_admin):
    page = client.get("/admin/scim")
    assert page.status_code == 200
    assert "https://medsamtale.test.example/scim/v2" in page.get_data(as_text=True)

    refused_page = client.post("/admin/scim", data={"name": ""})
    assert refused_page.status_code == 422
    made = client.post("/admin/scim", data={"name": "Entra ID"})
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    secret = re.search(r'id="new-token">([^<]+)<', html).group(1)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/scim/v2/Users", headers=headers).status_code == 200

    listed = client.get("/admin/scim").get_data(as_text=True)
    assert secret not in listed  # shown once
    assert "Entra ID" in listed
    with app.app_context():
        row = db.session.scalar(sa.select(ScimToken))
        assert row.token_hash != secret and row.last_used_at is not None
    revoked = client.post(f"/admin/scim/{row.id}/revoke", follow_redirects=True)
    assert "«Entra ID»" in revoked.get_data(as_text=True)
    assert api.get("/scim/v2/Users", headers=headers).status_code == 401
    assert [e["token_id"] for e in events(app, "scim_token_created")] == [row.id]
    assert [e["token_id"] for e in events(app, "scim_token_revoked")] == [row.id]


def test_only_the_hr_admin_has_the_token_page(app, make_user):
    make_user("Lars Lie", "lars@example.no", roles=("leader", "employee"))
    client = logged_in(app.test_client(), "lars@example.no")
    assert client.get("/admin/scim").status_code == 403
    assert client.post("/admin/scim", data={"name": "mine"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScimToken)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScimIdentity)) == 0
