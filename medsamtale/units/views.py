"""The organisation's units in a tree, each with a leader: the HR admin manages them."""

from flask import Blueprint

from ..htmx import render
from ..roles import hr_admin_required

bp = Blueprint("units", __name__, url_prefix="/admin/units")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def index():
    """The list (a skeleton that the issue-15 work fills in)."""
    return render("units/index.html")
