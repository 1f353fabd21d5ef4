"""What a SCIM request asks for, read into one `Wanted` change: a whole User resource (POST,
PUT) or the operations of a PATCH, with the paths and quirks Entra ID sends (`"Replace"`,
`"value": "False"`, a path-less replace whose value is a dict of paths, the enterprise
extension's manager as a string, an object or a list). Nothing is looked up or changed
here; what is not understood is refused with a ScimError naming the attribute."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .schema import ENTERPRISE, ENTERPRISE_KEPT, IGNORED, PATCH_OP, ScimError

# Control characters (Unicode Cc) have no place in a name, an address or an id.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_MAX = 255
ENTERPRISE_LOWER = ENTERPRISE.lower()
WORK_EMAIL_PATHS = ('emails[type eq "work"].value', "emails.value")
REQUIRED = ("userName", "active", "email")  # what a PATCH may not remove


@dataclass
class Wanted:
    """The attributes a request sets, by their canonical names (userName, externalId,
    displayName, givenName, familyName, formatted, email, active, manager,
    preferredLanguage); None removes one. `replace` (PUT) removes what is not named."""

    values: dict = field(default_factory=dict)
    replace: bool = False

    def set(self, name: str, value) -> None:
        self.values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default=None):
        return self.values.get(name, default)


def _text(name: str, value, *, allow_none: bool = True) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or len(value) > TEXT_MAX or _CONTROL.search(value):
        raise ScimError(400, f"{name} must be a string of at most {TEXT_MAX} characters "
                             "without control characters", "invalidValue")
    return value.strip() or None


def boolean(name: str, value) -> bool:
    """A boolean, also as Entra ID sends it without the SCIM-compliant flag ("False")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, f"{name} must be true or false", "invalidValue")


def manager_id(value) -> str | None:
    """The manager's SCIM id from "42", {"value": "42"} or [{"value": "42"}]; None removes."""
    if isinstance(value, list):
        if len(value) > 1:
            raise ScimError(400, "manager takes one value", "invalidValue")
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text("manager", value)


