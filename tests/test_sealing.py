"""Encryption at rest (medsamtale/sealing): a dump of the database after marker text is
planted in every kind of content holds none of it, while the app shows it all; the app does
not start without its key or with a wrong one; keys rotate; nothing is written plain."""

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from medsamtale import create_app, text
from medsamtale.extensions import db
from medsamtale.models import (
    Action,
    AgendaItem,
    Conversation,
    DataKey,
    Minutes,
    OutboxMessage,
    Pick,
    User,
)
from medsamtale.models.factors import TotpSecret
from medsamtale.sealing import KeyProblem
from medsamtale.sealing.keys import new_master_key
from medsamtale.timeutil import utcnow
from tests.conftest import TEST_ENCRYPTION_KEY, unavailable
from tests.fixtures.domain import agree_actions

MARKER = "Hemmeligmerke-ŋđŧč-7731"
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def plant(app, people, held_conversation, make_conversation, question_bank) -> int:
    """Marker text in each kind of content, through the services that write it; returns
    the held conversation's id."""
    from medsamtale.agenda import editing, meeting
    from medsamtale.conversations import services
    from medsamtale.followup.services import record_progress
    from medsamtale.minutes.remarks import add_remark

    held_id = held_conversation(people["anne"], note=f"{MARKER} pick")
    with app.app_context():
        conversation = db.session.get(Conversation, held_id)
        conversation.employee_topics = f"{MARKER} topic"
        conversation.proposal_comment = f"{MARKER} proposal"
        minutes = db.session.scalar(select(Minutes).where(Minutes.conversation_id == held_id))
        minutes.points[0].body = text.from_plain(f"{MARKER} point")
        db.session.commit()
    (action_id,) = agree_actions(app, held_id, (f"{MARKER} action", 30))
    with app.app_context():
        conversation = db.session.get(Conversation, held_id)
        anne = db.session.get(User, people["anne"])
        action = db.session.get(Action, action_id)
        action.goal = f"{MARKER} goal"
        record_progress(action, anne, f"{MARKER} progress", False)
        minutes = db.session.scalar(select(Minutes).where(Minutes.conversation_id == held_id))
        add_remark(conversation, minutes, anne, f"{MARKER} remark")
        db.session.add(TotpSecret(user_id=people["hr"], secret=TOTP))
        # An invitation whose message is mailed, and a meeting typed in (a Core UPDATE).
        dag = db.session.get(User, people["dag"])
        invited = services.plan(dag.leader, dag, starts_at=utcnow() + timedelta(days=20),
                                duration_minutes=60, place="Rom 1",
                                message=f"{MARKER} invitation",
                                question_set_id=question_bank["standard"])
        services.send_invitation(invited)
        invited.employee_ready_at = utcnow()
        meeting.start(invited)
        db.session.flush()
        item = editing.add_item(invited, "Arbeidstid")
        db.session.flush()
        editing.save_text(invited, item.id, "employee_note", f"{MARKER} agenda", 1,
                          author_id=dag.id)
        db.session.commit()
    return held_id


