"""Retention by rule: each kind of data goes once it has been kept as long as the
organisation's settings say (models/people.py, Organisation.retain_*).

- PREPARATION: the parties' topics and notes on their picks, the minutes' draft points and
  a reopen request's comment, `retain_preparation_months` after the minutes were approved
  (the latest approval, if they were reopened and approved again). Blanked or deleted.
- AGENDA: the agenda's texts and notes, and their versions, `retain_agenda_months` after
  the minutes were approved. The items stay, blank (other rows point to them).
- RECORD: everything of an employee's conversations (minutes, their versions and remarks,
  actions and their follow-up, the agenda, the picks, shares), `retain_record_years` after
  their employment ended. The conversation row stays, with its dates and without content
  (the audit log points to it).

- AUDIT: the audit log's oldest events, `retain_audit_years` after they happened, cut
  from the start of the chain only, up to the first event that is younger or is about a
  person on legal hold (as actor, subject, or employee of its conversation). The cut's own
  event says where the chain now starts (`first_kept`) and the hash before it (`anchor`),
  so `flask audit verify` still checks the whole rest; on PostgreSQL a trigger refuses to
  delete an event younger than a year, whoever asks.

Nothing of a person on legal hold (as the employee of a conversation) goes, whatever the
rule. Until the employment ends, minutes that are not approved (never, or reopened and not
yet approved again) keep everything.

`plan(now)` counts what would go, writing nothing; `run(now)` makes it go, in statements of
at most `batch` rows, each committed, and records each kind and its count in the audit log
(never what was deleted). The rules run in the order RECORD, PREPARATION, AGENDA, AUDIT, and
PREPARATION and AGENDA leave alone what RECORD takes, so `plan` and `run` count the same
rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, tuple_, update

from ..audit import CUT, RETENTION_DELETED, record
from ..extensions import db
from ..models import (
    Action,
    ActionUpdate,
    AgendaItem,
    AgendaText,
    AuditEvent,
    Conversation,
    Minutes,
    MinutesPoint,
    MinutesRemark,
    MinutesVersion,
    Organisation,
    Pick,
    User,
)
from ..models.leadership import MinutesShare
from ..models.minutes import APPROVED
from ..timeutil import to_oslo, utcnow

RECORD = "record"
PREPARATION = "preparation"
AGENDA = "agenda"
AUDIT = CUT
KINDS = (RECORD, PREPARATION, AGENDA, AUDIT)  # the order they run in
BATCH = 500
AUDIT_ACTION = RETENTION_DELETED

# The periods HR may set (admin/forms.py): at least 1, at most these.
MAX_MONTHS = 600
MAX_YEARS = 50


def months_before(moment: datetime | date, months: int):
    """`moment` `months` calendar months earlier (the 31st becomes the month's last day)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last))


@dataclass
class Step:
    """One statement a rule repeats until nothing is left: delete the rows of `model`
    matching `where`, or set `values` on them (`where` then also says the row still has
    something to blank, so a blanked row is not counted again). `before` is run with each
    batch's keys first (to let go of rows that point to them)."""

    model: type
    where: object
    values: dict | None = None
    before: Callable[[list], None] | None = None

    @property
    def keys(self) -> list:
        if self.model is AgendaText:  # no id: its primary key is three columns
            return [AgendaText.item_id, AgendaText.field, AgendaText.version]
        return [self.model.id]

    def count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(self.model).where(self.where))

    def run(self, batch: int) -> int:
        done = 0
        while True:
            found = db.session.execute(select(*self.keys).where(self.where)
                                       .order_by(*self.keys).limit(batch)).all()
            if not found:
                return done
            if len(self.keys) == 1:
                keys = [row[0] for row in found]
                chosen = self.keys[0].in_(keys)
            else:
                keys = [tuple(row) for row in found]
                chosen = tuple_(*self.keys).in_(keys)
            if self.before is not None:
                self.before(keys)
            statement = (delete(self.model) if self.values is None
                         else update(self.model).values(**self.values))
            db.session.execute(statement.where(chosen)
                               .execution_options(synchronize_session=False))
            db.session.commit()
            done += len(keys)


