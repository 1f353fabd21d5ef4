"""Benchmark the live agenda under gunicorn. It prints its figures; it asserts nothing.

    .venv/bin/python bench/agenda.py
    .venv/bin/python bench/agenda.py --database-url postgresql://postgres@127.0.0.1:5432/bench

It migrates a database, loads the demo (`flask demo`), starts gunicorn (gthread) on a free
port and logs in as the leader Lars Lie and the employee Anne Aas through /login, as a
browser does. Lars starts the meeting of Anne's conversation; then it measures:

- requests per second for /health (the bare baseline), the agenda poll answered with 304
  (nothing changed) and the whole agenda page, each also as a ratio of /health;
- the round trip of Lars's saves of his note, one every 100-200 ms, each made as agenda.js makes it,
  next to /health requested with the same pauses (what an idle machine adds to any request);
- propagation: from the start of each save until Anne's client has fetched the changed item.
  Anne's side does what static/js/agenda.js does: on SQLite it polls every 500 ms; on
  PostgreSQL it listens to /events and fetches /poll on each "changed" event, polling every
  5 s as a backstop, and it ignores an event that arrives while a fetch is in flight.

The default database is a fresh SQLite file in a temporary directory. A PostgreSQL database
must exist; it must be empty, or given with --wipe, which drops everything in its public
schema. The bench client runs on the same machine as the server and shares its CPUs; the
CPU time each used is printed with the requests per second.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import html
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "samtale-demo"  # medsamtale.cli.DEMO_PASSWORD
LEADER = "lars.lie@demo.medsamtale.no"
EMPLOYEE = "anne.aas@demo.medsamtale.no"
USER_AGENT = "medsamtale-bench/1"

POLL_SECONDS = 0.5  # agenda.js POLL_MS
PUSHED_POLL_SECONDS = 5.0  # agenda.js: POLL_MS * 10 while the event stream is up
EVENT_RETRY_SECONDS = 1.0  # the "retry: 1000" the event stream sends
SAVE_GAP_SECONDS = (0.1, 0.2)  # between one save's answer and the next save
WARM_UP_SECONDS = 1.0  # before each requests-per-second run; not counted
DRAIN_SECONDS = 15.0  # how long Anne may take to see the last save
PACED_HEALTH_REQUESTS = 50  # /health with the saves' pauses: this machine's floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--wipe", action="store_true",
                        help="drop everything in the PostgreSQL database's public schema first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument("--saves", type=int, default=200, help="saves by Lars (200)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of each requests-per-second run (5)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="keep-alive connections in the requests-per-second runs (8)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="medsamtale-bench-"))
    url = args.database_url or "sqlite:///" + str(workdir / "bench.sqlite")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "HTMX_CDN_URL": "",
        "INSTANCE_PATH": str(workdir / "instance"),
        "PYTHONUNBUFFERED": "1",
    }
    server = None
    try:
        prepare_database(url, args.wipe)
        flask(env, "db", "upgrade")
        flask(env, "demo")
        conversation_id = demo_conversation(url)
        server = Server(env, args.workers, args.threads, workdir / "gunicorn.log")
        server.start()
        run(args, url, server, conversation_id)
    except BenchError as error:
        print(f"bench/agenda.py: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/agenda.py: interrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


class BenchError(Exception):
    pass


# Setting up ------------------------------------------------------------------------------------


def redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def engine_for(url: str):
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from medsamtale.config import database_url

    return sa.create_engine(database_url(url), poolclass=NullPool)


def prepare_database(url: str, wipe: bool) -> None:
    """A PostgreSQL database must be empty, or is emptied with --wipe."""
    if not url.startswith(("postgres://", "postgresql")):
        return
    import sqlalchemy as sa

    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            tables = conn.execute(sa.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )).scalar_one()
            if tables and not wipe:
                raise BenchError(
                    f"{redacted(url)} has {tables} tables; give an empty database, or --wipe "
                    "to drop everything in its public schema"
                )
            if tables:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as error:
        raise BenchError(f"cannot reach {redacted(url)}: {error}") from error
    finally:
        engine.dispose()


def flask(env: dict, *args: str) -> None:
    command = [sys.executable, "-m", "flask", "--app", "medsamtale", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def demo_conversation(url: str) -> int:
    """Anne's open conversation in the demo (id 2 in a fresh demo)."""
    import sqlalchemy as sa

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT c.id FROM conversation c JOIN users u ON u.id = c.employee_id "
                "WHERE u.email = :email AND c.state NOT IN ('held', 'cancelled')"
            ), {"email": EMPLOYEE}).scalar_one()
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with gthread workers, as in production, on a free port."""

    def __init__(self, env: dict, workers: int, threads: int, log_path: Path):
        self.env = env
        self.workers = workers
        self.threads = threads
        self.log_path = log_path
        self.port = free_port()
        self.process = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers), "--worker-class", "gthread",
            "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
            "--graceful-timeout", "5", "wsgi:app",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"gunicorn did not answer /health within 30 s:\n{self.log()}")

    def log(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate gunicorn (graceful), then kill its process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the gunicorn master and its workers (Linux /proc)."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            total = 0
            for each in [str(pid), *children]:
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            return None
        return total / os.sysconf("SC_CLK_TCK")


# A browser's connection --------------------------------------------------------------------------


class Client:
    """One keep-alive connection with one person's cookies and CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        body = urlencode(form).encode() if form is not None else None
        extra = {}
        if body is not None:
            extra["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST" and self.csrf:
            extra["X-CSRFToken"] = self.csrf
        extra.update(headers or {})
        sent = self.headers(extra)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected):
                # gunicorn closes a keep-alive connection idle for 2 s; open a new one.
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return response, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def log_in(self, email: str) -> None:
        """As a browser: the login page's CSRF token, then the form."""
        response, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if token is None:
            raise BenchError(f"no CSRF token on /login ({response.status})")
        response, _ = self.request("POST", "/login", form={
            "email": email, "password": PASSWORD, "csrf_token": token.group(1).decode(),
        })
        if response.status != 302:
            raise BenchError(f"could not log in as {email} ({response.status})")

    def page(self, path: str) -> str:
        """GET a page and keep its CSRF token for the posts agenda.js makes."""
        response, body = self.request("GET", path)
        if response.status != 200:
            raise BenchError(f"GET {path} answered {response.status}")
        text = body.decode()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return text


