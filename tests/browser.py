"""Headless Chromium for the dashboard's browser tests and screenshots: Debian's chromium
package, driven by Playwright through its `executable_path` (no browser is downloaded).

Without Chromium (or Playwright) the tests skip with one line saying why;
`PREPBOT_REQUIRE_BROWSER=1` (set by .ci/run) turns the skip into a failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("PREPBOT_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("PREPBOT_REQUIRE_BROWSER") == "1"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    return None


def need_browser() -> None:
    missing = browser_missing()
    if missing is None:
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"the browser tests are required (PREPBOT_REQUIRE_BROWSER=1): {missing}")
    pytest.skip(f"browser tests skipped: {missing}")


@contextmanager
def chromium(**context: Any) -> Iterator[Any]:
    """A fresh headless Chromium profile (a Playwright BrowserContext)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="prepbot-chromium-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            accept_downloads=True,
            **context,
        )
        try:
            yield browser
        finally:
            browser.close()
