"""The employee's remark (merknad) on approved minutes (issue 16, point 4): that they
disagree with, or want to correct, a point. The approved text does not change; the remark
is kept beside it, shown to both parties and in the print view and PDF of that version,
and the leader who held the conversation is told by email (without the remark's text,
which the mail provider has no need to carry). The caller commits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Conversation, Minutes, MinutesRemark, MinutesVersion, User
from ..models.minutes import APPROVED
from ..outbox import queue_email
from ..urls import public_url

ADDED = "minutes_remark_added"


def add_remark(conversation: Conversation, minutes: Minutes | None, employee: User,
               body: str) -> MinutesRemark:
    """The employee adds a remark to the approved minutes."""
    if conversation.employee_id != employee.id:
        raise Refused(_l("Only the employee adds remarks to the minutes."))
    if minutes is None or minutes.state != APPROVED or minutes.approved_version is None:
        raise Refused(_l("A remark can be added only to approved minutes. Nothing was saved."))
    remark = MinutesRemark(minutes_id=minutes.id, body=body, author_name=employee.name,
                           version_number=minutes.approved_version.number)
    db.session.add(remark)
    db.session.flush()
    record(ADDED, subject=employee, conversation=conversation, version=remark.version_number)
    queue_email(conversation.leader, "minutes_remark", conversation=conversation,
                link=public_url("minutes.show", conversation_id=conversation.id,
                                _anchor="remarks"))
    return remark


def remarks_on(version: MinutesVersion | None) -> list[MinutesRemark]:
    """The remarks written on this version, oldest first."""
    if version is None or version.decision != APPROVED:
        return []
    return list(db.session.scalars(
        select(MinutesRemark).where(MinutesRemark.minutes_id == version.minutes_id,
                                    MinutesRemark.version_number == version.number)
        .order_by(MinutesRemark.id)))
