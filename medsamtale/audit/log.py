"""Reading the audit log: a page of events at a time, newest first, and the names of its
actions and pages for people; and what the log adds to the app (its hooks, its filters)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEvent, Conversation, User
from . import READ, hooks

PAGE_SIZE = 50

ACTION_LABELS = {
    "login": _l("Logged in"),
    "login_failed": _l("Failed log-in"),
    "logout": _l("Logged out"),
    "sessions_ended": _l("Ended their other sessions"),
    "password_changed": _l("Password changed"),
    "password_set": _l("Password set through an emailed link"),
    "password_link_requested": _l("Password link requested"),
    "password_reset_by_hr": _l("Password reset by HR"),
    "email_change_requested": _l("Email change requested"),
    "email_changed": _l("Email changed"),
    "email_change_cancelled": _l("Email change cancelled"),
    "role_changed": _l("Roles changed"),
    "leader_changed": _l("Leader changed"),
    "four_eyes_requested": _l("Change waiting for a second HR admin"),
    "four_eyes_approved": _l("Change approved by a second HR admin"),
    "four_eyes_rejected": _l("Change rejected by a second HR admin"),
    "mail_retried": _l("Undelivered message sent again"),
    "mail_discarded": _l("Undelivered message discarded"),
    "progress_exported": _l("Progress exported"),
    "round_opened": _l("Round opened"),
    "round_closed": _l("Round closed"),
    "deputy_assigned": _l("Deputy named"),
    "deputy_ended": _l("Deputy ended early"),
    "minutes_shared": _l("Minutes shared with the current leader"),
    "minutes_share_withdrawn": _l("Sharing of minutes withdrawn"),
    "minutes_remark_added": _l("Remark added to approved minutes"),
    # Units (medsamtale/units)
    "unit_created": _l("Unit added"),
    "unit_changed": _l("Unit changed"),
    "unit_moved": _l("Unit moved"),
    "unit_deleted": _l("Unit deleted"),
    "person_unit_changed": _l("Person moved to another unit"),
    # Second factors (medsamtale/factors)
    "factor_added": _l("Second factor added"),
    "factor_removed": _l("Second factor removed"),
    "factor_used": _l("Second factor used"),
    "factor_failed": _l("Second factor refused"),
    "recovery_codes_made": _l("New recovery codes made"),
    "factors_reset": _l("Second factors reset by HR"),
    # Sign-in through OpenID Connect (medsamtale/sso; a refusal is a failed log-in, with
    # method "oidc" and its reason)
    "oidc_sign_in": _l("Signed in through the sign-in service"),
    # Provisioning from the directory (medsamtale/scim)
    "scim_refused": _l("Directory request refused"),
    "scim_user_created": _l("Person created by the directory"),
    "scim_user_changed": _l("Person changed by the directory"),
    "scim_token_created": _l("Directory token made"),
    "scim_token_revoked": _l("Directory token revoked"),
    # Retention (medsamtale/retention): the kind and how many, never what
    "retention_deleted": _l("Kept long enough and deleted"),
    "legal_hold_set": _l("Legal hold set"),
    "legal_hold_lifted": _l("Legal hold lifted"),
    hooks.HR_CHANGE: _l("HR change"),
    READ: _l("Opened a conversation page"),
}

PAGE_LABELS = {
    "conversations.show": _l("The invitation (leader)"),
    "conversations.respond": _l("Propose another time"),
    "preparation.prepare": _l("Preparation (employee)"),
    "preparation.leader": _l("Preparation (leader)"),
    "agenda.show": _l("Agenda"),
    "agenda.end": _l("Ending the meeting"),
    "minutes.show": _l("Minutes"),
    "minutes.version": _l("A version of the minutes"),
    "minutes.print_version": _l("Print view of the minutes"),
    "minutes.pdf_version": _l("PDF of the minutes"),
    "main.home": _l("The home page's actions to follow up"),
}


def page_of(query, before: int | None):
    """One page of events, newest first, from before the event `before`; and the id to
    ask the next page from (None on the last page)."""
    if before:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1][0].id if more and rows else None)


READ_MONTHS = 12  # how far back the HR admin sees the count of reads


def reads_of_conversations_of(employee_id: int):
    """The reads of the conversations where `employee_id` is the employee: each event with
    the reader's name, the conversation's leader and its start (the person's own page, and
    their copy of everything)."""
    return (
        select(AuditEvent, User.name, Conversation.leader_id, Conversation.starts_at)
        .join(Conversation, Conversation.id == AuditEvent.conversation_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == READ, Conversation.employee_id == employee_id)
    )


def reads_per_month(since: datetime) -> list[tuple[str, int]]:
    """How many reads of conversations were recorded each month from `since` ("2026-11",
    count), newest first: that reads happen, never who read what."""
    month = (func.strftime("%Y-%m", AuditEvent.at) if db.engine.dialect.name == "sqlite"
             else func.to_char(AuditEvent.at, "YYYY-MM"))
    return [tuple(row) for row in db.session.execute(
        select(month.label("month"), func.count())
        .where(AuditEvent.action == READ, AuditEvent.at >= since)
        .group_by("month").order_by(month.desc()))]


def init_app(app: Flask) -> None:
    """The hooks that record by themselves, and the filters that name actions and pages."""
    hooks.init_app(app)
    app.jinja_env.filters["audit_action"] = lambda name: ACTION_LABELS.get(name, name)
    app.jinja_env.filters["audit_page"] = lambda name: PAGE_LABELS.get(name, name)
