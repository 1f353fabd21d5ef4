"""Commands: initialise an installation, fill an empty one with demo data, and deliver the
outbox's mail (with the reminders that fall due)."""

import signal
from datetime import time, timedelta

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from .auth.services import WELCOME
from .extensions import db
from .minutes.drafting import content_of
from .models import (
    Action,
    Conversation,
    Minutes,
    MinutesPoint,
    Organisation,
    PasswordToken,
    Pick,
    QuestionSet,
    Unit,
    User,
)
from .models.minutes import APPROVED
from .outbox import send_due, work
from .passwords import hash_password, verify_password
from .questionbank.services import install_default_question_bank
from .roles import ROLE_LABELS
from .scheduled import queue_scheduled
from .timeutil import from_oslo, utcnow
from .urls import public_url

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
        Organisation.forget_shown_name()
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
            print_demo_accounts(only_unchanged=True)
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
    db.session.flush()
    add_demo_units(people)
    add_demo_conversations({email.split("@")[0]: user for email, user in people.items()})
    db.session.commit()
    print_demo_accounts()


# The demo's units: (name, kind, parent's name, leader's email, the people's emails).
DEMO_UNITS = [
    ("Helse og omsorg", "sektor", None, "lars.lie@demo.medsamtale.no",
     ["lars.lie@demo.medsamtale.no"]),
    ("Sykehjem Nord", "avdeling", "Helse og omsorg", "lars.lie@demo.medsamtale.no",
     ["anne.aas@demo.medsamtale.no", "bjorn.berg@demo.medsamtale.no",
      "camilla.dahl@demo.medsamtale.no"]),
    ("Hjemmetjenesten", "avdeling", "Helse og omsorg", "lena.larsen@demo.medsamtale.no",
     ["lena.larsen@demo.medsamtale.no", "dag.eide@demo.medsamtale.no",
      "eva.fjeld@demo.medsamtale.no", "frode.gran@demo.medsamtale.no"]),
    ("Oppvekst", "sektor", None, None, []),
    ("Skole", "avdeling", "Oppvekst", None, []),
]


def add_demo_units(people: dict) -> None:
    """A small unit tree for the demo's people (`people` by email)."""
    made: dict[str, Unit] = {}
    for name, kind, parent, leader_email, _members in DEMO_UNITS:
        made[name] = Unit(name=name, kind=kind, parent=made.get(parent),
                          leader=people.get(leader_email))
        db.session.add(made[name])
    db.session.flush()  # the units first: a unit names its leader, a person their unit
    for name, *_rest, members in DEMO_UNITS:
        for email in members:
            people[email].unit_id = made[name].id
    db.session.flush()


def print_demo_accounts(only_unchanged: bool = False) -> None:
    """The demo's accounts and their password; `only_unchanged`: those still there,
    active and with the demo's password (scripts/start says them on every start)."""
    shown = DEMO_PEOPLE
    if only_unchanged:
        users = {u.email: u for u in db.session.scalars(
            select(User).where(User.email.in_([email for *_, email, _l in DEMO_PEOPLE])))}
        hashes = {u.password_hash for u in users.values() if u.active and u.password_hash}
        demo_hashes = {h for h in hashes if verify_password(h, DEMO_PASSWORD)}
        shown = [p for p in DEMO_PEOPLE if p[2] in users and users[p[2]].active
                 and users[p[2]].password_hash in demo_hashes]
        if not shown:
            return
    with force_locale("en"):
        click.echo(f"Demo organisation: {DEMO_ORGANISATION}")
        for role, name, email, _leader in shown:
            click.echo(f"  {str(ROLE_LABELS[role]):<10} {name:<14} {email}")
        click.echo(f"Password for all: {DEMO_PASSWORD}")


def add_demo_conversations(people: dict) -> None:
    """A year of conversations in the demo: held, overdue, planned and being prepared.

    Written directly, not through the services, so the demo queues no email.
    """
    standard = db.session.scalar(select(QuestionSet).where(QuestionSet.key == "standard"))
    now = utcnow()

    def at(days: int, hour: int = 10):
        return from_oslo((now + timedelta(days=days)).date(), time(hour, 0))

    def conversation(employee, leader, days, **facts):
        held = facts.pop("held", False)
        item = Conversation(
            employee=people[employee], leader=people[leader], question_set=standard,
            starts_at=at(days), duration_minutes=90, place="Møterom Fjorden", **facts,
        )
        if held:
            item.invited_at = item.accepted_at = at(days - 14)
            item.started_at = item.held_at = at(days)
        item.refresh_state()
        db.session.add(item)
        return item

    def approved_minutes(held, summary, actions):
        """Approved minutes with their actions, [(what, responsible, days to deadline)]."""
        minutes = Minutes(conversation=held)
        minutes.points = [MinutesPoint(position=0, heading="Oppsummering", body=summary)]
        db.session.add(minutes)
        for position, (what, responsible, days) in enumerate(actions):
            db.session.add(Action(
                conversation=held, position=position, what=what, responsible=responsible,
                deadline=(now + timedelta(days=days)).date(),
            ))
        db.session.flush()
        version = minutes.submit(content_of(minutes), held.employee.name, at=held.held_at)
        minutes.decide(version.number, APPROVED, held.leader.name, at=held.held_at)

    # Lars: Bjørn had his ten months ago; Camilla has had none; Anne is preparing now.
    bjorn = conversation("bjorn.berg", "lars.lie", -300, held=True)
    db.session.flush()
    approved_minutes(bjorn, "Bjørn trives, men har for mye å gjøre i perioder.", [
        ("Ta kurs i prosjektledelse", "employee", 20),
        ("Fordele vaktansvaret jevnere i teamet", "leader", -10),
    ])
    anne = conversation(
        "anne.aas", "lars.lie", 16, invited_at=now, accepted_at=now, preparation_started_at=now,
        message="Jeg ser fram til en god prat om året som har gått og veien videre.",
    )
    questions = [q for theme in standard.themes for q in theme.questions][:3]
    anne.picks = [Pick(question=q, position=i) for i, q in enumerate(questions)]
    anne.refresh_state()
    # Lena: Dag's last conversation is more than a year ago; the next is planned, not sent.
    conversation("dag.eide", "lena.larsen", -420, held=True)
    conversation("dag.eide", "lena.larsen", 21)
    conversation("eva.fjeld", "lena.larsen", -200, held=True)


outbox_cli = AppGroup("outbox", help="Deliver queued email.")


@outbox_cli.command("send")
def send_command():
    """Queue due reminders, send every message that is due, once, and report how it went."""
    reminders = queue_scheduled()
    sent, failed = send_due(limit=10_000)
    click.echo(f"reminders {reminders}, sent {sent}, failed {failed}")


@outbox_cli.command("worker")
def worker_command():
    """Keep sending due messages, and queueing due reminders, until stopped (SIGTERM or
    Ctrl-C)."""
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    pause = current_app.config["OUTBOX_POLL_SECONDS"]
    click.echo(f"outbox worker: polling every {pause}s")
    work(queue_scheduled, lambda: bool(stopping), pause, click.echo)
