"""A real browser against a real server: Chromium (driven by Playwright) on the two-agency data.

The server is Django's threaded WSGI server on a free port, serving the session's committed
agencies (pytest-django's `live_server` would flush them). Every test gets a fresh browser
context, so cookies never leak from one test to the next.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, DESKTOP

# Playwright's sync API runs an asyncio loop in this thread; Django would otherwise refuse the
# ORM calls the fixtures make next to it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium against a live server (needs /usr/bin/chromium)"
    )


@dataclass
class LiveServer:
    port: int

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_agency_server(two_agencies, django_db_blocker) -> Iterator[LiveServer]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.db import connections

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    with django_db_blocker.unblock():
        _forget_sign_in_rate_limits()
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        # Each request runs in its own thread with its own connection, closed as it ends.
        server.set_app(StaticFilesHandler(WSGIHandler()))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(port=server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            connections.close_all()


def _forget_sign_in_rate_limits() -> None:
    """Other test modules sign in (and fail to) from 127.0.0.1 too; start from a clean count."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    for key in redis.scan_iter(match="*:allauth:rl:*"):
        redis.delete(key)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed; the browser tests need Debian's chromium package."
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context(chromium):
    context = chromium.new_context(viewport=DESKTOP, device_scale_factor=1, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def agency_a_url(two_agencies, live_agency_server):
    """`agency_a_url(path)`: an absolute URL on agency A's host."""
    host = two_agencies["a"].host
    return lambda path="/": live_agency_server.url(host, path)


@pytest.fixture
def restore_languages(two_agencies, django_db_blocker):
    """Put every user's language back as it was after the test: the language switch saves it per
    user, and the session's agencies outlive this test."""
    from accounts.models import User

    def languages() -> dict[int, str]:
        return dict(User.objects.values_list("pk", "language"))

    before = committed(languages, django_db_blocker)
    yield

    def restore() -> None:
        for pk, language in languages().items():
            if pk in before and language != before[pk]:
                User.objects.filter(pk=pk).update(language=before[pk])

    committed(restore, django_db_blocker)


def committed(work, django_db_blocker):
    """Run `work()` on a connection of its own, outside the test's rolled-back transaction, so
    what it writes is committed and what it reads includes what the server committed."""
    from django.db import connections

    result = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
