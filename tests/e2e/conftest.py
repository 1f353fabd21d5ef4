"""Browser tests run with real CSRF protection, as in production."""

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def contexts(browser):
    """new_page(): a page in a browser context of its own, one per person; all closed after."""
    made = []

    def new_page():
        context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo")
        context.set_default_timeout(10_000)
        made.append(context)
        return context.new_page()

    yield new_page
    for context in made:
        context.close()
