"""HR admin operations: saving a person with their reporting line, and importing from CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import dates
from ..audit import record
from ..auth import email_change
from ..auth.services import RESET, WELCOME, send_password_link
from ..errors import Refused
from ..extensions import db
from ..models import EmailChange, Organisation, PasswordToken, PendingChange, Unit, User
from ..models.people import EMAIL_MAX, NAME_MAX, normalise_email
from ..models.sessions import RESET_BY_HR
from ..outbox import queue_email
from ..roles import ROLE_LABELS
from ..rounds import services as rounds
from ..timeutil import oslo_today, utcnow
from ..units import services as units
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
    moved = units.move_person(user, form.unit, form.unit_tree)
    saved = Saved(user)
    if waits:
        if is_new:  # created with their roles, without the leader that must wait
            changes.apply(user, changes.Wanted(**{**wanted.__dict__, "leader": None}), editor)
        db.session.flush()
        saved.pending = changes.ask_second_approver(user, wanted, editor)
    else:
        changes.apply(user, wanted, editor)
    db.session.flush()
    if moved:
        rounds.person_moved(user)  # now in a unit an open round covers: they join it
    if is_new:
        send_password_link(user, WELCOME)
    elif normalise_email(form.email.data) != user.email:
        saved.email_change = email_change.request(user, form.email.data, editor)
    return saved


def cancel_email_change(user: User) -> None:
    email_change.cancel(user)


@dataclass
class Deactivated:
    """The people of a deactivated leader: those who got a new leader, and those who need
    HR to give them one."""

    moved: list[User]
    left: list[User]


def deactivate(user: User, by: User) -> Deactivated:
    """Deactivate a person: logged out everywhere at once, no more log-ins, and a change of
    their address still waiting is cancelled. A leader's people go to the leader of their
    unit (or of the leaving leader), with their open conversations and actions."""
    if user.id == by.id:
        raise Refused(_l("You cannot deactivate yourself."))
    moved, left = changes.hand_over_people(user, by)
    user.deactivate()
    user.employment_ended_on = oslo_today()  # retention keeps the record from then
    email_change.cancel_open(user)
    return Deactivated(moved, left)


def reactivate(user: User) -> None:
    user.active = True
    user.employment_ended_on = None


def set_legal_hold(user: User, reason: str) -> None:
    """Put a person on legal hold (retention deletes nothing of theirs while it lasts), or
    change its reason. The reason stays out of the audit log."""
    if not (reason or "").strip():
        raise Refused(_l("Write why the person is put on legal hold. Nothing was changed."))
    user.legal_hold_reason = reason.strip()
    user.legal_hold_since = user.legal_hold_since or utcnow()
    record("legal_hold_set", subject=user)


def lift_legal_hold(user: User) -> None:
    if not user.legal_hold_reason:
        raise Refused(_l("%(name)s is not on legal hold. Nothing was changed.",
                         name=user.name))
    user.legal_hold_reason, user.legal_hold_since = "", None
    record("legal_hold_lifted", subject=user)


def save_organisation(organisation: Organisation, form) -> None:
    """Save a validated OrganisationForm: the name, what the personnel file keeps, the four
    eyes, the logo and colour, and the retention periods."""
    organisation.name = form.name.data
    organisation.second_hr_approver = form.second_hr_approver.data
    organisation.personnel_file = form.personnel_file.data
    for period in form.periods:  # retention: checked from 1 to its most by the form
        setattr(organisation, period.name, period.data)
    organisation.set_branding(form.logo_bytes, form.remove_logo.data, form.accent_colour.data)
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

# The columns, under their English or Norwegian names; a header is compared in lower case
# with its spaces and underscores made single spaces ("Leders  e-post", "leader_email").
HEADER_ALIASES = {
    "name": "name", "full name": "name", "navn": "name", "fullt navn": "name",
    "email": "email", "e-mail": "email", "email address": "email", "e-post": "email",
    "epost": "email", "e-postadresse": "email", "epostadresse": "email",
    "leader email": "leader_email", "leader's email": "leader_email", "leader": "leader_email",
    "leders e-post": "leader_email", "leders epost": "leader_email", "leder": "leader_email",
    "leder e-post": "leader_email", "leder epost": "leader_email",
    "lederens e-post": "leader_email", "lederens epost": "leader_email",
    "role": "role", "roles": "role", "rolle": "role", "roller": "role",
    "unit": "unit", "department": "unit", "enhet": "unit", "avdeling": "unit",
    "end date": "employment_ended_on", "employment end": "employment_ended_on",
    "employment ended": "employment_ended_on", "employment ended on": "employment_ended_on",
    "ended on": "employment_ended_on", "sluttdato": "employment_ended_on",
    "slutt dato": "employment_ended_on", "slutt": "employment_ended_on",
    "fratredelse": "employment_ended_on", "fratredelsesdato": "employment_ended_on",
    "siste arbeidsdag": "employment_ended_on",
}
# Role names, English or Norwegian, compared the same way ("HR-administrator", "hr admin").
ROLE_ALIASES = {
    "employee": "employee", "medarbeider": "employee", "ansatt": "employee",
    "leader": "leader", "leder": "leader",
    "hr admin": "hr_admin", "hr-admin": "hr_admin", "hr": "hr_admin",
    "hr administrator": "hr_admin", "hr-administrator": "hr_admin",
    "hr-administrasjon": "hr_admin",
}
ROLE_ORDER = ("employee", "leader", "hr_admin")
REQUIRED_COLUMNS = ("name", "email", "leader_email", "role")
# The columns as the page names them (Norwegian first), in messages about the header.
COLUMN_NAMES = {"name": "navn", "email": "e-post", "leader_email": "leder", "role": "rolle",
                "unit": "enhet", "employment_ended_on": "sluttdato"}
# The end of the employment, as a date: 2026-03-31 (ISO) or 31.03.2026 (1.3.2026 too).
NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
# Several roles in one cell: "leder, medarbeider", "medarbeider/leder", "leder og hr".
ROLE_SEPARATORS = re.compile(r"\s*(?:,|/|\+|&|\bog\b|\band\b)\s*")

# What a line does: a new person, a change of someone already here, or nothing.
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def _key(text: str) -> str:
    """A header or a role name as it is compared: lower case, spaces and underscores made
    single spaces, a colon at the end dropped."""
    return " ".join(text.replace("_", " ").replace("\ufeff", "").split()).lower().rstrip(":")


def date_from_cell(cell: str) -> date | None:
    """The date a cell holds, written 2026-03-31 or 31.03.2026; None if it holds none."""
    cell = cell.strip()
    try:
        if match := NORWEGIAN_DATE.fullmatch(cell):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
            return date.fromisoformat(cell)
    except ValueError:  # 31.02.2026
        return None
    return None


def roles_from_cell(cell: str) -> tuple[list[str], list[str]]:
    """The roles a cell names, in order, and the names that are not roles. An empty cell is
    an employee."""
    names = [part for part in ROLE_SEPARATORS.split(cell.strip()) if part.strip()]
    known = {ROLE_ALIASES[_key(n)] for n in names if _key(n) in ROLE_ALIASES}
    unknown = [n.strip() for n in names if _key(n) not in ROLE_ALIASES]
    return [r for r in ROLE_ORDER if r in known] or (["employee"] if not names else []), unknown


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    leader_email: str
    role: str  # the cell as written
    unit_cell: str | None = None  # None: the file has no unit column
    ended_cell: str | None = None  # None: the file has no end-of-employment column
    roles: list[str] = field(default_factory=list)
    unit: Unit | None = None
    ended_on: date | None = None  # the end of the employment, read from ended_cell
    user: User | None = None  # the person already here with this email
    changes: list[str] = field(default_factory=list)  # what the line changes for them
    # (the column as the file names it, the message)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.user is None:
            return NEW
        return CHANGED if self.changes else UNCHANGED

    def wanted(self, leader: User | None) -> changes.Wanted:
        return changes.Wanted("employee" in self.roles or "leader" in self.roles,
                              "leader" in self.roles, "hr_admin" in self.roles, leader)


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the file as a whole
    headers: dict[str, str] = field(default_factory=dict)  # column: its name in the file

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows) and not any(r.errors for r in self.rows)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def to_do(self) -> bool:
        """Whether importing it would change anything."""
        return any(row.status != UNCHANGED for row in self.rows)


@dataclass
class Imported:
    created: list[User]
    changed: list[User]


def decode_csv(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _delimiter(first_line: str) -> str:
    """Norwegian Excel saves CSV with semicolons; others use commas (or tabs)."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def plan_import(text: str) -> ImportPlan:
    """Read CSV text and check every line against the file and the people already here
    (whom a line with their email updates); nothing is written."""
    plan = ImportPlan()
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0] if lines else ""))
    header = next(reader, None) or []
    columns = [HEADER_ALIASES.get(_key(h)) for h in header]
    missing = [COLUMN_NAMES[c] for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        plan.errors.append(str(_l(
            "Row 1: the header must name the columns %(columns)s (or name, email, "
            "leader_email, role); %(missing)s is missing.",
            columns=", ".join(COLUMN_NAMES[c] for c in REQUIRED_COLUMNS),
            missing=", ".join(missing))))
        return plan
    plan.headers = {c: h.strip() for c, h in zip(columns, header, strict=True) if c}
    has_unit = "unit" in columns
    has_ended = "employment_ended_on" in columns
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
                unit_cell=(cells.get("unit") or "") if has_unit else None,
                ended_cell=(cells.get("employment_ended_on") or "") if has_ended else None,
            )
        )
    if not plan.rows:
        plan.errors.append(str(_l("The file has no people in it.")))
    _check_rows(plan.rows, plan.headers)
    return plan


