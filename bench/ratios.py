"""What the app costs next to a bare Flask app: requests per second under the same gunicorn,
as ratios of a one-route Flask "Hello, World!", and the save round trip on an idle server.
It prints its figures next to the targets of issue 11; it asserts nothing. bench/round.py
runs it as its part 3, on the database of its round; alone:

    .venv/bin/python bench/ratios.py                   # a fresh SQLite file
    .venv/bin/python bench/ratios.py --database-url postgresql://postgres@127.0.0.1:5432/bench

It writes the hello-world app to a temporary folder and runs it under the same gunicorn
settings as the app (`--worker-class gevent --workers 2 --worker-connections 4000`), both in
the same run. With wrk on `--concurrency` keep-alive connections (8) for `--seconds` (5)
each, after a second of warm-up, it measures hello world, the app's `/health`, a poll that
finds nothing (`/agenda/<id>/poll?since=<current version>`, 204, logged in: on PostgreSQL
both the poll an update of the stream causes, which asks the database, and the safety net's,
which the process answers from what its listener heard) and the agenda
page of a meeting with `--items` items (15, logged in), and prints each one's requests per
second, p50/p95, errors and the CPU gunicorn and wrk used, and its ratio to hello world.
Targets: `/health` >= 0.8, the 204 poll >= 0.6, the agenda page >= 0.3.

Then the save round trip on the otherwise idle server: `--saves` (200) sequential saves of
the leader's note, each on the version the last one returned (as agenda.js saves), with a
pause of 30-100 ms before each, next to `/health` requested with the same pauses, the floor
the machine sets for a request that follows idle time, and then 50 saves with no pause
(what a save costs when the machine has not gone idle). Target: save p95 <= 50 ms.

Alone it makes 10 meetings (a PostgreSQL database must be empty, or given with `--wipe`);
other options: `--workers`, `--worker-connections`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

PAUSE = (0.03, 0.1)  # before each save and each paced /health
HX = {"HX-Request": "true"}
TARGETS = {"/health": 0.8, "poll": 0.6, "page": 0.3}


async def run(args, server: h.Server, meeting: h.Meeting, folder: Path,
              servers: list[h.Server]) -> None:
    """Part 3: hello world beside the app on `server`, then the idle saves."""
    hello = h.start_hello(args, folder, servers, workers=server.workers)
    log_from = h.log_size(server.log_path)
    leader = h.Browser(server.port, meeting.leader)
    try:
        cid = meeting.conversation_id
        page = await leader.request("GET", f"/agenda/{cid}")
        items = len(re.findall(rb'<li class="agenda-item', page.body))
        # What the page has (the agenda's version and, polling, what it shows of the other
        # party), from a poll that finds something: the 204 poll then asks with these.
        first = await leader.request("GET", f"/agenda/{cid}/poll?since=0&shown=", headers=HX)
        since, shown = h.agenda_since(first.body), h.agenda_shown(first.body) or ""
        if page.status != 200 or first.status != 200 or since is None:
            raise h.BenchError(f"the agenda page answered {page.status}, a poll {first.status}")
        cookie = {"Cookie": meeting.leader.cookie}
        poll = f"/agenda/{cid}/poll?since={since}"
        if h.agenda_latest(page.body) is None:  # SQLite: the page polls, saying what it shows
            polls = [("GET /agenda/<id>/poll (204)", f"{poll}&shown={shown}", "poll")]
        else:  # PostgreSQL: the stream's update, and the safety net once a minute
            polls = [("  poll (204) after an update", poll, None),
                     ("  poll (204) of the safety net", f"{poll}&latest={since}", "poll")]
        runs = [
            ("hello world (bare Flask)", hello, "/", {}, 200, None),
            ("GET /health", server, "/health", {}, 200, "/health"),
            *[(label, server, path, {**cookie, **HX}, 204, key) for label, path, key in polls],
            (f"GET /agenda/<id> ({items} items)", server, f"/agenda/{cid}", cookie, 200,
             "page"),
        ]
        print(f"3. Ratios to a bare Flask app: wrk, {args.concurrency} connections, "
              f"{args.seconds:g} s each after 1 s warm-up")
        print(f"  both under {server.settings().replace(f':{server.port}', ':PORT')}")
        print(f"    {'':30} {'req/s':>7} {'ratio':>5} {'p50 ms':>6} {'p95 ms':>6} {'errors':>6} "
              f"{'CPU ms/request':>14} {'CPUs: wrk':>9} {'rest':>4}  target")
        baseline = None
        for label, target, path, headers, expect, key in runs:
            await h.rate_async(target.port, path, headers, expect, 1, args.concurrency, folder)
            with h.CpuMeter(target) as cpu:
                rate = await h.rate_async(target.port, path, headers, expect, args.seconds,
                                          args.concurrency, folder)
            baseline = baseline or rate.per_second or 1.0
            ratio = rate.per_second / baseline
            goal = f"ratio >= {TARGETS[key]}" if key else ""
            n = max(rate.requests, 1)
            cost = f"{cpu.server * 1000 / n:.2f} + {cpu.postgres * 1000 / n:.2f} pg"
            print(f"    {label:30} {rate.per_second:7.0f} {ratio:5.2f} {h.ms(rate.p50):>6} "
                  f"{h.ms(rate.p95):>6} {rate.errors:6d} {cost:>14} "
                  f"{cpu.share(cpu.client):9.2f} {cpu.share(cpu.others):4.2f}  {goal} "
                  f"{rate.detail}")
        print("    (CPU ms/request: gunicorn's CPU time per request, + PostgreSQL's (all of "
              "it, shared);\n    CPUs: wrk's and the rest of the machine's, which others share)")
        await idle_saves(args, server, leader, meeting)
    finally:
        leader.close()
        hello.stop()
    findings = h.log_findings(server.log_path, log_from)
    print("  gunicorn's log: " + ("nothing went wrong" if not findings else ""))
    for line in findings:
        print(f"    {line}")
    print()


async def idle_saves(args, server: h.Server, leader: h.Browser, meeting: h.Meeting) -> None:
    item = meeting.item_ids[0]
    path = f"/agenda/{meeting.conversation_id}/items/{item}/text"
    page = await leader.request("GET", f"/agenda/{meeting.conversation_id}")
    found = re.search(rf'id="leader_note-{item}"[^>]*data-version="(\d+)"'.encode(), page.body)
    version = int(found.group(1)) if found else 1
    rng = random.Random(3)
    saves, health, other, straight = [], [], [], []
    number = 0

    async def save() -> float | None:
        nonlocal version, number
        number += 1
        text = f"Lederens notat, lagret for {number}. gang"
        answer = await leader.request("POST", path, headers=HX, form={
            "field": "leader_note", "value": text, "version": version, "basis": "",
            "caret": len(text)})
        if answer.status != 204:
            other.append(answer.status)
            return None
        version = int(answer.headers["x-text-version"])
        return answer.seconds * 1000

    with h.CpuMeter(server) as cpu:
        for _ in range(args.saves):
            await asyncio.sleep(rng.uniform(*PAUSE))
            if (took := await save()) is not None:
                saves.append(took)
            await asyncio.sleep(rng.uniform(*PAUSE))
            answer = await leader.request("GET", "/health")
            health.append(answer.seconds * 1000)
    for _ in range(min(args.saves, 50)):
        if (took := await save()) is not None:
            straight.append(took)
    print(f"  The save round trip on an idle server: {args.saves} saves of one note, "
          f"{PAUSE[0] * 1000:.0f}-{PAUSE[1] * 1000:.0f} ms before each")
    for label, samples, goal in (("save (204)", saves, "target p95 <= 50 ms"),
                                 ("GET /health, same pauses", health, ""),
                                 (f"then {len(straight)} saves with no pause", straight, "")):
        p50, p95 = h.percentiles(samples)
        print(f"    {label:32} p50 {h.ms(p50):>5} ms, p95 {h.ms(p95):>5} ms, "
              f"max {h.ms(max(samples, default=None)):>5} ms  {goal}")
    if other:
        print(f"    other answers to saves: {other[:10]}")
    print(f"    {cpu.line()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.server_arguments(parser, "an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--items", type=int, default=15, help="agenda items (15)")
    parser.add_argument("--seconds", type=float, default=5.0, help="each rate run (5)")
    parser.add_argument("--concurrency", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--saves", type=int, default=200, help="idle saves (200)")
    args = parser.parse_args()

    def body(folder: Path, servers: list[h.Server]) -> None:
        url = args.database_url or "sqlite:///" + str(folder / "app" / "bench.sqlite")
        h.prepare_database(url, args.wipe)
        server, meetings = h.start_app(args, url, folder / "app", 10, servers, args.workers)
        asyncio.run(run(args, server, meetings[-1], folder, servers))

    return h.run_script("bench/ratios.py", body)


if __name__ == "__main__":
    sys.exit(main())
