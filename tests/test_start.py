"""scripts/start as a developer runs it, on a free port with an instance folder of its own
(the checkout's .venv as it is): it serves, says the demo accounts on every start, runs
the outbox worker and the local mail catcher beside the web server, so a message sent
lands in the catcher's folder and on /dev/mail, and stops all of them cleanly."""

import http.cookiejar
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.fixtures.mail import free_port

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / "scripts" / "start"
DEMO_HR = "hr@demo.medsamtale.no"
DEMO_EMPLOYEE = "anne.aas@demo.medsamtale.no"


class Started:
    """scripts/start running in a process group of its own, its output collected."""

    def __init__(self, env):
        self.process = subprocess.Popen(
            [str(START)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, url: str, seconds: float = 120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{url} did not answer:\n{self.output}")

    def stop(self) -> int:
        """SIGTERM to the script alone: it stops the web server, worker and catcher."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        self.process.stdout.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)  # anyone left in its group?
            except ProcessLookupError:
                return code
            time.sleep(0.2)
        os.killpg(self.process.pid, signal.SIGKILL)
        pytest.fail(f"scripts/start left processes behind:\n{self.output}")


@pytest.fixture
def environment(tmp_path):
    if not (ROOT / ".venv" / "bin" / "flask").exists():
        unavailable("scripts/start is run from a checkout with its .venv")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "DATABASE_URL", "PUBLIC_BASE_URL", "TEST_", "FLASK_",
                                "PYTEST_"))}
    port = free_port()
    env.update(PORT=str(port), INSTANCE_PATH=str(tmp_path / "instance"),
               OUTBOX_POLL_SECONDS="1")
    return env, f"http://127.0.0.1:{port}", tmp_path / "instance" / "mail"


def browser_like():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def post_form(opener, base: str, path: str, fields: dict):
    """GET the form's page for its CSRF token, then post `fields` with it."""
    page = opener.open(base + path).read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
    return opener.open(urllib.request.Request(base + path, data=data)).read().decode()


def caught_to(folder: Path, address: str, seconds: float = 30) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in sorted(folder.glob("*.eml"))]
        found = [m for m in found if m["To"] == address]
        if found:
            return found
        time.sleep(0.3)
    return []


def test_start_serves_says_the_accounts_and_catches_the_mail(environment):
    env, base, mail = environment
    started = Started(env)
    try:
        started.wait_for(base + "/health")
        output = started.output
        assert DEMO_HR in output and "samtale-demo" in output
        assert str(mail) in output and f"{base}/dev/mail/" in output

        # A message sent: the outbox worker hands it to the catcher, which keeps it.
        post_form(browser_like(), base, "/password/forgot", {"email": DEMO_EMPLOYEE})
        caught = caught_to(mail, DEMO_EMPLOYEE)
        assert len(caught) == 1, started.output
        assert f"{base}/password/set/" in caught[0].get_body(("plain",)).get_content()

        # … and /dev/mail shows it, to someone logged in.
        opener = browser_like()
        # (An employee: the demo's HR admin would first be asked to set up a second factor.)
        post_form(opener, base, "/login", {"email": DEMO_EMPLOYEE, "password": "samtale-demo"})
        listing = opener.open(base + "/dev/mail/").read().decode()
        assert DEMO_EMPLOYEE in listing and str(caught[0]["Subject"]) in listing
    finally:
        code = started.stop()
    assert code in (0, 130, 143), started.output

    # Started again: nothing to install, and the accounts are said again.
    again = Started(env)
    try:
        again.wait_for(base + "/health")
        assert DEMO_HR in again.output and "samtale-demo" in again.output
        assert "Installing" not in again.output
    finally:
        again.stop()
