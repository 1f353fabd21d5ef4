"""`flask keys`: see and rotate the keys that seal the content.

    flask keys new       print a new master key
    flask keys check     how many data keys each master key wraps, and what is not sealed
                         with the current one
    flask keys rotate    wrap every data key with the first key of ENCRYPTION_KEY and seal
                         again what the old key sealed directly (the outbox's mail, exports)
                         or what was written before sealing began; in batches, while the
                         app runs

Rotation without downtime: put the new key first in ENCRYPTION_KEY, the old one after it,
and restart each process (they open with both and seal with the new); run `flask keys
rotate`; when `flask keys check` shows nothing under the old key, remove it.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import Text, and_, false, func, or_, select, type_coerce, update
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from .keys import PREFIX, new_master_key
from .scoping import sealed_fields
from .store import keyring
from .types import SealedBytes

keys_cli = AppGroup("keys", help="See and rotate the keys that seal the content.")

BATCH = 200


def sealed_models() -> list:
    return [mapper.class_ for mapper in db.Model.registry.mappers
            if sealed_fields(mapper.class_)]


def stale(model):
    """Rows of `model` with a value that is plain, or sealed by a key rotation replaces.
    (An export's file, SealedBytes, lives a week at most: it is not sealed again.)"""
    ring = keyring()
    current = f"{PREFIX}{ring.system_id}$%"
    checks = []
    for name in sealed_fields(model):
        if isinstance(getattr(model, name).type, SealedBytes):
            continue
        value = type_coerce(getattr(model, name), Text)
        if model.__sealed_in__ is None:
            checks.append(and_(value != "", value.not_like(current)))
        else:
            checks.append(and_(value != "", value.not_like(f"{PREFIX}%")))
    return or_(*checks) if checks else false()


def rewrap_data_keys() -> int:
    from ..models.keys import DataKey

    ring, done = keyring(), 0
    while True:
        rows = db.session.execute(select(DataKey.id, DataKey.master_id, DataKey.wrapped)
                                  .where(DataKey.master_id != ring.current_id)
                                  .limit(BATCH)).all()
        if not rows:
            return done
        for key_id, master_id, wrapped in rows:
            key = ring.unwrap(master_id, wrapped)
            db.session.execute(update(DataKey).where(DataKey.id == key_id)
                               .values(master_id=ring.current_id, wrapped=ring.wrap(key)))
        db.session.commit()
        done += len(rows)


def reseal(model) -> int:
    done = 0
    while True:
        rows = db.session.scalars(select(model).where(stale(model)).limit(BATCH)).all()
        if not rows:
            return done
        for row in rows:
            for name in sealed_fields(model):
                if getattr(row, name):
                    flag_modified(row, name)
        db.session.commit()
        done += len(rows)


@keys_cli.command("new")
def new_command() -> None:
    """Print a new master key."""
    click.echo(new_master_key())


@keys_cli.command("check")
def check_command() -> None:
    """Show which master key wraps how many data keys, and what rotation would seal again."""
    from ..models.keys import DataKey

    ring = keyring()
    for master_id, count in db.session.execute(
            select(DataKey.master_id, func.count()).group_by(DataKey.master_id)):
        mark = " (current)" if master_id == ring.current_id else ""
        click.echo(f"master key {master_id}{mark}: {count} data keys")
    for model in sealed_models():
        count = db.session.scalar(select(func.count()).select_from(model).where(stale(model)))
        if count:
            click.echo(f"{model.__tablename__}: {count} rows to seal again")


@keys_cli.command("rotate")
def rotate_command() -> None:
    """Wrap every data key with the current master key; seal again what needs it."""
    click.echo(f"data keys wrapped again: {rewrap_data_keys()}")
    for model in sealed_models():
        done = reseal(model)
        if done:
            click.echo(f"{model.__tablename__}: {done} rows sealed again")
