"""What the benches share (bench/round.py, bench/ratios.py, bench/lists.py,
bench/progress.py): a database with meetings under way, made in process through the app's
models and services; each party's session cookie and CSRF token, made with the app's own
serializers (no log-in through /login, whose argon2 would take minutes for 2000 people);
gunicorn on a free port, stopped however the run ends, and the bare Flask hello world
beside it; a small asyncio HTTP/1.1 client that does what a browser does (keep-alive,
chunked bodies, server-sent events); wrk; the CPU time each process used; and the table of
pages timed beside hello world.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The master key of the run's database (a new one each run, as the database is new).
ENCRYPTION_KEY = os.environ.get("ENCRYPTION_KEY") or base64.urlsafe_b64encode(
    os.urandom(32)).decode()
USER_AGENT = "medsamtale-bench/2"  # part of the session's identifier (Flask-Login "basic")
WRK = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
REQUEST_TIMEOUT = 35.0  # the client gives up on a request after this (the pool waits 30)
KEEP_ALIVE_REUSE = 1.5  # gunicorn closes a keep-alive connection idle for 2 s


class BenchError(Exception):
    pass


# The database and its meetings ----------------------------------------------------------


def server_arguments(parser, database_help: str = "an empty PostgreSQL database (default SQLite)"):
    """The options every gunicorn benchmark takes: the database and the server's shape."""
    parser.add_argument("--database-url", help=database_help)
    parser.add_argument("--wipe", action="store_true",
                        help="drop everything in the PostgreSQL database's public schema first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--worker-connections", type=int, default=4000,
                        help="gevent connections per worker (4000)")
    return parser


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql"))


def redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def prepare_database(url: str, wipe: bool) -> None:
    """A PostgreSQL database must be empty, or is emptied with `wipe`."""
    if not is_postgres(url):
        return
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from medsamtale.config import database_url

    engine = sa.create_engine(database_url(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            tables = conn.execute(sa.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )).scalar_one()
            if tables and not wipe:
                raise BenchError(
                    f"{redacted(url)} has {tables} tables; give an empty database, or --wipe "
                    "to drop everything in its public schema")
            if tables:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as error:
        raise BenchError(f"cannot reach {redacted(url)}: {error}") from error
    finally:
        engine.dispose()


def demo_app(prefix: str, database_url: str | None = None):
    """The app in this process, migrated, with the demo loaded, for the in-process
    benchmarks: on `database_url` (an empty database) or a fresh SQLite file in a new
    folder, with CSRF off and no mail sent."""
    from flask_migrate import upgrade

    from medsamtale import create_app

    os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix=prefix)
    os.environ["ENCRYPTION_KEY"] = ENCRYPTION_KEY
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    app = create_app({"WTF_CSRF_ENABLED": False, "MAIL_SUPPRESS_SEND": True})
    with app.app_context():
        upgrade()
    app.test_cli_runner().invoke(args=["demo"])
    return app


def make_app(url: str, secret_key: str, instance: Path):
    """The app in this process, on `url`, migrated: for setting up and for the cookies."""
    from flask_migrate import upgrade

    from medsamtale import create_app

    os.environ["INSTANCE_PATH"] = str(instance)
    os.environ["ENCRYPTION_KEY"] = ENCRYPTION_KEY
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key,
                      "MAIL_SUPPRESS_SEND": True})
    with app.app_context():
        upgrade()
    return app


@dataclass
class Person:
    user_id: int
    name: str
    cookie: str = ""  # the Cookie header
    csrf: str = ""  # the X-CSRFToken header


@dataclass
class Meeting:
    conversation_id: int
    leader: Person
    employee: Person
    item_ids: list[int]
    agenda_version: int
    note_versions: dict[int, int] = field(default_factory=dict)  # item: leader_note version


