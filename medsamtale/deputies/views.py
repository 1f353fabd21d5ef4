"""Deputies for leaders on leave (issue 15, point 6): the HR admin gives a leader a deputy
for a period, sees the periods current, coming and past, and ends one early."""

from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..change import Page, make_change
from ..dates import day
from ..extensions import db
from ..models import Deputy
from ..roles import hr_admin_required
from . import services
from .forms import DeputyForm

bp = Blueprint("deputies", __name__, url_prefix="/admin/deputies")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/", methods=["GET", "POST"])
def index():
    """The deputy periods, current, coming and past, and the form to give a leader one."""
    form = DeputyForm()
    return make_change(
        lambda: services.assign(current_user, **form.details()),
        form=form, page=Page("deputies/index.html", form=form, periods=services.listing),
        back=url_for(".index"),
        done=lambda row: _l("%(deputy)s stands in for %(leader)s from %(start)s to %(end)s. "
                            "Both have been told by email.", deputy=row.deputy.name,
                            leader=row.leader.name, start=day(row.starts_on, "long"),
                            end=day(row.ends_on, "long")),
    )


@bp.route("/<id:deputy_id>/end", methods=["POST"])
def end(deputy_id: int):
    """End a deputy period now; the deputy keeps the open conversations they planned."""
    row = db.get_or_404(Deputy, deputy_id)
    return make_change(
        services.end_early, row, current_user, back=url_for(".index"),
        done=_l("The deputy period is ended. %(deputy)s keeps the conversations already "
                "planned until they are held.", deputy=row.deputy.name),
    )
