"""The organisation's units in a tree, each with a leader: the HR admin manages them."""

from flask import Blueprint, url_for
from flask_babel import gettext as _

from ..change import Page, make_change
from ..extensions import db
from ..htmx import render
from ..models import Unit
from ..roles import hr_admin_required
from . import services
from .forms import UnitForm

bp = Blueprint("units", __name__, url_prefix="/admin/units")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def index():
    """The tree of units, each with its kind, leader and number of people."""
    tree = services.load_tree(with_leaders=True)
    own = services.people_counts()
    totals = {unit_id: sum(own.get(i, 0) for i in tree.subtree_ids(unit_id))
              for unit_id in tree.units}
    return render("units/index.html", tree=tree, rows=list(tree.walk()), own=own,
                  totals=totals)


def _form_page(form: UnitForm, unit: Unit):
    return Page("units/form.html", form=form, unit=unit,
                deletion_problem=lambda: services.deletion_problem(unit)
                if unit.id is not None and db.session.get(Unit, unit.id) else None)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a unit: its name, kind, the unit it is part of, and its leader."""
    unit = Unit()
    form = UnitForm(unit=unit, tree=services.load_tree())
    return make_change(
        services.save_unit, unit, form, form=form, back=url_for(".index"),
        page=_form_page(form, unit),
        done=lambda saved: _("The unit %(name)s is added.", name=saved.name))


@bp.route("/<id:unit_id>", methods=["GET", "POST"])
def edit(unit_id: int):
    """Rename a unit, change its kind or leader, or move it under another unit."""
    unit = db.get_or_404(Unit, unit_id)
    form = UnitForm(unit=unit, tree=services.load_tree())
    return make_change(
        services.save_unit, unit, form, form=form, back=url_for(".index"),
        page=_form_page(form, unit),
        done=lambda saved: _("Changes to the unit %(name)s are saved.", name=saved.name))


@bp.route("/<id:unit_id>/delete", methods=["POST"])
def delete(unit_id: int):
    """Delete a unit without people, sub-units or rounds."""
    unit = db.get_or_404(Unit, unit_id)
    return make_change(
        services.delete_unit, unit,
        back=lambda name: url_for(".index") if name else url_for(".edit", unit_id=unit_id),
        done=lambda name: _("The unit %(name)s is deleted.", name=name))