def _check_rows(rows: list[ImportRow], headers: dict[str, str]) -> None:
    by_email: dict[str, ImportRow] = {}
    name, email, leader, role, unit, ended = (
        headers.get(c, COLUMN_NAMES[c])
        for c in (*REQUIRED_COLUMNS, "unit", "employment_ended_on"))
    tree = units.load_tree() if any(r.unit_cell for r in rows) else None
    for row in rows:
        if not row.name:
            row.errors.append((name, str(_l("The name is missing."))))
        elif len(row.name) > NAME_MAX:
            row.errors.append((name, str(_l("The name is longer than %(n)d characters.",
                                            n=NAME_MAX))))
        try:
            if len(row.email) > EMAIL_MAX:
                raise EmailNotValidError
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append((email, str(_l("“%(email)s” is not a valid email address.",
                                             email=row.email))))
        row.roles, unknown = roles_from_cell(row.role)
        if unknown:
            row.errors.append((role, str(_l(
                "Unknown role “%(role)s”: use medarbeider, leder or hr (or employee, leader, "
                "hr_admin).", role=", ".join(unknown)))))
        if row.unit_cell:
            problem = _find_unit(row, tree)
            if problem:
                row.errors.append((unit, problem))
        if row.ended_cell:
            row.ended_on = date_from_cell(row.ended_cell)
            if row.ended_on is None:
                row.errors.append((ended, str(_l(
                    "“%(date)s” is not a date: write the end of the employment as "
                    "2026-03-31 or 31.03.2026.", date=row.ended_cell))))
        if row.email in by_email:
            row.errors.append((email, str(_l("The email is also on line %(line)d.",
                                             line=by_email[row.email].line))))
        by_email.setdefault(row.email, row)
    existing = {
        u.email: u
        for u in db.session.scalars(
            select(User).where(User.email.in_([r.email for r in rows] +
                                              [r.leader_email for r in rows]))
        )
    }
    leaders_now = dict(db.session.execute(select(User.id, User.leader_id)).all())
    for row in rows:
        row.user = existing.get(row.email)
        if row.user is not None and not row.user.active:
            row.errors.append((email, str(_l(
                "%(email)s is deactivated. Reactivate the person on their page first.",
                email=row.email))))
        if row.leader_email:
            problem = _leader_problem(row, by_email, existing)
            if problem:
                row.errors.append((leader, problem))
    for row in _in_loops(rows, by_email, existing, leaders_now):
        row.errors.append((leader, str(_l("The leaders in the file make a loop."))))
    for row in rows:
        if row.user is not None and not row.errors:
            _check_update(row, rows, existing, role)


