"""What each server process knows of the meetings under way: one listener per process for
the agenda's notifications (PostgreSQL), passed on to that process's open event streams,
and who is at which agenda and typing where.

On PostgreSQL a change of an agenda is announced with NOTIFY on the channel "agenda" in the
transaction that makes it (live.bump); so is each party's arrival, presence, departure and
typing, from their event stream. One connection per process LISTENs and hands each
notification to the streams that follow its conversation: a stream holds no database
connection and, under gunicorn's gevent worker, no thread, only a queue it waits on.

Each process also keeps the version of every agenda it has heard of, so that a poll that
finds nothing new is answered from memory (live.known_unchanged): a 204 says nothing but
that nothing changed. That knowledge holds only while the listener is connected, and is
dropped whenever it (re)connects, since notes may have been missed.

Without PostgreSQL (SQLite, one process) the browser polls; the polls and the saves tell
this process's hub directly who is here and who is typing, so nothing is written to the
database every few seconds for presence. A version a poll read from the database answers
the polls after it from memory for CONFIRMED_SECONDS, unless this process commits a change
of that agenda meanwhile (`changed_here`, after the commit): the one process makes every
change, and the few seconds bound what a second one, set up against the advice, could hide.

A notification's payload is "<conversation id> <kind> <user id> <rest>": `changed 0
<version>`, `here <user> <stream>`, `gone <user> <stream>`, `typing <user> <item id>`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import psycopg

CHANNEL = "agenda"
HERE_EVERY_SECONDS = 20  # a stream says it is still here this often (a leaving one says so)
GONE_AFTER_SECONDS = 50  # a party not heard of for this long has left (a process died)
POLL = "poll"  # the stream name of a party who polls
POLL_GONE_AFTER_SECONDS = 3  # polls come twice a second
TYPING_SECONDS = 4  # "X is typing" shows this long after their last save
RECONNECT_SECONDS = 1
ALLOWED_SECONDS = 60  # a session found to be a party answers polls from memory this long
ALLOWED_KEPT = 50_000
# Without PostgreSQL (one process, which makes every change of an agenda): a version read
# from the database answers polls from memory this long, unless this process changes it.
CONFIRMED_SECONDS = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Note:
    conversation_id: int
    kind: str
    user_id: int
    rest: str = ""

    @classmethod
    def parse(cls, payload: str) -> Note | None:
        parts = payload.split(" ", 3)
        if len(parts) < 3 or not (parts[0].isdigit() and parts[2].isdigit()):
            return None
        return cls(int(parts[0]), parts[1], int(parts[2]), parts[3] if len(parts) > 3 else "")

    def payload(self) -> str:
        return f"{self.conversation_id} {self.kind} {self.user_id} {self.rest}".rstrip()


@dataclass
class Presence:
    """Who of a conversation's parties is here, from notes heard: each party's streams
    (or, when polling, their last poll) and when each was last heard of; who types where."""

    streams: dict[int, dict[str, float]] = field(default_factory=dict)  # user: stream: seen
    typing: dict[int, tuple[int, float]] = field(default_factory=dict)  # user: (item, when)

    def hear(self, note: Note, now: float) -> bool:
        """Take in `note`; True when it changes who is here or who is typing where."""
        before = self.state(now)
        if note.kind == "here":
            self.streams.setdefault(note.user_id, {})[note.rest] = now
        elif note.kind == "gone":
            self.streams.get(note.user_id, {}).pop(note.rest, None)
        elif note.kind == "typing" and note.rest.isdigit():
            self.typing[note.user_id] = (int(note.rest), now)
        return self.state(now) != before

    def here(self, user_id: int, now: float) -> bool:
        seen = self.streams.get(user_id, {})
        return any(now - when < (POLL_GONE_AFTER_SECONDS if name == POLL else GONE_AFTER_SECONDS)
                   for name, when in seen.items())

    def typing_in(self, user_id: int, now: float) -> int | None:
        item, when = self.typing.get(user_id, (None, 0.0))
        return item if now - when < TYPING_SECONDS and self.here(user_id, now) else None

    def shown(self, user_id: int, now: float | None = None) -> str:
        """What a page shows of `user_id`, here and typing where, as "1:12" (here, typing
        in item 12) or "0:": a polling page says what it shows, and hears only of a change."""
        now = time.monotonic() if now is None else now
        return f"{int(self.here(user_id, now))}:{self.typing_in(user_id, now) or ''}"

    def state(self, now: float) -> tuple:
        users = sorted(self.streams.keys() | self.typing.keys())
        return tuple((u, self.here(u, now), self.typing_in(u, now)) for u in users)


class Hub:
    """This process's listener: streams follow a conversation and get its notes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._followers: dict[int, set[queue.Queue]] = {}
        self._url: str | None = None
        self._listener: threading.Thread | None = None
        self._publisher: psycopg.Connection | None = None
        self._publishing = threading.Lock()
        self.presence: dict[int, Presence] = {}  # for polling: conversation: presence
        # What polls are answered from (PostgreSQL): each agenda's version as heard, while
        # `generation` (raised at each connect and disconnect of the listener) stays.
        self._versions: dict[int, int] = {}
        self._allowed: dict[tuple[int, str], float] = {}  # (conversation, session): until
        # Without PostgreSQL: conversation: (version, employee, leader, until).
        self._confirmed: dict[int, tuple[int, int, int, float]] = {}
        self._listening = False
        self.generation = 0

    # Streams ----------------------------------------------------------------------------

    def follow(self, url: str, conversation_id: int) -> queue.Queue:
        """A queue that gets each note about `conversation_id` from now on."""
        follower: queue.Queue = queue.Queue()
        with self._lock:
            self._followers.setdefault(conversation_id, set()).add(follower)
        self.listen(url)
        return follower

    def listen(self, url: str) -> None:
        """Start this process's listener, unless it runs."""
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._url = url
                self._listener = threading.Thread(target=self._listen, daemon=True,
                                                  name="agenda-listener")
                self._listener.start()

    def unfollow(self, conversation_id: int, follower: queue.Queue) -> None:
        with self._lock:
            followers = self._followers.get(conversation_id, set())
            followers.discard(follower)
            if not followers:
                self._followers.pop(conversation_id, None)

    def streams(self) -> int:
        with self._lock:
            return sum(len(f) for f in self._followers.values())

    def publish(self, url: str, note: Note) -> None:
        """NOTIFY `note` to every process, on this process's connection for sending."""
        with self._publishing:
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.closed:
                        self._publisher = psycopg.connect(url, autocommit=True)
                    self._publisher.execute("SELECT pg_notify(%s, %s)",
                                            (CHANNEL, note.payload()))
                    return
                except psycopg.OperationalError:
                    self._publisher = None
                    if attempt == 2:
                        raise

    def _listen(self) -> None:
        while True:
            try:
                with psycopg.connect(self._url, autocommit=True) as connection:
                    connection.execute(f'LISTEN "{CHANNEL}"')
                    self._forget(listening=True)
                    self._dispatch_all(Note(0, "listening", 0))
                    for notification in connection.notifies():
                        note = Note.parse(notification.payload)
                        if note is not None:
                            self._dispatch(note)
            except psycopg.Error as error:
                log.warning("agenda listener lost its connection: %s", error)
                self._forget(listening=False)
                time.sleep(RECONNECT_SECONDS)

    def _forget(self, listening: bool) -> None:
        with self._lock:
            self._versions.clear()
            self._listening = listening
            self.generation += 1

    def _dispatch(self, note: Note) -> None:
        with self._lock:
            if note.kind == "changed" and note.rest.isdigit():  # before any stream polls
                self._hear_version(note.conversation_id, int(note.rest))
            followers = list(self._followers.get(note.conversation_id, ()))
        for follower in followers:
            follower.put(note)

    def _dispatch_all(self, note: Note) -> None:
        """To every stream: the listener (re)connected, so what was missed is fetched."""
        with self._lock:
            followers = [f for fs in self._followers.values() for f in fs]
        for follower in followers:
            follower.put(note)

    # Answering polls from memory (PostgreSQL) ----------------------------------------------

    def _hear_version(self, conversation_id: int, version: int) -> None:
        self._versions[conversation_id] = max(version, self._versions.get(conversation_id, 0))

    def known_version(self, conversation_id: int) -> int | None:
        """The agenda's version as this process knows it for sure, if it does."""
        with self._lock:
            return self._versions.get(conversation_id) if self._listening else None

    def learn_version(self, conversation_id: int, version: int, generation: int) -> None:
        """`version` was read from the database while the listener was at `generation`."""
        with self._lock:
            if self._listening and generation == self.generation:
                self._hear_version(conversation_id, version)

    def allow(self, conversation_id: int, session_id: str) -> None:
        """The session was found to be a party's, in the database."""
        with self._lock:
            if len(self._allowed) >= ALLOWED_KEPT:
                self._allowed.clear()
            self._allowed[conversation_id, session_id] = time.monotonic() + ALLOWED_SECONDS

    def allowed(self, conversation_id: int, session_id: str) -> bool:
        return self._allowed.get((conversation_id, session_id), 0.0) > time.monotonic()

    # Polling without PostgreSQL --------------------------------------------------------

    def confirm(self, conversation_id: int, version: int, employee_id: int, leader_id: int,
                generation: int) -> None:
        """`version` was read from the database (no PostgreSQL) while this process's
        changes were at `generation`."""
        with self._lock:
            if generation == self.generation:
                if len(self._confirmed) >= ALLOWED_KEPT:
                    self._confirmed.clear()
                self._confirmed[conversation_id] = (
                    version, employee_id, leader_id, time.monotonic() + CONFIRMED_SECONDS)

    def confirmed(self, conversation_id: int) -> tuple[int, int, int] | None:
        """(version, employee, leader) as read within CONFIRMED_SECONDS and not changed here
        since, if so."""
        found = self._confirmed.get(conversation_id)
        if found is None or found[3] <= time.monotonic():
            return None
        return found[:3]

    def forget_polls(self) -> None:
        """Forget who is here and what polls were answered from (a new start)."""
        with self._lock:
            self.presence.clear()
            self._confirmed.clear()
            self._allowed.clear()

    def changed_here(self, conversation_ids) -> None:
        """This process committed changes of these agendas: read them again."""
        with self._lock:
            self.generation += 1
            for conversation_id in conversation_ids:
                self._confirmed.pop(conversation_id, None)

    def heard(self, note: Note, now: float | None = None) -> Presence:
        """Take in a note from a poll or a save of this process (no PostgreSQL)."""
        with self._lock:
            presence = self.presence.setdefault(note.conversation_id, Presence())
            presence.hear(note, time.monotonic() if now is None else now)
            return presence


hub = Hub()
