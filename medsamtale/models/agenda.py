"""The shared agenda of a conversation, edited live by both parties during the meeting.

Each editable text (the item's text and each party's note) carries its own version; a save
names the version it was typed on, and a save on an older version is merged with what was
saved since, or, when both changed the same words, shown to the person with both texts
instead of overwriting (see agenda.editing.save_text). Every change also stamps the item
with the conversation's new `agenda_version`, so a client can ask for what changed since
the version it has.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..sealing.types import SealedText
from .followup import ACTION_WHAT_MAX, Action

ITEM_TEXT_MAX = ACTION_WHAT_MAX  # a follow-up item repeats an agreed action
ITEM_NOTE_MAX = 5000

# Sections, in the order they are built (R7, R5, R4, R8); their names are in
# templates/agenda/_item.html.
FOLLOW_UP = "follow_up"
QUESTION = "question"
EMPLOYEE_TOPIC = "employee_topic"
LEADER_TOPIC = "leader_topic"
ADDED = "added"
SALARY = "salary"


# The texts of an item that both parties edit, each with its own version column.
TEXT_FIELDS = {
    "text": ITEM_TEXT_MAX,
    "employee_note": ITEM_NOTE_MAX,
    "leader_note": ITEM_NOTE_MAX,
}


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"
    __table_args__ = (Index("ix_agenda_item_changes", "conversation_id", "changed_in"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"))
    section: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    # The follow-up prompts, copied when the agenda is built so later edits of the bank
    # do not change a held conversation; one per line.
    prompts: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(SealedText)  # at most ITEM_TEXT_MAX (the forms)
    text_version: Mapped[int] = mapped_column(default=1)
    employee_note: Mapped[str] = mapped_column(SealedText, default="")
    employee_note_version: Mapped[int] = mapped_column(default=1)
    leader_note: Mapped[str] = mapped_column(SealedText, default="")
    leader_note_version: Mapped[int] = mapped_column(default=1)
    discussed: Mapped[bool] = mapped_column(default=False)
    removed: Mapped[bool] = mapped_column(default=False)
    # The conversation's agenda_version when this item last changed.
    changed_in: Mapped[int] = mapped_column(default=0)
    # Set when the meeting ends for items not discussed: they open the next agenda.
    carry_over: Mapped[bool] = mapped_column(default=False)
    # Indexed: retention clears these before deleting what they point to.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"),
                                                        index=True)
    # An action agreed in an earlier conversation, followed up at the start of this one (R7).
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"), index=True)
    # A follow-up item from a conversation this agenda's leader was no party to: it shows
    # that an action (and its state) or a carried item exists, not what it says.
    withheld: Mapped[bool] = mapped_column(default=False)

    action: Mapped[Action | None] = relationship()
    conversation: Mapped["Conversation"] = relationship()  # noqa: F821, UP037
    __sealed_in__ = ("conversation",)

    @property
    def prompt_list(self) -> list[str]:
        return [line for line in self.prompts.splitlines() if line.strip()]

    @property
    def is_salary(self) -> bool:
        return self.section == SALARY

    def version_of(self, field: str) -> int:
        return getattr(self, f"{field}_version")


class AgendaText(db.Model):
    """One version of one of an item's texts during the meeting: what it became, and what
    its author sent (they differ when the save was merged with the other party's). A save
    typed on an older version is merged from its version here (agenda.editing.save_text);
    the rows go when the meeting ends."""

    __tablename__ = "agenda_text"

    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(SealedText)
    sent: Mapped[str | None] = mapped_column(SealedText)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    item: Mapped[AgendaItem] = relationship()
    __sealed_in__ = ("item", "conversation")
