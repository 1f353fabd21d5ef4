"""The organisation's question bank: question sets, themes, questions and follow-up prompts.

Questions and themes are retired, never deleted, so older conversations keep their text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

QUESTION_MAX = 300
PROMPT_MAX = 300
THEME_NAME_MAX = 120
THEME_DESCRIPTION_MAX = 1000
PROMPTS_PER_QUESTION = 3


class Retirable:
    """Retired rows stay in the database and out of new conversations; restore undoes it."""

    retired_at: Mapped[datetime | None]

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def retire(self) -> None:
        self.retired_at = utcnow()

    def restore(self) -> None:
        self.retired_at = None


class Placed:
    """In its place among its siblings (moved up and down by swap_positions)."""

    position: Mapped[int] = mapped_column(default=0)


class Described(Placed):
    """A named part of the bank, with a description."""

    name: Mapped[str] = mapped_column(String(THEME_NAME_MAX))
    description: Mapped[str] = mapped_column(Text, default="")


class QuestionSet(Described, db.Model):
    """A form of conversation, such as the standard set or the solution-focused LØFT set."""

    __tablename__ = "question_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), unique=True)

    themes: Mapped[list[Theme]] = relationship(
        back_populates="question_set", order_by="(Theme.is_salary, Theme.position, Theme.id)"
    )


class Theme(Retirable, Described, db.Model):
    """A group of questions. The salary theme is always placed last (rule R8)."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_set_id: Mapped[int] = mapped_column(ForeignKey("question_set.id"), index=True)
    is_salary: Mapped[bool] = mapped_column(default=False)

    question_set: Mapped[QuestionSet] = relationship(back_populates="themes")
    questions: Mapped[list[Question]] = relationship(
        back_populates="theme", order_by="(Question.position, Question.id)"
    )


class Question(Retirable, Placed, db.Model):
    """An open question of the menu the employee picks from (R5, R6)."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(QUESTION_MAX))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"), index=True)

    theme: Mapped[Theme] = relationship(back_populates="questions")
    prompts: Mapped[list[FollowUpPrompt]] = relationship(
        back_populates="question",
        order_by="FollowUpPrompt.position",
        cascade="all, delete-orphan",
    )

    def replace_prompts(self, texts: list[str]) -> None:
        self.prompts = [FollowUpPrompt(text=t, position=i) for i, t in enumerate(texts)]


class FollowUpPrompt(Placed, db.Model):
    """A hjelpespørsmål: a deeper open question to use as the talk goes (rule R6)."""

    __tablename__ = "follow_up_prompt"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    text: Mapped[str] = mapped_column(String(PROMPT_MAX))

    question: Mapped[Question] = relationship(back_populates="prompts")


def next_position(column, *where) -> int:
    """One past the highest position among the rows `where` selects."""
    return (db.session.scalar(select(func.max(column)).where(*where)) or 0) + 1


def swap_positions(items: list, item, step: int) -> bool:
    """Move `item` one place up (step -1) or down (+1) among `items`; False at an end."""
    index = items.index(item)
    other = index + step
    if not 0 <= other < len(items):
        return False
    for position, each in enumerate(items):
        each.position = position
    items[index].position, items[other].position = other, index
    return True
