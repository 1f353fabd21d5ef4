"""Mail that falls due by the calendar rather than by a change: the preparation reminders
before a conversation, the reminders of agreed actions, of an open round's people without
a conversation, and of the next meeting agreed in approved minutes. The outbox worker runs
it once a minute (`flask outbox worker`), `flask outbox send` once; so is the pruning of
sent mail older than OUTBOX_KEEP_SENT_DAYS, and, once a day in each process, retention
(medsamtale/retention)."""

from flask import current_app

from .account.export import build_pending_exports
from .extensions import db
from .followup.reminders import queue_action_reminders
from .mailqueue.services import prune_sent
from .minutes.next_meeting import queue_next_meeting_reminders
from .preparation.reminders import queue_preparation_reminders
from .retention import services as retention
from .rounds.reminders import queue_round_reminders
from .timeutil import oslo_today


def queue_scheduled() -> int:
    """Queue every reminder that has fallen due, delete sent mail kept long enough, build
    the copies people asked for of what the app holds about them (account/export.py:
    each emails its link) and, once a day, delete what retention says has been kept long
    enough; returns how many reminders were queued."""
    queued = queue_preparation_reminders() + queue_action_reminders()
    queued += queue_round_reminders() + queue_next_meeting_reminders()
    prune_sent()
    build_pending_exports()
    run_retention_daily()
    return queued


def run_retention_daily() -> None:
    """Delete what has been kept long enough, the first time this process is asked each day
    (Oslo's): a pass finding nothing due still reads each rule's tables, so not every
    minute."""
    today = oslo_today()
    if current_app.extensions.get("retention_ran_on") == today:
        return
    current_app.extensions["retention_ran_on"] = today
    try:
        retention.run()
    except Exception:  # logged, tried again tomorrow; the mail goes on meanwhile
        db.session.rollback()
        current_app.logger.exception("retention failed")