def text_version(page: str, field: str, item_id: int) -> int:
    found = re.search(rf'id="{field}-{item_id}"[^>]*data-version="(\d+)"', page)
    if found is None:
        raise BenchError(f"no {field} of item {item_id} on the agenda page")
    return int(found.group(1))


def agenda_version(page: str) -> int:
    found = re.search(r'<div id="agenda" data-version="(\d+)"', page)
    if found is None:
        raise BenchError("no agenda on the page; did the meeting start?")
    return int(found.group(1))


# Requests per second ---------------------------------------------------------------------------


def hammer(port: int, path: str, headers: dict, expect: int, seconds: float,
           concurrency: int) -> dict:
    """`concurrency` keep-alive connections sending GET `path` for `seconds`."""
    start = threading.Barrier(concurrency + 1)
    results = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        times, errors = [], 0
        start.wait()
        deadline = time.perf_counter() + seconds
        while (began := time.perf_counter()) < deadline:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != expect:
                    errors += 1
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                continue
            times.append(time.perf_counter() - began)
        conn.close()
        with lock:
            results.append((times, errors))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    times = [t for each, _ in results for t in each]
    return {
        "requests": len(times),
        "errors": sum(errors for _, errors in results),
        "elapsed": elapsed,
        "latencies": times,
    }


