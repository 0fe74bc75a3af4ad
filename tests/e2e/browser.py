"""Helpers for the browser tests: the chromium they need, logging in, screenshots."""

import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 15_000

browser_module = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="未安装 /usr/bin/chromium：浏览器测试需要 Debian 的 chromium（.ci/run 会安装）。",
    ),
]


def login(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (re.sub(r"[^\w.-]", "_", name) + ".png")), full_page=True)


def click_and_wait(page, selector: str) -> None:
    """Click a button that posts a form and wait for the page the server answers with."""
    with page.expect_navigation():
        page.click(selector)
