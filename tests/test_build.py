"""A build that deploys: the wheel carries the templates, static files, migrations and
translations, and an installation of it outside the checkout migrates a new database and
serves the Norwegian login page under gunicorn."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .fixtures.mail import free_port

ROOT = Path(__file__).resolve().parent.parent


def run(*command, cwd, env, timeout=600) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed in a new virtual environment in a
    folder of its own: (that folder, the environment's bin folder, a clean environment)."""
    place = tmp_path_factory.mktemp("installed")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(place)),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run(sys.executable, "-m", "build", "--wheel", "--outdir", str(place / "dist"), str(ROOT),
        cwd=place, env=env)
    [wheel] = (place / "dist").glob("medsamtale-*.whl")
    run(sys.executable, "-m", "venv", str(place / "venv"), cwd=place, env=env)
    bin_dir = place / "venv" / "bin"
    run(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel), cwd=place,
        env=env)
    return place, bin_dir, env


def test_the_wheel_carries_what_the_app_needs(installed):
    place, bin_dir, env = installed
    package = Path(run(str(bin_dir / "python"), "-c",
                       "import medsamtale, os; print(os.path.dirname(medsamtale.__file__))",
                       cwd=place, env=env).strip())
    assert place in package.parents, "the app was not imported from the installation"
    for needed in ("templates/base.html", "templates/email/welcome.html",
                   "static/css/app.css", "static/vendor/htmx-4.0.1.min.js",
                   "migrations/env.py", "migrations/versions/0001_initial_schema.py",
                   "translations/nb/LC_MESSAGES/messages.mo"):
        assert (package / needed).is_file(), needed


def test_an_installation_migrates_a_new_database_and_serves_the_norwegian_login(installed):
    place, bin_dir, env = installed
    key_file = place / "encryption.key"  # the master key, made as the README says
    key_file.write_text(run(str(bin_dir / "python"), "-m", "medsamtale.sealing", "new",
                            cwd=place, env=env))
    env = {**env, "DATABASE_URL": f"sqlite:///{place / 'medsamtale.sqlite'}",
           "INSTANCE_PATH": str(place / "instance"), "SECRET_KEY": "test-build",
           "ENCRYPTION_KEY_FILE": str(key_file)}
    run(str(bin_dir / "flask"), "--app", "medsamtale", "db", "upgrade", cwd=place, env=env)
    port, log = free_port(), place / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--worker-class", "gevent",
             "medsamtale:create_app()"],
            cwd=place, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = get(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert (status, body) == (200, "ok")
        status, page = get(f"{base}/login")
        assert status == 200
        assert '<html lang="nb">' in page and "Logg inn" in page
        assert get(f"{base}/static/css/app.css")[0] == 200
    finally:
        server.terminate()
        server.wait(10)
