"""The organisation and its people: accounts, roles and reporting lines."""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..passwords import hash_password, password_needs_rehash, verify_password
from ..timeutil import utcnow
from .sessions import DEACTIVATED, PASSWORD_CHANGED, UserSession

NAME_MAX = 120
EMAIL_MAX = 254
SHOWN_NAME_SECONDS = 60  # how long a process shows the organisation's name before reading it


class Organisation(db.Model):
    """The one organisation an installation serves."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Four eyes: a change that would make an HR admin someone's leader waits for a second
    # HR admin's approval instead of being refused.
    second_hr_approver: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def current(cls) -> Organisation | None:
        return db.session.scalar(select(cls).order_by(cls.id).limit(1))

    @classmethod
    def shown_name(cls) -> str:
        """The name every page's header shows, read at most once a minute by each process
        (a page, an event stream's block, needs no query for it). A rename shows at once in
        the process that made it, within a minute in the others."""
        kept = current_app.extensions.get("organisation_name")
        now = time.monotonic()
        if kept is None or now - kept[1] > SHOWN_NAME_SECONDS:
            organisation = cls.current()
            kept = (organisation.name if organisation else "Medsamtale", now)
            current_app.extensions["organisation_name"] = kept
        return kept[0]

    @staticmethod
    def forget_shown_name() -> None:
        current_app.extensions.pop("organisation_name", None)


class User(UserMixin, db.Model):
    """A person who can log in. Roles are flags: a leader is usually an employee too."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Stored lower-cased, so the unique constraint holds regardless of case.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="nb")
    is_hr_admin: Mapped[bool] = mapped_column(default=False)
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_employee: Mapped[bool] = mapped_column(default=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leader: Mapped[User | None] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list[User]] = relationship(back_populates="leader", order_by="User.name")

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
