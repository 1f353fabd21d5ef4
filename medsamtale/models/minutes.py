"""The minutes of a held conversation, written by the employee and approved by the leader
(R12, R13), and the agreed actions, followed up until the next conversation (R11, R14).

The employee edits a draft (`MinutesPoint` and `Action` rows). Each submission freezes the
draft into a `MinutesVersion`, which is never changed afterwards except for the leader's
decision on it. The leader only ever reads versions, never the draft.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .conversations import Conversation
from .people import User

HEADING_MAX = 300
BODY_MAX = 10_000
ACTION_WHAT_MAX = 500
RESPONSIBLE_NAME_MAX = 200
GOAL_MAX = 300
COMMENT_MAX = 2000

# The minutes' states.
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
EDITABLE_STATES = (DRAFT, RETURNED)

MINUTES_STATE_LABELS = {
    DRAFT: _l("Being written"),
    SUBMITTED: _l("Waiting for approval"),
    RETURNED: _l("Sent back"),
    APPROVED: _l("Approved"),
}

# What an update on an action records.
PROGRESS = "progress"
DONE = "done"
REOPENED = "reopened"

# Who is responsible for an action.
EMPLOYEE = "employee"
LEADER = "leader"
OTHER = "other"


class Minutes(db.Model):
    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    # Said plainly by the employee: no actions were agreed (instead of at least one).
    no_actions: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once, at the first approval: from then on the actions are followed up (R14).
    first_approved_at: Mapped[datetime | None]
    reopen_requested_at: Mapped[datetime | None]
    reopen_request_comment: Mapped[str] = mapped_column(Text, default="")
    reopened_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(lazy="joined")
    points: Mapped[list[MinutesPoint]] = relationship(
        order_by="(MinutesPoint.position, MinutesPoint.id)", cascade="all, delete-orphan"
    )
    versions: Mapped[list[MinutesVersion]] = relationship(
        order_by="MinutesVersion.number", cascade="all, delete-orphan"
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("state", DRAFT)
        kwargs.setdefault("no_actions", False)
        kwargs.setdefault("reopen_request_comment", "")
        super().__init__(**kwargs)

    @property
    def state_label(self) -> str:
        return str(MINUTES_STATE_LABELS[self.state])

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def latest_version(self) -> MinutesVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def approved_version(self) -> MinutesVersion | None:
        return next((v for v in reversed(self.versions) if v.decision == APPROVED), None)


class MinutesPoint(db.Model):
    """One main point of the conversation: a heading and the text the employee writes."""

    __tablename__ = "minutes_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(String(HEADING_MAX), default="")
    # Sanitised HTML (medsamtale.text.clean); never stored any other way.
    body: Mapped[str] = mapped_column(Text, default="")


class MinutesVersion(db.Model):
    """One submission of the minutes, frozen, with the leader's decision on it."""

    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    number: Mapped[int]
    # {"points": [{"heading", "body"}], "actions": [{...}], "no_actions": bool}
    content: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str | None] = mapped_column(String(20))  # approved or returned
    decided_at: Mapped[datetime | None]
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")


class Action(db.Model):
    """An agreed action (tiltak): what, who is responsible, by when, for which goal."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    what: Mapped[str] = mapped_column(String(ACTION_WHAT_MAX))
    responsible: Mapped[str] = mapped_column(String(10))  # employee, leader or other
    responsible_name: Mapped[str] = mapped_column(String(RESPONSIBLE_NAME_MAX), default="")
    deadline: Mapped[date] = mapped_column(Date)
    goal: Mapped[str] = mapped_column(String(GOAL_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    reminded_ahead_at: Mapped[datetime | None]
    reminded_overdue_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(lazy="joined")
    updates: Mapped[list[ActionUpdate]] = relationship(
        order_by="ActionUpdate.id", cascade="all, delete-orphan"
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("responsible_name", "")
        kwargs.setdefault("goal", "")
        super().__init__(**kwargs)

    @property
    def responsible_label(self) -> str:
        """The responsible person's name."""
        if self.responsible == EMPLOYEE:
            return self.conversation.employee.name
        if self.responsible == LEADER:
            return self.conversation.leader.name
        return self.responsible_name

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_done and self.deadline < today

    def as_content(self) -> dict:
        """What a version of the minutes keeps of the action."""
        return {
            "what": self.what,
            "responsible": self.responsible,
            "responsible_name": self.responsible_label,
            "deadline": self.deadline.isoformat(),
            "goal": self.goal,
        }


class ActionUpdate(db.Model):
    """A comment on an action by either party: progress, or why it was marked done, or why
    it was opened again."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default=PROGRESS)  # progress/done/reopened

    author: Mapped[User] = relationship(lazy="joined")