def requests_per_second(args, server: Server, anne: Client, conversation_id: int,
                        version: int) -> list[tuple]:
    """/health, /poll answered 304, and the whole agenda page, each as Anne's browser."""
    cookie = anne.headers()
    runs = [
        ("GET /health", "/health", cookie, 200),
        (f"GET /agenda/{conversation_id}/poll (304)",
         f"/agenda/{conversation_id}/poll?since={version}",
         {**cookie, "HX-Request": "true", "If-None-Match": f'"{version}"'}, 304),
        (f"GET /agenda/{conversation_id} (page)", f"/agenda/{conversation_id}", cookie, 200),
    ]
    rows = []
    for label, path, headers, expect in runs:
        hammer(server.port, path, headers, expect, WARM_UP_SECONDS, args.concurrency)
        own_before, server_before = cpu_now(), server.cpu_seconds()
        result = hammer(server.port, path, headers, expect, args.seconds, args.concurrency)
        own, server_after = cpu_now() - own_before, server.cpu_seconds()
        busy = None
        if server_before is not None and server_after is not None:
            busy = (server_after - server_before) / result["elapsed"]
        rows.append((label, result, busy, own / result["elapsed"]))
    return rows


def cpu_now() -> float:
    times = os.times()
    return times.user + times.system


# Saves and propagation -------------------------------------------------------------------------


class Watcher:
    """Anne's browser running agenda.js: what it fetches and when it has it."""

    def __init__(self, client: Client, port: int, conversation_id: int, version: int,
                 push: bool):
        self.client = client
        self.port = port
        self.poll_path = f"/agenda/{conversation_id}/poll"
        self.events_path = f"/agenda/{conversation_id}/events"
        self.version = version
        self.push = push
        self.pushed = False
        self.fetching = False
        self.trigger = ""
        self.lock = threading.Lock()
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.stream: http.client.HTTPConnection | None = None
        self.views: list[tuple[int, float, str]] = []  # (version, when fetched, trigger)
        self.last_body = b""
        self.events = 0
        self.ignored_events = 0
        self.fetches = 0
        self.errors = 0
        self.threads = [threading.Thread(target=self.fetch_loop, daemon=True),
                        threading.Thread(target=self.poll_loop, daemon=True)]
        if push:
            self.threads.append(threading.Thread(target=self.event_loop, daemon=True))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        stream = self.stream
        if stream is not None and stream.sock is not None:
            with contextlib.suppress(OSError):
                stream.sock.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join(5)
        self.client.close()

    def refresh(self, trigger: str) -> None:
        """agenda.js refresh(): nothing if a fetch is already under way."""
        with self.lock:
            if self.fetching:
                if trigger == "event":
                    self.ignored_events += 1
                return
            self.fetching = True
            self.trigger = trigger
        self.wanted.set()

    def fetch_loop(self) -> None:
        """agenda.js fetchChanges(): the items changed since the version it has."""
        while not self.stopping.is_set():
            if not self.wanted.wait(0.1):
                continue
            self.wanted.clear()
            since = self.version
            try:
                response, body = self.client.request(
                    "GET", f"{self.poll_path}?since={since}",
                    headers={"HX-Request": "true", "If-None-Match": f'"{since}"'},
                )
                done = time.perf_counter()
                self.fetches += 1
                if response.status == 200:
                    version = int(response.headers["X-Agenda-Version"])
                    if version > self.version:
                        self.version = version
                        self.views.append((version, done, self.trigger))
                        self.last_body = body
                elif response.status != 304:
                    self.errors += 1
            except (OSError, http.client.HTTPException, KeyError, ValueError):
                self.errors += 1
            finally:
                with self.lock:
                    self.fetching = False

    def poll_loop(self) -> None:
        """agenda.js poll(): every 500 ms, or every 5 s while the event stream is up."""
        while not self.stopping.is_set():
            if not self.pushed:
                self.refresh("poll")
            self.stopping.wait(PUSHED_POLL_SECONDS if self.pushed else POLL_SECONDS)

    def event_loop(self) -> None:
        """EventSource on /events: a "changed" event newer than what we have fetches."""
        while not self.stopping.is_set():
            self.stream = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.stream.request("GET", self.events_path, headers=self.client.headers(
                    {"Accept": "text/event-stream", "Cache-Control": "no-cache"}))
                response = self.stream.getresponse()
                if response.status != 200:
                    raise OSError(f"/events answered {response.status}")
                event, data = "message", []
                while not self.stopping.is_set():
                    line = response.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\r\n")
                    if not line:
                        if event == "changed" and data:
                            self.changed(int("".join(data)))
                        event, data = "message", []
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            event = value
                        elif name == "data":
                            data.append(value)
            except (OSError, http.client.HTTPException, ValueError):
                if not self.stopping.is_set():
                    self.errors += 1
            finally:
                self.stream.close()
            self.pushed = False  # EventSource "error": poll meanwhile, reconnect
            self.stopping.wait(EVENT_RETRY_SECONDS)

    def changed(self, version: int) -> None:
        self.events += 1
        self.pushed = True
        if version > self.version:
            self.refresh("event")


