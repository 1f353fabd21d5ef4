"""The employee's copy of everything the app holds about them (issue 16, point 3; GDPR
art. 15 and 20): a ZIP with `medsamtale.json` (machine-readable, its format named and
versioned, its fields in the README: "The employee's copy (export)") and the PDF of each
approved minutes.

The employee asks for it on their own page (`request_export`: one request waiting per
person); the outbox worker builds it (`build_pending_exports`, from
medsamtale.scheduled) and emails a link with a random token, of which only the SHA-256 is
stored. The link works once, for the signed-in employee it was made for, for
LINK_LIFETIME; the ZIP is deleted when it is fetched (`take`) or the link expires. The
audit log records that a copy was asked for, built and fetched, never what it held.

Everything about the conversations where the person is the employee is in it, the
leader's own preparation notes included: the right of access covers them.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import UTC, date, datetime

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..audit.log import PAGE_LABELS, reads_of_conversations_of
from ..errors import Refused
from ..extensions import db
from ..minutes.pdf import minutes_pdf
from ..models import (
    Action,
    AgendaItem,
    AgendaText,
    AuditEvent,
    Conversation,
    Minutes,
    MinutesRemark,
    MinutesShare,
    User,
)
from ..models.exports import LINK_LIFETIME, PersonalExport
from ..models.tokens import new_token, token_digest
from ..outbox import queue_email
from ..timeutil import to_oslo, utcnow
from ..urls import public_url

log = logging.getLogger(__name__)

FORMAT = "medsamtale-export/1"
JSON_NAME = "medsamtale.json"
MAIL = "personal_export_ready"
# The audit log's actions: that a copy was asked for, built, fetched; never its content.
REQUESTED = "personal_export_requested"
BUILT = "personal_export_built"
DOWNLOADED = "personal_export_downloaded"
BATCH = 10  # copies built per run of the worker


# The copy ---------------------------------------------------------------------------------


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601; times (stored as naive UTC) with their offset, +00:00."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat()
    return value.isoformat()


def _name(user: User | None) -> str | None:
    return user.name if user is not None else None


def person_data(user: User) -> dict:
    unit = user.unit
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "unit": {"name": unit.name, "kind": unit.kind} if unit is not None else None,
        "leader": _name(user.leader),
        "roles": list(user.roles),
        "active": user.active,
        "employment_ended_on": iso(user.employment_ended_on),
    }


def invitation_data(conversation: Conversation) -> dict:
    return {
        "conversation_id": conversation.id,
        "leader": conversation.leader.name,
        "starts_at": iso(conversation.starts_at),
        "duration_minutes": conversation.duration_minutes,
        "place": conversation.place,
        "message": conversation.message,
        "invited_at": iso(conversation.invited_at),
        "accepted_at": iso(conversation.accepted_at),
        "proposed_starts_at": iso(conversation.proposed_starts_at),
        "proposal_comment": conversation.proposal_comment,
        "cancelled_at": iso(conversation.cancelled_at),
    }


def _picks(conversation: Conversation) -> list[dict]:
    return [{
        "position": pick.position,
        "question": pick.question.text,
        "theme": pick.question.theme.name,
        "employee_note": pick.employee_note,
        "leader_note": pick.leader_note,
    } for pick in conversation.picks]


def _agenda(conversation: Conversation) -> list[dict]:
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.conversation_id == conversation.id)
        .order_by(AgendaItem.position, AgendaItem.id)).all()
    versions: dict[int, list[dict]] = {}
    for each in db.session.scalars(
            select(AgendaText).where(AgendaText.item_id.in_([item.id for item in items]))
            .order_by(AgendaText.field, AgendaText.version)):
        versions.setdefault(each.item_id, []).append(
            {"field": each.field, "version": each.version, "text": each.text,
             "sent": each.sent})
    return [{
        "section": item.section,
        "position": item.position,
        "text": item.text,
        "prompts": item.prompt_list,
        "employee_note": item.employee_note,
        "leader_note": item.leader_note,
        "discussed": item.discussed,
        "removed": item.removed,
        "carry_over": item.carry_over,
        "action_id": item.action_id,
        # Kept only while the meeting goes on: each version of a text as it was saved.
        "versions": versions.get(item.id, []),
    } for item in items]


def _minutes(conversation: Conversation) -> dict | None:
    minutes = db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation.id))
    if minutes is None:
        return None
    approved = minutes.approved_version
    remarks = db.session.scalars(select(MinutesRemark).where(
        MinutesRemark.minutes_id == minutes.id).order_by(MinutesRemark.id))
    return {
        "state": minutes.state,
        "created_at": iso(minutes.created_at),
        "no_actions": minutes.no_actions,
        "first_approved_at": iso(minutes.first_approved_at),
        "points": [{"heading": point.heading, "body": point.body} for point in minutes.points],
        "approved": None if approved is None else {
            "version": approved.number,
            "decided_at": iso(approved.decided_at),
            "points": approved.content.get("points", []),
            "actions": approved.content.get("actions", []),
            "no_actions": approved.content.get("no_actions", False),
        },
        "versions": [{
            "number": version.number,
            "submitted_at": iso(version.submitted_at),
            "submitted_by": version.submitted_by_name,
            "decision": version.decision,
            "decided_at": iso(version.decided_at),
            "decided_by": version.decided_by_name or None,
            "comment": version.comment,
            "content": version.content,
        } for version in minutes.versions],
        "reopen_requested_at": iso(minutes.reopen_requested_at),
        "reopen_request_comment": minutes.reopen_request_comment,
        "reopened_at": iso(minutes.reopened_at),
        "next_meeting": None if minutes.next_meeting_kind is None else {
            "kind": minutes.next_meeting_kind, "on": iso(minutes.next_meeting_on)},
        "remarks": [{
            "version": remark.version_number,
            "body": remark.body,
            "created_at": iso(remark.created_at),
            "author": remark.author_name,
        } for remark in remarks],
        "shared_with": [{"leader": share.leader.name, "at": iso(share.created_at)}
                        for share in db.session.scalars(
                            select(MinutesShare).where(
                                MinutesShare.conversation_id == conversation.id)
                            .order_by(MinutesShare.id))],
    }


def _actions(conversation: Conversation) -> list[dict]:
    actions = db.session.scalars(
        select(Action).where(Action.conversation_id == conversation.id)
        .order_by(Action.position, Action.id))
    return [{
        "id": action.id,
        "what": action.what,
        "responsible": action.responsible,
        "responsible_name": action.responsible_label,
        "deadline": iso(action.deadline),
        "goal": action.goal,
        "created_at": iso(action.created_at),
        "done_at": iso(action.done_at),
        "followed_up_by": action.leader.name,
        "updates": [{
            "at": iso(each.created_at),
            "author": each.author.name,
            "kind": each.kind,
            "comment": each.comment,
        } for each in action.updates],
    } for action in actions]


def conversation_data(conversation: Conversation) -> dict:
    on_behalf_of = (db.session.get(User, conversation.on_behalf_of_id)
                    if conversation.on_behalf_of_id else None)
    return {
        "id": conversation.id,
        "state": conversation.state,
        "leader": conversation.leader.name,
        "on_behalf_of": _name(on_behalf_of),
        "question_set": conversation.question_set.name,
        "created_at": iso(conversation.created_at),
        "starts_at": iso(conversation.starts_at),
        "duration_minutes": conversation.duration_minutes,
        "place": conversation.place,
        "message": conversation.message,
        "preparation_started_at": iso(conversation.preparation_started_at),
        "employee_ready_at": iso(conversation.employee_ready_at),
        "leader_ready_at": iso(conversation.leader_ready_at),
        "started_at": iso(conversation.started_at),
        "held_at": iso(conversation.held_at),
        "cancelled_at": iso(conversation.cancelled_at),
        "employee_topics": conversation.employee_topic_list,
        "leader_topics": conversation.leader_topic_list,
        "picks": _picks(conversation),
        "agenda": _agenda(conversation),
        "minutes": _minutes(conversation),
        "actions": _actions(conversation),
    }


def read_log(user: User) -> list[dict]:
    """Each read of the person's conversations (the account page's list, all of it), newest
    first."""
    rows = db.session.execute(
        reads_of_conversations_of(user.id).order_by(AuditEvent.id.desc()))
    return [{
        "at": iso(event.at),
        "reader": reader_name,
        "reader_is": ("you" if event.actor_id == user.id
                      else "leader" if event.actor_id == leader_id else "other"),
        "page": (event.detail or {}).get("page"),
        "page_label": str(PAGE_LABELS.get((event.detail or {}).get("page"), "")) or None,
        "conversation_id": event.conversation_id,
    } for event, reader_name, leader_id, _starts_at in rows]


def _conversations(user: User) -> list[Conversation]:
    return list(db.session.scalars(
        select(Conversation).where(Conversation.employee_id == user.id)
        .order_by(Conversation.starts_at, Conversation.id)))


def export_data(user: User, conversations: list[Conversation] | None = None) -> dict:
    """Everything in `medsamtale.json`."""
    conversations = _conversations(user) if conversations is None else conversations
    return {
        "format": FORMAT,
        "exported_at": iso(utcnow()),
        "person": person_data(user),
        "conversations": [conversation_data(c) for c in conversations],
        "invitations": [invitation_data(c) for c in conversations if c.invited_at],
        "read_log": read_log(user),
    }


def _approved_pdfs(conversations: list[Conversation]) -> list[tuple[str, bytes]]:
    """(file name, PDF) of each approved minutes, made as the print view's PDF is."""
    files, names = [], set()
    for conversation in conversations:
        minutes = db.session.scalar(
            select(Minutes).where(Minutes.conversation_id == conversation.id))
        version = minutes.approved_version if minutes is not None else None
        if version is None:
            continue
        name = stem = f"referat-{to_oslo(conversation.held_on):%Y-%m-%d}"
        counter = 1
        while name in names:  # two conversations on one day
            counter += 1
            name = f"{stem}-{counter}"
        names.add(name)
        files.append((f"{name}.pdf", minutes_pdf(conversation, version)))
    return files


