"""`flask retention plan` (what would go, nothing deleted) and `flask retention run`."""

import click
from flask.cli import AppGroup

from . import services

retention_cli = AppGroup("retention", help="Delete what has been kept long enough.")


def _echo(counts: list[tuple[str, int]]) -> None:
    if not counts:
        click.echo("No organisation: nothing to do.")
    for kind, count in counts:
        click.echo(f"{kind}: {count}")


@retention_cli.command("plan")
def plan_command():
    """List each kind of data and how many rows would be deleted or blanked now; nothing is
    changed."""
    _echo(services.plan())


@retention_cli.command("run")
@click.option("--batch", default=services.BATCH, show_default=True, type=click.IntRange(1),
              help="At most this many rows per statement.")
def run_command(batch):
    """Delete (or blank) what has been kept long enough, and record each kind and count in
    the audit log."""
    _echo(services.run(batch=batch))
