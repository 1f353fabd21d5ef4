"""Benchmark the minutes pages in process. It prints its figures; it asserts nothing.

    .venv/bin/python bench/minutes.py
    .venv/bin/python bench/minutes.py --points 40 --actions 20 --rounds 200

It migrates a fresh SQLite database in a temporary directory (or the empty database given
with --database-url), loads the demo, ends Anne Aas's meeting, writes minutes with the given
number of points and actions, submits them twice (so the leader's page shows what changed)
and approves them. Then it times, through Flask's test client (no network, no server), the
employee's autosave of one point, the editor page, the leader's page with the change view,
a version's print view and its PDF, and the home page with the actions to follow up. For
each it prints the median and 95th percentile in milliseconds and the SQL statements run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
import sqlalchemy as sa  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--actions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    app = h.demo_app("medsamtale-bench-", args.database_url)

    from medsamtale import flow
    from medsamtale.agenda import meeting
    from medsamtale.extensions import db
    from medsamtale.minutes import approval, drafting
    from medsamtale.models import Action, Conversation, MinutesPoint, User
    from medsamtale.timeutil import oslo_today, utcnow

    with app.app_context():
        anne = db.session.scalar(sa.select(User).where(User.name == "Anne Aas"))
        conversation = db.session.scalar(
            sa.select(Conversation).where(Conversation.employee_id == anne.id))
        conversation.employee_ready_at = utcnow()
        meeting.start(conversation)
        db.session.flush()
        flow.end_meeting(conversation, set())
        draft = drafting.minutes_of(conversation)
        draft.points = [
            MinutesPoint(position=n, heading=f"Punkt {n}",
                         body="<p>Vi snakket om arbeidsmengde og <b>kompetanse</b>.</p>" * 5)
            for n in range(args.points)
        ]
        for n in range(args.actions):
            db.session.add(Action(conversation_id=conversation.id, position=n,
                                  what=f"Tiltak {n}", responsible="employee",
                                  deadline=oslo_today() + timedelta(days=30 + n)))
        db.session.flush()
        approval.submit(draft)
        approval.send_back(draft, 1, "Legg til fristene.")
        draft.points[0].body = "<p>Endret etter kommentar.</p>"
        approval.submit(draft)
        approval.approve(draft, 2)
        db.session.commit()
        conversation_id, point_id = conversation.id, draft.points[0].id
        approval.reopen(draft)  # so the employee's editor can be timed too
        db.session.commit()

    def client(email):
        made = app.test_client()
        made.post("/login", data={"email": email, "password": "samtale-demo"})
        return made

    employee = client("anne.aas@demo.medsamtale.no")
    leader = client("lars.lie@demo.medsamtale.no")
    base = f"/minutes/{conversation_id}"
    cases = [
        ("autosave a point (htmx)", lambda: employee.post(
            f"{base}/points/{point_id}", data={"heading": "Punkt 0", "body": "Ny tekst"},
            headers={"HX-Request": "true"})),
        ("editor page", lambda: employee.get(base)),
        ("leader's page with changes", lambda: leader.get(base)),
        ("print view", lambda: leader.get(f"{base}/versions/2/print")),
        ("PDF", lambda: leader.get(f"{base}/versions/2/pdf")),
        ("home page with actions", lambda: employee.get("/")),
    ]
    with app.app_context():
        engine = db.engine
    print(f"{args.points} points, {args.actions} actions, {args.rounds} rounds, "
          f"{engine.dialect.name}")
    print(f"{'':32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, request in cases:
        statements = []

        def record(*_args, statements=statements):
            statements.append(1)

        request()  # warm up
        timings = []
        for _ in range(args.rounds):
            sa.event.listen(engine, "before_cursor_execute", record)
            statements.clear()
            started = time.perf_counter()
            response = request()
            timings.append((time.perf_counter() - started) * 1000)
            sa.event.remove(engine, "before_cursor_execute", record)
            if response.status_code != 200:
                raise SystemExit(f"{name}: status {response.status_code}")
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:32} {statistics.median(timings):8.1f} {p95:8.1f} {len(statements):8d}")


if __name__ == "__main__":
    main()
