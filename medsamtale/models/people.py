"""The organisation and its people: accounts, roles and reporting lines."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, validates

from ..extensions import db
from ..passwords import hash_password, password_needs_rehash, verify_password
from ..timeutil import utcnow
from .sessions import DEACTIVATED, PASSWORD_CHANGED, UserSession

NAME_MAX = 120
EMAIL_MAX = 254
SHOWN_NAME_SECONDS = 60  # how long a process shows the organisation's name before reading it

# Branding: a logo (PNG or JPEG, told apart by their first bytes, never by the name or the
# type the browser gives; no SVG, which can carry script) and an accent colour.
LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
COLOUR = re.compile(r"#[0-9a-f]{6}")
# The accent colour is the background of buttons with white text and the colour of links
# on white: WCAG AA asks 4.5:1 for normal text.
MIN_CONTRAST = 4.5
DARKER = 0.72  # the header and hovers: the accent colour, darker


def logo_type(data: bytes) -> str | None:
    """The content type of a logo's bytes (PNG or JPEG), or None for anything else."""
    return next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None)


def _channels(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def contrast_with_white(colour: str) -> float:
    """The WCAG 2.1 contrast ratio of white text on `colour` (#rrggbb), 1 to 21."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _channels(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def darker(colour: str) -> str:
    return "#" + "".join(f"{round(c * DARKER):02x}" for c in _channels(colour))


@dataclass(frozen=True)
class Shown:
    """What every page's header shows of the organisation: its name, whether it has a logo
    and an accent colour, and the tag that names this version of them in their addresses
    (so a browser may keep them for good)."""

    name: str
    tag: str | None = None
    has_logo: bool = False
    has_colour: bool = False


PERSONNEL_FILE_MINUTES = "minutes"
PERSONNEL_FILE_ACTIONS = "actions"


class Organisation(db.Model):
    """The one organisation an installation serves."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Four eyes: a change that would make an HR admin someone's leader waits for a second
    # HR admin's approval instead of being refused.
    second_hr_approver: Mapped[bool] = mapped_column(default=False)
    # What goes into the personnel file (the print view and PDF of approved minutes): the
    # whole minutes (PERSONNEL_FILE_MINUTES) or only the agreed actions with the date and
    # both confirmations (PERSONNEL_FILE_ACTIONS). Private preparation never does.
    personnel_file: Mapped[str] = mapped_column(String(20), default="minutes",
                                                server_default="minutes")
    # Retention (medsamtale/retention): how long each kind of data is kept.
    # Preparation notes and drafts: months after the minutes are approved.
    retain_preparation_months: Mapped[int] = mapped_column(default=6, server_default="6")
    # The agenda's texts and notes: months after the minutes are approved.
    retain_agenda_months: Mapped[int] = mapped_column(default=12, server_default="12")
    # Approved minutes, actions and their follow-up: years after the employment ends.
    retain_record_years: Mapped[int] = mapped_column(default=5, server_default="5")
    # The audit log: years after each event.
    retain_audit_years: Mapped[int] = mapped_column(default=5, server_default="5")
    # Branding. The logo's bytes are read only to serve the logo (deferred).
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_type: Mapped[str | None] = mapped_column(String(20))
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    # A digest of the logo and the colour: changes whenever one of them does.
    branding_tag: Mapped[str | None] = mapped_column(String(16))

    @classmethod
    def current(cls) -> Organisation | None:
        return db.session.scalar(select(cls).order_by(cls.id).limit(1))

    @staticmethod
    def colour_problem(colour: str) -> str | None:
        """Why `colour` cannot be the accent colour, as a key; None when it can."""
        if not COLOUR.fullmatch(colour):
            return "format"
        if contrast_with_white(colour) < MIN_CONTRAST:
            return "contrast"
        return None

    def set_branding(self, logo: bytes | None, remove_logo: bool, colour: str | None) -> None:
        """A new logo (checked bytes: PNG or JPEG, at most LOGO_MAX_BYTES), or none when
        `remove_logo`, or the one it has; the accent colour (#rrggbb), or None for
        Medsamtale's own."""
        if logo:
            kind = logo_type(logo)
            if kind is None or len(logo) > LOGO_MAX_BYTES:
                raise ValueError("not a logo")
            self.logo, self.logo_type = logo, kind
        elif remove_logo:
            self.logo = self.logo_type = None
        colour = (colour or "").strip().lower() or None
        if colour is not None and self.colour_problem(colour):
            raise ValueError("not an accent colour")
        self.accent_colour = colour
        if self.logo_type is None and colour is None:
            self.branding_tag = None
        else:
            digest = hashlib.sha256((colour or "").encode())
            digest.update(self.logo or b"")
            self.branding_tag = digest.hexdigest()[:16]

    @property
    def stylesheet(self) -> str:
        """The organisation's colours as CSS custom properties (base.html links it after
        the app's own stylesheet)."""
        if not self.accent_colour:
            return ""
        return (f":root {{ --brand: {self.accent_colour}; "
                f"--brand-dark: {darker(self.accent_colour)}; }}\n")

    @classmethod
    def shown(cls) -> Shown:
        """What the header shows, read at most once a minute by each process (a page, an
        event stream's block, needs no query for it). A change shows at once in the
        process that made it, within a minute in the others."""
        kept = current_app.extensions.get("organisation_shown")
        now = time.monotonic()
        if kept is None or now - kept[1] > SHOWN_NAME_SECONDS:
            organisation = cls.current()
            shown = Shown("Medsamtale") if organisation is None else Shown(
                organisation.name, organisation.branding_tag,
                organisation.logo_type is not None, organisation.accent_colour is not None)
            kept = (shown, now)
            current_app.extensions["organisation_shown"] = kept
        return kept[0]

    @classmethod
    def shown_name(cls) -> str:
        return cls.shown().name

    @staticmethod
    def forget_shown_name() -> None:
        current_app.extensions.pop("organisation_shown", None)


class User(UserMixin, db.Model):
    """A person who can log in. Roles are flags: a leader is usually an employee too."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Stored lower-cased, so the unique constraint holds regardless of case.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # When the employment ended (set when HR deactivates them, or by SCIM or the CSV
    # import): the approved record is kept a set number of years from then (retention).
    employment_ended_on: Mapped[date | None] = mapped_column(Date)
    # A legal hold: nothing of theirs is deleted by retention while it lasts.
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    legal_hold_since: Mapped[datetime | None]
    locale: Mapped[str] = mapped_column(String(5), default="nb")
    is_hr_admin: Mapped[bool] = mapped_column(default=False)
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_employee: Mapped[bool] = mapped_column(default=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The unit (models/units.py) the person belongs to.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", use_alter=True), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leader: Mapped[User | None] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list[User]] = relationship(back_populates="leader", order_by="User.name")
    unit = relationship("Unit", foreign_keys=[unit_id])

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.active

    # The token of the server-side session (models/sessions.py) this request runs in,
    # set when logging in or loading the user; not a column.
    session_token = None

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    @staticmethod
    def parse_session_id(session_id: str | None) -> tuple[int, str] | None:
        """(user id, session token) from what get_id() gave the session, if well formed."""
        user_id, _, token = (session_id or "").partition(".")
        if not (user_id.isdigit() and len(user_id) <= 10 and 20 <= len(token) <= 64
                and token.replace("-", "").replace("_", "").isalnum()):
            return None
        return int(user_id), token

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(select(cls).where(cls.email == normalise_email(email)))

    @property
    def roles(self) -> list[str]:
        """Role keys, for display through roles.ROLE_LABELS."""
        flags = [("hr_admin", self.is_hr_admin), ("leader", self.is_leader)]
        flags.append(("employee", self.is_employee))
        return [key for key, held in flags if held]

    def set_password(self, password: str, keep=None) -> None:
        """A new password ends every session of the person but `keep` (the one in which
        they changed it themselves)."""
        self.password_hash = hash_password(password)
        self.end_sessions(PASSWORD_CHANGED, keep=keep)

    def check_password(self, password: str) -> bool:
        if not self.password_hash or not verify_password(self.password_hash, password):
            return False
        if password_needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)
        return True

    def end_sessions(self, why: str, keep=None) -> int:
        return UserSession.end_all(self.id, why, keep=keep)

    def deactivate(self) -> None:
        self.active = False
        self.end_sessions(DEACTIVATED)

    def is_same(self, other: User) -> bool:
        return other is self or (self.id is not None and other.id == self.id)

    def leader_problem(self, candidate: User | None) -> str | None:
        """Why `candidate` cannot be this user's leader, as a key; None when it can."""
        if candidate is None:
            return None
        if self.is_same(candidate):
            return "self"
        if not candidate.is_leader:
            return "not_leader"
        if not candidate.active:
            return "inactive"
        seen = set()
        above = candidate
        while above is not None and above.id not in seen:
            if self.is_same(above):
                return "loop"
            seen.add(above.id)
            above = above.leader
        return None


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()
