"""`flask audit verify`: check the audit log's chain of hashes."""

import click
from flask.cli import AppGroup

from . import Broken, verify

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_command():
    """Recompute every event's hash in order: OK with the count, or the first broken event
    (edited, or following a removed or changed one), and a non-zero exit."""
    try:
        count = verify()
    except Broken as broken:
        click.echo(f"BROKEN at event {broken.event_id}: {broken.reason}.", err=True)
        raise SystemExit(1) from None
    click.echo(f"OK: {count} events, the chain is whole.")
