"""HR admin operations: saving a person with their reporting line, and importing from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import record
from ..auth import email_change
from ..auth.services import RESET, WELCOME, send_password_link
from ..errors import Refused
from ..extensions import db
from ..models import EmailChange, Organisation, PasswordToken, PendingChange, User
from ..models.people import EMAIL_MAX, NAME_MAX, normalise_email
from ..models.sessions import RESET_BY_HR
from ..outbox import queue_email
from ..urls import public_url
from . import changes


@dataclass
class Saved:
    """What saving a person did: the change of address waiting for them to confirm, and
    the change of roles or leader waiting for a second HR admin, if any."""

    user: User
    email_change: EmailChange | None = None
    pending: PendingChange | None = None


def save_user(user: User, form) -> Saved:
    """Save a validated UserForm onto `user`. A new person gets the address typed and a
    link to choose a password. A person's new address waits for them to confirm it (HR
    never changes it directly); roles and leader change at once and are announced, or,
    when they would let an HR admin lead someone, are refused or wait for a second HR
    admin (the organisation's four eyes)."""
    is_new, editor = user.id is None, form.editor
    wanted = changes.Wanted.from_form(form)
    waits = changes.check(user, wanted, editor)
    user.name, user.locale = form.name.data, form.locale.data
    if is_new:
        user.email = form.email.data
        db.session.add(user)
    saved = Saved(user)
    if waits:
        if is_new:  # created with their roles, without the leader that must wait
            changes.apply(user, changes.Wanted(**{**wanted.__dict__, "leader": None}), editor)
        db.session.flush()
        saved.pending = changes.ask_second_approver(user, wanted, editor)
    else:
        changes.apply(user, wanted, editor)
    db.session.flush()
    if is_new:
        send_password_link(user, WELCOME)
    elif normalise_email(form.email.data) != user.email:
        saved.email_change = email_change.request(user, form.email.data, editor)
    return saved


def cancel_email_change(user: User) -> None:
    email_change.cancel(user)


def deactivate(user: User, by: User) -> list[User]:
    """Deactivate a person: logged out everywhere at once, no more log-ins, and a change of
    their address still waiting is cancelled. Returns the active people who still have
    them as their leader and need a new one."""
    if user.id == by.id:
        raise Refused(_l("You cannot deactivate yourself."))
    user.deactivate()
    email_change.cancel_open(user)
    return [person for person in user.reports if person.active]


def reactivate(user: User) -> None:
    user.active = True


def save_organisation(organisation: Organisation, form) -> None:
    form.populate_obj(organisation)
    db.session.add(organisation)
    Organisation.forget_shown_name()


def reset_password(user: User, by: User) -> None:
    """End a person's sessions, void their password and email them a link to a new one,
    saying that HR asked for it. The link goes to the address on file, never to one still
    waiting for confirmation, so it reaches only the person."""
    if not user.active:
        raise Refused(_l("A deactivated person cannot be sent a new password."))
    user.password_hash = None
    user.end_sessions(RESET_BY_HR)
    lifetime = timedelta(hours=current_app.config["PASSWORD_TOKEN_HOURS"])
    token = PasswordToken.issue(user, RESET, lifetime)
    queue_email(user, "password_reset_by_hr", requester=by.name, expires_in=lifetime,
                link=public_url("auth.set_password", token=token))
    record("password_reset_by_hr", subject=user)


# CSV import ---------------------------------------------------------------------------------

HEADER_ALIASES = {
    "name": "name",
    "navn": "name",
    "email": "email",
    "e-post": "email",
    "epost": "email",
    "leader_email": "leader_email",
    "leader email": "leader_email",
    "leader's email": "leader_email",
    "leders e-post": "leader_email",
    "leder": "leader_email",
    "role": "role",
    "rolle": "role",
}
ROLE_ALIASES = {
    "employee": "employee",
    "medarbeider": "employee",
    "ansatt": "employee",
    "leader": "leader",
    "leder": "leader",
    "hr_admin": "hr_admin",
    "hr-admin": "hr_admin",
    "hr": "hr_admin",
    "": "employee",
}
REQUIRED_COLUMNS = ("name", "email", "leader_email", "role")


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    leader_email: str
    role: str
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows) and not any(r.errors for r in self.rows)


