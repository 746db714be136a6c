"""The browser suite's own harness, checked on pages that exist without the web pages: the
server answers in Chromium, screenshots are written, and a request to another origin is
blocked and reported (on loopback only: the other origin is this server under another name).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.web.conftest import Site, Web, _Guard, _new_context

pytestmark = pytest.mark.browser


def test_the_server_answers_in_the_browser_and_each_page_is_screenshot(web: Web) -> None:
    health = web.goto("/api/v1/health")
    assert health.status == 200
    assert health.json()["status"] == "ok"
    docs = web.goto("/docs")
    assert docs.status == 200 and "default-src 'self'" in docs.headers["content-security-policy"]
    assert web.page.get_by_role("heading").first.is_visible()
    assert [p.name for p in web.shots] == [
        f"{web.name}-01-api-v1-health.png",
        f"{web.name}-02-docs.png",
    ]
    assert all(p.stat().st_size > 1000 for p in web.shots)


def test_a_request_to_another_origin_is_blocked_and_reported(
    browser: Browser, site: Site, artefacts: Path
) -> None:
    guard = _Guard(site.netloc)
    context = _new_context(browser, site, guard)
    try:
        page = context.new_page()  # about:blank: no Content-Security-Policy to stop it first
        other = site.base_url.replace("127.0.0.1", "localhost")
        status = page.evaluate(
            """async url => {
                try { return (await fetch(url, {mode: "no-cors"})).type; }
                catch (e) { return "refused"; }
            }""",
            f"{other}/api/v1/health",
        )
        assert status == "refused"
    finally:
        context.close()
    assert guard.foreign == [f"GET {other}/api/v1/health"]
