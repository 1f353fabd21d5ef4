"""The agreed actions of a conversation (R11) and their follow-up until the next one (R14).

An action is written into the minutes' draft by the employee; once the minutes have been
approved it is followed up by both parties, each update recorded as an `ActionUpdate`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..sealing.types import SealedText
from ..timeutil import utcnow
from .conversations import EMPLOYEE, LEADER, Conversation
from .people import User

ACTION_WHAT_MAX = 500
RESPONSIBLE_NAME_MAX = 200
GOAL_MAX = 300
UPDATE_COMMENT_MAX = 2000

# Who is responsible for an action: one of the parties (EMPLOYEE, LEADER), or someone else.
OTHER = "other"

# What an update on an action records.
PROGRESS = "progress"
DONE = "done"
REOPENED = "reopened"


class Action(db.Model):
    """An agreed action (tiltak): what, who is responsible, by when, for which goal."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    # The leader who follows it up: the conversation's leader when it was agreed, the
    # employee's new leader after a change of leader (leadership/services.py).
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    what: Mapped[str] = mapped_column(SealedText)  # at most ACTION_WHAT_MAX (the forms)
    responsible: Mapped[str] = mapped_column(String(10))  # EMPLOYEE, LEADER or OTHER
    responsible_name: Mapped[str] = mapped_column(SealedText, default="")  # RESPONSIBLE_NAME_MAX
    deadline: Mapped[date] = mapped_column(Date)
    goal: Mapped[str] = mapped_column(SealedText, default="")  # at most GOAL_MAX
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    reminded_ahead_at: Mapped[datetime | None]
    reminded_overdue_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()
    leader: Mapped[User] = relationship(foreign_keys=[leader_id])
    updates: Mapped[list[ActionUpdate]] = relationship(
        order_by="ActionUpdate.id", cascade="all, delete-orphan", back_populates="action"
    )
    __sealed_in__ = ("conversation",)

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
            "goal": self.goal or "",
        }


@event.listens_for(Action, "before_insert")
def _followed_up_by_the_conversations_leader(_mapper, connection, action: Action) -> None:
    if action.leader_id is None:
        action.leader_id = connection.scalar(
            select(Conversation.leader_id).where(Conversation.id == action.conversation_id))


class ActionUpdate(db.Model):
    """A comment on an action by either party: progress, or why it was marked done, or why
    it was opened again."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(SealedText, default="")
    kind: Mapped[str] = mapped_column(String(10), default=PROGRESS)  # PROGRESS, DONE, REOPENED

    author: Mapped[User] = relationship()
    action: Mapped[Action] = relationship(back_populates="updates")
    __sealed_in__ = ("action", "conversation")
