"""The personnel file (R13): a person's earlier conversations and their minutes.

A person reads their own. A leader reads those of one of their people that they held
themselves; the conversations held by an earlier leader stay out of their sight.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Conversation, Minutes, User
from ..models.conversations import HELD


def archive_for(viewer: User, person: User) -> list[tuple[Conversation, Minutes | None]] | None:
    """The held conversations of `person` that `viewer` may read, newest first, each with
    its minutes; None for a viewer who is neither the person nor their leader."""
    query = (
        select(Conversation, Minutes)
        .outerjoin(Minutes, Minutes.conversation_id == Conversation.id)
        .where(Conversation.employee_id == person.id, Conversation.state == HELD)
        .order_by(Conversation.starts_at.desc())
        .options(selectinload(Minutes.versions), joinedload(Conversation.leader))
    )
    if person.id != viewer.id:
        query = query.where(Conversation.leader_id == viewer.id)
    rows = db.session.execute(query).all()
    if person.id != viewer.id and not rows and person.leader_id != viewer.id:
        return None
    return rows