def decode_csv(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def plan_import(text: str) -> ImportPlan:
    """Read CSV text and check every line; nothing is written."""
    plan = ImportPlan()
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    columns = [HEADER_ALIASES.get(h.strip().lower()) for h in header or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        plan.errors.append(
            str(_l("Line 1: the header must name the columns %(columns)s.",
                   columns=", ".join(REQUIRED_COLUMNS)))
        )
        return plan
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        cells = dict(zip(columns, (v.strip() for v in values), strict=False))
        plan.rows.append(
            ImportRow(
                line=reader.line_num,
                name=cells.get("name") or "",
                email=normalise_email(cells.get("email") or ""),
                leader_email=normalise_email(cells.get("leader_email") or ""),
                role=cells.get("role") or "",
            )
        )
    if not plan.rows:
        plan.errors.append(str(_l("The file has no people in it.")))
    _check_rows(plan.rows)
    return plan


def _check_rows(rows: list[ImportRow]) -> None:
    by_email: dict[str, ImportRow] = {}
    for row in rows:
        if not row.name:
            row.errors.append(str(_l("The name is missing.")))
        elif len(row.name) > NAME_MAX:
            row.errors.append(str(_l("The name is longer than %(n)d characters.", n=NAME_MAX)))
        try:
            if len(row.email) > EMAIL_MAX:
                raise EmailNotValidError
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append(str(_l("“%(email)s” is not a valid email address.",
                                     email=row.email)))
        if row.role.lower() not in ROLE_ALIASES:
            row.errors.append(str(_l("Unknown role “%(role)s”: use employee, leader or hr_admin.",
                                     role=row.role)))
        else:
            row.role = ROLE_ALIASES[row.role.lower()]
        if row.email in by_email:
            row.errors.append(str(_l("The email is also on line %(line)d.",
                                     line=by_email[row.email].line)))
        by_email.setdefault(row.email, row)
    existing = {
        u.email: u
        for u in db.session.scalars(
            select(User).where(User.email.in_([r.email for r in rows] +
                                              [r.leader_email for r in rows]))
        )
    }
    for row in rows:
        if row.email in existing:
            row.errors.append(str(_l("A person with this email already exists.")))
        if not row.leader_email:
            continue
        if row.leader_email == row.email:
            row.errors.append(str(_l("A person cannot be their own leader.")))
        elif row.leader_email in by_email:
            if by_email[row.leader_email].role != "leader":
                row.errors.append(str(_l("The leader on line %(line)d does not have the leader "
                                         "role.", line=by_email[row.leader_email].line)))
        elif row.leader_email in existing:
            leader = existing[row.leader_email]
            if not (leader.is_leader and leader.active):
                row.errors.append(str(_l("%(email)s is not an active leader.",
                                         email=row.leader_email)))
            elif leader.is_hr_admin:  # HR leads nobody (admin/changes.py)
                row.errors.append(str(_l("%(email)s is an HR admin, and an HR admin cannot "
                                         "be anyone's leader.", email=row.leader_email)))
        else:
            row.errors.append(str(_l("No leader with the email %(email)s.",
                                     email=row.leader_email)))
    _check_loops(rows, by_email)


def _check_loops(rows: list[ImportRow], by_email: dict[str, ImportRow]) -> None:
    for row in rows:
        seen = {row.email}
        above = by_email.get(row.leader_email)
        while above is not None and above.email != row.email:
            if above.email in seen:
                break
            seen.add(above.email)
            above = by_email.get(above.leader_email)
        if above is not None and above.email == row.email and row.leader_email != row.email:
            row.errors.append(str(_l("The leaders in the file make a loop.")))


def apply_import(plan: ImportPlan) -> list[User]:
    """Create the people of a plan that has no errors, and queue their welcome emails."""
    if not plan.ok:
        raise ValueError("an import plan with errors cannot be applied")
    created: dict[str, User] = {}
    for row in plan.rows:
        user = User(
            name=row.name,
            email=row.email,
            is_employee=row.role in ("employee", "leader"),
            is_leader=row.role == "leader",
            is_hr_admin=row.role == "hr_admin",
        )
        db.session.add(user)
        created[row.email] = user
    for row in plan.rows:
        if row.leader_email:
            created[row.email].leader = created.get(row.leader_email) or User.by_email(
                row.leader_email
            )
    db.session.flush()
    for user in created.values():
        send_password_link(user, WELCOME)
    return list(created.values())
