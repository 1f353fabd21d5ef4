"""Rounds of conversations (samtalerunder): the HR admin opens and closes them, and sees
how many in each have come how far (counts only, never any content)."""

from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..change import Page, make_change
from ..extensions import db
from ..htmx import render
from ..models import QuestionSet, Round
from ..roles import hr_admin_required
from ..units.services import load_tree
from . import services
from .forms import RoundForm

bp = Blueprint("rounds", __name__, url_prefix="/admin/rounds")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def index():
    """The rounds, open and closed, each with its figures."""
    rounds = services.all_rounds()
    return render("rounds/index.html", rounds=rounds, figures=services.figures_of(rounds))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Open a round: its name, units, period, question set and message to the leaders."""
    tree = load_tree()
    form = RoundForm(
        units=[(unit.id, tree.path(unit.id)) for unit, _depth in tree.walk()],
        question_sets=db.session.scalars(select(QuestionSet).order_by(QuestionSet.position)).all(),
    )
    return make_change(
        lambda: services.open_round(current_user, **form.details()),
        form=form, page=Page("rounds/new.html", form=form),
        back=lambda round_: url_for(".show", round_id=round_.id),
        done=_l("The round is open, and the leaders have been told."),
    )


@bp.route("/<id:round_id>")
def show(round_id: int):
    """One round: its period, units and figures."""
    round_ = db.get_or_404(Round, round_id)
    return render("rounds/show.html", round=round_, paths=services.unit_paths(round_),
                  figures=services.figures_of([round_])[round_.id])


@bp.route("/<id:round_id>/close", methods=["POST"])
def close(round_id: int):
    """Close the round; its figures are kept as they are now."""
    round_ = db.get_or_404(Round, round_id)
    return make_change(services.close_round, round_, current_user,
                       back=url_for(".show", round_id=round_id),
                       done=_l("The round is closed. Its figures are kept."))
