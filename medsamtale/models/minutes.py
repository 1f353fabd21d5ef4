"""The minutes of a held conversation, written by the employee and approved by the leader
(R12, R13).

The employee edits a draft (`MinutesPoint` rows, and the conversation's `Action` rows).
Each submission freezes the draft into a `MinutesVersion`, which is never changed
afterwards except for the leader's decision on it. The leader only ever reads versions,
never the draft. `Minutes` moves between its states only through its methods, each of
which sets the state together with the times and the decision that go with it, in one
conditional update of the row, so that each decision is made once however many requests
make it at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, func, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import Refused
from ..extensions import db
from ..sealing.scoping import scoped
from ..sealing.types import SealedJSON, SealedText
from ..timeutil import utcnow
from .agenda import ITEM_NOTE_MAX, ITEM_TEXT_MAX
from .conversations import Conversation

# A point starts from an agenda item: its text as heading, both parties' notes as body.
HEADING_MAX = ITEM_TEXT_MAX
BODY_MAX = 2 * ITEM_NOTE_MAX + 1000
COMMENT_MAX = 2000
NAME_MAX = 200

# The minutes' states.
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
EDITABLE_STATES = (DRAFT, RETURNED)

# What the next meeting agreed after approval is.
NEXT_CONVERSATION = "conversation"
FOLLOW_UP = "follow_up"

MINUTES_STATE_LABELS = {
    DRAFT: _l("Being written"),
    SUBMITTED: _l("Waiting for approval"),
    RETURNED: _l("Sent back"),
    APPROVED: _l("Approved"),
}


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
    reopen_request_comment: Mapped[str] = mapped_column(SealedText, default="")
    reopened_at: Mapped[datetime | None]
    # Set after approval: when the next conversation (NEXT_CONVERSATION) or a shorter
    # follow-up meeting (FOLLOW_UP, oppfølgingssamtale) should be; the leader is reminded then.
    next_meeting_kind: Mapped[str | None] = mapped_column(String(20))
    next_meeting_on: Mapped[date | None] = mapped_column(Date)
    next_meeting_reminded_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()
    points: Mapped[list[MinutesPoint]] = relationship(
        order_by="(MinutesPoint.position, MinutesPoint.id)", cascade="all, delete-orphan",
        back_populates="minutes",
    )
    versions: Mapped[list[MinutesVersion]] = relationship(
        order_by="MinutesVersion.number", cascade="all, delete-orphan",
        back_populates="minutes",
    )
    __sealed_in__ = ("conversation",)

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
    def previous_version(self) -> MinutesVersion | None:
        return self.versions[-2] if len(self.versions) > 1 else None

    @property
    def approved_version(self) -> MinutesVersion | None:
        return next((v for v in reversed(self.versions) if v.decision == APPROVED), None)

    def check_editable(self) -> None:
        """Refuse any change of the draft while it waits for approval or is approved."""
        if self.state == SUBMITTED:
            raise Refused(_l(
                "The minutes have been sent for approval and cannot change now. Your text "
                "was not saved; it is still in the field."
            ))
        if self.state == APPROVED:
            raise Refused(_l(
                "The minutes are approved and locked. Ask your leader to reopen them to "
                "make changes. Your text was not saved; it is still in the field."
            ))

    # Moving between states --------------------------------------------------------------
    #
    # Each move is one conditional UPDATE of the row (`_move`), the first write of its
    # transaction: on SQLite it takes the write lock, on PostgreSQL the row lock, before
    # anything the move depends on is read; of two requests making it at once, the second
    # finds the state already moved and is refused (R13: a decision is made once).

    def _move(self, states: tuple[str, ...], check, **values) -> None:
        """Write `values` only if the row is still in one of `states`; otherwise look at
        the row again and let `check` say why nothing was done."""
        moved = db.session.execute(
            update(Minutes)
            .where(Minutes.id == self.id, Minutes.state.in_(states))
            .values(scoped(self, values))
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.refresh(self)
            check()
            raise Refused(_l(
                "The minutes changed a moment ago, so nothing was done. Look at them again."
            ))
        # Read again when next used, now that the row is ours (and nothing to flush).
        db.session.expire(self, [*values, "versions"])

    def check_can_submit(self) -> None:
        if self.state == SUBMITTED:
            raise Refused(_l("The minutes are already sent for approval. Nothing was "
                             "changed."))
        self.check_editable()

    def submit(self, content: dict | Callable[[], dict], employee_name: str,
               at: datetime | None = None) -> MinutesVersion:
        """Freeze `content` as the next version, for the leader to decide on. `content`
        may be a function giving it, called once the minutes are ours, so that the draft
        is read as it is when it is submitted."""
        self.check_can_submit()
        self._move(EDITABLE_STATES, self.check_can_submit, state=SUBMITTED,
                   reopen_requested_at=None, reopen_request_comment="")
        version = MinutesVersion(
            number=len(self.versions) + 1,
            content=content() if callable(content) else content,
            submitted_at=at or utcnow(), submitted_by_name=employee_name,
        )
        self.versions.append(version)
        return version

    def check_can_decide(self) -> None:
        if self.state != SUBMITTED:
            raise Refused(_l(
                "There is nothing to decide: the minutes are not waiting for approval."
            ))

    def decide(self, number: int | None, decision: str, leader_name: str,
               comment: str = "", at: datetime | None = None) -> MinutesVersion:
        """The leader's decision on the version they read (`number`): APPROVED locks the
        minutes (R13); RETURNED sends them back to the employee with `comment`."""
        self.check_can_decide()
        now = at or utcnow()
        values = {"state": decision}
        if decision == APPROVED:  # the first approval's time is kept
            values["first_approved_at"] = func.coalesce(Minutes.first_approved_at, now)
        self._move((SUBMITTED,), self.check_can_decide, **values)
        version = self.latest_version
        if number != version.number:
            raise Refused(_l(
                "A newer version of the minutes has been submitted. Read it before you "
                "decide."
            ))
        version.decision, version.decided_at = decision, now
        version.decided_by_name, version.comment = leader_name, comment
        return version

    def check_can_ask_to_reopen(self) -> None:
        if self.state != APPROVED:
            raise Refused(_l("Only approved minutes need reopening."))

    def ask_to_reopen(self, comment: str) -> None:
        """The employee asks the leader to reopen approved minutes."""
        self.check_can_ask_to_reopen()
        self._move((APPROVED,), self.check_can_ask_to_reopen, reopen_requested_at=utcnow(),
                   reopen_request_comment=comment)

    def check_can_reopen(self) -> None:
        if self.state != APPROVED:
            raise Refused(_l("Only approved minutes can be reopened."))

    def reopen(self) -> None:
        """The leader reopens approved minutes; the next submission is a new version."""
        self.check_can_reopen()
        self._move((APPROVED,), self.check_can_reopen, state=DRAFT, reopened_at=utcnow(),
                   reopen_requested_at=None, reopen_request_comment="")


class MinutesPoint(db.Model):
    """One main point of the conversation: a heading and the text the employee writes."""

    __tablename__ = "minutes_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(SealedText, default="")  # at most HEADING_MAX
    # Sanitised HTML (medsamtale.text.clean); never stored any other way.
    body: Mapped[str] = mapped_column(SealedText, default="")

    minutes: Mapped[Minutes] = relationship(back_populates="points")
    __sealed_in__ = ("minutes", "conversation")


class MinutesVersion(db.Model):
    """One submission of the minutes, frozen, with the leader's decision on it."""

    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    number: Mapped[int]
    # {"points": [{"heading", "body"}], "actions": [{...}], "no_actions": bool}
    content: Mapped[dict] = mapped_column(SealedJSON)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_name: Mapped[str] = mapped_column(String(NAME_MAX))
    decision: Mapped[str | None] = mapped_column(String(20))  # APPROVED or RETURNED
    decided_at: Mapped[datetime | None]
    decided_by_name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    comment: Mapped[str] = mapped_column(SealedText, default="")

    minutes: Mapped[Minutes] = relationship(back_populates="versions")
    __sealed_in__ = ("minutes", "conversation")


REMARK_MAX = 4000


class MinutesRemark(db.Model):
    """The employee's own remark (merknad) on approved minutes: that they disagree with, or
    want to correct, a point. Kept with the minutes beside the approved text, which does not
    change; shown to both parties and in the print view and PDF."""

    __tablename__ = "minutes_remark"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    # The approved version it was written on.
    version_number: Mapped[int]
    body: Mapped[str] = mapped_column(SealedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_name: Mapped[str] = mapped_column(String(NAME_MAX))

    minutes: Mapped[Minutes] = relationship()
    __sealed_in__ = ("minutes", "conversation")
