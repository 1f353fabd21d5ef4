"""The conversation between a leader and one employee, and the employee's picked questions.

A conversation's `state` is derived from what has happened (the timestamps), by
`Conversation.refresh_state`, and stored so that lists can filter on it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..sealing.types import SealedText
from ..timeutil import utcnow
from .keys import DataKey
from .people import User
from .questions import Question, QuestionSet

PLACE_MAX = 200
MESSAGE_MAX = 2000
NOTE_MAX = 2000
TOPICS_MAX = 2000
COMMENT_MAX = 1000
MAX_PICKS = 10
DURATION_MIN = 15
DURATION_MAX = 240
DEFAULT_DURATION = 90
NOTICE_DAYS = 14  # rule R2

# The two parties of a conversation.
EMPLOYEE = "employee"
LEADER = "leader"

PLANNED = "planned"
INVITED = "invited"
TIME_PROPOSED = "time_proposed"
ACCEPTED = "accepted"
PREPARING = "preparing"
READY = "ready"
IN_PROGRESS = "in_progress"
HELD = "held"
CANCELLED = "cancelled"

STATE_LABELS = {
    PLANNED: _l("Planned, not sent"),
    INVITED: _l("Invited"),
    TIME_PROPOSED: _l("New time proposed"),
    ACCEPTED: _l("Accepted"),
    PREPARING: _l("Being prepared"),
    READY: _l("Ready"),
    IN_PROGRESS: _l("In progress"),
    HELD: _l("Held"),
    CANCELLED: _l("Cancelled"),
}
CLOSED_STATES = (HELD, CANCELLED)
# The employee can change the picks in these states; the meeting has not begun.
PREPARATION_STATES = (INVITED, TIME_PROPOSED, ACCEPTED, PREPARING)


class Conversation(db.Model):
    __tablename__ = "conversation"
    __table_args__ = (
        # At most one open conversation per employee, also under concurrent requests.
        Index(
            "uq_conversation_open_per_employee",
            "employee_id",
            unique=True,
            sqlite_where=text("state NOT IN ('held', 'cancelled')"),
            postgresql_where=text("state NOT IN ('held', 'cancelled')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_set_id: Mapped[int] = mapped_column(ForeignKey("question_set.id"))
    # The round (models/rounds.py) it belongs to: planned in the round's period for one of
    # its members. None for a conversation outside any round.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    # The leader a deputy (models/leadership.py) holds it for; None when held by the leader.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]  # naive UTC
    duration_minutes: Mapped[int] = mapped_column(default=DEFAULT_DURATION)
    place: Mapped[str] = mapped_column(String(PLACE_MAX))
    message: Mapped[str] = mapped_column(SealedText, default="")
    state: Mapped[str] = mapped_column(String(20), default=PLANNED, index=True)
    # Raised on every change of the plan or the stage (time, place, invitation and answer,
    # ready, the meeting, cancelling), so a form opened before it is recognised as stale.
    # What the parties write while preparing saves itself and does not raise it.
    version: Mapped[int] = mapped_column(default=1)
    # What that last change was (a key of access.STALE_REASONS), for the stale page's message.
    last_change: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The calendar event: the UID never changes; SEQUENCE rises with every change sent.
    calendar_uid: Mapped[str] = mapped_column(
        String(100), unique=True, default=lambda: f"{uuid.uuid4()}@medsamtale"
    )
    calendar_sequence: Mapped[int] = mapped_column(default=0)
    # Raised on every change of the shared agenda; clients ask for changes since theirs.
    agenda_version: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    proposed_starts_at: Mapped[datetime | None]
    proposal_comment: Mapped[str] = mapped_column(SealedText, default="")
    preparation_started_at: Mapped[datetime | None]
    employee_ready_at: Mapped[datetime | None]
    leader_ready_at: Mapped[datetime | None]
    employee_reminded_at: Mapped[datetime | None]
    leader_reminded_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    # Rule R4: what else each party wants to raise, one topic per line.
    employee_topics: Mapped[str] = mapped_column(SealedText, default="")
    leader_topics: Mapped[str] = mapped_column(SealedText, default="")
    # The key that seals what is said in it (medsamtale/sealing), made on its first text.
    data_key_id: Mapped[str | None] = mapped_column(ForeignKey("data_key.id"))

    # Its sealed texts are sealed with its own data key.
    __sealed_in__ = ()
    data_key: Mapped[DataKey | None] = relationship()
    employee: Mapped[User] = relationship(foreign_keys=[employee_id])
    leader: Mapped[User] = relationship(foreign_keys=[leader_id])
    question_set: Mapped[QuestionSet] = relationship()
    picks: Mapped[list[Pick]] = relationship(
        back_populates="conversation",
        order_by="(Pick.position, Pick.id)",
        cascade="all, delete-orphan",
    )

    @classmethod
    def locked(cls, conversation_id: int) -> Conversation | None:
        """The conversation, locked so that concurrent changes of it wait their turn: its
        row on PostgreSQL (FOR UPDATE); on SQLite, which has no row locks, the database's
        write lock, taken first by a write that changes nothing, so that the conversation,
        and all the change reads after it, are as the change before it left them."""
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                update(cls).where(cls.id == conversation_id).values(id=cls.id)
                .execution_options(synchronize_session=False)
            )
        return db.session.scalar(
            select(cls)
            .where(cls.id == conversation_id)
            .with_for_update(of=cls)
            .execution_options(populate_existing=True)
        )

    # What the state is ----------------------------------------------------------------------

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    @property
    def held_on(self) -> datetime:
        """When the meeting was held: when it began, which may be before or after the time
        planned (a leader may start it early); the planned time until it has begun."""
        return self.started_at or self.starts_at

    @property
    def is_sent(self) -> bool:
        return self.invited_at is not None

    @property
    def has_proposal(self) -> bool:
        return self.proposed_starts_at is not None

    @property
    def employee_can_prepare(self) -> bool:
        return self.state in PREPARATION_STATES

    @property
    def leader_can_prepare(self) -> bool:
        return self.is_sent and self.state in (*PREPARATION_STATES, READY)

    @property
    def leader_may_see_picks(self) -> bool:
        """The picks stay the employee's own until they say the preparation is ready."""
        return self.employee_ready_at is not None or self.started_at is not None

    def refresh_state(self) -> None:
        """Store the state that follows from what has happened (the timestamps)."""
        facts = [
            (self.cancelled_at, CANCELLED),
            (self.held_at, HELD),
            (self.started_at, IN_PROGRESS),
            (self.proposed_starts_at, TIME_PROPOSED),
            (self.employee_ready_at, READY),
            (self.preparation_started_at, PREPARING),
            (self.accepted_at, ACCEPTED),
            (self.invited_at, INVITED),
        ]
        self.state = next((state for when, state in facts if when is not None), PLANNED)

    def record_change(self, what: str) -> None:
        """Mark a change of the plan or the stage, so that a form opened before it is
        recognised as stale (preparation/services.py: autosaves do not call this)."""
        self.version = (self.version or 0) + 1
        self.last_change = what

    @property
    def employee_topic_list(self) -> list[str]:
        return topic_lines(self.employee_topics)

    @property
    def leader_topic_list(self) -> list[str]:
        return topic_lines(self.leader_topics)


class Pick(db.Model):
    """One of the employee's ten questions, in priority order, with each party's note (R10).

    The employee's note is the employee's own, and the leader's note the leader's own, until
    the meeting begins.
    """

    __tablename__ = "pick"
    __table_args__ = (UniqueConstraint("conversation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    position: Mapped[int] = mapped_column(default=0)
    employee_note: Mapped[str] = mapped_column(SealedText, default="")
    leader_note: Mapped[str] = mapped_column(SealedText, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="picks")
    __sealed_in__ = ("conversation",)
    question: Mapped[Question] = relationship()


def topic_lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]
