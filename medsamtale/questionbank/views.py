"""The HR admin's question bank: themes, questions, follow-up prompts, order, retire, restore."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..htmx import is_partial, render
from ..models import Question, QuestionSet, Theme
from ..models.questions import next_position, swap_positions
from ..roles import hr_admin_required
from .forms import QuestionForm, ThemeForm
from .services import salary_theme_taken

bp = Blueprint("questionbank", __name__, url_prefix="/admin/questions")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


def _bank():
    return db.session.scalars(
        select(QuestionSet)
        .order_by(QuestionSet.position)
        .options(
            selectinload(QuestionSet.themes)
            .selectinload(Theme.questions)
            .selectinload(Question.prompts)
        )
    ).all()


def _show_bank():
    """After a change: the bank block for htmx, a redirect to the whole page otherwise."""
    if is_partial():
        return render("questionbank/index.html", "bank", question_sets=_bank())
    return redirect(url_for("questionbank.index") + request.form.get("anchor", ""))


@bp.route("/")
def index():
    """All question sets with their themes, questions and follow-up prompts."""
    return render("questionbank/index.html", question_sets=_bank())


@bp.route("/sets/<int:set_id>/themes/new", methods=["GET", "POST"])
def new_theme(set_id: int):
    """Add a theme to a question set."""
    question_set = db.get_or_404(QuestionSet, set_id)
    form = ThemeForm()
    if form.validate_on_submit() and _theme_rules_hold(set_id, None, form):
        theme = Theme(position=next_position(Theme.position, Theme.question_set_id == set_id))
        form.populate_obj(theme)
        theme.question_set = question_set
        # SQLAlchemy 2.0 no longer cascades a new object into the session through a backref,
        # so without this add the theme would silently not be saved.
        db.session.add(theme)
        db.session.commit()
        flash(_("The theme “%(name)s” is added.", name=theme.name), "success")
        return redirect(url_for("questionbank.index", _anchor=f"theme-{theme.id}"))
    status = 422 if form.is_submitted() else 200
    return render("questionbank/theme_form.html", form=form, theme=None,
                  question_set=question_set, status=status)


@bp.route("/themes/<int:theme_id>", methods=["GET", "POST"])
def edit_theme(theme_id: int):
    """Rename or describe a theme, or mark it as the salary theme."""
    theme = db.get_or_404(Theme, theme_id)
    form = ThemeForm(obj=theme)
    if form.validate_on_submit() and _theme_rules_hold(theme.question_set_id, theme.id, form):
        form.populate_obj(theme)
        db.session.commit()
        flash(_("The theme “%(name)s” is saved.", name=theme.name), "success")
        return redirect(url_for("questionbank.index", _anchor=f"theme-{theme.id}"))
    status = 422 if form.is_submitted() else 200
    return render("questionbank/theme_form.html", form=form, theme=theme,
                  question_set=theme.question_set, status=status)


def _theme_rules_hold(set_id: int, theme_id: int | None, form: ThemeForm) -> bool:
    if form.is_salary.data and salary_theme_taken(set_id, theme_id):
        form.is_salary.errors.append(_("This question set already has a salary theme."))
        return False
    return True


@bp.route("/themes/<int:theme_id>/move", methods=["POST"])
def move_theme(theme_id: int):
    """Move a theme up or down within its set."""
    theme = db.get_or_404(Theme, theme_id)
    # The salary theme is always last (R8): move only among themes of the same kind, so
    # the salary theme and the theme just before it never trade places without effect.
    same_kind = [t for t in theme.question_set.themes if t.is_salary == theme.is_salary]
    swap_positions(same_kind, theme, _step())
    db.session.commit()
    return _show_bank()


@bp.route("/<any(themes, questions):kind>/<int:item_id>/<any(retire, restore):action>",
          methods=["POST"])
def set_retired(kind: str, item_id: int, action: str):
    """Retire a theme or question (no longer offered, never deleted, so older conversations
    keep its text), or restore it."""
    item = db.get_or_404(Theme if kind == "themes" else Question, item_id)
    if action == "retire":
        item.retire()
    else:
        item.restore()
    db.session.commit()
    return _show_bank()


@bp.route("/themes/<int:theme_id>/questions/new", methods=["GET", "POST"])
def new_question(theme_id: int):
    """Add a question with its follow-up prompts to a theme."""
    theme = db.get_or_404(Theme, theme_id)
    form = _question_form(theme, None)
    if form.validate_on_submit():
        chosen = _chosen_theme(form, theme)
        position = next_position(Question.position, Question.theme_id == chosen.id)
        question = Question(text=form.text.data.strip(), position=position, theme=chosen)
        question.replace_prompts(form.prompt_lines)
        # Added explicitly: setting `theme` does not put a new object in the session (SA 2.0).
        db.session.add(question)
        db.session.commit()
        flash(_("The question is added."), "success")
        return redirect(url_for("questionbank.index", _anchor=f"question-{question.id}"))
    status = 422 if form.is_submitted() else 200
    return render("questionbank/question_form.html", form=form, theme=theme, question=None,
                  status=status)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def edit_question(question_id: int):
    """Change a question's text, theme or follow-up prompts."""
    question = db.get_or_404(Question, question_id)
    form = _question_form(question.theme, question)
    if form.validate_on_submit():
        new_theme = _chosen_theme(form, question.theme)
        if new_theme is not question.theme:
            position = next_position(Question.position, Question.theme_id == new_theme.id)
            question.theme, question.position = new_theme, position
        question.text = form.text.data.strip()
        question.replace_prompts(form.prompt_lines)
        db.session.commit()
        flash(_("The question is saved."), "success")
        return redirect(url_for("questionbank.index", _anchor=f"question-{question.id}"))
    status = 422 if form.is_submitted() else 200
    return render("questionbank/question_form.html", form=form, theme=question.theme,
                  question=question, status=status)


def _question_form(theme: Theme, question: Question | None) -> QuestionForm:
    form = QuestionForm(obj=question)
    form.theme_id.choices = [(t.id, t.name) for t in theme.question_set.themes]
    if not form.is_submitted():
        form.theme_id.data = theme.id
        if question is not None:
            form.prompts.data = "\n".join(p.text for p in question.prompts)
    return form


def _chosen_theme(form: QuestionForm, fallback: Theme) -> Theme:
    theme = db.session.get(Theme, form.theme_id.data)
    # SelectField already refuses ids outside the choices, which are this set's themes.
    return theme or fallback


@bp.route("/questions/<int:question_id>/move", methods=["POST"])
def move_question(question_id: int):
    """Move a question up or down within its theme."""
    question = db.get_or_404(Question, question_id)
    swap_positions(question.theme.questions, question, _step())
    db.session.commit()
    return _show_bank()


def _step() -> int:
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return -1 if direction == "up" else 1
