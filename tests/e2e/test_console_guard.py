"""The guard every browser test relies on: a CSP violation reaches the console and is caught."""

import pytest

from tests.e2e.browser import browser_module

pytestmark = [*browser_module, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_is_refused_and_reported(new_page, console_errors):
    page = new_page()
    page.goto("/public/")
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.injected = 1";
                   document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("window.injected") is None  # the policy blocked it
    assert any("Content Security Policy" in error for error in console_errors), console_errors
    console_errors.clear()  # seen and expected here; any other test would fail on it
