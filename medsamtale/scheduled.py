"""Mail that falls due by the calendar rather than by a change: the preparation reminders
before a conversation, the reminders of agreed actions, of an open round's people without
a conversation, and of the next meeting agreed in approved minutes. The outbox worker runs
it once a minute (`flask outbox worker`), `flask outbox send` once; so is the pruning of
sent mail older than OUTBOX_KEEP_SENT_DAYS."""

from .followup.reminders import queue_action_reminders
from .mailqueue.services import prune_sent
from .minutes.next_meeting import queue_next_meeting_reminders
from .preparation.reminders import queue_preparation_reminders
from .rounds.reminders import queue_round_reminders


def queue_scheduled() -> int:
    """Queue every reminder that has fallen due, and delete sent mail kept long enough;
    returns how many emails were queued."""
    queued = queue_preparation_reminders() + queue_action_reminders()
    queued += queue_round_reminders() + queue_next_meeting_reminders()
    prune_sent()
    return queued