def create_meetings(app, count: int, items: int, start_at: int = 0) -> list[Meeting]:
    """`count` leader/employee pairs, each with a conversation started (in progress) whose
    agenda has `items` items: the employee's questions (at most ten, with both parties'
    notes from the preparation), then topics of each party. Through the app's models and
    medsamtale.agenda.meeting.start, as the leader's "Start" does."""
    import sqlalchemy as sa

    from medsamtale.agenda import meeting
    from medsamtale.cli import initialise
    from medsamtale.extensions import db
    from medsamtale.models import AgendaItem, Conversation, Pick, QuestionSet, User
    from medsamtale.models.conversations import MAX_PICKS
    from medsamtale.timeutil import utcnow

    made: list[Meeting] = []
    with app.app_context():
        initialise("Benk kommune")
        db.session.commit()
        standard = db.session.scalar(sa.select(QuestionSet).where(QuestionSet.key == "standard"))
        questions = [q for theme in standard.themes for q in theme.questions]
        picks = min(items, MAX_PICKS, len(questions))
        topics = [f"Tema {n + 1}: hvordan vi fordeler oppgavene i teamet"
                  for n in range(items - picks)]
        for first in range(start_at, start_at + count, 100):
            batch = range(first, min(first + 100, start_at + count))
            now = utcnow()
            conversations = []
            for n in batch:
                leader = User(name=f"Leder {n}", email=f"leder{n}@benk.example",
                              is_leader=True)
                employee = User(name=f"Ansatt {n}", email=f"ansatt{n}@benk.example",
                                leader=leader)
                conversation = Conversation(
                    employee=employee, leader=leader, question_set=standard, starts_at=now,
                    duration_minutes=60, place="Møterom Fjorden", invited_at=now,
                    accepted_at=now, preparation_started_at=now,
                    employee_topics="\n".join(topics[0::2]),
                    leader_topics="\n".join(topics[1::2]),
                )
                conversation.picks = [
                    Pick(question=q, position=k,
                         employee_note="Jeg vil gjerne snakke om dette, særlig om hvordan "
                                       "det har gått det siste halvåret.",
                         leader_note="Ta opp tilbakemeldingen fra prosjektet i vår.")
                    for k, q in enumerate(questions[:picks])
                ]
                conversation.refresh_state()
                db.session.add(conversation)
                conversations.append(conversation)
            db.session.flush()
            for conversation in conversations:
                conversation.employee_ready_at = utcnow()
                meeting.start(conversation)
            db.session.commit()
            ids = [c.id for c in conversations]
            rows = db.session.execute(
                sa.select(AgendaItem.conversation_id, AgendaItem.id,
                          AgendaItem.leader_note_version)
                .where(AgendaItem.conversation_id.in_(ids), AgendaItem.removed.is_(False))
                .order_by(AgendaItem.conversation_id, AgendaItem.position)
            ).all()
            by_conversation: dict[int, list] = {}
            for conversation_id, item_id, version in rows:
                by_conversation.setdefault(conversation_id, []).append((item_id, version))
            for conversation in conversations:
                found = by_conversation.get(conversation.id, [])
                made.append(Meeting(
                    conversation.id,
                    Person(conversation.leader_id, conversation.leader.name),
                    Person(conversation.employee_id, conversation.employee.name),
                    [i for i, _ in found], conversation.agenda_version,
                    {i: v for i, v in found},
                ))
        users = {u.id: u for u in db.session.scalars(sa.select(User)).all()}
        for each in made:
            for person in (each.leader, each.employee):
                person.cookie, person.csrf = session_cookie(app, users[person.user_id])
        db.session.commit()  # the server-side sessions those cookies name
        db.session.remove()
        db.engine.dispose()  # this process keeps no connection to the database
    return made


