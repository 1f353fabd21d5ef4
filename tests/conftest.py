"""The tests' fixtures, by job, in tests/fixtures/: the migrated database (SQLite, or
PostgreSQL via TEST_DATABASE_URL), a real SMTP server (aiosmtpd), the app and the people in
it, conversations, what a request rendered, and a live server with a real Chromium
(Playwright). Shared helpers that are not fixtures are in tests/helpers.py."""

import os

import pytest

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.app",
    "tests.fixtures.domain",
    "tests.fixtures.rendering",
    "tests.fixtures.browser",
    "tests.fixtures.oidc",
]

IN_CI = os.environ.get("CI") == "true"

# The master key that seals content (medsamtale/sealing) for every app the tests make,
# in this process and in the servers they start; tests/test_sealing.py tries others.
TEST_ENCRYPTION_KEY = "dGVzdHMtb25seS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE="
os.environ["ENCRYPTION_KEY"] = TEST_ENCRYPTION_KEY


def unavailable(reason: str):
    """Skip on a developer's machine; fail under CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run in CI)", pytrace=False)
    pytest.skip(reason)
