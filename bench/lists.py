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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

TARGET_MS = 300


def seed(app, count: int) -> tuple[h.Person, dict, str]:
    """`count` people and an HR admin; returns the admin, logged in, a leader's id and what
    it made."""
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
    return person, {"leader": some_leader}, f"{count} people and the default question bank"


def pages(ids: dict) -> list[tuple[str, str]]:
    return [
        ("GET /admin/ (page 1 of people)", "/admin/"),
        ("GET /admin/?q=åsheim 12 (search)", "/admin/?q=%C3%A5sheim%2012"),
        ("GET /admin/?role=leader&active=yes", "/admin/?role=leader&active=yes"),
        ("GET /admin/?leader=<id>", f"/admin/?leader={ids['leader']}"),
        ("GET /admin/?page=60", "/admin/?page=60"),
        ("GET /admin/questions/ (bank)", "/admin/questions/"),
    ]


def main() -> int:
    args = h.page_arguments(__doc__.split("\n\n")[0], requests=40).parse_args()
    return h.serve_beside_hello("bench/lists.py", args, seed, pages, TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
