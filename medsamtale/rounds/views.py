"""Rounds of conversations (samtalerunder): the HR admin opens and closes them."""

from flask import Blueprint

from ..htmx import render
from ..roles import hr_admin_required

bp = Blueprint("rounds", __name__, url_prefix="/admin/rounds")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def index():
    """The list (a skeleton that the issue-15 work fills in)."""
    return render("rounds/index.html")