def _held():
    """The people on legal hold."""
    return select(User.id).where(User.legal_hold_reason != "").correlate(None)


def _record_conversations(organisation: Organisation, now: datetime):
    """The conversations of employees whose employment ended `retain_record_years` ago or
    more, and who are not on legal hold."""
    ended = months_before(to_oslo(now).date(), 12 * organisation.retain_record_years)
    people = select(User.id).where(User.employment_ended_on.is_not(None),
                                   User.employment_ended_on <= ended,
                                   User.legal_hold_reason == "").correlate(None)
    return (select(Conversation.id).where(Conversation.employee_id.in_(people))
            .correlate(None))


def _approved_conversations(cutoff: datetime, record_due):
    """The conversations whose minutes are approved, last at or before `cutoff`, of
    employees not on legal hold, and not taken by the record rule."""
    approved_before = (
        select(MinutesVersion.minutes_id).where(MinutesVersion.decision == APPROVED)
        .group_by(MinutesVersion.minutes_id)
        .having(func.max(MinutesVersion.decided_at) <= cutoff).correlate(None)
    )
    return (
        select(Minutes.conversation_id).join(Conversation)
        .where(Minutes.state == APPROVED, Minutes.id.in_(approved_before),
               Conversation.employee_id.not_in(_held()),
               Conversation.id.not_in(record_due)).correlate(None)
    )


def _ids(key, column, within):
    """`key` of the rows whose `column` is in `within` (a query of ids)."""
    return select(key).where(column.in_(within)).correlate(None)


def _filled(*columns):
    return or_(*(column != "" for column in columns))


def _let_go_of_items(keys: list) -> None:
    db.session.execute(update(AgendaItem).where(AgendaItem.carried_from_id.in_(keys))
                       .values(carried_from_id=None)
                       .execution_options(synchronize_session=False))


def _let_go_of_actions(keys: list) -> None:
    db.session.execute(update(AgendaItem).where(AgendaItem.action_id.in_(keys))
                       .values(action_id=None).execution_options(synchronize_session=False))


def _record_steps(conversations) -> list[Step]:
    minutes = _ids(Minutes.id, Minutes.conversation_id, conversations)
    items = _ids(AgendaItem.id, AgendaItem.conversation_id, conversations)
    actions = _ids(Action.id, Action.conversation_id, conversations)
    return [
        Step(AgendaText, AgendaText.item_id.in_(items)),
        Step(AgendaItem, AgendaItem.conversation_id.in_(conversations),
             before=_let_go_of_items),
        Step(Pick, Pick.conversation_id.in_(conversations)),
        Step(MinutesShare, MinutesShare.conversation_id.in_(conversations)),
        Step(MinutesPoint, MinutesPoint.minutes_id.in_(minutes)),
        Step(MinutesVersion, MinutesVersion.minutes_id.in_(minutes)),
        Step(MinutesRemark, MinutesRemark.minutes_id.in_(minutes)),
        Step(Minutes, Minutes.conversation_id.in_(conversations)),
        Step(ActionUpdate, ActionUpdate.action_id.in_(actions)),
        Step(Action, Action.conversation_id.in_(conversations), before=_let_go_of_actions),
        Step(Conversation, Conversation.id.in_(conversations)
             & _filled(Conversation.message, Conversation.proposal_comment,
                       Conversation.employee_topics, Conversation.leader_topics),
             values={"message": "", "proposal_comment": "", "employee_topics": "",
                     "leader_topics": ""}),
    ]


