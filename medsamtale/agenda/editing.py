"""Changing the agenda during the meeting, by both parties at once, with no change ever
lost: texts are saved on the version they were typed on and merged with what was saved
since, items are added, removed, marked discussed and reordered (salary and conditions stay
last, R8).

Every change raises the agenda version (live.bump) and stamps the changed items with it.
The texts come validated from the forms (agenda.forms).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..errors import Refused
from ..extensions import db
from ..models import AgendaItem, AgendaText, Conversation
from ..models.agenda import ADDED, EMPLOYEE_TOPIC, LEADER_TOPIC, TEXT_FIELDS
from ..models.conversations import IN_PROGRESS
from ..sealing.scoping import scoped
from .live import bump, typing
from .merging import Merged, merge


class Conflict(Refused):
    """A save typed on an older version of a text than the one stored: the person sees
    both texts and chooses. Nothing is overwritten unseen."""

    def __init__(self, item: AgendaItem, field: str, yours: str):
        super().__init__(_l("Someone else changed this text while you were writing."))
        self.item, self.field, self.yours = item, field, yours


def check_in_progress(conversation: Conversation) -> None:
    if conversation.state != IN_PROGRESS:
        raise Refused(_l("The meeting is not in progress, so the agenda cannot change."))


# Items whose text the parties write in the meeting: their own topics and what they add. A
# question's text (and what follows up an earlier conversation) is read, not rewritten.
TEXT_EDITABLE = frozenset({EMPLOYEE_TOPIC, LEADER_TOPIC, ADDED})


def text_is_editable(item: AgendaItem) -> bool:
    return item.section in TEXT_EDITABLE


def live_items(conversation: Conversation) -> list[AgendaItem]:
    """The agenda's items in order, without the removed ones."""
    return db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conversation_id == conversation.id, AgendaItem.removed.is_(False))
        .order_by(AgendaItem.position, AgendaItem.id)
        .options(selectinload(AgendaItem.action))
    ).all()


def _item(conversation: Conversation, item_id: int | None) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id) if item_id else None
    if item is None or item.conversation_id != conversation.id:
        raise Refused(_l("That item is not on this agenda."))
    if item.removed:
        raise Refused(_l("That item has been removed from the agenda."))
    return item


@dataclass(frozen=True)
class Saved:
    """A text as saved: its new version and what it now says, which differs from what was
    sent when the other party's changes were merged in; `caret` is where the sender's
    caret (given as a place in what they sent) is in it."""

    version: int
    text: str
    caret: int | None = None


SENT = "sent"  # the text was typed on what its author last sent, not on what that became


def save_text(conversation: Conversation, item_id: int, field: str, value: str,
              base_version: int, *, author_id: int, basis: str = "", caret: int | None = None,
              ) -> Saved:
    """Save one text typed on `base_version` of it (with `basis` SENT: on what `author_id`
    sent for that version). What was saved since is merged in; when both changed the same
    words, Conflict: the person sees both texts and chooses, and nothing is overwritten."""
    check_in_progress(conversation)
    if field not in TEXT_FIELDS:
        raise Refused(_l("That is not a text of an agenda item."))
    item = _item(conversation, item_id)
    if getattr(item, field) == value and item.version_of(field) >= base_version >= 1:
        return Saved(item.version_of(field), value, caret)  # nothing to save
    version = bump(conversation)  # from here on, no other change of this agenda runs
    db.session.refresh(item)
    current_version, current = item.version_of(field), getattr(item, field)
    if base_version < 1 or base_version > current_version:
        raise Refused(_l("The version sent with the text is not one this text has had."))
    base = current if (base_version, basis) == (current_version, "") else _text_at(
        item, field, base_version, basis, author_id)
    merged = Merged(value, ()) if base == current else merge(base, value, current)
    if merged is None:
        raise Conflict(item, field, value)
    if current_version == 1:  # the text as the agenda was built, for saves typed on it
        db.session.add(AgendaText(item_id=item.id, field=field, version=1, text=current))
    new_version = current_version + 1
    column = getattr(AgendaItem, f"{field}_version")
    db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.id == item.id, column == current_version)
        .values(scoped(item, {field: merged.text, column.key: new_version,
                              "changed_in": version}))
        .execution_options(synchronize_session=False)
    )
    db.session.add(AgendaText(item_id=item.id, field=field, version=new_version,
                              text=merged.text, sent=value, author_id=author_id))
    typing(conversation, author_id, item.id)
    return Saved(new_version, merged.text, None if caret is None else merged.caret(caret))


def _text_at(item: AgendaItem, field: str, version: int, basis: str, author_id: int) -> str:
    kept = db.session.get(AgendaText, (item.id, field, version))
    if kept is None:
        raise Refused(_l("The version sent with the text is not one this text has had."))
    if basis == SENT and kept.author_id == author_id and kept.sent is not None:
        return kept.sent
    return kept.text


def add_item(conversation: Conversation, text: str) -> AgendaItem:
    """Add an item; the same item sent twice with nothing between (a double click, a form
    sent again) is added once."""
    check_in_progress(conversation)
    version = bump(conversation)
    items = live_items(conversation)
    again = next((i for i in items if i.section == ADDED and i.text == text
                  and i.changed_in == version - 1), None)
    if again is not None:
        return again
    # Added items go after everything but salary and conditions (R8).
    position = max((i.position for i in items if not i.is_salary), default=-1) + 1
    for later in items:
        if later.position >= position:
            later.position += 1
            later.changed_in = version
    item = AgendaItem(conversation_id=conversation.id, section=ADDED, text=text,
                      position=position, changed_in=version)
    db.session.add(item)
    return item


def remove_item(conversation: Conversation, item_id: int) -> None:
    check_in_progress(conversation)
    item = _item(conversation, item_id)
    item.removed = True
    item.changed_in = bump(conversation)


def set_discussed(conversation: Conversation, item_id: int, discussed: bool) -> None:
    check_in_progress(conversation)
    item = _item(conversation, item_id)
    item.discussed = discussed
    item.changed_in = bump(conversation)


def move_item(conversation: Conversation, item_id: int, step: int) -> None:
    """Swap with the neighbour; salary and conditions stay below everything else (R8)."""
    check_in_progress(conversation)
    item = _item(conversation, item_id)
    items = live_items(conversation)
    index = items.index(item)
    other = index + step
    if step not in (-1, 1) or not 0 <= other < len(items):
        raise Refused(_l("That item cannot move further."))
    if items[other].is_salary != item.is_salary:
        raise Refused(_l("Salary and conditions stay last on the agenda."))
    items[index], items[other] = items[other], items[index]
    _renumber(conversation, items)


def reorder(conversation: Conversation, item_ids: list[int]) -> None:
    """Put the agenda in the given order, which must name exactly its items."""
    check_in_progress(conversation)
    items = live_items(conversation)
    if sorted(item_ids) != sorted(i.id for i in items):
        raise Refused(_l("The new order must list exactly the items of this agenda."))
    by_id = {i.id: i for i in items}
    ordered = [by_id[i] for i in item_ids]
    first_salary = next((n for n, i in enumerate(ordered) if i.is_salary), len(ordered))
    if any(not i.is_salary for i in ordered[first_salary:]):
        raise Refused(_l("Salary and conditions stay last on the agenda."))
    _renumber(conversation, ordered)


def _renumber(conversation: Conversation, ordered: list[AgendaItem]) -> None:
    """Give the items their places in `ordered`, stamping those that moved."""
    version = bump(conversation)
    for position, each in enumerate(ordered):
        if each.position != position:
            each.position = position
            each.changed_in = version
