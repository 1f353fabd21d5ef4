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

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402

TARGET_MS = 300
TOP_UNITS, SUB_UNITS = 10, 29  # 10 + 10 * 29 = 300 units
ROUND_UNITS = 4  # the round covers the first four top units
ONE_AT_A_TIME_SECONDS = 15.0  # at most this long on one page's one-at-a-time requests


def seed(app, count: int) -> tuple[h.Person, dict, str]:
    """`count` people in the units, an HR admin, a round and conversations; returns the
    admin, logged in, the ids the pages need (round, a top unit, a leader) and what it
    made."""
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
    made = (f"{figures['people']} people in {figures['units']} units, a round of "
            f"{figures['members']} members, {figures['conversations']} conversations and "
            f"{figures['actions']} actions")
    return person, ids, made


def pages(ids: dict) -> list[tuple[str, str]]:
    rid = ids["round"]
    return [
        ("GET /admin/progress/ (the year)", "/admin/progress/"),
        ("GET /admin/progress/?round=<id>", f"/admin/progress/?round={rid}"),
        ("GET …/units/<top unit>", f"/admin/progress/units/{ids['unit']}"),
        ("GET …/units/<top unit>?round=<id>", f"/admin/progress/units/{ids['unit']}?round={rid}"),
        ("GET …/leaders/<id>", f"/admin/progress/leaders/{ids['leader']}"),
        ("GET …/export/units.csv", "/admin/progress/export/units.csv"),
        ("GET …/export/people.csv", "/admin/progress/export/people.csv"),
        ("GET …/export.xlsx", "/admin/progress/export.xlsx"),
    ]


def main() -> int:
    args = h.page_arguments(__doc__.split("\n\n")[0], requests=30).parse_args()
    return h.serve_beside_hello("bench/progress.py", args, seed, pages, TARGET_MS,
                                ONE_AT_A_TIME_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