def build_export(user: User) -> bytes:
    """The ZIP of everything the app holds about `user`: medsamtale.json and the PDFs.
    Outside a request (the worker) the PDFs are made in one on PUBLIC_BASE_URL."""
    conversations = _conversations(user)
    with force_locale(user.locale):
        data = export_data(user, conversations)
        if has_request_context():
            pdfs = _approved_pdfs(conversations)
        else:
            base = current_app.config["PUBLIC_BASE_URL"]
            with current_app.test_request_context("/", base_url=base):
                pdfs = _approved_pdfs(conversations)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(data, ensure_ascii=False, indent=2))
        for name, body in pdfs:
            archive.writestr(name, body)
    return buffer.getvalue()


# Asking, building, fetching ------------------------------------------------------------------


def pending_export(user: User) -> PersonalExport | None:
    return db.session.scalar(select(PersonalExport).where(
        PersonalExport.user_id == user.id, PersonalExport.ready_at.is_(None)))


def latest_export(user: User) -> PersonalExport | None:
    return db.session.scalar(select(PersonalExport).where(PersonalExport.user_id == user.id)
                             .order_by(PersonalExport.id.desc()).limit(1))


ALREADY_ASKED = _l("You have already asked for a copy, and it is being made. You will get an "
                   "email with a link when it is ready. Nothing was changed.")


