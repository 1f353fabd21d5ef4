"""How far each unit and leader has come, in counts and states, never content."""

from flask import Blueprint, Response, abort, request
from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..htmx import render
from ..roles import hr_admin_required
from ..timeutil import oslo_today
from . import charts, services

bp = Blueprint("progress", __name__, url_prefix="/admin/progress")


@bp.record_once
def chart_parts(state):
    """The bars and their colours, for the templates (and the macros they import)."""
    state.app.jinja_env.globals.update(progress_bar=charts.progress_bar,
                                       figure_cells=charts.figure_cells,
                                       stage_colours=charts.STAGE_COLOURS,
                                       empty_colour=charts.EMPTY_COLOUR)


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


def _scope():
    """Every round, and the one the `round` argument names (None: the year); 404 for a
    value that names no round."""
    known = services.rounds()
    try:
        return known, services.chosen_round(request.args.get("round"), known)
    except LookupError:
        abort(404)


@bp.route("/")
def index():
    """Each unit's and leader's figures, as numbers and bars, and held conversations per
    week."""
    known, chosen = _scope()
    return render("progress/index.html", "figures", rounds=known,
                  overview=services.overview(chosen))


@bp.route("/units/<id:unit_id>")
def unit(unit_id: int):
    """The people of a unit and its sub-units, with each one's state and dates."""
    return _people(services.unit_people, unit_id, _l("Unit: %(name)s"))


@bp.route("/leaders/<id:leader_id>")
def leader(leader_id: int):
    """The people who report to a leader, with each one's state and dates."""
    return _people(services.leader_people, leader_id, _l("Leader: %(name)s"))


def _people(find, found_id: int, heading) -> str:
    """A drill-down to the names: 404 for a unit or leader that is not there."""
    known, chosen = _scope()
    try:
        found = find(chosen, found_id)
    except LookupError:
        abort(404)
    return render("progress/people.html", rounds=known, drilldown=found,
                  heading=heading % {"name": found.title})


def _download(body: bytes, mimetype: str, chosen, table: str, file_format: str) -> Response:
    """An export, recorded in the audit log (what was exported, never its rows)."""
    audit.record("progress_exported", round_id=chosen.id if chosen else None, table=table,
                 format=file_format)
    db.session.commit()
    filename = f"framdrift-{services.FILE_NAMES[table]}-{oslo_today().isoformat()}.{file_format}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/export/<any(units, leaders, people):table>.csv")
def export_csv(table: str):
    """One of the tables (units, leaders, people) as CSV."""
    _known, chosen = _scope()
    body = services.as_csv(services.export_tables(chosen)[table])
    return _download(body, "text/csv", chosen, table, "csv")


@bp.route("/export.xlsx")
def export_xlsx():
    """All three tables as a workbook."""
    _known, chosen = _scope()
    body = services.as_xlsx(services.export_tables(chosen))
    return _download(body, services.XLSX_TYPE, chosen, "all", "xlsx")
