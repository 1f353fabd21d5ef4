"""How far each unit and leader has come, in counts and states, never content."""

from flask import Blueprint

from ..htmx import render
from ..roles import hr_admin_required

bp = Blueprint("progress", __name__, url_prefix="/admin/progress")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def index():
    """The list (a skeleton that the issue-15 work fills in)."""
    return render("progress/index.html")
