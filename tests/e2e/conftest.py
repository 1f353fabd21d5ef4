"""Browser tests run with real CSRF protection, as in production."""

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}
