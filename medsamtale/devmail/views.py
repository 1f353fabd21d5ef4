"""/dev/mail: the messages the local mail catcher caught, while it is the mail server.

Anywhere else (another mail server, production settings) every page here is a 404. Any
person logged in may read them: this is for a developer's machine, where every account is
a demo account. The HTML part is shown in an `<iframe sandbox srcdoc>`: no script runs in
it and it cannot reach the page (the page's Content-Security-Policy applies in it too).
"""

from flask import Blueprint, abort, current_app

from ..htmx import render
from . import mailbox

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")


@bp.app_context_processor
def mail_caught_context():
    """`mail_caught` in every template: whether the footer links to the caught mail."""
    return {"mail_caught": mailbox.catching(current_app.config)}


@bp.before_request
def only_while_catching():
    if not mailbox.catching(current_app.config):
        abort(404)


@bp.route("/")
def index():
    """The caught messages, newest first: subject, recipient, date."""
    folder = current_app.config["MAIL_CATCHER_DIR"]
    return render("devmail/index.html", messages=mailbox.messages(folder), folder=folder)


@bp.route("/<token>")
def show(token: str):
    """One caught message (`token`: its file name): its headers, the text part and the HTML
    part (sandboxed)."""
    caught = mailbox.message(current_app.config["MAIL_CATCHER_DIR"], token)
    if caught is None:
        abort(404)
    return render("devmail/show.html", message=caught)
