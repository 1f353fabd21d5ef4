"""What sealing the content (medsamtale/sealing) costs the agenda page and a save, in
process, side by side in one run: the same requests with the real keyring (AES-256-GCM)
and with a keyring that only base64-encodes (what the page would cost unsealed), in turns,
so the machine's noise falls on both alike. It prints each one's time per request, the
difference, and how many values a page opens; it asserts nothing.

    .venv/bin/python bench/sealing.py                      # a fresh SQLite file
    .venv/bin/python bench/sealing.py --items 15 --rounds 200 --turns 6
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=15, help="agenda items (15)")
    parser.add_argument("--rounds", type=int, default=200, help="requests per turn (200)")
    parser.add_argument("--turns", type=int, default=6, help="turns of each keyring (6)")
    parser.add_argument("--database-url", help="an empty database (default: SQLite)")
    args = parser.parse_args()
    app = h.demo_app("medsamtale-sealing-", args.database_url)

    from medsamtale.agenda import editing, meeting
    from medsamtale.conversations import services
    from medsamtale.extensions import db
    from medsamtale.models import AgendaItem, QuestionSet, User
    from medsamtale.sealing.cli import sealed_models
    from medsamtale.sealing.keys import PREFIX, Keyring
    from medsamtale.sealing.scoping import sealed_fields
    from medsamtale.timeutil import utcnow

    note = "Vi snakket om arbeidsmengden i høst og om kurs i prosjektledelse. " * 3
    sealed = app.extensions["sealing"]
    counted = {"open": 0}

    class Counting(Keyring):
        def open(self, value, load):
            counted["open"] += 1
            return super().open(value, load)

    class Unsealed(Keyring):
        """Base64 only: the same values' shape and the same code around them, no AES."""

        def seal(self, key_id, plain):
            return f"{PREFIX}{key_id}${base64.b64encode(plain).decode()}"

        def open(self, value, load):
            return base64.b64decode(value[len(PREFIX):].partition("$")[2])

    def keyring_like(cls):
        ring = cls.__new__(cls)
        ring.__dict__.update(sealed.__dict__)
        return ring

    def agenda(employee_name: str) -> tuple[int, int]:
        """A meeting with `employee_name` (who has had none before), started, written with
        the keyring in use: (conversation id, first item id)."""
        with app.app_context():
            employee = db.session.scalar(sa.select(User).where(User.name == employee_name))
            conversation = services.plan(
                employee.leader, employee, starts_at=utcnow() + timedelta(days=15),
                duration_minutes=60, place="Møterom 2", message=note,
                question_set_id=db.session.scalar(sa.select(QuestionSet.id).limit(1)))
            services.send_invitation(conversation)
            conversation.employee_ready_at = utcnow()
            meeting.start(conversation)
            db.session.flush()
            while len(editing.live_items(conversation)) < args.items:
                editing.add_item(conversation,
                                 f"Punkt {len(editing.live_items(conversation))}")
            for item in editing.live_items(conversation):
                item.employee_note, item.leader_note = note, note
            db.session.commit()
            return conversation.id, editing.live_items(conversation)[0].id

    rings = {"sealed": keyring_like(Counting), "unsealed": keyring_like(Unsealed)}
    meeting_ids = agenda("Camilla Dahl")

    def use(ring: str) -> None:
        """Seal everything stored again with keyring `ring` and use it from now on."""
        with app.app_context():  # read with the keyring in use, write with `ring`
            rows = [(row, name) for model in sealed_models()
                    for row in db.session.scalars(sa.select(model))
                    for name in sealed_fields(model) if getattr(row, name)]
            app.extensions["sealing"] = rings[ring]
            for row, name in rows:
                flag_modified(row, name)
            db.session.commit()

    leader = app.test_client()
    leader.post("/login", data={"email": "lars.lie@demo.medsamtale.no",
                                "password": "samtale-demo"})
    hx = {"HX-Request": "true"}
    state = {"n": 0}

    def page():
        response = leader.get(f"/agenda/{meeting_ids[0]}")
        assert response.status_code == 200

    def save():
        cid, item_id = meeting_ids
        with app.app_context():
            current = db.session.get(AgendaItem, item_id).leader_note_version
        state["n"] += 1
        response = leader.post(f"/agenda/{cid}/items/{item_id}/text", headers=hx, data={
            "field": "leader_note", "value": f"{note} {state['n']}", "version": current,
            "basis": ""})
        assert "X-Text-Version" in response.headers, response.status

    print(f"agenda of {args.items} items, each with two notes of {len(note)} characters; "
          f"{args.turns} turns of {args.rounds} requests per keyring")
    for name, request in (("page", page), ("save", save)):
        times = {ring: [] for ring in rings}
        for ring in rings:  # warm up both
            use(ring)
            request()
        for turn in range(args.turns):  # each first in every other turn
            for ring in list(rings)[::1 if turn % 2 else -1]:
                use(ring)
                counted["open"] = 0
                started = time.perf_counter()
                for _ in range(args.rounds):
                    request()
                times[ring].append((time.perf_counter() - started) / args.rounds * 1000)
                if ring == "sealed":
                    opened = counted["open"] / args.rounds
        plain, real = statistics.median(times["unsealed"]), statistics.median(times["sealed"])
        print(f"{name:<5} sealed {real:6.2f} ms   unsealed {plain:6.2f} ms   "
              f"cost {real - plain:+5.2f} ms ({(real - plain) / plain * 100:+4.1f} %)   "
              f"{opened:.0f} values opened per request")
    use("sealed")
    app.extensions["sealing"] = sealed


if __name__ == "__main__":
    main()
