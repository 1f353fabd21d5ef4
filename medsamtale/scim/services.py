"""Provisioning from the directory: who may call the SCIM API (a bearer token the HR admin
issued), finding people, and making the directory's changes with the app's own rules.

The directory is the source of truth for who a person is, whether they are active and who
their leader is, so those changes apply at once; but the rules of the people pages hold:
nobody leads themselves or leads in a loop, an inactive person leads nobody, an HR admin
leads nobody (admin/changes.py), and the last active HR admin is not deactivated. A manager
who is not yet a leader becomes one. Changes of leader and role are announced as when HR
makes them. A new address is not taken at once: as when HR asks for one, the person
confirms it from that address (auth/email_change.py), so nobody who holds a token can
redirect someone's password links. Deactivating ends the person's sessions; people are
never deleted, because their conversations are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import and_, func, or_, select

from ..admin import changes
from ..audit import record
from ..auth import email_change
from ..auth.services import WELCOME, send_password_link
from ..errors import Refused
from ..extensions import client_address, db, limiter
from ..models import EmailChange, User
from ..models.people import EMAIL_MAX, NAME_MAX
from ..models.provisioning import ScimIdentity, ScimToken, user_name_owner
from ..security import INT_MAX
from ..timeutil import oslo_today, utcnow
from . import filters
from .requests import Wanted
from .schema import ScimError

PAGE_DEFAULT = 100
PAGE_MAX = 200
LOCALES = {"nb": "nb", "no": "nb", "nn": "nb", "en": "en"}


# Who is calling -----------------------------------------------------------------------------


def _limit(setting: str):
    return parse(current_app.config[setting])


def authenticate(header: str | None) -> ScimToken:
    """The open token of an `Authorization: Bearer …` header; otherwise a 401, recorded
    in the audit log (and counted: too many from one address are a 429)."""
    address = client_address()
    failures = _limit("SCIM_AUTH_FAILURE_LIMIT")
    if not limiter.limiter.test(failures, "scim-auth", address):
        raise ScimError(429, "Too many requests with a wrong token; wait and try again")
    if not limiter.limiter.hit(_limit("SCIM_RATE_LIMIT"), "scim", address):
        raise ScimError(429, "Too many requests; slow down")
    scheme, _, presented = (header or "").partition(" ")
    token = ScimToken.find(presented.strip()) if scheme.lower() == "bearer" else None
    if token is None or token.is_revoked:
        why = "missing" if not header else ("revoked" if token else "unknown")
        limiter.limiter.hit(failures, "scim-auth", address)
        record("scim_refused", status=401, why=why, token_id=token.id if token else None)
        db.session.commit()
        raise ScimError(401, "A valid bearer token is required")
    token.note_use()
    return token


@dataclass(frozen=True)
class Directory:
    """Who made a change the directory sent, as the emails about it name them: the token's
    name (such as «Entra ID»)."""

    name: str


def directory() -> Directory:
    return Directory(g.scim_token.name)


# Finding people -----------------------------------------------------------------------------


def _query():
    return select(User, ScimIdentity).outerjoin(ScimIdentity, ScimIdentity.user_id == User.id)


def get(scim_id: str) -> tuple[User, ScimIdentity | None]:
    """The person with this SCIM id (their id in Medsamtale); a 404 otherwise."""
    if not (scim_id.isascii() and scim_id.isdigit() and len(scim_id) <= 10
            and 1 <= int(scim_id) <= INT_MAX):
        raise ScimError(404, "No such user")
    found = db.session.execute(_query().where(User.id == int(scim_id))).first()
    if found is None:
        raise ScimError(404, "No such user")
    return found[0], found[1]


def _where(wanted: filters.Filter):
    value = wanted.value
    if wanted.attribute == "userName":
        lower = value.strip().lower()
        return or_(ScimIdentity.user_name == lower,
                   and_(ScimIdentity.user_id.is_(None), func.lower(User.email) == lower))
    if wanted.attribute == "externalId":
        return ScimIdentity.external_id == value
    if wanted.attribute == "email":
        return User.email == value.strip().lower()
    if value.isascii() and value.isdigit() and len(value) <= 10:
        return User.id == int(value)
    return User.id.is_(None)


def page_numbers(start: str | None, count: str | None) -> tuple[int, int]:
    """startIndex (1-based, at least 1) and count (0 to PAGE_MAX) from the query."""
    try:
        first = max(1, int(start)) if start not in (None, "") else 1
        size = min(PAGE_MAX, max(0, int(count))) if count not in (None, "") else PAGE_DEFAULT
    except ValueError:
        raise ScimError(400, "startIndex and count must be whole numbers",
                        "invalidValue") from None
    return min(first, INT_MAX), size


def search(filter_text: str | None, start: int, count: int):
    """One page of people, in the order they were added, and how many match in all (two
    queries, however many people there are)."""
    wanted = filters.parse(filter_text)
    query = _query()
    if wanted is not None:
        query = query.where(_where(wanted))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(User.id).offset(start - 1).limit(count)).all()
    return [(row[0], row[1]) for row in rows], total


# Changing people ----------------------------------------------------------------------------


def create(wanted: Wanted) -> tuple[User, ScimIdentity]:
    """A new person from the directory: an employee, active unless it says otherwise."""
    email = wanted.get("email") or wanted.get("userName")
    user = User(name="", email=_valid_email(email), is_employee=True,
                active=wanted.get("active", True))
    if User.by_email(user.email) is not None:
        raise ScimError(409, "A user with this email address already exists", "uniqueness")
    identity = ScimIdentity(user=user, user_name="")
    _identity(user, identity, wanted)
    user.name = _name(identity)
    _locale(user, wanted)
    db.session.add_all([user, identity])
    db.session.flush()
    if "manager" in wanted and wanted.get("manager"):
        user.leader = _manager(user, wanted.get("manager"))
    db.session.flush()
    if current_app.config["SCIM_WELCOME_EMAIL"] and user.active:
        send_password_link(user, WELCOME)
    record("scim_user_created", subject=user, token_id=g.scim_token.id,
           active=user.active, leader_id=user.leader_id)
    return user, identity


def update(user: User, identity: ScimIdentity | None, wanted: Wanted) -> ScimIdentity:
    """The directory's change of an existing person (PUT or PATCH)."""
    before = _state(user, identity)
    if identity is None:  # the directory touches this person for the first time
        identity = ScimIdentity(user=user, user_name=user.email, display_name=user.name)
        if "userName" not in wanted:
            wanted.set("userName", user.email)
    _identity(user, identity, wanted)
    db.session.add(identity)
    user.name = _name(identity)
    _locale(user, wanted)
    if wanted.get("email"):
        _new_address(user, wanted.get("email"))
    if "active" in wanted:
        _active(user, wanted.get("active"))
    if "manager" in wanted:
        _leader(user, _manager(user, wanted.get("manager")))
    identity.updated_at = utcnow()
    changed = sorted(k for k, v in _state(user, identity).items() if before.get(k) != v)
    if changed:
        record("scim_user_changed", subject=user, token_id=g.scim_token.id, fields=changed,
               active=user.active, leader_id=user.leader_id)
    return identity


