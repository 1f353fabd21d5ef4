"""SCIM 2.0's shapes (RFC 7643, RFC 7644): a person as a User resource, the list and error
messages, and the discovery documents (ServiceProviderConfig, ResourceTypes, Schemas)."""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app

from ..models import User
from ..models.provisioning import ScimIdentity

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
CONTENT_TYPE = "application/scim+json"
PREFIX = "/scim/v2"

# Attributes of the User schema and its enterprise extension that Medsamtale does not keep:
# accepted and ignored, so that the directory's default attribute mappings work. Anything
# that is in neither schema is refused (400).
IGNORED = frozenset({
    "nickname", "profileurl", "title", "usertype", "locale", "timezone", "phonenumbers",
    "addresses", "ims", "photos", "entitlements", "roles", "x509certificates", "groups",
    "employeenumber", "costcenter", "organization", "division", "department", "meta",
})
ENTERPRISE_KEPT = frozenset({"manager"})


class ScimError(Exception):
    """A refusal in SCIM's error shape: the HTTP status, scimType (RFC 7644 §3.12) and a
    detail that names the attribute or rule, never a person's data."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict:
        body = {"schemas": [ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def answer(body: dict | None, status: int = 200, **headers):
    """A SCIM answer: JSON as application/scim+json (no body for 204)."""
    text = "" if body is None else json.dumps(body, ensure_ascii=False)
    return text, status, {"Content-Type": CONTENT_TYPE, **headers}


def error_answer(error: ScimError):
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="medsamtale-scim"'
    return answer(error.body(), error.status, **headers)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def location(user_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}{PREFIX}/Users/{user_id}"


def user_resource(user: User, identity: ScimIdentity | None) -> dict:
    """A person as a SCIM User; a person the directory has not touched has their address
    as userName and no externalId."""
    given = identity.given_name if identity else None
    family = identity.family_name if identity else None
    name = {"formatted": user.name}
    if given:
        name["givenName"] = given
    if family:
        name["familyName"] = family
    resource = {
        "schemas": [USER],
        "id": str(user.id),
        "userName": identity.user_name if identity else user.email,
        "name": name,
        "displayName": user.name,
        "active": bool(user.active),
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "preferredLanguage": user.locale,
        "meta": {
            "resourceType": "User",
            "created": _iso(user.created_at),
            "lastModified": _iso(identity.updated_at if identity else user.created_at),
            "location": location(user.id),
        },
    }
    if identity and identity.external_id:
        resource["externalId"] = identity.external_id
    if user.leader_id:
        resource["schemas"].append(ENTERPRISE)
        resource[ENTERPRISE] = {"manager": {"value": str(user.leader_id),
                                            "$ref": location(user.leader_id)}}
    return resource


def list_response(resources: list[dict], total: int, start: int) -> dict:
    return {"schemas": [LIST], "totalResults": total, "Resources": resources,
            "startIndex": start, "itemsPerPage": len(resources)}


# Discovery ----------------------------------------------------------------------------------


def service_provider_config() -> dict:
    return {
        "schemas": [CONFIG],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 200},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token", "primary": True,
            "description": "A token the HR admin creates on /admin/scim.",
        }],
        "meta": {"resourceType": "ServiceProviderConfig",
                 "location": f"{current_app.config['PUBLIC_BASE_URL']}{PREFIX}"
                             "/ServiceProviderConfig"},
    }


def resource_types() -> dict:
    user = {
        "schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users",
        "description": "A person in Medsamtale", "schema": USER,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        "meta": {"resourceType": "ResourceType",
                 "location": f"{current_app.config['PUBLIC_BASE_URL']}{PREFIX}"
                             "/ResourceTypes/User"},
    }
    return list_response([user], 1, 1)


def _attribute(name: str, kind: str = "string", **more) -> dict:
    return {"name": name, "type": kind, "multiValued": False, "required": False,
            "caseExact": False, "mutability": "readWrite", "returned": "default",
            "uniqueness": "none", **more}


def schemas() -> dict:
    base = f"{current_app.config['PUBLIC_BASE_URL']}{PREFIX}/Schemas/"
    user = {
        "schemas": [SCHEMA], "id": USER, "name": "User", "description": "A person",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute("externalId", caseExact=True),
            _attribute("displayName"),
            _attribute("name", "complex", subAttributes=[
                _attribute("formatted"), _attribute("givenName"), _attribute("familyName")]),
            _attribute("emails", "complex", multiValued=True, subAttributes=[
                _attribute("value"), _attribute("type"), _attribute("primary", "boolean")]),
            _attribute("preferredLanguage"),
            _attribute("active", "boolean"),
        ],
        "meta": {"resourceType": "Schema", "location": base + USER},
    }
    enterprise = {
        "schemas": [SCHEMA], "id": ENTERPRISE, "name": "EnterpriseUser",
        "description": "The person's leader",
        "attributes": [_attribute("manager", "complex", subAttributes=[
            _attribute("value"), _attribute("$ref", "reference")])],
        "meta": {"resourceType": "Schema", "location": base + ENTERPRISE},
    }
    return list_response([user, enterprise], 2, 1)
