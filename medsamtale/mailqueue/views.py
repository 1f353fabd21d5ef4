"""Mail that could not be delivered: the HR admin sees it (never its body) and retries or
discards it."""

from flask import Blueprint, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..change import make_change
from ..extensions import db
from ..htmx import render
from ..models import OutboxMessage
from ..roles import hr_admin_required
from . import services

bp = Blueprint("mailqueue", __name__, url_prefix="/admin/mail")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


@bp.route("/")
def undelivered():
    """The messages the outbox gave up on: recipient, kind, attempts and last error."""
    return render("mailqueue/undelivered.html", messages=services.undelivered(),
                  total=services.undelivered_count(), kind_label=services.kind_label)


@bp.route("/<id:message_id>/<any(retry, discard):decision>", methods=["POST"])
def decide(message_id: int, decision: str):
    """Send a message again from the start of its attempts, or give it up for good."""
    db.first_or_404(select(OutboxMessage.id).where(OutboxMessage.id == message_id))
    retrying = decision == "retry"
    return make_change(
        services.retry if retrying else services.discard, message_id,
        back=url_for(".undelivered"),
        done=_("The message will be sent again.") if retrying else _("The message is discarded."),
    )
