"""Creating the default question bank, and changing the bank: themes and questions added,
changed, moved, retired and restored (nothing is deleted, so older conversations keep
their text)."""

from sqlalchemy import select

from ..extensions import db
from ..models import Question, QuestionSet, Theme
from ..models.questions import next_position, swap_positions
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


def save_theme(theme: Theme, question_set: QuestionSet, form) -> Theme:
    """A new theme (last in its set) or a changed one, from a validated ThemeForm."""
    if theme.id is None:
        theme.position = next_position(Theme.position, Theme.question_set_id == question_set.id)
        theme.question_set = question_set
        # SQLAlchemy 2.0 no longer cascades a new object into the session through a
        # backref, so without this add the theme would silently not be saved.
        db.session.add(theme)
    form.populate_obj(theme)
    return theme


def move_theme(theme: Theme, step: int) -> None:
    """Move a theme up or down within its set. The salary theme is always last (R8): it
    moves only among themes of the same kind, so it and the theme just before it never
    trade places without effect."""
    same_kind = [t for t in theme.question_set.themes if t.is_salary == theme.is_salary]
    swap_positions(same_kind, theme, step)


def set_retired(item: Theme | Question, retired: bool) -> None:
    if retired:
        item.retire()
    else:
        item.restore()


def save_question(question: Question, theme: Theme, form) -> Question:
    """A new question or a changed one, in the theme chosen on the form (last in it when
    it moves there), with its follow-up prompts."""
    chosen = db.session.get(Theme, form.theme_id.data) or theme
    if question.theme is not chosen:
        position = next_position(Question.position, Question.theme_id == chosen.id)
        question.theme, question.position = chosen, position
    question.text = form.text.data
    question.replace_prompts(form.prompt_lines)
    # Added explicitly: setting `theme` does not put a new object in the session (SA 2.0).
    db.session.add(question)
    return question


def move_question(question: Question, step: int) -> None:
    swap_positions(question.theme.questions, question, step)
