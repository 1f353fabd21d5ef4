"""The HR admin's question bank: themes, questions, follow-up prompts, order, retire, restore."""

import re

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..change import Page, make_change
from ..extensions import db
from ..htmx import render
from ..models import Question, QuestionSet, Theme
from ..roles import hr_admin_required
from . import services
from .forms import QuestionForm, ThemeForm

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


def _bank_change(change, *args):
    """A change from the bank's page: htmx gets the bank block, a plain post the page again
    at the place it came from."""
    anchor = request.form.get("anchor", "")
    return make_change(
        change, *args,
        back=url_for(".index") + (anchor if re.fullmatch(r"#[\w-]+", anchor) else ""),
        block=Page("questionbank/index.html", "bank", question_sets=_bank,
                   open_theme=lambda: _theme_of(anchor)),
    )


def _theme_of(anchor: str) -> int | None:
    """The theme a change was made in ("#theme-3", "#question-12"), kept open after it."""
    kind, _dash, number = anchor.lstrip("#").rpartition("-")
    if not number.isascii() or not number.isdigit() or len(number) > 9:
        return None
    if kind == "theme":
        return int(number)
    question = db.session.get(Question, int(number)) if kind == "question" else None
    return question.theme_id if question else None


def _anchored(kind: str):
    """Back to the bank at the theme or question just saved."""
    return lambda item: url_for(".index", _anchor=f"{kind}-{item.id}")


@bp.route("/")
def index():
    """All question sets with their themes, questions and follow-up prompts."""
    return render("questionbank/index.html", question_sets=_bank())


@bp.route("/sets/<id:set_id>/themes/new", methods=["GET", "POST"])
def new_theme(set_id: int):
    """Add a theme to a question set."""
    question_set = db.get_or_404(QuestionSet, set_id)
    form = ThemeForm(set_id=set_id, theme_id=None)
    return make_change(
        services.save_theme, Theme(), question_set, form, form=form, back=_anchored("theme"),
        done=_("The theme “%(name)s” is added.", name=form.name.data),
        page=Page("questionbank/theme_form.html", form=form, theme=None,
                  question_set=question_set),
    )


@bp.route("/themes/<id:theme_id>", methods=["GET", "POST"])
def edit_theme(theme_id: int):
    """Rename or describe a theme, or mark it as the salary theme."""
    theme = db.get_or_404(Theme, theme_id)
    form = ThemeForm(obj=theme, set_id=theme.question_set_id, theme_id=theme.id)
    return make_change(
        services.save_theme, theme, theme.question_set, form, form=form,
        back=_anchored("theme"),
        done=_("The theme “%(name)s” is saved.", name=form.name.data),
        page=Page("questionbank/theme_form.html", form=form, theme=theme,
                  question_set=theme.question_set),
    )


@bp.route("/themes/<id:theme_id>/move", methods=["POST"])
def move_theme(theme_id: int):
    """Move a theme up or down within its set."""
    return _bank_change(services.move_theme, db.get_or_404(Theme, theme_id), _step())


@bp.route("/<any(themes, questions):kind>/<id:item_id>/<any(retire, restore):action>",
          methods=["POST"])
def set_retired(kind: str, item_id: int, action: str):
    """Retire a theme or question (no longer offered, never deleted, so older conversations
    keep its text), or restore it."""
    item = db.get_or_404(Theme if kind == "themes" else Question, item_id)
    return _bank_change(services.set_retired, item, action == "retire")


@bp.route("/themes/<id:theme_id>/questions/new", methods=["GET", "POST"])
def new_question(theme_id: int):
    """Add a question with its follow-up prompts to a theme."""
    theme = db.get_or_404(Theme, theme_id)
    return _question_page(theme, Question())


@bp.route("/questions/<id:question_id>", methods=["GET", "POST"])
def edit_question(question_id: int):
    """Change a question's text, theme or follow-up prompts."""
    question = db.get_or_404(Question, question_id)
    return _question_page(question.theme, question)


def _question_page(theme: Theme, question: Question):
    new = question.id is None
    form = QuestionForm(obj=None if new else question)
    form.theme_id.choices = [(t.id, t.name) for t in theme.question_set.themes]
    if not form.is_submitted():
        form.theme_id.data = theme.id
        form.prompts.data = "\n".join(p.text for p in question.prompts)
    return make_change(
        services.save_question, question, theme, form, form=form, back=_anchored("question"),
        done=_("The question is added.") if new else _("The question is saved."),
        page=Page("questionbank/question_form.html", form=form, theme=theme,
                  question=None if new else question),
    )


@bp.route("/questions/<id:question_id>/move", methods=["POST"])
def move_question(question_id: int):
    """Move a question up or down within its theme."""
    return _bank_change(services.move_question, db.get_or_404(Question, question_id), _step())


def _step() -> int:
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return -1 if direction == "up" else 1
