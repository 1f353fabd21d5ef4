"""Where a request's time goes, in process (pyinstrument), for the requests a meeting makes
most: /health, a poll that finds nothing (asking the database, and on PostgreSQL from
memory), a poll that finds a change, the agenda page and
a save. It prints each one's time per request, its SQL statements and pyinstrument's
profile of many of them; it asserts nothing.

    .venv/bin/python bench/where_time_goes.py                 # a fresh SQLite file
    .venv/bin/python bench/where_time_goes.py --items 15 --rounds 300 --show page
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

REQUESTS = ("health", "poll-nothing", "poll-memory", "poll-change", "page", "save")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=15, help="agenda items (15)")
    parser.add_argument("--rounds", type=int, default=300, help="requests of each kind (300)")
    parser.add_argument("--show", choices=REQUESTS, action="append",
                        help="print the profile of these (default: all)")
    parser.add_argument("--all-frames", action="store_true", help="libraries' frames too")
    parser.add_argument("--flat", action="store_true",
                        help="the functions that take the most time themselves (cProfile)")
    parser.add_argument("--sort", default="tottime", help="with --flat: cProfile's order")
    parser.add_argument("--lines", type=int, default=25, help="with --flat: how many")
    parser.add_argument("--database-url", help="an empty database (default: SQLite)")
    args = parser.parse_args()
    app = h.demo_app("medsamtale-profile-", args.database_url)

    from pyinstrument import Profiler

    from medsamtale.agenda import editing, meeting
    from medsamtale.extensions import db
    from medsamtale.models import Conversation, User
    from medsamtale.timeutil import utcnow

    with app.app_context():
        anne = db.session.scalar(sa.select(User).where(User.name == "Anne Aas"))
        conversation = db.session.scalar(
            sa.select(Conversation).where(Conversation.employee_id == anne.id))
        conversation.employee_ready_at = utcnow()
        meeting.start(conversation)
        db.session.flush()
        while len(editing.live_items(conversation)) < args.items:
            editing.add_item(conversation, f"Punkt {len(editing.live_items(conversation))}")
        db.session.commit()
        cid, item = conversation.id, editing.live_items(conversation)[0].id

    def client(email):
        made = app.test_client()
        made.post("/login", data={"email": email, "password": "samtale-demo"})
        return made

    lars, anne_client = client("lars.lie@demo.medsamtale.no"), client(
        "anne.aas@demo.medsamtale.no")
    hx = {"HX-Request": "true"}
    state = {"version": 1, "n": 0}

    def version():
        with app.app_context():
            return db.session.get(Conversation, cid).agenda_version

    def save():
        state["n"] += 1
        response = lars.post(f"/agenda/{cid}/items/{item}/text", headers=hx, data={
            "field": "leader_note", "value": f"Notat {state['n']}",
            "version": state["version"], "basis": ""})
        assert "X-Text-Version" in response.headers, (response.status, response.get_data()[:300])
        state["version"] = int(response.headers["X-Text-Version"])

    def poll_change():
        anne_client.get(f"/agenda/{cid}/poll?since={version() - 1}", headers=hx)

    current = {"v": version()}
    requests = {
        "health": lambda: lars.get("/health"),
        "poll-nothing": lambda: anne_client.get(
            f"/agenda/{cid}/poll?since={current['v']}&shown=0:", headers=hx),
        # The safety net's poll on PostgreSQL, answered from the listener's knowledge.
        "poll-memory": lambda: anne_client.get(
            f"/agenda/{cid}/poll?since={current['v']}&latest={current['v']}", headers=hx),
        "poll-change": poll_change,
        "page": lambda: lars.get(f"/agenda/{cid}"),
        "save": save,
    }
    statements = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for name, request in requests.items():
        current["v"] = version()
        request()  # warm up
        statements.clear()
        request()
        queries = len(statements)
        started = time.perf_counter()
        for _ in range(args.rounds):
            request()
        per = (time.perf_counter() - started) / args.rounds * 1000
        print(f"{name:<14} {per:7.2f} ms   {queries} SQL statements")
        if args.show is None or name in args.show:
            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(args.rounds):
                    request()
            if args.flat:
                flat = cProfile.Profile()
                flat.runcall(lambda run=request: [run() for _ in range(args.rounds)])
                pstats.Stats(flat).sort_stats(args.sort).print_stats(args.lines)
            else:
                print(profiler.output_text(unicode=True, color=False,
                                           show_all=args.all_frames))


if __name__ == "__main__":
    main()