def _work_email(value) -> str | None:
    """The work address of an `emails` list (else the primary, else the first one)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise ScimError(400, "emails must be a list of objects", "invalidValue")
    if not value:
        return None
    chosen = next((e for e in value if e.get("type") == "work"), None) or next(
        (e for e in value if e.get("primary") is True), value[0])
    return _text("emails.value", chosen.get("value"))


def _name(wanted: Wanted, value) -> None:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ScimError(400, "name must be an object", "invalidValue")
    parts = {key.lower(): part for key, part in value.items()}
    for key, canonical in (("givenname", "givenName"), ("familyname", "familyName"),
                           ("formatted", "formatted")):
        wanted.set(canonical, _text(f"name.{canonical}", parts.get(key)))


def _enterprise(wanted: Wanted, value) -> None:
    if not isinstance(value, dict):
        raise ScimError(400, "The enterprise extension must be an object", "invalidValue")
    for key, part in value.items():
        if key.lower() == "manager":
            wanted.set("manager", manager_id(part))
        elif key.lower() not in IGNORED:
            raise ScimError(400, f"Unknown attribute: {ENTERPRISE}:{key}", "invalidValue")


# A whole resource (POST, PUT) ---------------------------------------------------------------

SKIPPED = frozenset({"schemas", "id", "meta"})


def from_resource(body, replace: bool) -> Wanted:
    """A User resource as sent to POST (create) or PUT (replace)."""
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a User resource (a JSON object)",
                        "invalidSyntax")
    wanted = Wanted(replace=replace)
    if replace:  # what a PUT does not name is removed
        for name in ("externalId", "displayName", "givenName", "familyName", "formatted",
                     "manager"):
            wanted.set(name, None)
    for key, value in body.items():
        lower = key.lower()
        if lower in SKIPPED or lower in IGNORED:
            continue
        if lower == ENTERPRISE_LOWER:
            _enterprise(wanted, value)
        elif lower == "name":
            _name(wanted, value)
        elif lower == "emails":
            wanted.set("email", _work_email(value))
        else:
            _simple(wanted, key, value)
    if not wanted.get("userName"):
        raise ScimError(400, "userName is required", "invalidValue")
    return wanted


SIMPLE = {"username": "userName", "externalid": "externalId", "displayname": "displayName",
          "preferredlanguage": "preferredLanguage", "active": "active"}


def _simple(wanted: Wanted, key: str, value) -> None:
    canonical = SIMPLE.get(key.lower())
    if canonical == "active":
        wanted.set("active", boolean("active", value))
    elif canonical is not None:
        wanted.set(canonical, _text(canonical, value))
    elif key.lower() == "password":
        raise ScimError(400, "Medsamtale takes no passwords from the directory",
                        "invalidValue")
    else:
        raise ScimError(400, f"Unknown attribute: {key}", "invalidValue")


# PATCH --------------------------------------------------------------------------------------

OPS = ("add", "replace", "remove")


def from_patch(body) -> Wanted:
    """The operations of a PatchOp, in order, as one change."""
    if not isinstance(body, dict) or PATCH_OP not in (body.get("schemas") or []):
        raise ScimError(400, f"The body must be a PatchOp ({PATCH_OP})", "invalidSyntax")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a list of operations", "invalidSyntax")
    wanted = Wanted()
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in OPS:
            raise ScimError(400, "op must be add, replace or remove", "invalidSyntax")
        path, value = operation.get("path"), operation.get("value")
        if path is None:
            if op == "remove":
                raise ScimError(400, "A remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, "An operation without a path needs an object as value",
                                "invalidValue")
            for key, part in value.items():
                _path(wanted, key, part, op)
        elif isinstance(path, str) and len(path) <= TEXT_MAX:
            _path(wanted, path, value, op)
        else:
            raise ScimError(400, "path must be an attribute path", "invalidPath")
    return wanted


def _path(wanted: Wanted, path: str, value, op: str) -> None:
    """One path of a PATCH (or a key of a path-less one) set to `value`, or removed."""
    lower = " ".join(path.split()).lower()
    remove = op == "remove"
    if lower == ENTERPRISE_LOWER:
        return _enterprise(wanted, {} if remove else value)
    if lower.startswith(ENTERPRISE_LOWER + ":"):
        rest = lower[len(ENTERPRISE_LOWER) + 1:]
        if rest in ("manager", "manager.value"):
            return wanted.set("manager", None if remove else manager_id(value))
        if rest.split(".")[0] in IGNORED and rest.split(".")[0] not in ENTERPRISE_KEPT:
            return None
        raise ScimError(400, f"Unknown attribute: {path}", "invalidPath")
    if lower in ("manager", "manager.value"):
        return wanted.set("manager", None if remove else manager_id(value))
    canonical = _canonical(lower)
    if canonical is None:
        if re.split(r"[.\[]", lower)[0] in IGNORED:
            return None
        raise ScimError(400, f"Unknown attribute: {path}", "invalidPath")
    if remove:
        if canonical in REQUIRED:
            raise ScimError(400, f"{path} cannot be removed", "mutability")
        return wanted.set(canonical, None) if canonical != "name" else _name(wanted, None)
    if canonical == "name":
        return _name(wanted, value)
    if canonical == "emails":
        return wanted.set("email", _work_email(value))
    if canonical == "active":
        return wanted.set("active", boolean("active", value))
    return wanted.set(canonical, _text(canonical, value))


PATHS = {
    "username": "userName", "externalid": "externalId", "displayname": "displayName",
    "preferredlanguage": "preferredLanguage", "active": "active", "name": "name",
    "name.givenname": "givenName", "name.familyname": "familyName",
    "name.formatted": "formatted", "emails": "emails",
}


def _canonical(lower: str) -> str | None:
    if lower in WORK_EMAIL_PATHS:
        return "email"
    return PATHS.get(lower)
