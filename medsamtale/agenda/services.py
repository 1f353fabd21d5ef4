"""The shared agenda: built when the meeting starts, changed by both parties at once, with
no change ever lost (R7–R10).

Every change raises the conversation's `agenda_version` in the same transaction and stamps
the changed items with it; on PostgreSQL it also NOTIFYs the channel of the conversation
with that version, which the event stream passes on to the browsers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update

from ..conversations.services import ConversationRefused
from ..extensions import db
from ..followup.services import actions_to_review
from ..minutes.services import open_minutes
from ..models import AgendaItem, AgendaPresence, Conversation, Pick, Question
from ..models.agenda import (
    ADDED,
    EMPLOYEE_TOPIC,
    FOLLOW_UP,
    ITEM_TEXT_MAX,
    LEADER_TOPIC,
    QUESTION,
    SALARY,
    TEXT_FIELDS,
)
from ..models.conversations import HELD, IN_PROGRESS, PREPARATION_STATES, READY
from ..timeutil import utcnow

PRESENT_SECONDS = 20  # a party counts as present this long after their last heartbeat


class AgendaRefused(ConversationRefused):
    pass


@dataclass
class Conflict(Exception):
    """A save typed on an older version of a text than the one stored."""

    item: AgendaItem
    field: str
    yours: str


def channel(conversation_id: int) -> str:
    return f"agenda_{conversation_id}"


# Starting and ending ---------------------------------------------------------------------------


def can_start(conversation: Conversation) -> bool:
    return conversation.is_sent and conversation.state in (*PREPARATION_STATES, READY)


def is_due(conversation: Conversation, now: datetime | None = None) -> bool:
    """The agenda opens by itself at the planned time."""
    return can_start(conversation) and (now or utcnow()) >= conversation.starts_at


def start(conversation: Conversation) -> None:
    """Start the meeting and build its agenda from both parties' preparation."""
    # Take the lock first, then look again: both parties may open it at the same moment.
    version = _bump(conversation)
    db.session.refresh(conversation)
    if not can_start(conversation):
        raise AgendaRefused(_l("This conversation cannot be started."))
    conversation.started_at = utcnow()
    conversation.proposed_starts_at = None
    conversation.refresh_state()
    for position, item in enumerate(_build(conversation)):
        item.position = position
        item.changed_in = version
        db.session.add(item)


def _build(conversation: Conversation) -> list[AgendaItem]:
    """Follow-up of the last conversation (R7): its actions, then the items it carried
    over; the picked questions in the employee's order (R5, R6), the employee's topics (R4),
    the leader's topics, salary last (R8)."""
    previous = previous_held_id(conversation)
    items = [
        AgendaItem(conversation_id=conversation.id, section=FOLLOW_UP,
                   text=action.what[:ITEM_TEXT_MAX], action_id=action.id)
        for action in actions_to_review(conversation.employee_id, previous)
    ]
    salary = []
    for old in carried_items(previous):
        carried = AgendaItem(
            conversation_id=conversation.id, section=SALARY if old.is_salary else FOLLOW_UP,
            text=old.text, prompts=old.prompts, question_id=old.question_id,
            carried_from_id=old.id,
        )
        (salary if carried.is_salary else items).append(carried)
    picks = db.session.scalars(
        select(Pick).where(Pick.conversation_id == conversation.id)
        .order_by(Pick.position, Pick.id)
    ).all()
    for pick in picks:
        question: Question = pick.question
        item = AgendaItem(
            conversation_id=conversation.id,
            section=SALARY if question.theme.is_salary else QUESTION,
            text=question.text,
            question_id=question.id,
            prompts="\n".join(prompt.text for prompt in question.prompts),
            employee_note=pick.employee_note,
            leader_note=pick.leader_note,
        )
        (salary if item.section == SALARY else items).append(item)
    for section, topics in (
        (EMPLOYEE_TOPIC, conversation.employee_topic_list),
        (LEADER_TOPIC, conversation.leader_topic_list),
    ):
        items += [
            AgendaItem(conversation_id=conversation.id, section=section,
                       text=topic[:ITEM_TEXT_MAX])
            for topic in topics
        ]
    return items + salary


def previous_held_id(conversation: Conversation) -> int | None:
    """The employee's last conversation before this one that was held."""
    return db.session.scalar(
        select(Conversation.id)
        .where(
            Conversation.employee_id == conversation.employee_id,
            Conversation.state == HELD,
            Conversation.id != conversation.id,
        )
        .order_by(Conversation.starts_at.desc())
        .limit(1)
    )


def carried_items(previous: int | None) -> list[AgendaItem]:
    """What the employee's previous held conversation carried over."""
    if previous is None:
        return []
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == previous, AgendaItem.carry_over)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def end(conversation: Conversation, carry_ids: set[int]) -> None:
    """End the meeting; the chosen items not discussed open the next conversation."""
    _editable(conversation)
    conversation.held_at = utcnow()
    conversation.refresh_state()
    version = _bump(conversation)
    db.session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.conversation_id == conversation.id,
            AgendaItem.id.in_(carry_ids or {0}),
            AgendaItem.discussed.is_(False),
            AgendaItem.removed.is_(False),
        )
        .values(carry_over=True, changed_in=version)
    )
    open_minutes(conversation)


# Changes ---------------------------------------------------------------------------------------


def _editable(conversation: Conversation) -> None:
    if conversation.state != IN_PROGRESS:
        raise AgendaRefused(_l("The meeting is not in progress, so the agenda cannot change."))


