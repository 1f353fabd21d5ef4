"""The HR admin's view of the audit log: HR actions and log-ins, newest first. Reads of
conversations are not shown here: who read a conversation is for its employee to see (on
their own page, medsamtale.account)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..htmx import render
from ..models import AuditEvent, User
from ..roles import hr_admin_required
from ..timeutil import utcnow
from . import READ
from .log import ACTION_LABELS, READ_MONTHS, page_of, reads_per_month

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.before_request
@hr_admin_required
def guard():
    """Only the HR admin sees this log."""


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route("/")
def index():
    """HR actions and log-ins, newest first, filtered by kind and person."""
    actor, subject = aliased(User), aliased(User)
    query = (select(AuditEvent, actor.name, subject.name)
             .outerjoin(actor, actor.id == AuditEvent.actor_id)
             .outerjoin(subject, subject.id == AuditEvent.subject_user_id)
             .where(AuditEvent.action != READ))
    action = request.args.get("action", "")
    if action:
        query = query.where(AuditEvent.action == action)
    person_id = _int_arg("person")
    if person_id:
        query = query.where(or_(AuditEvent.actor_id == person_id,
                                AuditEvent.subject_user_id == person_id))
    rows, older = page_of(query, _int_arg("before"))
    actions = db.session.scalars(select(AuditEvent.action).distinct()
                                 .where(AuditEvent.action != READ)).all()
    people = db.session.execute(select(User.id, User.name).order_by(User.name)).all()
    since = (utcnow() - timedelta(days=31 * READ_MONTHS)).replace(day=1, hour=0, minute=0)
    return render("audit/index.html", rows=rows, older=older, action=action,
                  person_id=person_id, actions=sorted(actions), people=people,
                  action_labels=ACTION_LABELS, reads=reads_per_month(since))