def pg_connections(url: str) -> str:
    """The database's connections (but this one) by state and last statement, for
    seeing what holds the server's pools."""
    if not is_postgres(url):
        return ""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT coalesce(state, '?'), left(regexp_replace(query, '\\s+', ' ', 'g'), 60),"
                " count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 3 DESC").fetchall()
    except psycopg.Error as error:
        return f"(pg_stat_activity: {error})"
    total = sum(n for *_, n in rows)
    return f"{total}: " + "; ".join(f"{n} {state} after {query!r}" for state, query, n in rows)


def session_cookie(app, user) -> tuple[str, str]:
    """The Cookie header of `user` logged in, and the X-CSRFToken for their posts.

    As auth.sessions.log_in() and flask_wtf.csrf.generate_csrf() would leave it: a
    server-side session (models.UserSession, added to the caller's transaction, which must
    commit it); Flask-Login keeps `_user_id` (User.get_id(), "<id>.<session token>"),
    `_fresh` and `_id` (the
    hash of the address and User-Agent, checked by session protection "basic"); Flask-WTF
    keeps the raw token under `csrf_token` and expects the header to carry it signed with
    URLSafeTimedSerializer(WTF_CSRF_SECRET_KEY or SECRET_KEY, salt="wtf-csrf-token").
    """
    from itsdangerous import URLSafeTimedSerializer

    from medsamtale.models import UserSession

    cache = app.extensions.setdefault("bench", {})
    if "identifier" not in cache:
        with app.test_request_context(
                "/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                headers={"User-Agent": USER_AGENT}):
            login_manager = app.login_manager
            cache["identifier"] = login_manager._session_identifier_generator()
        cache["session"] = app.session_interface.get_signing_serializer(app)
        cache["csrf"] = URLSafeTimedSerializer(
            app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token")
    raw = hashlib.sha1(os.urandom(64)).hexdigest()
    _row, user.session_token = UserSession.begin(
        user.id, app.permanent_session_lifetime, USER_AGENT, "127.0.0.1")
    value = cache["session"].dumps({
        "_user_id": user.get_id(), "_fresh": True, "_id": cache["identifier"],
        "csrf_token": raw,
    })
    name = app.config["SESSION_COOKIE_NAME"]
    return f"{name}={value}", cache["csrf"].dumps(raw)


# gunicorn -------------------------------------------------------------------------------


def die_with_parent(signum: int = signal.SIGKILL):
    """For Popen's preexec_fn: the child gets `signum` when the bench dies, however it
    dies (Linux prctl PR_SET_PDEATHSIG), so no server or wrk outlives a killed run."""

    def set_signal():
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signum), 0, 0, 0)

    return set_signal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as production runs it (gevent workers), on a free port; its log in a
    file. Stopped with stop(), quick shutdown, then its process group killed if it lingers."""

    def __init__(self, app_spec: str, env: dict, args, log_path: Path, cwd: Path = ROOT,
                 workers: int | None = None):
        self.app_spec = app_spec
        self.env = env
        self.workers = workers or args.workers
        self.connections = args.worker_connections
        self.log_path = log_path
        self.cwd = cwd
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        return [
            "gunicorn", "--worker-class", "gevent", "--workers", str(self.workers),
            "--worker-connections", str(self.connections), "--bind", f"127.0.0.1:{self.port}",
            self.app_spec,
        ]

    def settings(self) -> str:
        return " ".join(c if " " not in c and "(" not in c else f"'{c}'" for c in self.command)

    def start(self) -> None:
        executable = str(Path(sys.executable).with_name("gunicorn"))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [executable, *self.command[1:]], cwd=self.cwd, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGQUIT))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n"
                                 f"{self.tail()}")
            if len(self.worker_pids()) >= self.workers and self._answers():
                return
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 60 s:\n{self.tail()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGQUIT)  # quick shutdown
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # a worker left behind
            os.killpg(self.process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its live workers (a worker that died
        takes its share with it)."""
        if self.process is None:
            return 0.0
        return sum(process_cpu(p) for p in [self.process.pid, *self.worker_pids()])

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_cpu() -> float:
    """CPU time of every PostgreSQL process on this machine (all databases, not only ours:
    the server is shared), or 0 when there is none to see."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += process_cpu(int(entry.name))
            except OSError:
                pass
    return total


def own_cpu() -> float:
    """This process (the bench's clients) and the children it has waited for (wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def machine_busy() -> float:
    """CPU time the whole machine has been busy (all processes, /proc/stat)."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time used while it runs, in CPUs' worth (seconds of CPU per second of wall):
    gunicorn, PostgreSQL, this process with its children (the clients, wrk), and everything
    else on the machine (others' work: the machine is shared)."""

    def __init__(self, *servers: Server):
        self.servers = servers

    def __enter__(self):
        self.wall = time.monotonic()
        self.before = self._now()
        return self

    def _now(self):
        return (sum(s.cpu_seconds() for s in self.servers), postgres_cpu(), own_cpu(),
                machine_busy())

    def __exit__(self, *exc):
        self.elapsed = max(time.monotonic() - self.wall, 1e-9)
        after = self._now()
        self.server, self.postgres, self.client, busy = (
            a - b for a, b in zip(after, self.before, strict=True))
        self.others = max(0.0, busy - self.server - self.postgres - self.client)

    def share(self, seconds: float) -> float:
        return seconds / self.elapsed

    def line(self) -> str:
        return (f"CPUs' worth over {self.elapsed:.1f} s: gunicorn {self.share(self.server):.2f}, "
                f"PostgreSQL {self.share(self.postgres):.2f}, bench clients "
                f"{self.share(self.client):.2f}, the rest of the machine "
                f"{self.share(self.others):.2f} (of {os.cpu_count()})")


def log_findings(path: Path, since: int = 0) -> list[str]:
    """What the server's log says went wrong, from byte `since` on: each kind of warning,
    error and traceback with how often it came, and its first line."""
    try:
        with open(path, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except OSError:
        return []
    counts: Counter = Counter()
    first: dict[str, str] = {}
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("Traceback"):
            # the exception is the first unindented line after the traceback; where in the
            # app it came from, the traceback's last frame in medsamtale/
            end = next((k for k in range(n + 1, len(lines))
                        if lines[k] and not lines[k].startswith((" ", "\t"))), len(lines))
            tail = lines[end] if end < len(lines) else ""
            frames = [re.search(r'medsamtale/(\S+)", line (\d+), in (\S+)', t)
                      for t in lines[n + 1:end]]
            frames = [f for f in frames if f]
            where = (f" (from medsamtale/{frames[-1].group(1)}:{frames[-1].group(2)} "
                     f"{frames[-1].group(3)})") if frames else ""
            key = tail[:160] + where
            first.setdefault(key, key)
        elif re.search(r"\[(WARNING|ERROR|CRITICAL)\]|WORKER TIMEOUT|Exception on|"
                       r"lost its connection|QueuePool|TimeoutError", line):
            key = re.sub(r"^\[[^]]*\] \[\d+\] ", "", line)
            key = re.sub(r"\d+", "N", key)[:160]
        else:
            continue
        counts[key] += 1
        first.setdefault(key, line[:200])
    return [f"{n:6d} x {first[key]}" for key, n in counts.most_common(12)]


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# Runs ---------------------------------------------------------------------------------


def header(script: str) -> None:
    print(f"Medsamtale under gunicorn ({script}), beside a bare Flask hello world")
    print(f"  machine   {machine()}")
    print(f"  software  {versions()}")
    print(f"  clients   this process (asyncio) for the browsers; "
          f"{'wrk' if WRK else 'its own client (no wrk)'} for the rates; "
          "all on the same CPUs as the server")
    print()


def start_app(args, url: str, folder: Path, count: int, servers: list, workers: int):
    """Migrate, make `count` meetings in process, start gunicorn, prove the cookies."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    began = time.monotonic()
    app = make_app(url, secret, folder)
    meetings = create_meetings(app, count, args.items)
    made = time.monotonic() - began
    server = Server("medsamtale:create_app()", server_env(url, secret, folder), args,
                    folder / "gunicorn.log", workers=workers)
    servers.append(server)
    server.start()
    proof = asyncio.run(prove_login(server.port, meetings[0]))
    kind = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"Server on {kind}: {redacted(url) if is_postgres(url) else 'a fresh file'}")
    print(f"  {server.settings()}")
    print(f"  {count} meetings of {args.items} items made in process in {made:.1f} s "
          f"({2 * count} people, their session cookies and CSRF tokens)")
    print(f"  proof: {'; '.join(proof)}")
    print()
    return server, meetings


def run_script(script: str, body) -> int:
    """`body(folder, servers)` under the header of `script`, in a temporary folder: its
    BenchError or an interrupt said on stderr (1, 130), every server it started stopped and
    the folder removed however it ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"medsamtale-{Path(script).stem}-"))
    servers: list[Server] = []
    try:
        header(script)
        body(folder, servers)
    except BenchError as error:
        print(f"\n{script}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:  # with the signal's name when one raised it
        print(f"\n{script}: interrupted {interrupt}".rstrip(), file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


HELLO = '''from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
'''


def start_hello(args, folder: Path, servers: list, workers: int | None = None) -> Server:
    """The bare Flask hello world (HELLO), written to `folder`/hello and started under the
    same gunicorn settings as the app: the baseline of every ratio."""
    hello_dir = folder / "hello"
    hello_dir.mkdir(parents=True, exist_ok=True)
    (hello_dir / "hello.py").write_text(HELLO)
    hello = Server("hello:app", {**os.environ, "PYTHONUNBUFFERED": "1"}, args,
                   hello_dir / "gunicorn.log", cwd=hello_dir, workers=workers)
    servers.append(hello)
    hello.start()
    return hello


# Pages timed beside hello world (bench/lists.py, bench/progress.py) ---------------------


def page_arguments(description: str, requests: int):
    """The options of a page bench: the server's, and how many people and requests."""
    parser = argparse.ArgumentParser(description=description)
    server_arguments(parser, "an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--people", type=int, default=5000, help="people (5000)")
    parser.add_argument("--requests", type=int, default=requests,
                        help=f"one-at-a-time requests ({requests})")
    parser.add_argument("--seconds", type=float, default=3.0, help="each wrk run (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="wrk connections (4)")
    return parser


def serve_beside_hello(script: str, args, seed, pages, target_ms: float,
                       most_seconds: float | None = None) -> int:
    """A page bench: the database (SQLite in the temporary folder unless --database-url),
    the app migrated and seeded in process by `seed(app, args.people)`, which returns the
    person whose pages are timed (logged in), the ids the pages need and what it made (for
    "Seeded ... in N s"); gunicorn and hello world started; the pages `pages(ids)` gives,
    (label, path) each, timed with time_pages; what went wrong in gunicorn's log."""

    def body(folder: Path, servers: list) -> None:
        url = args.database_url or "sqlite:///" + str(folder / "app" / "bench.sqlite")
        prepare_database(url, args.wipe)
        (folder / "app").mkdir(parents=True)
        secret = new_secret()
        began = time.monotonic()
        app = make_app(url, secret, folder / "app")
        person, ids, made = seed(app, args.people)
        print(f"Seeded {made} in {time.monotonic() - began:.1f} s on "
              f"{'PostgreSQL' if is_postgres(url) else 'SQLite'}")
        server = Server("medsamtale:create_app()", server_env(url, secret, folder / "app"),
                        args, folder / "app" / "gunicorn.log")
        servers.append(server)
        server.start()
        hello = start_hello(args, folder, servers)
        asyncio.run(time_pages(args, server, hello, person, pages(ids), folder, target_ms,
                               most_seconds))
        findings = log_findings(server.log_path)
        print("  gunicorn's log: " + ("nothing went wrong" if not findings else ""))
        for line in findings:
            print(f"    {line}")

    return run_script(script, body)


async def one_at_a_time(port: int, person: Person | None, path: str, count: int,
                        most_seconds: float | None = None) -> tuple[list[float], set[int]]:
    """`count` GETs of `path`, one after the other on one browser (or as many as are begun
    within `most_seconds`): the milliseconds of each and the statuses seen."""
    browser = Browser(port, person)
    times, statuses = [], set()
    began = time.monotonic()
    try:
        for _ in range(count):
            answer = await browser.request("GET", path)
            statuses.add(answer.status)
            times.append(answer.seconds * 1000)
            if most_seconds is not None and time.monotonic() - began > most_seconds:
                break
    finally:
        browser.close()
    return times, statuses


async def time_pages(args, server: Server, hello: Server, person: Person, pages: list,
                     folder: Path, target_ms: float, most_seconds: float | None = None) -> None:
    """Hello world, then each (label, path) of `pages` on `server` as `person`: one request
    at a time (`--requests`, p50/p95 of what a person waits), then wrk on `--concurrency`
    connections for `--seconds` after 1 s of warm-up, with the ratio of requests per second
    to hello world's; printed as a table, a row a page."""
    within = f", or as many as fit in {most_seconds:g} s" if most_seconds is not None else ""
    print(f"One request at a time ({args.requests} each{within}) and wrk ({args.concurrency} "
          f"connections, {args.seconds:g} s each after 1 s warm-up)")
    print(f"  both under {server.settings().replace(f':{server.port}', ':PORT')}")
    print(f"    {'':36} {'n':>3} {'p50 ms':>6} {'p95 ms':>6} {'req/s':>7} {'ratio':>5} "
          f"{'wrk p95':>7} {'errors':>6}  target")
    baseline = None
    rows = [("hello world (bare Flask)", hello, "/")]
    rows += [(label, server, path) for label, path in pages]
    for label, target, path in rows:
        cookie = {} if target is hello else {"Cookie": person.cookie}
        times, statuses = await one_at_a_time(target.port, None if target is hello else person,
                                              path, args.requests, most_seconds)
        await rate_async(target.port, path, cookie, 200, 1, args.concurrency, folder)
        rate = await rate_async(target.port, path, cookie, 200, args.seconds,
                                args.concurrency, folder)
        baseline = baseline or rate.per_second or 1.0
        p50, p95 = percentiles(times)
        goal = "" if target is hello else (
            f"p95 < {target_ms:g} ms: {'yes' if p95 is not None and p95 < target_ms else 'NO'}")
        odd = "" if statuses == {200} else f" statuses {sorted(statuses)}"
        print(f"    {label:36} {len(times):3d} {ms(p50):>6} {ms(p95):>6} "
              f"{rate.per_second:7.0f} {rate.per_second / baseline:5.2f} {ms(rate.p95):>7} "
              f"{rate.errors:6d}  {goal}{odd} {rate.detail}")


# The browser's HTTP ----------------------------------------------------------------------


class HTTPError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()
        self.closed = False

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(reader, writer)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()

    async def send(self, method: str, path: str, headers: dict, body: bytes | None) -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"User-Agent: {USER_AGENT}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        await self.writer.drain()

    async def head(self) -> tuple[int, dict]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HTTPError(f"bad status line {status_line!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    async def body(self, status: int, headers: dict) -> bytes:
        if status in (204, 304) or 100 <= status < 200:
            data = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b"".join([chunk async for chunk in self.chunks()])
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:
            data = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        self.idle_since = time.monotonic()
        return data

    async def chunks(self):
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return
            chunk = await self.reader.readexactly(size + 2)
            yield chunk[:-2]


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    seconds: float


class Browser:
    """One person's browser: their cookie and CSRF token, and a few keep-alive connections
    (a new one when none is free, as a browser opens up to six per site)."""

    def __init__(self, port: int, person: Person | None = None):
        self.port = port
        self.person = person
        self.idle: list[Connection] = []

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()

    async def _connection(self) -> tuple[Connection, bool]:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and time.monotonic() - conn.idle_since < KEEP_ALIVE_REUSE:
                return conn, True
            conn.close()
        return await Connection.open(self.port), False

    async def request(self, method: str, path: str, form: dict | None = None,
                      headers: dict | None = None, timeout: float = REQUEST_TIMEOUT) -> Answer:
        sent = {}
        if self.person is not None:
            sent["Cookie"] = self.person.cookie
            if method == "POST":
                sent["X-CSRFToken"] = self.person.csrf
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        began = time.perf_counter()
        async with asyncio.timeout(timeout):
            for attempt in (1, 2):
                conn, reused = await self._connection()
                try:
                    await conn.send(method, path, sent, body)
                    status, got = await conn.head()
                    data = await conn.body(status, got)
                except (ConnectionError, asyncio.IncompleteReadError, HTTPError):
                    conn.close()
                    if reused and attempt == 1:
                        continue  # the server closed it meanwhile: once more on a new one
                    raise
                except BaseException:
                    conn.close()
                    raise
                if not conn.closed:
                    self.idle.append(conn)
                return Answer(status, got, data, time.perf_counter() - began)
        raise AssertionError("unreachable")


class EventStream:
    """An EventSource on one connection: yields (event, data) for each message, and
    ("comment", text) for each comment line."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def messages(self):
        buffer = b""
        event, data = None, []
        async for chunk in self.conn.chunks():
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode().rstrip("\r")
                if not line:
                    if event is not None or data:
                        yield event or "message", "\n".join(data)
                    event, data = None, []
                elif line.startswith(":"):
                    yield "comment", line[1:].strip()
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)


def agenda_since(body: bytes) -> int | None:
    found = re.search(rb'id="agenda-since"[^>]*value="(\d+)"', body)
    return int(found.group(1)) if found else None


def agenda_latest(body: bytes) -> int | None:
    """The version an event stream told of (input#agenda-latest), if known."""
    found = re.search(rb'id="agenda-latest"[^>]*value="(\d+)"', body)
    return int(found.group(1)) if found else None


def agenda_shown(body: bytes) -> str | None:
    found = re.search(rb'id="agenda-shown"[^>]*value="([^"]*)"', body)
    return found.group(1).decode() if found else None


async def prove_login(port: int, meeting: Meeting) -> list[str]:
    """One real request each, before the run, that the made cookies and token work as a
    log-in through /login would: the home page shows the person with no new cookie (the
    session is taken as it is), a save with the token is accepted (204, nothing changed),
    the same save with a wrong token refused (400)."""
    leader = Browser(port, meeting.leader)
    try:
        home = await leader.request("GET", "/")
        if home.status != 200 or meeting.leader.name.encode() not in home.body:
            raise BenchError(f"the made session cookie is not a log-in: GET / answered "
                             f"{home.status} {home.headers.get('location', '')}")
        if "set-cookie" in home.headers:
            raise BenchError("the made session was changed by the server: "
                             + home.headers["set-cookie"][:80])
        item = meeting.item_ids[0]
        page = await leader.request("GET", f"/agenda/{meeting.conversation_id}")
        note = re.search(
            rf'id="leader_note-{item}"[^>]*data-version="(\d+)"[^>]*>([^<]*)</textarea>'
            .encode(), page.body, re.S)
        if page.status != 200 or note is None:
            raise BenchError(f"the agenda page answered {page.status} without item {item}")
        import html

        form = {"field": "leader_note", "value": html.unescape(note.group(2).decode()),
                "version": note.group(1).decode()}
        path = f"/agenda/{meeting.conversation_id}/items/{item}/text"
        saved = await leader.request("POST", path, form=form, headers={"HX-Request": "true"})
        if saved.status != 204:
            raise BenchError(f"a save with the made CSRF token answered {saved.status}: "
                             f"{saved.body[:200]!r}")
        forged = await leader.request("POST", path, form=form, headers={
            "HX-Request": "true", "X-CSRFToken": meeting.leader.csrf[:-4] + "AAAA"})
        if forged.status != 400:
            raise BenchError(f"a save with a wrong CSRF token answered {forged.status}")
        return [f"GET / as {meeting.leader.name}: 200, their name on it, no Set-Cookie",
                f"a save with the token: {saved.status}; with a wrong token: {forged.status}"]
    finally:
        leader.close()


# wrk ------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) expected = tonumber(args[1]); unexpected = 0 end
function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("unexpected") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"unexpected": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3, bad,
    e.connect, e.read, e.write, e.timeout, e.status))
end
"""


@dataclass
class Rate:
    requests: int
    seconds: float
    p50: float | None
    p95: float | None
    errors: int
    detail: str = ""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_script(folder: Path) -> Path:
    path = folder / "bench.lua"
    if not path.exists():
        path.write_text(WRK_SCRIPT)
    return path


def wrk_command(port: int, path: str, headers: dict, expect: int, seconds: float,
                connections: int, folder: Path) -> list[str]:
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
               "10s", "-s", str(wrk_script(folder))]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, f"http://127.0.0.1:{port}{path}", "--", str(expect)]


def wrk_result(output: str) -> Rate:
    found = re.search(r"^WRK (\{.*\})$", output, re.M)
    if found is None:
        raise BenchError(f"wrk said:\n{output}")
    r = json.loads(found.group(1))
    errors = r["unexpected"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    detail = ", ".join(f"{k} {r[k]}" for k in ("unexpected", "connect", "read", "write",
                                               "timeout") if r[k])
    return Rate(r["requests"], r["seconds"], r["p50"], r["p95"], errors, detail)


async def rate_async(port: int, path: str, headers: dict, expect: int, seconds: float,
                     connections: int, folder: Path) -> Rate:
    """Requests per second of GET `path` on `connections` keep-alive connections: wrk
    when there is one, else this process's own client (which costs far more CPU)."""
    if WRK:
        process = await asyncio.create_subprocess_exec(
            *wrk_command(port, path, headers, expect, seconds, connections, folder),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent())
        try:
            output, _ = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return wrk_result(output.decode(errors="replace"))
    return await python_rate(port, path, headers, expect, seconds, connections)


async def python_rate(port, path, headers, expect, seconds, connections) -> Rate:
    times: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def one():
        nonlocal errors
        browser = Browser(port)
        while time.monotonic() < deadline:
            try:
                answer = await browser.request("GET", path, headers=headers, timeout=10)
                times.append(answer.seconds * 1000)
                errors += answer.status != expect
            except (OSError, TimeoutError, asyncio.IncompleteReadError, HTTPError):
                errors += 1
        browser.close()

    began = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    p50, p95 = percentiles(times)
    return Rate(len(times), time.monotonic() - began, p50, p95, errors, "python client")


# Figures --------------------------------------------------------------------------------


def percentiles(samples, cuts=(50, 95)) -> tuple:
    samples = list(samples)
    if not samples:
        return tuple(None for _ in cuts)
    if len(samples) == 1:
        return tuple(samples[0] for _ in cuts)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return tuple(q[c - 1] for c in cuts)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else ""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs{' (' + model + ')' if model else ''}, load {load}; "
            f"Python {sys.version.split()[0]}")


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("gunicorn", "gevent", "Flask",
                                                            "SQLAlchemy", "psycopg"))


def server_env(url: str, secret_key: str, instance: Path) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret_key, "HTMX_CDN_URL": "",
            "ENCRYPTION_KEY": ENCRYPTION_KEY,
            "INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}


def new_secret() -> str:
    return secrets.token_hex(32)