def saves_and_propagation(args, server: Server, lars: Client, anne: Client,
                          conversation_id: int, push: bool) -> dict:
    page = lars.page(f"/agenda/{conversation_id}")
    first = re.search(r'<li class="agenda-item[^"]*" id="item-(\d+)"', page)
    if first is None:
        raise BenchError("the agenda has no items")
    item_id = int(first.group(1))
    version = text_version(page, "leader_note", item_id)
    pace = random.Random(1)
    paced_health = []  # the floor: a bare request after the same pauses as the saves
    for _ in range(min(args.saves, PACED_HEALTH_REQUESTS)):
        began = time.perf_counter()
        lars.request("GET", "/health")
        paced_health.append(time.perf_counter() - began)
        time.sleep(pace.uniform(*SAVE_GAP_SECONDS))
    watcher = Watcher(anne, server.port, conversation_id,
                      agenda_version(anne.page(f"/agenda/{conversation_id}")), push)
    watcher.start()
    time.sleep(1.0)  # the event stream is open and its first event handled
    path = f"/agenda/{conversation_id}/items/{item_id}/text"
    saves, errors, value = [], 0, ""
    try:
        for number in range(1, args.saves + 1):
            value = f"Lars sitt notat, lagret for {number}. gang: {secrets.token_hex(8)}"
            began = time.perf_counter()
            response, _ = lars.request("POST", path, headers={"HX-Request": "true"}, form={
                "field": "leader_note", "value": value, "version": version,
            })
            ended = time.perf_counter()
            if response.status == 204:
                version = int(response.headers["X-Text-Version"])
                saves.append((began, ended, int(response.headers["X-Agenda-Version"])))
            else:
                errors += 1
                version = text_version(lars.page(f"/agenda/{conversation_id}"), "leader_note",
                                       item_id)
            time.sleep(pace.uniform(*SAVE_GAP_SECONDS))
        last = saves[-1][2] if saves else 0
        deadline = time.monotonic() + DRAIN_SECONDS
        while watcher.version < last and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    versions = [v for v, _, _ in watcher.views]
    propagation, seen_by = [], {}
    for began, _, version_saved in saves:
        index = bisect.bisect_left(versions, version_saved)
        if index < len(versions):
            _, when, trigger = watcher.views[index]
            propagation.append(when - began)
            seen_by[trigger] = seen_by.get(trigger, 0) + 1
    return {
        "paced_health": paced_health,
        "round_trips": [ended - began for began, ended, _ in saves],
        "propagation": propagation,
        "seen_by": seen_by,
        "saves": len(saves),
        "save_errors": errors,
        "watcher": watcher,
        "last_text_seen": value and value in html.unescape(watcher.last_body.decode()),
    }


# The run and its report ------------------------------------------------------------------------