def _bump(conversation: Conversation) -> int:
    """Raise agenda_version in the database (which also serialises concurrent changes of
    one agenda) and tell listeners on PostgreSQL; returns the new version."""
    version = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(agenda_version=Conversation.agenda_version + 1)
        .returning(Conversation.agenda_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    conversation.agenda_version = version
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_notify(:channel, :version)"),
            {"channel": channel(conversation.id), "version": str(version)},
        )
    return version


def _item(conversation: Conversation, item_id: int | None) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id) if item_id else None
    if item is None or item.conversation_id != conversation.id:
        raise AgendaRefused(_l("That item is not on this agenda."))
    if item.removed:
        raise AgendaRefused(_l("That item has been removed from the agenda."))
    return item


def clean_text(field: str, value: str) -> str:
    value = (value or "").strip() if field == "text" else (value or "").rstrip()
    if field == "text" and not value:
        raise AgendaRefused(_l("An item needs a text."))
    limit = TEXT_FIELDS[field]
    if len(value) > limit:
        raise AgendaRefused(_l("At most %(max)d characters.", max=limit))
    return value


def save_text(
    conversation: Conversation, item_id: int, field: str, value: str, base_version: int
) -> int:
    """Save one text typed on `base_version`; return the text's new version.

    Raises Conflict when the stored text has moved on since `base_version` and differs from
    `value`: the person then sees both texts and chooses. Nothing is overwritten unseen.
    """
    _editable(conversation)
    if field not in TEXT_FIELDS:
        raise AgendaRefused(_l("That is not a text of an agenda item."))
    value = clean_text(field, value)
    item = _item(conversation, item_id)
    current = item.version_of(field)
    if base_version < 1 or base_version > current:
        raise AgendaRefused(_l("The version sent with the text is not one this text has had."))
    if getattr(item, field) == value:
        return current
    version = _bump(conversation)
    column = getattr(AgendaItem, f"{field}_version")
    saved = db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.id == item.id, column == base_version, AgendaItem.removed.is_(False))
        .values({field: value, column: column + 1, "changed_in": version})
        .execution_options(synchronize_session=False)
    ).rowcount
    if saved != 1:
        db.session.refresh(item)
        raise Conflict(item, field, value)
    return base_version + 1


def add_item(conversation: Conversation, text_value: str) -> AgendaItem:
    _editable(conversation)
    value = clean_text("text", text_value)
    version = _bump(conversation)
    items = live_items(conversation)
    # Added items go after everything but salary and conditions (R8).
    position = max((i.position for i in items if not i.is_salary), default=-1) + 1
    for later in items:
        if later.position >= position:
            later.position += 1
            later.changed_in = version
    item = AgendaItem(
        conversation_id=conversation.id, section=ADDED, text=value, position=position,
        changed_in=version,
    )
    db.session.add(item)
    return item


def remove_item(conversation: Conversation, item_id: int) -> None:
    _editable(conversation)
    item = _item(conversation, item_id)
    item.removed = True
    item.changed_in = _bump(conversation)


def set_discussed(conversation: Conversation, item_id: int, discussed: bool) -> None:
    _editable(conversation)
    item = _item(conversation, item_id)
    item.discussed = discussed
    item.changed_in = _bump(conversation)


def move_item(conversation: Conversation, item_id: int, step: int) -> None:
    """Swap with the neighbour; salary and conditions stay below everything else (R8)."""
    _editable(conversation)
    item = _item(conversation, item_id)
    items = live_items(conversation)
    index = items.index(item)
    other = index + step
    if step not in (-1, 1) or not 0 <= other < len(items):
        raise AgendaRefused(_l("That item cannot move further."))
    if items[other].is_salary != item.is_salary:
        raise AgendaRefused(_l("Salary and conditions stay last on the agenda."))
    version = _bump(conversation)
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        if each.position != position:
            each.position = position
            each.changed_in = version


def reorder(conversation: Conversation, item_ids: list[int]) -> None:
    """Put the agenda in the given order, which must name exactly its items."""
    _editable(conversation)
    items = live_items(conversation)
    if sorted(item_ids) != sorted(i.id for i in items):
        raise AgendaRefused(_l("The new order must list exactly the items of this agenda."))
    by_id = {i.id: i for i in items}
    ordered = [by_id[i] for i in item_ids]
    first_salary = next((n for n, i in enumerate(ordered) if i.is_salary), len(ordered))
    if any(not i.is_salary for i in ordered[first_salary:]):
        raise AgendaRefused(_l("Salary and conditions stay last on the agenda."))
    version = _bump(conversation)
    for position, each in enumerate(ordered):
        if each.position != position:
            each.position = position
            each.changed_in = version


def live_items(conversation: Conversation) -> list[AgendaItem]:
    """The agenda's items in order, without the removed ones."""
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == conversation.id, AgendaItem.removed.is_(False))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


# Reading ----------------------------------------------------------------------------------------


def changes_since(conversation: Conversation, since: int) -> list[AgendaItem]:
    """Items changed after agenda version `since`, removed ones included."""
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == conversation.id, AgendaItem.changed_in > since)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def mark_present(conversation: Conversation, user_id: int) -> bool:
    """Record the heartbeat of `user_id`; True when the other party is present too."""
    now = utcnow()
    presence = db.session.get(AgendaPresence, (conversation.id, user_id))
    if presence is None:
        db.session.add(AgendaPresence(conversation_id=conversation.id, user_id=user_id,
                                      seen_at=now))
    else:
        presence.seen_at = now
    other = conversation.leader_id if user_id == conversation.employee_id else (
        conversation.employee_id
    )
    seen = db.session.scalar(
        select(func.max(AgendaPresence.seen_at)).where(
            AgendaPresence.conversation_id == conversation.id, AgendaPresence.user_id == other
        )
    )
    return seen is not None and (now - seen).total_seconds() <= PRESENT_SECONDS
