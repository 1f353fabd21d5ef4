"""Mail that falls due by the calendar rather than by a change: the preparation reminders
before a conversation and the reminders of agreed actions. The outbox worker runs it once
a minute (`flask outbox worker`), `flask outbox send` once."""

from .followup.reminders import queue_action_reminders
from .preparation.reminders import queue_preparation_reminders


def queue_scheduled() -> int:
    """Queue every reminder that has fallen due; returns how many emails were queued."""
    return queue_preparation_reminders() + queue_action_reminders()