def deactivate(user: User, identity: ScimIdentity | None) -> None:
    """DELETE: the person is deactivated, not deleted (their conversations are kept)."""
    if user.active:
        _active(user, False)
        record("scim_user_changed", subject=user, token_id=g.scim_token.id,
               fields=["active"], active=False, leader_id=user.leader_id)


def _state(user: User, identity: ScimIdentity | None) -> dict:
    """What a change may touch, to name the fields it changed (values stay out of the log)."""
    state = {"name": user.name, "email": user.email, "active": user.active,
             "leader": user.leader_id, "locale": user.locale}
    if identity is not None:
        state.update(userName=identity.user_name, externalId=identity.external_id)
    return state


def _identity(user: User, identity: ScimIdentity, wanted: Wanted) -> None:
    if "userName" in wanted:
        user_name = (wanted.get("userName") or "").lower()
        if not user_name or len(user_name) > EMAIL_MAX:
            raise ScimError(400, f"userName must be 1 to {EMAIL_MAX} characters",
                            "invalidValue")
        owner = user_name_owner(user_name)
        if owner is not None and owner != user.id:
            raise ScimError(409, "Another user has this userName", "uniqueness")
        identity.user_name = user_name
    if "externalId" in wanted:
        external_id = wanted.get("externalId")
        if external_id is not None and db.session.scalar(
            select(ScimIdentity.user_id).where(ScimIdentity.external_id == external_id,
                                               ScimIdentity.user_id != (user.id or 0))
        ) is not None:
            raise ScimError(409, "Another user has this externalId", "uniqueness")
        identity.external_id = external_id
    for name, column in (("displayName", "display_name"), ("givenName", "given_name"),
                         ("familyName", "family_name")):
        if name in wanted:
            setattr(identity, column, _limited(name, wanted.get(name)))
    if wanted.get("formatted") and not (identity.given_name or identity.family_name):
        identity.given_name = _limited("name.formatted", wanted.get("formatted"))