def _preparation_steps(conversations) -> list[Step]:
    minutes = _ids(Minutes.id, Minutes.conversation_id, conversations)
    return [
        Step(Conversation, Conversation.id.in_(conversations)
             & _filled(Conversation.employee_topics, Conversation.leader_topics),
             values={"employee_topics": "", "leader_topics": ""}),
        Step(Pick, Pick.conversation_id.in_(conversations)
             & _filled(Pick.employee_note, Pick.leader_note),
             values={"employee_note": "", "leader_note": ""}),
        Step(MinutesPoint, MinutesPoint.minutes_id.in_(minutes)),
        Step(Minutes, Minutes.conversation_id.in_(conversations)
             & _filled(Minutes.reopen_request_comment),
             values={"reopen_request_comment": ""}),
    ]


def _agenda_steps(conversations) -> list[Step]:
    items = _ids(AgendaItem.id, AgendaItem.conversation_id, conversations)
    return [
        Step(AgendaText, AgendaText.item_id.in_(items)),
        Step(AgendaItem, AgendaItem.conversation_id.in_(conversations)
             & _filled(AgendaItem.text, AgendaItem.employee_note, AgendaItem.leader_note),
             values={"text": "", "employee_note": "", "leader_note": ""}),
    ]


def rules(organisation: Organisation, now: datetime) -> list[tuple[str, list[Step]]]:
    """Each kind with its steps, in the order they run. A period that is not at least 1
    (the settings refuse it; the database might still hold one) keeps its kind for good."""
    record_due = _record_conversations(organisation, now)
    found = []
    if organisation.retain_record_years >= 1:
        found.append((RECORD, _record_steps(record_due)))
    if organisation.retain_preparation_months >= 1:
        cutoff = months_before(now, organisation.retain_preparation_months)
        found.append((PREPARATION,
                      _preparation_steps(_approved_conversations(cutoff, record_due))))
    if organisation.retain_agenda_months >= 1:
        cutoff = months_before(now, organisation.retain_agenda_months)
        found.append((AGENDA, _agenda_steps(_approved_conversations(cutoff, record_due))))
    if organisation.retain_audit_years >= 1:
        cutoff = months_before(now, 12 * organisation.retain_audit_years)
        found.append((AUDIT, [Step(AuditEvent, AuditEvent.id < _first_kept_event(cutoff))]))
    return found


def _first_kept_event(cutoff: datetime):
    """The id of the first event the log keeps: the first at or after `cutoff`, or about a
    person on legal hold. NULL (nothing goes) when there is none."""
    held = _held()
    return (select(func.min(AuditEvent.id)).where(or_(
        AuditEvent.at >= cutoff, AuditEvent.actor_id.in_(held),
        AuditEvent.subject_user_id.in_(held),
        AuditEvent.conversation_id.in_(
            select(Conversation.id).where(Conversation.employee_id.in_(held))),
    )).scalar_subquery())


def _where_the_log_starts() -> dict:
    first = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
    return {"first_kept": first.id, "anchor": first.previous_hash}


def _rules(now: datetime | None):
    organisation = Organisation.current()
    return [] if organisation is None else rules(organisation, now or utcnow())


def plan(now: datetime | None = None) -> list[tuple[str, int]]:
    """What would go at `now`: each kind and how many rows (deleted or blanked); writes
    nothing."""
    return [(kind, sum(step.count() for step in steps)) for kind, steps in _rules(now)]


def run(now: datetime | None = None, batch: int = BATCH) -> list[tuple[str, int]]:
    """Delete (or blank) what has been kept long enough at `now`, at most `batch` rows per
    statement, each committed; each kind that had anything is recorded once in the audit
    log with its count. Returns each kind and its count."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    done = []
    for kind, steps in _rules(now):
        count = sum(step.run(batch) for step in steps)
        if count:
            record(AUDIT_ACTION, actor=None, kind=kind, count=count,
                   **(_where_the_log_starts() if kind == AUDIT else {}))
            db.session.commit()
        done.append((kind, count))
    db.session.commit()  # the last reads' transaction, so the worker does not keep it open
    return done
