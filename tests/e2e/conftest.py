"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against pytest-django's live server."""

from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(live_server, transactional_db, seeded_defaults, settings) -> str:  # type: ignore[no-untyped-def]
    """The live server's base URL; emails link to it and are kept in django.core.mail.outbox."""
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return live_server.url


@pytest.fixture
def browser(monkeypatch) -> Browser:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API keeps an asyncio loop in this thread, and Django refuses ORM calls
    # from a thread with a loop. The test's own queries are plain synchronous code, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # With a loop running, Django keeps this thread's connections apart (asgiref's Local):
        # the test's queries opened a second one, which must be closed or PostgreSQL cannot
        # drop the test database at the end.
        connections.close_all()


@pytest.fixture
def phone(browser: Browser) -> Page:
    """A phone-sized page with JavaScript switched off: the survey must work without it."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(browser: Browser) -> Page:
    """A desktop page for the staff app."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
