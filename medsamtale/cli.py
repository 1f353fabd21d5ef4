"""Commands to initialise an installation and to fill an empty one with demo data."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from .auth.services import WELCOME
from .extensions import db
from .models import Organisation, PasswordToken, User
from .outbox import public_url
from .passwords import hash_password
from .questionbank.services import install_default_question_bank
from .roles import ROLE_LABELS

DEMO_PASSWORD = "samtale-demo"
DEMO_ORGANISATION = "Fjordvik kommune"
DEMO_PEOPLE = [
    # (role key, name, email, leader's email)
    ("hr_admin", "Hanne Haugen", "hr@demo.medsamtale.no", None),
    ("leader", "Lars Lie", "lars.lie@demo.medsamtale.no", None),
    ("leader", "Lena Larsen", "lena.larsen@demo.medsamtale.no", "lars.lie@demo.medsamtale.no"),
    ("employee", "Anne Aas", "anne.aas@demo.medsamtale.no", "lars.lie@demo.medsamtale.no"),
    ("employee", "Bjørn Berg", "bjorn.berg@demo.medsamtale.no", "lars.lie@demo.medsamtale.no"),
    ("employee", "Camilla Dahl", "camilla.dahl@demo.medsamtale.no", "lars.lie@demo.medsamtale.no"),
    ("employee", "Dag Eide", "dag.eide@demo.medsamtale.no", "lena.larsen@demo.medsamtale.no"),
    ("employee", "Eva Fjeld", "eva.fjeld@demo.medsamtale.no", "lena.larsen@demo.medsamtale.no"),
    ("employee", "Frode Gran", "frode.gran@demo.medsamtale.no", "lena.larsen@demo.medsamtale.no"),
]


def initialise(organisation_name: str) -> Organisation:
    """Create the organisation and the default question bank if they are missing."""
    organisation = Organisation.current()
    if organisation is None:
        organisation = Organisation(name=organisation_name)
        db.session.add(organisation)
    install_default_question_bank()
    return organisation


@click.command("init")
@click.option("--organisation", "organisation_name", required=True, help="The organisation.")
@click.option("--admin-email", help="Email of the first HR admin.")
@click.option("--admin-name", help="Name of the first HR admin.")
@with_appcontext
def init_command(organisation_name, admin_email, admin_name):
    """Initialise a new installation: organisation, question bank and first HR admin."""
    initialise(organisation_name)
    if admin_email:
        if User.by_email(admin_email):
            raise click.ClickException(f"{admin_email} already has an account.")
        admin = User(name=admin_name or admin_email, email=admin_email, is_hr_admin=True)
        db.session.add(admin)
        db.session.flush()
        token = PasswordToken.issue(
            admin, WELCOME, timedelta(days=current_app.config["WELCOME_TOKEN_DAYS"])
        )
        link = public_url("auth.set_password", token=token)
        click.echo(f"HR admin {admin.email}: choose a password at {link}")
    db.session.commit()
    click.echo("Initialised.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing, successfully, if there are users.")
@with_appcontext
def demo_command(if_empty):
    """Fill an empty database with a demo organisation and print its accounts."""
    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo("The database already has users; no demo data was added.")
            return
        raise click.ClickException("The database already has users; the demo leaves it alone.")
    initialise(DEMO_ORGANISATION)
    password_hash = hash_password(DEMO_PASSWORD)
    people = {}
    for role, name, email, leader_email in DEMO_PEOPLE:
        user = User(
            name=name,
            email=email,
            password_hash=password_hash,
            is_hr_admin=role == "hr_admin",
            is_leader=role == "leader",
            is_employee=role != "hr_admin",
            leader=people.get(leader_email),
        )
        db.session.add(user)
        people[email] = user
    db.session.commit()
    with force_locale("en"):
        click.echo(f"Demo organisation: {DEMO_ORGANISATION}")
        for role, name, email, _leader in DEMO_PEOPLE:
            click.echo(f"  {str(ROLE_LABELS[role]):<10} {name:<14} {email}")
        click.echo(f"Password for all: {DEMO_PASSWORD}")
