"""The privacy statement (personvernerklæring, issue 16, point 7): what Medsamtale stores,
who sees what and when, how long each kind is kept and what goes into the personnel file,
read from the organisation's settings as they are now, so it never says what the app does
not do. Open to everyone, logged in or not."""

from flask import Blueprint

from ..htmx import render
from ..models import Organisation
from ..models.people import PERSONNEL_FILE_ACTIONS
from ..roles import public

bp = Blueprint("privacy", __name__, url_prefix="/personvern")


@bp.route("/")
@public
def statement():
    """The statement, with the retention periods and the personnel file as set now."""
    organisation = Organisation.current() or Organisation(name="")
    return render("privacy/statement.html", organisation=organisation,
                  only_actions=organisation.personnel_file == PERSONNEL_FILE_ACTIONS)