def _find_unit(row: ImportRow, tree) -> str:
    """Find the unit a row names, by path or by name; what is wrong with it, if anything."""
    row.unit, same_name = tree.find(row.unit_cell)
    if row.unit is not None:
        return ""
    if same_name:
        return str(_l("Several units are called “%(unit)s”: write its path, such as "
                      "“%(path)s”.", unit=row.unit_cell, path=tree.path(same_name[0].id)))
    return str(_l("No unit “%(unit)s”. Create it under Units first, or write its path "
                  "with “/” between the units.", unit=row.unit_cell))


def _check_update(row: ImportRow, rows: list[ImportRow], existing: dict, role: str) -> None:
    """What a line changes for a person already here, and whether it may: a leader who
    still leads people keeps the leader role, and no HR admin leads anyone."""
    user = row.user
    wanted = row.wanted(existing.get(row.leader_email))
    if row.name != user.name:
        row.changes.append(str(_l("name: %(before)s → %(after)s", before=user.name,
                                  after=row.name)))
    if set(wanted.roles) != set(user.roles):
        row.changes.append(str(_l("roles: %(before)s → %(after)s",
                                  before=_role_names(user.roles),
                                  after=_role_names(wanted.roles))))
    before = user.leader.email if user.leader else ""
    if row.leader_email != before:
        row.changes.append(str(_l("leader: %(before)s → %(after)s", before=before or "–",
                                  after=row.leader_email or "–")))
    if row.unit_cell is not None and (row.unit.id if row.unit else None) != user.unit_id:
        row.changes.append(str(_l("unit: %(before)s → %(after)s",
                                  before=user.unit.name if user.unit else "–",
                                  after=row.unit.name if row.unit else "–")))
    if row.ended_cell is not None and row.ended_on != user.employment_ended_on:
        row.changes.append(str(_l("end of employment: %(before)s → %(after)s",
                                  before=dates.day(user.employment_ended_on, "short") or "–",
                                  after=dates.day(row.ended_on, "short") or "–")))
    # The people who will still report to them after the file is imported.
    leaving = {r.email for r in rows if r.leader_email != user.email}
    staying = [p for p in user.reports if p.active and p.email not in leaving]
    staying += [r for r in rows if r.leader_email == user.email and r.user is None]
    if staying and "leader" not in row.roles:
        row.errors.append((role, str(_l(
            "%(name)s still leads people: give them another leader first, or keep the "
            "leader role.", name=user.name))))
    elif staying and "hr_admin" in row.roles and not user.is_hr_admin:
        row.errors.append((role, str(_l(
            "%(name)s leads people, and an HR admin cannot be anyone's leader.",
            name=user.name))))