def _limited(name: str, value: str | None) -> str | None:
    if value is not None and len(value) > NAME_MAX:
        raise ScimError(400, f"{name} is longer than {NAME_MAX} characters", "invalidValue")
    return value


def _name(identity: ScimIdentity) -> str:
    name = identity.shown_name
    if not name:
        raise ScimError(400, "displayName or name is required", "invalidValue")
    return name


def _locale(user: User, wanted: Wanted) -> None:
    language = (wanted.get("preferredLanguage") or "").replace("_", "-").split("-")[0]
    if language.lower() in LOCALES:
        user.locale = LOCALES[language.lower()]


def _valid_email(address: str | None) -> str:
    try:
        if not address or len(address) > EMAIL_MAX:
            raise EmailNotValidError
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise ScimError(400, "A valid work email address (emails, or userName) is required",
                        "invalidValue") from None
    return address.strip().lower()


def _new_address(user: User, address: str) -> None:
    """A new address waits for the person to confirm it, as when HR asks for one."""
    address = _valid_email(address)
    if address == user.email:
        return
    other = User.by_email(address)
    if other is not None:
        raise ScimError(409, "A user with this email address already exists", "uniqueness")
    waiting = EmailChange.open_for(user)
    if waiting is None or waiting.new_email != address:
        email_change.request(user, address, None)


def _active(user: User, active: bool) -> None:
    if active == user.active:
        return
    if active:
        user.active, user.employment_ended_on = True, None
        return
    if user.is_hr_admin and not db.session.scalar(
        select(User.id).where(User.is_hr_admin, User.active, User.id != user.id).limit(1)
    ):
        raise ScimError(400, "The last active HR admin cannot be deactivated", "mutability")
    user.deactivate()  # ends every session of the person at once
    user.employment_ended_on = oslo_today()  # retention keeps the record from then
    email_change.cancel_open(user)


def _manager(user: User, scim_id: str | None) -> User | None:
    """The leader a manager's SCIM id names, checked by the rules of the people pages; a
    manager who is not a leader yet is made one."""
    if scim_id is None:
        return None
    try:
        candidate, _identity = get(scim_id)
    except ScimError:
        raise ScimError(400, "manager names no user", "invalidValue") from None
    if user.is_same(candidate):
        raise ScimError(400, "A person cannot be their own leader", "invalidValue")
    if candidate.is_hr_admin:
        raise ScimError(400, "An HR admin cannot be anyone's leader", "invalidValue")
    if not candidate.active:
        raise ScimError(400, "The manager is deactivated", "invalidValue")
    if not candidate.is_leader:
        changes.apply(candidate, changes.Wanted(candidate.is_employee, True, False,
                                                candidate.leader), directory())
    if user.leader_problem(candidate) is not None:
        raise ScimError(400, "The manager would lead in a loop", "invalidValue")
    return candidate


def _leader(user: User, leader: User | None) -> None:
    """The person's leader, announced to them and both leaders (as HR's change is)."""
    if (leader.id if leader else None) == user.leader_id:
        return
    changes.apply(user, changes.Wanted(user.is_employee, user.is_leader, user.is_hr_admin,
                                       leader), directory())


# The HR admin's tokens ----------------------------------------------------------------------


def create_token(name: str, by: User) -> tuple[ScimToken, str]:
    """A new token, named; the token itself is in the answer once and never again."""
    row, token = ScimToken.issue(name.strip(), by)
    db.session.flush()
    record("scim_token_created", token_id=row.id)
    return row, token


def revoke_token(row: ScimToken, by: User) -> None:
    if not row.revoke(by):
        raise Refused(_l("This token was already revoked."))
    record("scim_token_revoked", token_id=row.id)
