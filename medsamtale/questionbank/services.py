"""Creating the default question bank, and the rules for changing the bank."""

from sqlalchemy import select

from ..extensions import db
from ..models import Question, QuestionSet, Theme
from .defaults import QUESTION_SETS


def install_default_question_bank() -> bool:
    """Create the default question sets unless the bank already has any; True if it did."""
    if db.session.scalar(select(QuestionSet.id).limit(1)) is not None:
        return False
    for set_position, data in enumerate(QUESTION_SETS):
        question_set = QuestionSet(
            key=data["key"], name=data["name"], description=data["description"],
            position=set_position,
        )
        db.session.add(question_set)
        for theme_position, theme_data in enumerate(data["themes"]):
            theme = Theme(
                question_set=question_set, name=theme_data["name"],
                description=theme_data["description"], is_salary=theme_data["is_salary"],
                position=theme_position,
            )
            db.session.add(theme)
            for position, question_data in enumerate(theme_data["questions"]):
                question = Question(theme=theme, text=question_data["text"], position=position)
                question.replace_prompts(question_data["prompts"])
                db.session.add(question)
    return True


def salary_theme_taken(set_id: int, theme_id: int | None) -> bool:
    """True when a theme of the set other than `theme_id` is already the salary theme."""
    query = select(Theme.id).where(Theme.question_set_id == set_id, Theme.is_salary)
    if theme_id is not None:
        query = query.where(Theme.id != theme_id)
    return db.session.scalar(query.limit(1)) is not None
