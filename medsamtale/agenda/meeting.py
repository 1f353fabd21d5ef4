"""Starting and ending the meeting: the shared agenda is built at the start from both
parties' preparation (R7, R5, R4, R8); at the end, what was not discussed may be carried
over to the next conversation.

Opening the minutes when the meeting ends is the next step, which the caller takes
(medsamtale.flow), so that the agenda does not depend on the minutes.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from ..errors import Refused
from ..extensions import db
from ..followup.services import actions_to_review
from ..models import AgendaItem, AgendaText, Conversation, Pick, Question
from ..models.agenda import EMPLOYEE_TOPIC, FOLLOW_UP, LEADER_TOPIC, QUESTION, SALARY
from ..models.conversations import HELD, IN_PROGRESS, PREPARATION_STATES, READY
from ..timeutil import to_oslo, utcnow
from .editing import check_in_progress
from .live import bump


def can_start(conversation: Conversation) -> bool:
    return conversation.is_sent and conversation.state in (*PREPARATION_STATES, READY)


def may_start_early(conversation: Conversation, now: datetime | None = None) -> bool:
    """The leader may start the meeting before its time once the employee has said the
    preparation is ready, or on the planned day (Oslo): until then the employee's notes
    and picks are theirs alone."""
    if not can_start(conversation):
        return False
    return conversation.employee_ready_at is not None or not is_before_its_day(conversation, now)


def is_before_its_day(conversation: Conversation, now: datetime | None = None) -> bool:
    """True before the conversation's planned day (Oslo): starting it then asks first."""
    return to_oslo(now or utcnow()).date() < to_oslo(conversation.starts_at).date()


def is_due(conversation: Conversation, now: datetime | None = None) -> bool:
    """The agenda opens by itself at the planned time."""
    return can_start(conversation) and (now or utcnow()) >= conversation.starts_at


def start(conversation: Conversation) -> None:
    """Start the meeting and build its agenda from both parties' preparation."""
    # Take the lock first, then look again: both parties may open it at the same moment,
    # and the one who comes second finds it started.
    version = bump(conversation)
    db.session.refresh(conversation)
    if conversation.state == IN_PROGRESS:
        return
    if not can_start(conversation):
        raise Refused(_l("This conversation cannot be started."))
    if not (may_start_early(conversation) or is_due(conversation)):
        raise Refused(_l("The meeting can start on its planned day, or before once the "
                         "employee has said the preparation is ready."))
    conversation.started_at = utcnow()
    conversation.proposed_starts_at = None
    conversation.refresh_state()
    conversation.record_change("started")
    for position, item in enumerate(_build(conversation)):
        item.position = position
        item.changed_in = version
        db.session.add(item)


def _build(conversation: Conversation) -> list[AgendaItem]:
    """Follow-up of the last conversation (R7): its actions, then the items it carried
    over; the picked questions in the employee's order (R5, R6), the employee's topics (R4),
    the leader's topics, salary last (R8). What comes from a conversation with another
    leader is withheld: the new leader does not inherit the past."""
    previous = previous_held_id(conversation)
    leader_id = conversation.leader_id
    items = [
        AgendaItem(conversation_id=conversation.id, section=FOLLOW_UP, action_id=action.id,
                   **_followed_up(action.what, action.conversation.leader_id == leader_id))
        for action in actions_to_review(conversation.employee_id, previous)
    ]
    salary = []
    carried_known = previous is not None and (
        db.session.get(Conversation, previous).leader_id == leader_id)
    for old in carried_items(previous):
        known = carried_known and not old.withheld
        carried = AgendaItem(
            conversation_id=conversation.id,
            section=SALARY if old.is_salary and known else FOLLOW_UP,
            carried_from_id=old.id, **_followed_up(old.text, known),
            **({"prompts": old.prompts, "question_id": old.question_id} if known else {}),
        )
        (salary if carried.is_salary else items).append(carried)
    picks = db.session.scalars(
        select(Pick).where(Pick.conversation_id == conversation.id)
        .order_by(Pick.position, Pick.id)
        .options(selectinload(Pick.question).selectinload(Question.prompts),
                 selectinload(Pick.question).joinedload(Question.theme))
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
        (salary if item.is_salary else items).append(item)
    for section, topics in (
        (EMPLOYEE_TOPIC, conversation.employee_topic_list),
        (LEADER_TOPIC, conversation.leader_topic_list),
    ):
        items += [AgendaItem(conversation_id=conversation.id, section=section, text=topic)
                  for topic in topics]
    return items + salary


def _followed_up(text: str, known: bool) -> dict:
    """What a follow-up item says: its text, or, from a conversation the leader was no
    party to, nothing but that it is there."""
    return {"text": text} if known else {"text": "", "withheld": True}


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
    check_in_progress(conversation)
    conversation.held_at = utcnow()
    conversation.refresh_state()
    conversation.record_change("ended")
    version = bump(conversation)
    # The texts' earlier versions were kept only to merge saves made during the meeting.
    db.session.execute(delete(AgendaText).where(AgendaText.item_id.in_(
        select(AgendaItem.id).where(AgendaItem.conversation_id == conversation.id))))
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