def run(args, url: str, server: Server, conversation_id: int) -> None:
    lars, anne = Client(server.port), Client(server.port)
    lars.log_in(LEADER)
    anne.log_in(EMPLOYEE)
    lars.page(f"/agenda/{conversation_id}")
    response, _ = lars.request("POST", f"/agenda/{conversation_id}/start")
    if response.status != 302:
        raise BenchError(f"Lars could not start the meeting ({response.status})")
    page = anne.page(f"/agenda/{conversation_id}")
    version = agenda_version(page)
    items = len(re.findall(r'<li class="agenda-item', page))
    push = 'data-events-url="' in page

    import gunicorn

    dialect = "PostgreSQL" if url.startswith(("postgres://", "postgresql")) else url.split(":")[0]
    print("Medsamtale: the live agenda under gunicorn")
    print(f"  database     {dialect}: {redacted(url)}")
    print(f"  server       gunicorn {gunicorn.__version__}, {args.workers} workers x "
          f"{args.threads} threads (gthread), on 127.0.0.1")
    print(f"  machine      {os.cpu_count()} CPUs, shared by server and bench; "
          f"Python {sys.version.split()[0]}")
    print(f"  agenda       conversation {conversation_id}, {items} items")
    print()

    rows = requests_per_second(args, server, anne, conversation_id, version)
    print(f"Requests per second: {args.concurrency} keep-alive connections, "
          f"{args.seconds:g} s each (after {WARM_UP_SECONDS:g} s warm-up), as Anne")
    print(f"  {'':30} {'req/s':>8} {'x /health':>9} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'errors':>6} {'server CPU':>10} {'bench CPU':>9}")
    baseline = rows[0][1]["requests"] / rows[0][1]["elapsed"]
    for label, result, busy, own in rows:
        rate = result["requests"] / result["elapsed"]
        p50, p95 = percentiles([t * 1000 for t in result["latencies"]])
        server_cpu = f"{busy:.2f}" if busy is not None else "n/a"
        print(f"  {label:30} {rate:8.0f} {rate / baseline:9.2f} {fmt(p50):>7} {fmt(p95):>7} "
              f"{result['errors']:6d} {server_cpu:>10} {own:9.2f}")
    print("  (CPU columns: CPUs' worth of time used during the run by gunicorn, not counting "
          "a database\n  server, and by the bench client)")
    print()

    result = saves_and_propagation(args, server, lars, anne, conversation_id, push)
    watcher = result["watcher"]
    low, high = (int(s * 1000) for s in SAVE_GAP_SECONDS)
    print(f"Saves: Lars saves his note on one item {args.saves} times, {low}-{high} ms "
          "between an answer and the next save")
    if push:
        how = (f"push: a \"changed\" event on /events, then /poll (and a backstop poll "
               f"every {PUSHED_POLL_SECONDS:g} s)")
    else:
        how = f"polling /poll every {POLL_SECONDS * 1000:.0f} ms, as agenda.js does"
    print("Propagation: from the start of Lars's save until Anne's client has fetched it,")
    print(f"  by {how}")
    print(f"  {'':30} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'n':>5}")
    for label, samples in (("GET /health, same pauses", result["paced_health"]),
                           ("save round trip", result["round_trips"]),
                           ("propagation to Anne", result["propagation"])):
        ms = [s * 1000 for s in samples]
        p50, p95 = percentiles(ms)
        print(f"  {label:30} {fmt(p50):>7} {fmt(p95):>7} {fmt(max(ms, default=None)):>7} "
              f"{len(ms):5d}")
    seen_by = ", ".join(f"{n} after {'an event' if k == 'event' else 'a poll'}"
                        for k, n in sorted(result["seen_by"].items()))
    print(f"  saves answered 204: {result['saves']} (other answers: {result['save_errors']}); "
          f"seen by Anne: {len(result['propagation'])} ({seen_by or 'none'})")
    print(f"  Anne's client: {watcher.fetches} fetches of /poll, {watcher.events} events, "
          f"{watcher.ignored_events} events ignored while a fetch was in flight, "
          f"{watcher.errors} errors")
    print(f"  Anne's last fetch shows Lars's last text: "
          f"{'yes' if result['last_text_seen'] else 'no'}")
    print("  (GET /health, same pauses: the bare endpoint with the saves' pauses before each "
          "request,")
    print("  the floor this machine sets for a request that follows idle time)")
    if not push:
        print(f"  (propagation includes the wait for Anne's next poll: {POLL_SECONDS * 500:.0f} ms "
              f"on average, at most {POLL_SECONDS * 1000:.0f} ms)")


def percentiles(samples: list[float]) -> tuple[float | None, float | None]:
    if not samples:
        return None, None
    if len(samples) == 1:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