def dump(app) -> bytes:
    """The whole database as a backup holds it."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        files = [Path(url.database), Path(url.database + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    if not shutil.which("pg_dump"):
        unavailable("pg_dump is not installed")
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--no-owner", plain], check=True,
                          capture_output=True).stdout


def test_a_dump_holds_no_content_while_the_app_shows_it(
        app, people, held_conversation, make_conversation, question_bank, as_):
    held_id = plant(app, people, held_conversation, make_conversation, question_bank)

    minutes_page = as_("anne").get(f"/minutes/{held_id}").get_data(as_text=True)
    assert f"{MARKER} point" in minutes_page and f"{MARKER} remark" in minutes_page
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).all()
        assert any(f"{MARKER} invitation" in m.body_text for m in mail)
        seen = {db.session.scalar(select(Pick.employee_note).limit(1)),
                *db.session.scalars(select(AgendaItem.employee_note)),
                db.session.scalar(select(TotpSecret.secret))}
        assert f"{MARKER} pick" in seen and f"{MARKER} agenda" in seen and TOTP in seen

    raw = dump(app)
    assert b"Anne Aas" in raw  # the dump is whole: names are not sealed
    assert MARKER.encode() not in raw and MARKER.encode("utf-16-le") not in raw
    assert b"Hemmeligmerke" not in raw
    assert TOTP.encode() not in raw


def test_each_conversation_has_its_own_data_key(app, people, held_conversation):
    first, second = held_conversation(people["anne"]), held_conversation(people["dag"])
    with app.app_context():
        keys = db.session.scalars(select(Conversation.data_key_id).where(
            Conversation.id.in_([first, second]))).all()
        assert len(set(keys)) == 2 and None not in keys
        stored = db.session.execute(sa.text(
            "SELECT employee_note FROM pick WHERE employee_note != ''")).scalars().all()
        assert stored and all(value.startswith("ms1$") for value in stored)
        assert {value.split("$")[1] for value in stored} == set(keys)


def test_content_is_never_written_plain(app, people, held):
    with app.app_context():
        with pytest.raises(sa.exc.StatementError, match="without its conversation.s key"):
            db.session.execute(update(AgendaItem).values(leader_note="Skrevet rett inn"))
        db.session.rollback()
        notes = db.session.scalars(select(AgendaItem.leader_note)).all()
        assert "Skrevet rett inn" not in notes and "Enig, vi finner et kurs" in notes


def test_the_app_does_not_start_without_its_key(app_config, monkeypatch, tmp_path):
    monkeypatch.delenv("ENCRYPTION_KEY")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    config = {**app_config, "ENCRYPTION_KEY": ""}
    with pytest.raises(KeyProblem, match="No encryption key"):
        create_app(config)
    with pytest.raises(KeyProblem, match="32 bytes"):
        create_app({**config, "ENCRYPTION_KEY": "for-kort"})
    with pytest.raises(KeyProblem, match="cannot be read"):
        create_app({**config, "ENCRYPTION_KEY_FILE": str(tmp_path / "missing.key")})
    key_file = tmp_path / "encryption.key"  # instance/encryption.key, as scripts/start makes
    key_file.write_text(TEST_ENCRYPTION_KEY + "\n")
    assert create_app(config).extensions["sealing"].current_id


def test_a_wrong_key_is_refused_and_rotation_moves_to_a_new_one(app, app_config, people,
                                                                  held):
    wrong = new_master_key()
    with pytest.raises(KeyProblem, match="does not hold"):
        create_app({**app_config, "ENCRYPTION_KEY": wrong})

    new = new_master_key()
    both = create_app({**app_config, "ENCRYPTION_KEY": f"{new} {TEST_ENCRYPTION_KEY}"})
    with both.app_context():  # the old key opens, the new one seals
        assert "Enig, vi finner et kurs" in db.session.scalars(select(Pick.leader_note)).all()
        db.session.add(OutboxMessage(recipient="a@example.no", subject="s", body_text="t",
                                     body_html="h"))
        db.session.commit()
        old_ids = set(db.session.scalars(select(DataKey.master_id)))
    result = both.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "data keys wrapped again: 1" in result.output

    only_new = create_app({**app_config, "ENCRYPTION_KEY": new})
    with only_new.app_context():
        assert set(db.session.scalars(select(DataKey.master_id))) != old_ids
        assert "Enig, vi finner et kurs" in db.session.scalars(select(Pick.leader_note)).all()
        assert "outbox_message" not in only_new.test_cli_runner().invoke(
            args=["keys", "check"]).output
    with pytest.raises(KeyProblem):
        create_app(app_config)  # the old key alone no longer opens anything


def test_rotation_seals_what_was_written_before_sealing(app, people, held, runner):
    with app.app_context():
        db.session.execute(sa.text("UPDATE pick SET leader_note = 'Skrevet før 0015'"))
        db.session.commit()
        assert "Skrevet før 0015" in db.session.scalars(select(Pick.leader_note)).all()
    assert "pick: 3 rows to seal again" in runner.invoke(args=["keys", "check"]).output
    assert "pick: 3 rows sealed again" in runner.invoke(args=["keys", "rotate"]).output
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT leader_note FROM pick")).scalars().all()
        assert raw and all(value.startswith("ms1$") for value in raw)
        assert set(db.session.scalars(select(Pick.leader_note))) == {"Skrevet før 0015"}
