"""Browser fixtures: Playwright driving Debian's chromium against pytest-django's live_server.

Playwright's sync API keeps an event loop in this thread while the browser is up, so Django's
async-safety check would refuse the ORM calls the tests make; the check is lifted only while a
browser module runs. Every page fails its test on a console error (a CSP violation, a broken script).
"""

import pytest
from kombu import pools as kombu_pools

from tests.e2e.browser import CHROMIUM, WAIT_MS


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            yield browser
            browser.close()


@pytest.fixture
def console_errors():
    return []


def _record(errors: list, page, message) -> None:
    # The portal ships no favicon; chromium's own request for it is not the page's error.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        errors.append(f"{page.url}: {message.text} ({message.location.get('url')})")


@pytest.fixture
def new_page(browser, live_server, console_errors):
    """`new_page(width=...)` opens a page in a fresh context (own cookies) that records console errors."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, locale="zh-CN"
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: _record(console_errors, page, m))
        page.on("pageerror", lambda e: console_errors.append(f"{page.url}: {e}"))
        # data-confirm forms ask with window.confirm; a user says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert console_errors == [], "浏览器控制台报错：\n" + "\n".join(console_errors)


@pytest.fixture
def routed_worker(eager_celery, worker_queue):
    """A real Celery worker, with every task the pages send (`delay_on_commit`) routed to its private queue."""
    app = eager_celery
    # Publish on fresh connections: earlier tests in this process may have left pools behind
    # (tests/test_faults.py points the broker at a dead port and back).
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()
    saved = app.conf.task_routes
    app.conf.task_routes = {"*": {"queue": worker_queue}}
    app.amqp.flush_routes()
    yield worker_queue
    app.conf.task_routes = saved
    app.amqp.flush_routes()
