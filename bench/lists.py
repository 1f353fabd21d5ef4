"""The HR admin's long lists with 5,000 people: the people list (its first page, a search,
a filter by role and status, one leader's people) and the question bank page, each timed
beside a bare Flask "Hello, World!" under the same gunicorn, as bench/ratios.py does. It
prints milliseconds and ratios and asserts nothing. Target: each page under 300 ms.

    .venv/bin/python bench/lists.py                  # a fresh SQLite file
    .venv/bin/python bench/lists.py --database-url postgresql://postgres@127.0.0.1:5432/bench

It seeds `--people` (5,000) people, one in ten a leader of the nine after them, and the
default question bank, in process; logs the HR admin in with the app's own serializers
(bench/harness.py); starts gunicorn (`--workers`, gevent) and the hello-world app; then for
each page measures one request at a time (`--requests`, 40: p50/p95 of what a person
waits) and wrk's throughput on `--concurrency` connections (4) for `--seconds` (3), with
the ratio of requests per second to hello world's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
from ratios import HELLO  # noqa: E402

TARGET_MS = 300


def seed(app, count: int) -> tuple[h.Person, int]:
    """`count` people and an HR admin; returns the admin, logged in, and a leader's id."""
    import sqlalchemy as sa

    from medsamtale.cli import initialise
    from medsamtale.extensions import db
    from medsamtale.models import User

    with app.app_context():
        initialise("Benk kommune")
        admin = User(name="Hanne HR", email="hr@benk.example", is_hr_admin=True,
                     is_employee=False)
        db.session.add(admin)
        leader = None
        for n in range(count):
            if n % 10 == 0:
                leader = User(name=f"Leder {n:05d} Lie", email=f"leder{n}@benk.example",
                              is_leader=True, leader=None)
                db.session.add(leader)
            else:
                db.session.add(User(name=f"Ansatt {n:05d} Åsheim", email=f"ansatt{n}@benk.example",
                                    leader=leader, active=n % 97 != 0))
            if n % 1000 == 999:
                db.session.flush()
        db.session.commit()
        some_leader = db.session.scalar(
            sa.select(User.id).where(User.is_leader).order_by(User.id).offset(10).limit(1))
        person = h.Person(admin.id, admin.name)
        person.cookie, person.csrf = h.session_cookie(app, admin)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return person, some_leader


async def one_at_a_time(port: int, person: h.Person, path: str, count: int):
    browser = h.Browser(port, person)
    times, statuses = [], set()
    try:
        for _ in range(count):
            answer = await browser.request("GET", path)
            statuses.add(answer.status)
            times.append(answer.seconds * 1000)
    finally:
        browser.close()
    return times, statuses


async def run(args, server: h.Server, hello: h.Server, person: h.Person, leader_id: int,
              folder: Path) -> None:
    pages = [
        ("hello world (bare Flask)", hello, "/", {}),
        ("GET /admin/ (page 1 of people)", server, "/admin/", {}),
        ("GET /admin/?q=åsheim 12 (search)", server, "/admin/?q=%C3%A5sheim%2012", {}),
        ("GET /admin/?role=leader&active=yes", server, "/admin/?role=leader&active=yes", {}),
        ("GET /admin/?leader=<id>", server, f"/admin/?leader={leader_id}", {}),
        ("GET /admin/?page=60", server, "/admin/?page=60", {}),
        ("GET /admin/questions/ (bank)", server, "/admin/questions/", {}),
    ]
    print(f"One request at a time ({args.requests} each) and wrk ({args.concurrency} "
          f"connections, {args.seconds:g} s each after 1 s warm-up)")
    print(f"  both under {server.settings().replace(f':{server.port}', ':PORT')}")
    print(f"    {'':36} {'p50 ms':>6} {'p95 ms':>6} {'req/s':>7} {'ratio':>5} "
          f"{'wrk p95':>7} {'errors':>6}  target")
    baseline = None
    for label, target, path, headers in pages:
        cookie = {} if target is hello else {"Cookie": person.cookie}
        times, statuses = await one_at_a_time(target.port, None if target is hello else person,
                                              path, args.requests)
        await h.rate_async(target.port, path, {**cookie, **headers}, 200, 1,
                           args.concurrency, folder)
        rate = await h.rate_async(target.port, path, {**cookie, **headers}, 200, args.seconds,
                                  args.concurrency, folder)
        baseline = baseline or rate.per_second or 1.0
        p50, p95 = h.percentiles(times)
        goal = "" if target is hello else (
            f"p95 < {TARGET_MS} ms: {'yes' if p95 is not None and p95 < TARGET_MS else 'NO'}")
        odd = "" if statuses == {200} else f" statuses {sorted(statuses)}"
        print(f"    {label:36} {h.ms(p50):>6} {h.ms(p95):>6} {rate.per_second:7.0f} "
              f"{rate.per_second / baseline:5.2f} {h.ms(rate.p95):>7} {rate.errors:6d}  "
              f"{goal}{odd} {rate.detail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.server_arguments(parser, "an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--people", type=int, default=5000, help="people (5000)")
    parser.add_argument("--requests", type=int, default=40, help="one-at-a-time requests (40)")
    parser.add_argument("--seconds", type=float, default=3.0, help="each wrk run (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="wrk connections (4)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="medsamtale-lists-"))
    url = args.database_url or "sqlite:///" + str(folder / "app" / "bench.sqlite")
    servers: list[h.Server] = []
    try:
        h.header("bench/lists.py")
        h.prepare_database(url, args.wipe)
        (folder / "app").mkdir(parents=True)
        secret = h.new_secret()
        began = time.monotonic()
        app = h.make_app(url, secret, folder / "app")
        person, leader_id = seed(app, args.people)
        print(f"Seeded {args.people} people and the default question bank in "
              f"{time.monotonic() - began:.1f} s on "
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
        asyncio.run(run(args, server, hello, person, leader_id, folder))
        findings = h.log_findings(server.log_path)
        print("  gunicorn's log: " + ("nothing went wrong" if not findings else ""))
        for line in findings:
            print(f"    {line}")
    except h.BenchError as error:
        print(f"\nbench/lists.py: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench/lists.py: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
