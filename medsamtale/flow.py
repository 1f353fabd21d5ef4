"""The steps of a conversation that pass from one area to the next, taken here so that no
area depends on another in a loop: ending the meeting (agenda) opens the minutes (minutes).
"""

from .agenda import editing, meeting
from .minutes import drafting


def end_meeting(conversation, carry_ids: set[int]) -> None:
    """End the meeting, carrying the chosen items over, and open the minutes, which the
    employee is asked by email to write."""
    meeting.end(conversation, carry_ids)
    drafting.open_minutes(conversation, _discussed(conversation))


def minutes_of_held(conversation):
    """The minutes of a held conversation; for one held before minutes existed, opened now
    without asking anybody by email."""
    minutes = drafting.minutes_of(conversation)
    if minutes is None:
        minutes = drafting.open_minutes(conversation, _discussed(conversation), notify=False)
    return minutes


def _discussed(conversation):
    return [item for item in editing.live_items(conversation) if item.discussed]