def _role_names(roles: list[str]) -> str:
    return ", ".join(str(ROLE_LABELS[role]) for role in ROLE_ORDER if role in roles)


def _leader_problem(row: ImportRow, by_email: dict[str, ImportRow], existing: dict) -> str:
    """What is wrong with the leader a row names, if anything."""
    if row.leader_email == row.email:
        return str(_l("A person cannot be their own leader."))
    if row.leader_email in by_email:
        above = by_email[row.leader_email]
        if "leader" not in above.roles:
            return str(_l("The leader on line %(line)d does not have the leader role.",
                          line=above.line))
        if "hr_admin" in above.roles:  # HR leads nobody (admin/changes.py)
            return str(_l("The leader on line %(line)d is an HR admin, and an HR admin "
                          "cannot be anyone's leader.", line=above.line))
        return ""
    if row.leader_email in existing:
        leader = existing[row.leader_email]
        if not (leader.is_leader and leader.active):
            return str(_l("%(email)s is not an active leader.", email=row.leader_email))
        if leader.is_hr_admin:  # HR leads nobody (admin/changes.py)
            return str(_l("%(email)s is an HR admin, and an HR admin cannot be anyone's "
                          "leader.", email=row.leader_email))
        return ""
    return str(_l("No leader with the email %(email)s.", email=row.leader_email))


def _in_loops(rows: list[ImportRow], by_email: dict[str, ImportRow], existing: dict,
              leaders_now: dict[int, int | None]) -> list[ImportRow]:
    """The rows whose chain of leaders, as it will be after the import (the file's lines
    over the reporting lines already here), comes back to them."""
    in_file = {row.user.id: row for row in rows if row.user is not None}

    def above(key):  # a row or a person's id → the next one up
        if isinstance(key, ImportRow):
            if key.leader_email in by_email:
                return by_email[key.leader_email]
            leader = existing.get(key.leader_email)
            return None if leader is None else in_file.get(leader.id, leader.id)
        leader_id = leaders_now.get(key)
        return None if leader_id is None else in_file.get(leader_id, leader_id)

    looped = []
    for row in rows:
        seen, current = set(), above(row)
        while current is not None and current is not row and _key_of(current) not in seen:
            seen.add(_key_of(current))
            current = above(current)
        if current is row and row.leader_email != row.email:
            looped.append(row)
    return looped


def _key_of(step: ImportRow | int) -> tuple:
    return ("line", step.line) if isinstance(step, ImportRow) else ("id", step)


def apply_import(plan: ImportPlan, by: User) -> Imported:
    """Create the new people of a plan that has no errors, and queue their welcome emails;
    change the people already here as the file says, through the same changes as their
    page (a new leader takes over their open conversation, and all three are told)."""
    if not plan.ok:
        raise ValueError("an import plan with errors cannot be applied")
    created: dict[str, User] = {}
    for row in plan.rows:
        if row.user is None:
            user = User(name=row.name, email=row.email)
            db.session.add(user)
            created[row.email] = user
            changes.apply(user, row.wanted(None), by, announce=False)
    moved = []

    def leader_of(row):
        return created.get(row.leader_email) or (
            User.by_email(row.leader_email) if row.leader_email else None)

    for row in plan.rows:
        user = created.get(row.email) or row.user
        if row.unit_cell is not None and units.move_person(user, row.unit):
            moved.append(user)
        if row.ended_cell is not None:  # retention keeps the record from then
            user.employment_ended_on = row.ended_on
        if row.user is None:
            user.leader = leader_of(row)
    db.session.flush()
    changed = [row.user for row in plan.rows if row.status == CHANGED]
    for row in plan.rows:
        if row.status == CHANGED:
            row.user.name = row.name
            wanted = row.wanted(leader_of(row))
            if changes.check(row.user, wanted, by):
                raise Refused(_l("Line %(line)d would need a second HR admin's approval: "
                                 "make that change on the person's page.", line=row.line))
            changes.apply(row.user, wanted, by)
    db.session.flush()
    for user in moved:
        rounds.person_moved(user)  # a person now in a unit an open round covers joins it
    for user in created.values():
        send_password_link(user, WELCOME)
    return Imported(list(created.values()), changed)
