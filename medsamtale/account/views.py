"""Each person's own page: their account, who has read their conversations (the audit
log's reads of the conversations where they are the employee), newest first, and their
copy of everything the app holds about them (export.py)."""

from flask import Blueprint, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit.log import page_of, reads_of_conversations_of
from ..change import make_change
from ..extensions import db
from ..htmx import render
from ..timeutil import to_oslo, utcnow
from . import export

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
def show():
    """Your account, and each read of your conversations: by whom, which page, when."""
    before = request.args.get("before", "")
    rows, older = page_of(reads_of_conversations_of(current_user.id),
                          int(before) if before.isdigit() and len(before) < 12 else None)
    return render("account/show.html", reads=rows, older=older,
                  latest_export=export.latest_export(current_user), now=utcnow())


@bp.route("/export", methods=["POST"])
def request_export():
    """Ask for a copy of everything the app holds about you; it is emailed when built."""
    return make_change(
        export.request_export, current_user._get_current_object(),
        back=url_for("account.show", _anchor="export"),
        done=_l("We are making your copy. You will get an email with a link to it when it "
                "is ready, usually within a few minutes."),
    )


@bp.route("/export/<token>")
def download_export(token: str):
    """Your copy, once, through the emailed link; anyone else's link is not found."""
    found = export.find(token)
    if found is None or found.user_id != current_user.id:
        return render("account/export_problem.html", problem="unknown", status=404)
    problem = found.problem
    data = None if problem else export.take(found)
    if data is None:
        db.session.commit()
        return render("account/export_problem.html", problem=problem or "used", status=410)
    db.session.commit()
    name = f"medsamtale-kopi-{to_oslo(utcnow()):%Y-%m-%d}.zip"
    return data, 200, {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    }
