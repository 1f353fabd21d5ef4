"""Each person's own page: their account, and who has read their conversations (the
audit log's reads of the conversations where they are the employee), newest first."""

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import select

from ..audit import READ
from ..audit.log import page_of
from ..htmx import render
from ..models import AuditEvent, Conversation, User

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
def show():
    """Your account, and each read of your conversations: by whom, which page, when."""
    before = request.args.get("before", "")
    rows, older = page_of(
        select(AuditEvent, User.name, Conversation.leader_id, Conversation.starts_at)
        .join(Conversation, Conversation.id == AuditEvent.conversation_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == READ, Conversation.employee_id == current_user.id),
        int(before) if before.isdigit() and len(before) < 12 else None)
    return render("account/show.html", reads=rows, older=older)
