"""Changes of a person's roles and leader: announced to the people they touch, and never
letting an HR admin lead anyone, unless the organisation asks for four eyes, when such a
change waits (PendingChange) until a second HR admin approves it.

HR reads no conversation; a leader reads their people's. So an HR admin who could make
themselves (or another HR admin) someone's leader could read what HR must not: after a
change, nobody with the HR role may be anyone's leader.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Action, Conversation, Organisation, PendingChange, Pick, User
from ..models.conversations import CLOSED_STATES
from ..models.hr_changes import APPROVED, PENDING, REJECTED
from ..outbox import queue_email
from ..roles import ROLE_LABELS
from ..timeutil import utcnow

ROLE_FIELDS = ("is_employee", "is_leader", "is_hr_admin")

# Why a change would let an HR admin lead someone: (the form's field, the message).
HR_LEADER_PROBLEMS = {
    "hr_leader": ("leader_id", _l("An HR admin cannot be anyone's leader. Choose a leader "
                                  "who is not an HR admin.")),
    "leads_people": ("is_hr_admin", _l("This person leads people, and an HR admin cannot be "
                                       "anyone's leader. Give their people another leader "
                                       "first.")),
    "own_leader_role": ("is_leader", _l("You cannot give yourself the leader role while you "
                                        "are an HR admin.")),
}


class FieldRefused(Refused):
    """A refusal that belongs next to one field of the form."""

    def __init__(self, message, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Wanted:
    """The roles and leader a person is to have."""

    is_employee: bool
    is_leader: bool
    is_hr_admin: bool
    leader: User | None

    @classmethod
    def from_form(cls, form) -> Wanted:
        return cls(*(bool(getattr(form, name).data) for name in ROLE_FIELDS), form.leader)

    @classmethod
    def from_pending(cls, change: PendingChange) -> Wanted:
        values = change.change
        leader_id = values.get("leader_id")
        return cls(*(bool(values[name]) for name in ROLE_FIELDS),
                   db.session.get(User, leader_id) if leader_id else None)

    def as_json(self) -> dict:
        return {**{name: getattr(self, name) for name in ROLE_FIELDS},
                "leader_id": self.leader.id if self.leader else None}

    @property
    def roles(self) -> list[str]:
        return [key for key, name in (("hr_admin", "is_hr_admin"), ("leader", "is_leader"),
                                      ("employee", "is_employee")) if getattr(self, name)]


def hr_leader_problem(user: User, wanted: Wanted, editor: User) -> str | None:
    """Why `wanted` would let an HR admin lead someone (a key of HR_LEADER_PROBLEMS)."""
    leader = wanted.leader
    if leader is not None and leader.id != user.leader_id and leader.is_hr_admin:
        return "hr_leader"
    if wanted.is_hr_admin and not user.is_hr_admin and user.id is not None and db.session.scalar(
        select(User.id).where(User.leader_id == user.id).limit(1)
    ) is not None:
        return "leads_people"
    if (user.id is not None and user.id == editor.id and wanted.is_hr_admin
            and wanted.is_leader and not user.is_leader):
        return "own_leader_role"
    return None


def four_eyes() -> bool:
    organisation = Organisation.current()
    return bool(organisation and organisation.second_hr_approver)


def check(user: User, wanted: Wanted, editor: User) -> bool:
    """Whether `wanted` must wait for a second HR admin; refused when it may not be made
    at all."""
    problem = hr_leader_problem(user, wanted, editor)
    if problem is None:
        return False
    if not four_eyes():
        field, message = HR_LEADER_PROBLEMS[problem]
        raise FieldRefused(message, field)
    return True


def apply(user: User, wanted: Wanted, by: User, announce: bool = True) -> None:
    """Give `user` the roles and leader of `wanted`; the people it touches are told."""
    roles_before, leader_before = list(user.roles), user.leader
    for name in ROLE_FIELDS:
        setattr(user, name, getattr(wanted, name))
    user.leader = wanted.leader
    if user.id is not None:
        hand_over(user, leader_before, wanted.leader)
    if not announce or user.id is None:
        return
    if set(user.roles) != set(roles_before):
        record("role_changed", subject=user, roles=user.roles)
        queue_email(user, "roles_changed", by=by.name, roles=_labels(user.roles),
                    before=_labels(roles_before))
    if (leader_before.id if leader_before else None) != (user.leader.id if user.leader else None):
        record("leader_changed", subject=user, leader_id=user.leader.id if user.leader else None)
        context = {"by": by.name, "person": user.name, "new_leader": _name(user.leader),
                   "old_leader": _name(leader_before)}
        queue_email(user, "leader_changed", audience="person", **context)
        for audience, leader in (("old", leader_before), ("new", user.leader)):
            if leader is not None:
                queue_email(leader, "leader_changed", audience=audience, **context)


def hand_over(person: User, old_leader: User | None, new_leader: User | None) -> None:
    """A person's new leader takes over their open conversation and the open actions of
    their conversations; the old leader no longer reaches either. The old leader's private
    preparation of that conversation is deleted: it was theirs, not the new leader's to
    read. Minutes already held stay with the leader who held them (the employee may share
    them with the new leader)."""
    if old_leader is None or new_leader is None or old_leader.id == new_leader.id:
        return
    conversation = db.session.scalar(
        select(Conversation).where(Conversation.employee_id == person.id,
                                   Conversation.leader_id == old_leader.id,
                                   Conversation.state.not_in(CLOSED_STATES)))
    if conversation is not None:
        conversation.leader = new_leader
        conversation.leader_topics, conversation.leader_ready_at = "", None
        db.session.execute(update(Pick).where(Pick.conversation_id == conversation.id)
                           .values(leader_note=""))
    db.session.execute(
        update(Action)
        .where(Action.leader_id == old_leader.id, Action.done_at.is_(None),
               Action.conversation_id.in_(
                   select(Conversation.id).where(Conversation.employee_id == person.id)))
        .values(leader_id=new_leader.id)
        .execution_options(synchronize_session=False))


def successor(person: User, leaving: User, tree) -> User | None:
    """Who leads `person` when their leader `leaving` goes: the leader of their unit, or of
    the nearest unit above it, else the leader of the one leaving; None when none of them
    can (deactivated, not a leader, an HR admin, or it would make a loop): HR chooses."""
    def can_lead(candidate: User | None) -> bool:
        return (candidate is not None and candidate.id != leaving.id and candidate.active
                and not candidate.is_hr_admin and person.leader_problem(candidate) is None)

    units_up = reversed(tree.ancestors(person.unit_id)) if person.unit_id else []
    for unit in units_up:
        if can_lead(unit.leader):
            return unit.leader
    return leaving.leader if can_lead(leaving.leader) else None


def hand_over_people(leaving: User, by: User) -> tuple[list[User], list[User]]:
    """A leader is leaving: each of their active people gets a successor (above), who takes
    over their open conversation and open actions; all of them are told. Returns the people
    who got a new leader, and those left for HR to give one."""
    from ..units.services import load_tree  # units import the people's models, not this

    people = [person for person in leaving.reports if person.active]
    if not people:
        return [], []
    tree = load_tree(with_leaders=True)
    moved, left = [], []
    for person in people:
        new_leader = successor(person, leaving, tree)
        if new_leader is None:
            left.append(person)
            continue
        apply(person, Wanted(person.is_employee, person.is_leader, person.is_hr_admin,
                             new_leader), by)
        moved.append(person)
    return moved, left


def _labels(roles: list[str]) -> list:
    return [ROLE_LABELS[role] for role in roles]


def _name(user: User | None) -> str | None:
    return user.name if user else None


# Four eyes ----------------------------------------------------------------------------------


def ask_second_approver(user: User, wanted: Wanted, by: User) -> PendingChange:
    change = PendingChange(subject=user, change=wanted.as_json(), requested_by=by,
                           state=PENDING)
    db.session.add(change)
    db.session.flush()
    record("four_eyes_requested", subject=user, change_id=change.id)
    return change


def pending(subject: User | None = None) -> list[PendingChange]:
    query = select(PendingChange).where(PendingChange.state == PENDING)
    if subject is not None:
        query = query.where(PendingChange.subject_id == subject.id)
    return list(db.session.scalars(query.order_by(PendingChange.id)))


def _decide(change: PendingChange, state: str, by: User) -> None:
    """Mark the change decided, once: the first write of the transaction, so two HR
    admins deciding at once give one decision."""
    result = db.session.execute(
        update(PendingChange).where(PendingChange.id == change.id,
                                    PendingChange.state == PENDING)
        .values(state=state, decided_by_id=by.id, decided_at=utcnow()),
        execution_options={"synchronize_session": "fetch"})
    if result.rowcount != 1:
        raise Refused(_l("This change has already been approved or rejected."))


def approve(change: PendingChange, by: User) -> None:
    """A second HR admin approves: the change is made and announced."""
    if change.requested_by_id == by.id:
        raise Refused(_l("Another HR admin must approve a change you asked for."))
    _decide(change, APPROVED, by)
    user, wanted = change.subject, Wanted.from_pending(change)
    if user.leader_problem(wanted.leader) or not wanted.roles or (
        user.is_leader and not wanted.is_leader and any(r.active for r in user.reports)
    ):
        raise Refused(_l("The change can no longer be made as asked, because people or roles "
                         "have changed since. Reject it and make the change again."))
    apply(user, wanted, by)
    record("four_eyes_approved", subject=user, change_id=change.id)


def reject(change: PendingChange, by: User) -> None:
    """A second HR admin rejects (or the one who asked withdraws): nothing changes."""
    _decide(change, REJECTED, by)
    record("four_eyes_rejected", subject=change.subject, change_id=change.id)


@dataclass
class PendingRow:
    """A pending change as the pages show it."""

    change: PendingChange
    wanted: Wanted

    @property
    def leader_changes(self) -> bool:
        return (self.wanted.leader.id if self.wanted.leader else None) != \
            self.change.subject.leader_id

    @property
    def labels(self) -> list:
        return _labels(self.wanted.roles)

    @property
    def roles_change(self) -> bool:
        return set(self.wanted.roles) != set(self.change.subject.roles)


def pending_rows(subject: User | None = None) -> list[PendingRow]:
    return [PendingRow(change, Wanted.from_pending(change)) for change in pending(subject)]
