"""The HR admin's progress overview with 5,000 people in 300 units: the overview (the
year, and an open round), a unit's and a leader's people, and the CSV and XLSX exports,
each timed beside a bare Flask "Hello, World!" under the same gunicorn, as bench/lists.py
does. It prints milliseconds and ratios and asserts nothing. Target: each under 300 ms.

    .venv/bin/python bench/progress.py                  # a fresh SQLite file
    .venv/bin/python bench/progress.py --database-url postgresql://postgres@127.0.0.1:5432/bench

It seeds, in process, `--people` (5,000) people in 300 units (10 top units of 29 sub-units
each, a leader per unit, the sub-units' leaders reporting to their top unit's), an HR
admin, an open round over the first four top units with their people as members, and for
seven in ten employees a conversation: planned, invited, preparing, held with minutes in
draft, or held with approved minutes and two actions (one overdue in half of them); logs
the HR admin in with the app's own serializers (bench/harness.py); starts gunicorn and the
hello-world app; then for each page measures one request at a time (`--requests`, 30, or
as many as fit in 15 s) and wrk's throughput on `--concurrency` connections (4) for
`--seconds` (3), with the ratio of requests per second to hello world's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
from ratios import HELLO  # noqa: E402

TARGET_MS = 300
TOP_UNITS, SUB_UNITS = 10, 29  # 10 + 10 * 29 = 300 units
ROUND_UNITS = 4  # the round covers the first four top units
ONE_AT_A_TIME_SECONDS = 15.0  # at most this long on one page's one-at-a-time requests


def seed(app, count: int) -> tuple[h.Person, dict]:
    """`count` people in the units, an HR admin, a round and conversations; returns the
    admin, logged in, and the ids the pages need (round, a top unit, a leader)."""
    import sqlalchemy as sa

    from medsamtale.cli import initialise
    from medsamtale.extensions import db
    from medsamtale.models import (
        Action,
        Conversation,
        Minutes,
        QuestionSet,
        Round,
        RoundMember,
        Unit,
        User,
    )
    from medsamtale.models.minutes import APPROVED, DRAFT
    from medsamtale.models.rounds import RoundUnit
    from medsamtale.timeutil import oslo_today, utcnow

    with app.app_context():
        initialise("Benk kommune")
        standard = db.session.scalar(sa.select(QuestionSet).where(QuestionSet.key == "standard"))
        admin = User(name="Hanne HR", email="hr@benk.example", is_hr_admin=True,
                     is_employee=False)
        db.session.add(admin)
        # The units and their leaders: top units first, then each one's sub-units.
        units: list[tuple[Unit, User, int]] = []  # (unit, its leader, its top unit's index)
        for t in range(TOP_UNITS):
            boss = User(name=f"Leder {t:02d} Toppe", email=f"topp{t}@benk.example",
                        is_leader=True)
            top = Unit(name=f"Sektor {t:02d}", kind="sektor")
            db.session.add_all([boss, top])
            db.session.flush()
            top.leader_id, boss.unit_id = boss.id, top.id
            units.append((top, boss, t))
            for s in range(SUB_UNITS):
                leader = User(name=f"Leder {t:02d}-{s:02d} Lie",
                              email=f"leder{t}-{s}@benk.example", is_leader=True, leader=boss)
                unit = Unit(name=f"Avdeling {t:02d}-{s:02d}", kind="avdeling",
                            parent_id=top.id)
                db.session.add_all([leader, unit])
                db.session.flush()
                unit.leader_id, leader.unit_id = leader.id, unit.id
                units.append((unit, leader, t))
        today = oslo_today()
        round_ = Round(name="Medarbeidersamtaler vår", starts_on=today - timedelta(days=30),
                       ends_on=today + timedelta(days=60), question_set_id=standard.id,
                       created_by_id=admin.id)
        db.session.add(round_)
        db.session.flush()
        db.session.add_all(RoundUnit(round_id=round_.id, unit_id=u.id)
                           for u, _l, t in units[::SUB_UNITS + 1] if t < ROUND_UNITS)
        now = utcnow()
        employees = count - len(units) - 1
        for n in range(employees):
            unit, leader, t = units[n % len(units)]
            person = User(name=f"Ansatt {n:05d} Åsheim", email=f"ansatt{n}@benk.example",
                          leader_id=leader.id, unit_id=unit.id, active=n % 97 != 0)
            db.session.add(person)
            if n % 500 == 499:
                db.session.flush()
        db.session.flush()
        people = db.session.execute(
            sa.select(User.id, User.leader_id, User.unit_id).where(User.email.like("ansatt%"))
            .order_by(User.id)).all()
        in_round = {u.id for u, _l, t in units if t < ROUND_UNITS}
        for k, (user_id, leader_id, unit_id) in enumerate(people):
            member = unit_id in in_round
            if member:
                db.session.add(RoundMember(round_id=round_.id, user_id=user_id))
            kind = k % 10
            if kind >= 7:  # three in ten: no conversation
                continue
            days = (k % 40) - 25  # from 25 days ago to 14 days ahead
            starts = now + timedelta(days=days, hours=k % 7)
            conversation = Conversation(
                employee_id=user_id, leader_id=leader_id, question_set_id=standard.id,
                round_id=round_.id if member else None, starts_at=starts,
                duration_minutes=60, place="Møterom Fjorden")
            if kind >= 1:
                conversation.invited_at = starts - timedelta(days=14)
            if kind >= 2:
                conversation.accepted_at = starts - timedelta(days=13)
            if kind >= 3:
                conversation.preparation_started_at = starts - timedelta(days=7)
            if kind >= 4:
                conversation.started_at = starts
                conversation.held_at = starts + timedelta(hours=1)
            conversation.refresh_state()
            db.session.add(conversation)
            if kind >= 4:
                db.session.flush()
                approved = kind >= 5
                db.session.add(Minutes(
                    conversation_id=conversation.id, state=APPROVED if approved else DRAFT,
                    first_approved_at=starts + timedelta(days=2) if approved else None))
                if approved:
                    for p, late in enumerate((k % 20 < 10, False)):
                        db.session.add(Action(
                            conversation_id=conversation.id, leader_id=leader_id, position=p,
                            what="Kurs i prosjektledelse", responsible="employee",
                            deadline=today + timedelta(days=-5 if late else 30)))
            if k % 500 == 499:
                db.session.flush()
        db.session.commit()
        ids = {
            "round": round_.id,
            "unit": units[0][0].id,  # a top unit: its 29 sub-units' people too
            "leader": units[1][1].id,  # a sub-unit's leader
        }
        person = h.Person(admin.id, admin.name)
        person.cookie, person.csrf = h.session_cookie(app, admin)
        db.session.commit()
        figures = {
            "units": db.session.scalar(sa.select(sa.func.count(Unit.id))),
            "people": db.session.scalar(sa.select(sa.func.count(User.id))),
            "members": db.session.scalar(sa.select(sa.func.count(RoundMember.id))),
            "conversations": db.session.scalar(sa.select(sa.func.count(Conversation.id))),
            "actions": db.session.scalar(sa.select(sa.func.count(Action.id))),
        }
        db.session.remove()
        db.engine.dispose()
    return person, {**ids, **figures}


async def one_at_a_time(port: int, person: h.Person, path: str, count: int):
    browser = h.Browser(port, person)
    times, statuses = [], set()
    began = time.monotonic()
    try:
        for _ in range(count):
            answer = await browser.request("GET", path)
            statuses.add(answer.status)
            times.append(answer.seconds * 1000)
            if time.monotonic() - began > ONE_AT_A_TIME_SECONDS:
                break
    finally:
        browser.close()
    return times, statuses


async def run(args, server: h.Server, hello: h.Server, person: h.Person, ids: dict,
              folder: Path) -> None:
    rid = ids["round"]
    pages = [
        ("hello world (bare Flask)", hello, "/"),
        ("GET /admin/progress/ (the year)", server, "/admin/progress/"),
        ("GET /admin/progress/?round=<id>", server, f"/admin/progress/?round={rid}"),
        ("GET …/units/<top unit>", server, f"/admin/progress/units/{ids['unit']}"),
        ("GET …/units/<top unit>?round=<id>", server,
         f"/admin/progress/units/{ids['unit']}?round={rid}"),
        ("GET …/leaders/<id>", server, f"/admin/progress/leaders/{ids['leader']}"),
        ("GET …/export/units.csv", server, "/admin/progress/export/units.csv"),
        ("GET …/export/people.csv", server, "/admin/progress/export/people.csv"),
        ("GET …/export.xlsx", server, "/admin/progress/export.xlsx"),
    ]
    print(f"One request at a time ({args.requests} each, or as many as fit in "
          f"{ONE_AT_A_TIME_SECONDS:g} s) and wrk ({args.concurrency} connections, "
          f"{args.seconds:g} s each after 1 s warm-up)")
    print(f"  both under {server.settings().replace(f':{server.port}', ':PORT')}")
    print(f"    {'':36} {'n':>3} {'p50 ms':>6} {'p95 ms':>6} {'req/s':>7} {'ratio':>5} "
          f"{'wrk p95':>7} {'errors':>6}  target")
    baseline = None
    for label, target, path in pages:
        cookie = {} if target is hello else {"Cookie": person.cookie}
        times, statuses = await one_at_a_time(target.port, None if target is hello else person,
                                              path, args.requests)
        await h.rate_async(target.port, path, cookie, 200, 1, args.concurrency, folder)
        rate = await h.rate_async(target.port, path, cookie, 200, args.seconds,
                                  args.concurrency, folder)
        baseline = baseline or rate.per_second or 1.0
        p50, p95 = h.percentiles(times)
        goal = "" if target is hello else (
            f"p95 < {TARGET_MS} ms: {'yes' if p95 is not None and p95 < TARGET_MS else 'NO'}")
        odd = "" if statuses == {200} else f" statuses {sorted(statuses)}"
        print(f"    {label:36} {len(times):3d} {h.ms(p50):>6} {h.ms(p95):>6} "
              f"{rate.per_second:7.0f} {rate.per_second / baseline:5.2f} {h.ms(rate.p95):>7} "
              f"{rate.errors:6d}  {goal}{odd} {rate.detail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.server_arguments(parser, "an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--people", type=int, default=5000, help="people (5000)")
    parser.add_argument("--requests", type=int, default=30, help="one-at-a-time requests (30)")
    parser.add_argument("--seconds", type=float, default=3.0, help="each wrk run (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="wrk connections (4)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="medsamtale-progress-"))
    url = args.database_url or "sqlite:///" + str(folder / "app" / "bench.sqlite")
    servers: list[h.Server] = []
    try:
        h.header("bench/progress.py")
        h.prepare_database(url, args.wipe)
        (folder / "app").mkdir(parents=True)
        secret = h.new_secret()
        began = time.monotonic()
        app = h.make_app(url, secret, folder / "app")
        person, ids = seed(app, args.people)
        print(f"Seeded {ids['people']} people in {ids['units']} units, a round of "
              f"{ids['members']} members, {ids['conversations']} conversations and "
              f"{ids['actions']} actions in {time.monotonic() - began:.1f} s on "
              f"{'PostgreSQL' if h.is_postgres(url) else 'SQLite'}")
        server = h.Server("medsamtale:create_app()", h.server_env(url, secret, folder / "app"),
                          args, folder / "app" / "gunicorn.log")
        servers.append(server)
        server.start()
        hello_dir = folder / "hello"
        hello_dir.mkdir()
        (hello_dir / "hello.py").write_text(HELLO)
        hello = h.Server("hello:app", {**os.environ, "PYTHONUNBUFFERED": "1"}, args,
                         hello_dir / "gunicorn.log", cwd=hello_dir)
        servers.append(hello)
        hello.start()
        asyncio.run(run(args, server, hello, person, ids, folder))
        findings = h.log_findings(server.log_path)
        print("  gunicorn's log: " + ("nothing went wrong" if not findings else ""))
        for line in findings:
            print(f"    {line}")
    except h.BenchError as error:
        print(f"\nbench/progress.py: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench/progress.py: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