def request_export(user: User) -> PersonalExport:
    """The person asks for their copy; refused while one is waiting to be built. The
    caller commits."""
    if pending_export(user) is not None:
        raise Refused(ALREADY_ASKED)
    export = PersonalExport(user_id=user.id, requested_at=utcnow())
    try:
        with db.session.begin_nested():  # two requests at once: the index lets one in
            db.session.add(export)
    except IntegrityError as error:
        raise Refused(ALREADY_ASKED) from error
    record(REQUESTED, subject=user)
    return export


def expire_links(now: datetime | None = None) -> int:
    """Delete the ZIPs whose link has expired; the row stays, so the link says so."""
    now = now or utcnow()
    return db.session.execute(
        update(PersonalExport)
        .where(PersonalExport.zip_data.is_not(None), PersonalExport.used_at.is_(None),
               PersonalExport.ready_at <= now - LINK_LIFETIME)
        .values(zip_data=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def build_pending_exports(limit: int = BATCH) -> int:
    """Build the copies asked for, each in its own transaction, and email each person their
    link; delete the expired ones. Returns how many were built. A copy that fails is
    logged and tried again the next time."""
    expire_links()
    db.session.commit()
    ids = db.session.scalars(select(PersonalExport.id).where(PersonalExport.ready_at.is_(None))
                             .order_by(PersonalExport.id).limit(limit)).all()
    built = 0
    for export_id in ids:
        export = db.session.scalar(
            select(PersonalExport)
            .where(PersonalExport.id == export_id, PersonalExport.ready_at.is_(None))
            .with_for_update(skip_locked=True))
        if export is None:  # another worker has it
            db.session.rollback()
            continue
        try:
            _build(export)
            db.session.commit()
            built += 1
        except Exception:
            db.session.rollback()
            log.exception("personal export %s failed", export_id)
    return built


def _build(export: PersonalExport) -> None:
    user = export.user
    data = build_export(user)
    now = utcnow()
    # An earlier copy not yet fetched is replaced by this one: its link stops working.
    db.session.execute(
        update(PersonalExport)
        .where(PersonalExport.user_id == user.id, PersonalExport.id != export.id,
               PersonalExport.zip_data.is_not(None))
        .values(zip_data=None)
        .execution_options(synchronize_session=False))
    token, digest = new_token()
    export.token_hash, export.zip_data, export.ready_at = digest, data, now
    record(BUILT, actor=None, subject=user)
    queue_email(user, MAIL, link=public_url("account.download_export", token=token),
                expires_at=now + LINK_LIFETIME)


def find(token: str) -> PersonalExport | None:
    return db.session.scalar(
        select(PersonalExport).where(PersonalExport.token_hash == token_digest(token)))


def take(export: PersonalExport) -> bytes | None:
    """The ZIP, once: marked used and deleted (the caller commits); None when another
    request took it first."""
    taken = db.session.execute(
        update(PersonalExport)
        .where(PersonalExport.id == export.id, PersonalExport.used_at.is_(None),
               PersonalExport.zip_data.is_not(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        return None
    data = db.session.scalar(select(PersonalExport.zip_data)
                             .where(PersonalExport.id == export.id))
    db.session.execute(update(PersonalExport).where(PersonalExport.id == export.id)
                       .values(zip_data=None).execution_options(synchronize_session=False))
    db.session.expire(export)
    record(DOWNLOADED, subject=export.user_id)
    return data
