"""Benchmark the live agenda under gunicorn as production runs it (gevent workers), with
clients that do what static/js/agenda.js and htmx do in a browser. It prints its figures
next to the targets of issue 11; it asserts nothing.

    .venv/bin/python bench/round.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/round.py                    # SQLite only: parts 2 and 3
    .venv/bin/python bench/round.py --database-url ... --meetings 50 --polling-meetings 20 \
        --saves 40 --seconds 2                         # a quick look while developing

A PostgreSQL database must exist and be empty (`psql -h 127.0.0.1 -U postgres -c 'create
database bench'`), or be given with `--wipe`, which drops everything in its public schema.
The SQLite database is a fresh file in a temporary directory. The meetings are made in
process through the app's models and `agenda.meeting.start` (state in progress, `--items`
items each: the employee's questions with both parties' notes, then topics), and each
person's session cookie and CSRF token with the app's own serializers, as a log-in leaves
them; one real request proves they work before the run. gunicorn runs on a free port as
`gunicorn --worker-class gevent --workers 2 --worker-connections 4000 'medsamtale:create_app()'`
and is stopped, as are the clients, however the run ends. The clients are this process
(asyncio, one task per stream and per poller) and wrk for the request rates; both share the
machine's CPUs with gunicorn and PostgreSQL, and the CPU time each used is printed.

1. **A round of meetings** (PostgreSQL; `--meetings` 1000, `--items` 15). Every party of
   every meeting (2 per meeting) opens its agenda's event stream `/agenda/<id>/events` at
   once. Like the browser, a party fetches `/agenda/<id>/poll?since=<version>` on each
   `update` event (one fetch at a time, one more queued at most: htmx's "queue first"),
   and polls once a minute as a safety net (its timer started at a random moment, as pages
   opened at different times); the stream itself sends the meeting bar's minutes. It prints how
   many streams connected (got their first `update`) and how long that took; while all are
   open, requests per second and p50/p95 of the home page, the agenda page and a poll that
   finds nothing (204), from `--ordinary-clients` wrk connections each, at once, for
   `--seconds`; and the propagation of `--saves` saves spread over meetings and over
   `--save-seconds`: from the start of a leader's save of their note until the employee's
   client has the new text (its stream said `update` and its poll answered with the text),
   with how many requests failed or timed out, the streams that broke, and what gunicorn's
   log says went wrong. Targets: every stream connects; ordinary pages p95 < 300 ms; a save
   reaches the other party p95 < 300 ms.
2. **Polling on SQLite** (`--polling-meetings` 200): no streams; both parties poll
   `/poll?since=<version>&shown=<what it shows of the other>` every 500 ms for
   `--polling-seconds`, and fetch the meeting bar's `/elapsed` every 30 s, as the page does
   without PostgreSQL. p50/p95 of the polls, how many
   answered 204 and 200, errors. SQLite's presence lives in one process's memory
   (agenda/hub.py), so this part runs `--polling-workers` 1 by default. Target: p95 < 100 ms.
3. **Ratios to a bare Flask app** (bench/ratios.py, on the PostgreSQL app when there is
   one, its gunicorn restarted after the round so that it starts idle): requests per second
   of a one-route Flask "Hello, World!" under the same gunicorn settings, then the app's
   `/health`, a poll that finds nothing (204, logged in) and the agenda page of a meeting
   with `--items` items (logged in), each with wrk on `--concurrency` connections for
   `--seconds` after a second of warm-up, each as a ratio of hello world and with the CPU
   time it cost; then the save round trip on the otherwise idle server: p50/p95 of
   `--saves` sequential saves with 30-100 ms pauses, each on the version the last one
   returned, next to `/health` requested with the same pauses (the floor an idle machine
   sets), then 50 saves with no pause. Targets: `/health` >= 0.8, 204 poll >= 0.6, agenda
   page >= 0.3; save p95 <= 50 ms.

They run in the order 1, 3, 2; a run with the defaults takes four to five minutes. Other
options: `--parts` (round,polling,ratios), `--workers` (2) and `--worker-connections` (4000)
for gunicorn, `--connect-timeout` (60 s) for the streams of part 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
import ratios  # noqa: E402

BACKSTOP_SECONDS = 60.0  # hx-trigger "update from:#agenda-stream, every 60s"
POLL_SECONDS = 0.5  # hx-trigger "every 500ms" (SQLite)
ELAPSED_SECONDS = 30.0  # the meeting bar of a polling page: hx-trigger "every 30s"
RETRY_SECONDS = 1.0  # the stream's "retry: 1000"
KEEP_ALIVE_SECONDS = 3.0  # the stream says ": still here" this often when nothing else
SETTLE_SECONDS = 2.0  # after the streams connected, before measuring
DRAIN_SECONDS = 10.0  # how long a save may take to reach the other party
HX = {"HX-Request": "true"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    h.server_arguments(parser, "PostgreSQL, empty, for part 1 (and 3)")
    parser.add_argument("--parts", default="round,polling,ratios",
                        help="which parts to run (round,polling,ratios)")
    parser.add_argument("--meetings", type=int, default=1000, help="meetings in the round (1000)")
    parser.add_argument("--items", type=int, default=15, help="agenda items a meeting (15)")
    parser.add_argument("--polling-meetings", type=int, default=200,
                        help="meetings polling on SQLite (200)")
    parser.add_argument("--polling-seconds", type=float, default=10.0,
                        help="how long they poll, after 2 s not counted (10)")
    parser.add_argument("--polling-workers", type=int, default=1,
                        help="gunicorn workers on SQLite (1: presence is per process)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of each requests-per-second run (5)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="wrk connections in the ratio runs (8)")
    parser.add_argument("--ordinary-clients", type=int, default=2,
                        help="wrk connections for each ordinary request during the round (2)")
    parser.add_argument("--saves", type=int, default=200,
                        help="saves for the propagation, and for the idle round trip (200)")
    parser.add_argument("--save-seconds", type=float, default=20.0,
                        help="the propagation's saves are spread over this long (20)")
    parser.add_argument("--connect-timeout", type=float, default=60.0,
                        help="how long the streams may take to connect (60)")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if unknown := parts - {"round", "polling", "ratios"}:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if "round" in parts and not args.database_url:
        print("(part 1, the round, needs --database-url: PostgreSQL; running the others)\n")
        parts.discard("round")
    if args.database_url and not h.is_postgres(args.database_url):
        parser.error("--database-url must be PostgreSQL (SQLite is part 2's own)")

    def stop(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)

    def body(folder: Path, servers: list[h.Server]) -> None:
        if args.database_url and parts & {"round", "ratios"}:
            h.prepare_database(args.database_url, args.wipe)
            app_server, meetings = h.start_app(args, args.database_url, folder / "pg",
                                             args.meetings if "round" in parts else 10,
                                             servers, args.workers)
            if "round" in parts:
                asyncio.run(round_of_meetings(args, app_server, meetings))
            if "ratios" in parts:
                if "round" in parts:  # on an idle server: whatever the round left, it leaves
                    app_server.stop()
                    app_server.start()
                    print("(gunicorn restarted for part 3, so that it starts idle)\n")
                asyncio.run(ratios.run(args, app_server, meetings[-1], folder, servers))
                parts.discard("ratios")
            app_server.stop()
        if "polling" in parts or "ratios" in parts:
            sqlite = "sqlite:///" + str(folder / "sqlite" / "bench.sqlite")
            workers = args.polling_workers if "polling" in parts else args.workers
            count = args.polling_meetings if "polling" in parts else 10
            app_server, meetings = h.start_app(args, sqlite, folder / "sqlite", count, servers,
                                             workers)
            if "polling" in parts:
                asyncio.run(polling(args, app_server, meetings))
            if "ratios" in parts:
                asyncio.run(ratios.run(args, app_server, meetings[-1], folder, servers))

    return h.run_script("bench/round.py", body)


# Recording ----------------------------------------------------------------------------


class Record:
    """Every request the browsers made: (when, kind, seconds, status or error)."""

    def __init__(self):
        self.samples: list[tuple[float, str, float, str]] = []
        self.events: Counter = Counter()  # stream events: update, presence, comment ...
        self.broken: Counter = Counter()  # why streams ended
        self.lag: list[tuple[float, float]] = []  # (when, how late the client's loop was)

    def add(self, kind: str, seconds: float, outcome) -> None:
        self.samples.append((time.monotonic(), kind, seconds, str(outcome)))

    def window(self, start: float, end: float, kinds=None):
        return [s for s in self.samples if start <= s[0] < end and (kinds is None or
                                                                      s[1] in kinds)]

    async def watch_loop(self):
        """How late this process's event loop wakes up: the clients' own delay."""
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.1)
            self.lag.append((began, time.monotonic() - began - 0.1))

    def lag_line(self, start: float, end: float) -> str:
        lags = [lag * 1000 for when, lag in self.lag if start <= when < end]
        p50, p95 = h.percentiles(lags)
        return (f"the clients' event loop woke late by p50 {h.ms(p50)} ms, p95 {h.ms(p95)} ms, "
                f"max {h.ms(max(lags, default=None))} ms")


def failures(samples, ok=("200", "204")) -> str:
    bad = Counter(s[3] for s in samples if s[3] not in ok)
    return ", ".join(f"{n} x {outcome}" for outcome, n in bad.most_common()) or "none"


def outcome_of(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    return type(error).__name__


# Part 1: a round of meetings (PostgreSQL) ---------------------------------------------


class Party:
    """One party's open agenda in the browser: the event stream, the fetches it triggers
    (one at a time, one queued at most), the backstop poll and the meeting bar's timer."""

    def __init__(self, port: int, meeting: h.Meeting, person: h.Person, record: Record,
                 rng: random.Random, push: bool):
        self.port = port
        self.meeting = meeting
        self.browser = h.Browser(port, person)
        self.record = record
        self.push = push
        self.since = meeting.agenda_version
        self.latest = meeting.agenda_version  # input#agenda-latest (with a stream)
        self.shown = ""
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self.tasks: list[asyncio.Task] = []
        self.timers: list[asyncio.TimerHandle] = []
        self.rng = rng
        self.opened: float | None = None
        self.connected: float | None = None  # the first "update"
        self.stream_conn: h.Connection | None = None
        # text: (save began, [when its stream next said update, when a poll brought it, why])
        self.awaiting: dict[str, tuple[float, list]] = {}
        self.longest_silence = 0.0  # between two messages of the stream
        self.running = True

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.tasks.append(asyncio.create_task(self.fetcher()))
        if self.push:
            self.tasks.append(asyncio.create_task(self.stream()))
            self._every(loop, BACKSTOP_SECONDS, lambda: self.trigger("backstop"))
        else:  # the stream sends the meeting bar's minutes; a polling page fetches them
            self._every(loop, POLL_SECONDS, lambda: self.trigger("poll"))
            self._every(loop, ELAPSED_SECONDS, self.elapsed)

    def _every(self, loop, period: float, action) -> None:
        def tick():
            if self.running:
                action()
                self.timers.append(loop.call_later(period, tick))

        self.timers.append(loop.call_later(self.rng.uniform(0, period), tick))

    def stop(self) -> None:
        self.running = False
        for timer in self.timers:
            timer.cancel()
        for task in self.tasks:
            task.cancel()
        if self.stream_conn is not None:
            self.stream_conn.close()
        self.browser.close()

    def trigger(self, why: str) -> None:
        """htmx's "queue first": run now, or queue one while one is in flight, or drop."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(why)

    async def fetcher(self) -> None:
        while True:
            why = await self.queue.get()
            await self.poll(why)

    async def poll(self, why: str) -> None:
        cid = self.meeting.conversation_id
        if self.push:
            path = f"/agenda/{cid}/poll?since={self.since}&latest={self.latest}"
        else:
            path = f"/agenda/{cid}/poll?since={self.since}&shown={self.shown}"
        try:
            answer = await self.browser.request("GET", path, headers=HX)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a browser's fetch fails, the page lives on
            self.record.add(f"poll:{why}", 0.0, outcome_of(error))
            return
        self.record.add(f"poll:{why}", answer.seconds, answer.status)
        if answer.status == 200:
            since = h.agenda_since(answer.body)
            if since is not None:
                self.since = since
            latest = h.agenda_latest(answer.body)
            if latest is not None:
                self.latest = latest
            shown = h.agenda_shown(answer.body)
            if shown is not None:
                self.shown = shown
            now = time.monotonic()
            for text in [t for t in self.awaiting if t.encode() in answer.body]:
                began, result = self.awaiting.pop(text)
                result[1:] = [result[1] if len(result) > 1 else None, now, why]

    def elapsed(self) -> None:
        async def fetch():
            try:
                answer = await self.browser.request(
                    "GET", f"/agenda/{self.meeting.conversation_id}/elapsed", headers=HX)
                self.record.add("elapsed", answer.seconds, answer.status)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001
                self.record.add("elapsed", 0.0, outcome_of(error))

        self.tasks.append(asyncio.create_task(fetch()))

    async def stream(self) -> None:
        """EventSource: connect, read events, and after a break reconnect in a second. Like
        a browser it waits for the answer's head at most REQUEST_TIMEOUT, then for as long
        as the stream lasts; the longest silence between two messages is kept."""
        path = f"/agenda/{self.meeting.conversation_id}/events"
        headers = {"Cookie": self.browser.person.cookie, "Accept": "text/event-stream",
                   "Cache-Control": "no-cache", **HX}
        while self.running:
            self.opened = self.opened or time.monotonic()
            began = time.perf_counter()
            answered = False
            try:
                self.stream_conn = conn = await h.Connection.open(self.port)
                async with asyncio.timeout(h.REQUEST_TIMEOUT):
                    await conn.send("GET", path, headers, None)
                    status, _ = await conn.head()
                answered = True
                self.record.add("events", time.perf_counter() - began, status)
                if status != 200:
                    self.record.broken[f"answered {status}"] += 1
                else:
                    last = time.monotonic()
                    async for event, data in h.EventStream(conn).messages():
                        now = time.monotonic()
                        self.longest_silence = max(self.longest_silence, now - last)
                        last = now
                        if event == "message":  # a block swapped in: which one
                            latest = h.agenda_latest(data.encode())
                            if latest is not None:
                                self.latest = latest
                            event = ("latest" if 'id="agenda-latest"' in data else
                                     "elapsed" if 'id="elapsed"' in data else "presence")
                        self.record.events[event] += 1
                        if event == "update":
                            if self.connected is None:
                                self.connected = now
                            for waiting in self.awaiting.values():
                                if len(waiting[1]) == 1:  # the first update since the save
                                    waiting[1].append(now)
                            self.trigger("update")
                    self.record.broken["closed by the server"] += 1
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001
                if not answered:
                    self.record.add("events", time.perf_counter() - began, outcome_of(error))
                self.record.broken[outcome_of(error)] += 1
            finally:
                if self.stream_conn is not None:
                    self.stream_conn.close()
            if self.running:
                self.record.events["reconnect"] += 1
                await asyncio.sleep(RETRY_SECONDS)


async def round_of_meetings(args, server: h.Server, meetings: list[h.Meeting]) -> None:
    record = Record()
    rng = random.Random(11)
    loop = asyncio.get_running_loop()
    watcher = asyncio.create_task(record.watch_loop())
    parties: list[Party] = []
    by_meeting: dict[int, tuple[Party, Party]] = {}
    for meeting in meetings:
        pair = (Party(server.port, meeting, meeting.leader, record, rng, True),
                Party(server.port, meeting, meeting.employee, record, rng, True))
        by_meeting[meeting.conversation_id] = pair
        parties += pair
    print(f"1. A round of {len(meetings)} meetings on PostgreSQL, {args.items} items each")
    try:
        # Every stream at once.
        with h.CpuMeter(server) as cpu:
            opened = time.monotonic()
            for party in parties:
                party.start(loop)
            deadline = opened + args.connect_timeout
            while time.monotonic() < deadline and any(p.connected is None for p in parties):
                await asyncio.sleep(0.05)
            connected_by = time.monotonic()
        times = [p.connected - opened for p in parties if p.connected is not None]
        p50, p95 = h.percentiles(times)
        print(f"  {len(parties)} event streams opened at once (2 per meeting)")
        print(f"    connected (first update)  {len(times)} of {len(parties)}"
              f"{'':18}target: every stream")
        print(f"    time to the first update  p50 {p50 or 0:.2f} s, p95 {p95 or 0:.2f} s, "
              f"max {max(times, default=0):.2f} s"
              + (f"; all within {connected_by - opened:.1f} s" if len(times) == len(parties)
                 else f"; {len(parties) - len(times)} not within {args.connect_timeout:g} s"))
        first = record.window(opened, connected_by, {"events"})
        print(f"    stream requests that failed: {failures(first, ('200',))}; "
              f"polls meanwhile: {failures(record.window(opened, connected_by, POLLS))} failed")
        print(f"    {cpu.line()}")
        print(f"    database connections now {h.pg_connections(args.database_url)}")
        await asyncio.sleep(SETTLE_SECONDS)

        # Ordinary requests from a few clients while every stream is open.
        quiet_from = time.monotonic()
        rows, cpu = await ordinary_requests(args, server, meetings)
        quiet_to = time.monotonic()
        print(f"  Ordinary requests while the streams are open: wrk, {args.ordinary_clients} "
              f"connections for each at once, {args.seconds:g} s")
        print(f"    {'':34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}"
              "   target p95 < 300 ms")
        for label, rate in rows:
            if rate.requests == 0:
                print(f"    {label:34} none answered within the {args.seconds:g} s")
                continue
            print(f"    {label:34} {rate.per_second:7.0f} {h.ms(rate.p50):>7} "
                  f"{h.ms(rate.p95):>7} {rate.errors:6d}  {rate.detail}")
        background(record, quiet_from, quiet_to, len(parties))
        print(f"    {cpu.line()}")
        print(f"    {record.lag_line(quiet_from, quiet_to)}")

        # Saves, and how soon the other party has them.
        with h.CpuMeter(server) as cpu:
            saved_from = time.monotonic()
            result = await propagation(args, meetings, by_meeting, record, rng)
            saved_to = time.monotonic()
        report_propagation(args, result, record, saved_from, saved_to, len(parties))
        print(f"    {cpu.line()}")
        print(f"    {record.lag_line(saved_from, saved_to)}")

        print(f"    database connections now {h.pg_connections(args.database_url)}")

        # The whole round.
        everything = record.window(opened, time.monotonic())
        print("  Over the whole round")
        kinds = Counter(s[1] for s in everything)
        print("    requests made by the browsers: " + ", ".join(
            f"{n} {k}" for k, n in sorted(kinds.items())))
        for kind in sorted(kinds):
            bad = failures([x for x in everything if x[1] == kind],
                           ("200",) if kind == "events" else ("200", "204"))
            if bad != "none":
                print(f"    {kind} failed or timed out: {bad}")
        print(f"    all failed or timed out: {failures(everything)}")
        events = record.events
        print(f"    stream events: {events['update']} update, {events['presence']} presence, "
              f"{events['elapsed']} minutes, "
              f"{events['comment']} keep-alive comments, {events['reconnect']} reconnects")
        print("    streams that ended: " + (", ".join(
            f"{n} {why}" for why, n in record.broken.most_common()) or "none"))
        silences = [p.longest_silence for p in parties if p.connected is not None]
        p50, p95 = h.percentiles(silences)
        late = sum(s > 2 * KEEP_ALIVE_SECONDS for s in silences)
        print(f"    longest silence of a stream (keep-alive every {KEEP_ALIVE_SECONDS:g} s): "
              f"p50 {p50 or 0:.1f} s, p95 {p95 or 0:.1f} s, max {max(silences, default=0):.1f} s"
              f"; {late} streams silent for more than {2 * KEEP_ALIVE_SECONDS:g} s")
    finally:
        for party in parties:
            party.stop()
        watcher.cancel()
        await asyncio.sleep(1.0)  # the streams' ends reach the server
    findings = h.log_findings(server.log_path)
    print("    gunicorn's log: " + ("nothing went wrong" if not findings else ""))
    for line in findings:
        print(f"      {line}")
    print()


POLLS = {"poll:update", "poll:backstop", "poll:poll"}


async def ordinary_requests(args, server: h.Server, meetings: list[h.Meeting]):
    """The home page, the agenda page and a poll answered 204, each as another leader, by
    wrk at once, while the streams are open (the leaders' own streams are open too)."""
    folder = server.log_path.parent
    picks = [meetings[-1], meetings[-2 % len(meetings)], meetings[-3 % len(meetings)]]
    runs = [
        ("GET / (home page)", "/", picks[0], {}, 200),
        (f"GET /agenda/<id> ({args.items} items)", f"/agenda/{picks[1].conversation_id}",
         picks[1], {}, 200),
        ("GET /agenda/<id>/poll (204)",
         f"/agenda/{picks[2].conversation_id}/poll?since={picks[2].agenda_version}&shown=",
         picks[2], HX, 204),
    ]
    with h.CpuMeter(server) as cpu:
        rates = await asyncio.gather(*(
            h.rate_async(server.port, path, {"Cookie": m.leader.cookie, **extra}, expect,
                         args.seconds, args.ordinary_clients, folder)
            for _label, path, m, extra, expect in runs))
    return [(label, rate) for (label, *_), rate in zip(runs, rates, strict=True)], cpu


def background(record: Record, start: float, end: float, parties: int) -> None:
    """What the browsers did meanwhile: their polls, and the streams' keep-alive."""
    seconds = max(end - start, 1e-9)
    for kinds, label in ((POLLS, "the browsers' polls"), ({"elapsed"}, "their /elapsed")):
        samples = record.window(start, end, kinds)
        p50, p95 = h.percentiles([s[2] * 1000 for s in samples if s[3] in ("200", "204")])
        print(f"    meanwhile {label}: {len(samples) / seconds:.0f}/s, p50 {h.ms(p50)} ms, "
              f"p95 {h.ms(p95)} ms, failed: {failures(samples)}")


async def propagation(args, meetings, by_meeting, record: Record, rng: random.Random):
    """`--saves` saves of a leader's note, each in another meeting (as long as there are
    meetings enough), at random moments over `--save-seconds`."""
    count = args.saves
    chosen = rng.sample(meetings, min(count, len(meetings)))
    chosen = [chosen[n % len(chosen)] for n in range(count)]
    moments = sorted(rng.uniform(0, args.save_seconds) for _ in range(count))
    locks: dict[int, asyncio.Lock] = {}
    results: list[list] = []
    round_trips: list[tuple[float, str]] = []
    start = time.monotonic()

    async def save(meeting: h.Meeting, at: float, number: int):
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        leader, employee = by_meeting[meeting.conversation_id]
        item = rng.choice(meeting.item_ids)
        text = f"Notat {number} fra lederen {secrets.token_hex(6)}"
        async with locks.setdefault(meeting.conversation_id, asyncio.Lock()):
            began = time.monotonic()
            seen: list = [began]
            results.append(seen)
            employee.awaiting[text] = (began, seen)
            form = {"field": "leader_note", "value": text,
                    "version": meeting.note_versions[item], "basis": "", "caret": len(text)}
            try:
                answer = await leader.browser.request(
                    "POST", f"/agenda/{meeting.conversation_id}/items/{item}/text", form=form,
                    headers=HX)
            except Exception as error:  # noqa: BLE001
                record.add("save", 0.0, outcome_of(error))
                round_trips.append((0.0, outcome_of(error)))
                return
            record.add("save", answer.seconds, answer.status)
            round_trips.append((answer.seconds, str(answer.status)))
            if "x-text-version" in answer.headers:
                meeting.note_versions[item] = int(answer.headers["x-text-version"])

    planned = enumerate(zip(chosen, moments, strict=True))
    await asyncio.gather(*(save(m, at, n) for n, (m, at) in planned))
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and any(len(seen) < 4 for seen in results):
        await asyncio.sleep(0.05)
    for pair in by_meeting.values():
        pair[1].awaiting.clear()
    return {"results": results, "round_trips": round_trips, "meetings": len(set(
        m.conversation_id for m in chosen))}


def report_propagation(args, result, record: Record, start: float, end: float,
                       parties: int) -> None:
    results, trips = result["results"], result["round_trips"]
    print(f"  Propagation: {len(results)} saves of a leader's note in {result['meetings']} "
          f"meetings over {args.save_seconds:g} s, the streams open")
    ok = [s * 1000 for s, outcome in trips if outcome in ("200", "204")]
    p50, p95 = h.percentiles(ok)
    print(f"    save round trip             p50 {h.ms(p50)} ms, p95 {h.ms(p95)} ms "
          f"(answers: {', '.join(f'{n} x {k}' for k, n in Counter(o for _, o in trips).items())})")
    seen = [r for r in results if len(r) == 4]
    events = [(r[1] - r[0]) * 1000 for r in seen if r[1] is not None]
    times = [(r[2] - r[0]) * 1000 for r in seen]
    p50, p95 = h.percentiles(events)
    print(f"    save -> the employee's update  p50 {h.ms(p50)} ms, p95 {h.ms(p95)} ms "
          f"(its stream's next update event)")
    p50, p95 = h.percentiles(times)
    print(f"    save -> the employee has it  p50 {h.ms(p50)} ms, p95 {h.ms(p95)} ms, "
          f"max {h.ms(max(times, default=None))} ms   target p95 < 300 ms")
    by = Counter(r[3] for r in seen)
    print(f"    seen: {len(seen)} of {len(results)} (" + (", ".join(
        f"{n} by the {why.replace('update', 'update event').replace('backstop', 'backstop poll')}"
        for why, n in by.most_common()) or "none") + f"); not within {DRAIN_SECONDS:g} s: "
        f"{len(results) - len(seen)}")
    background(record, start, end, parties)


# Part 2: polling (SQLite) -------------------------------------------------------------


async def polling(args, server: h.Server, meetings: list[h.Meeting]) -> None:
    record = Record()
    rng = random.Random(12)
    loop = asyncio.get_running_loop()
    watcher = asyncio.create_task(record.watch_loop())
    parties = [Party(server.port, m, person, record, rng, False)
               for m in meetings for person in (m.leader, m.employee)]
    print(f"2. Polling on SQLite: {len(meetings)} meetings, both parties polling every "
          f"{POLL_SECONDS * 1000:.0f} ms, {server.workers} gunicorn worker(s)")
    if server.workers > 1:
        print("  (who is here lives in each process's memory on SQLite: a party sees the other "
              "only when\n  both polls reach the same worker)")
    try:
        for party in parties:
            party.start(loop)
        await asyncio.sleep(2.0)
        with h.CpuMeter(server) as cpu:
            began = time.monotonic()
            await asyncio.sleep(args.polling_seconds)
            ended = time.monotonic()
    finally:
        for party in parties:
            party.stop()
        watcher.cancel()
    samples = record.window(began, ended, {"poll:poll"})
    fine = [s[2] * 1000 for s in samples if s[3] in ("200", "204")]
    p50, p95, p99 = h.percentiles(fine, (50, 95, 99))
    answers = Counter(s[3] for s in samples)
    print(f"  {len(samples)} polls in {ended - began:.1f} s ({len(samples) / (ended - began):.0f}"
          f"/s; {len(parties) / POLL_SECONDS:.0f}/s if each came on time)")
    print(f"    poll              p50 {h.ms(p50)} ms, p95 {h.ms(p95)} ms, p99 {h.ms(p99)} ms"
          "   target p95 < 100 ms")
    print("    answers: " + ", ".join(f"{n} x {k}" for k, n in answers.most_common())
          + f"; failed or timed out: {failures(samples)}")
    here = sum(p.shown.startswith("1:") for p in parties)
    print(f"    parties whose page shows the other as here at the end: {here} of {len(parties)}")
    elapsed = record.window(began, ended, {"elapsed"})
    print(f"    their /elapsed: {len(elapsed)}, failed: {failures(elapsed)}")
    print(f"    {server.settings()}")
    print(f"    {cpu.line()}")
    print(f"    {record.lag_line(began, ended)}")
    findings = h.log_findings(server.log_path)
    print("    gunicorn's log: " + ("nothing went wrong" if not findings else ""))
    for line in findings:
        print(f"      {line}")
    print()


if __name__ == "__main__":
    sys.exit(main())
