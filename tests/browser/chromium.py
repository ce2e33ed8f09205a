"""Debian's Chromium under Playwright, launched one way for every browser test.

We never download Playwright's own browsers: ``deploy/local/browser.sh`` (``make browser``, which
``make test`` runs first) installs Debian's ``chromium`` package, and :func:`chromium` launches that
executable. A missing Chromium fails the test with the command to run; it is never a skip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
#: The browser, ``KINERJA_CHROMIUM`` or Debian's package.
CHROMIUM = Path(os.environ.get("KINERJA_CHROMIUM", "/usr/bin/chromium"))
#: Where a failing browser test leaves a screenshot of the page it was on.
SCREENSHOTS = ROOT / ".cache" / "screenshots"
#: Headless, and quiet on the network: the closed network here refuses Chromium's own background
#: connections (updates, sync, QUIC probes), which would otherwise slow or stall the pages.
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium (Playwright's async API), closed on exit."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: run deploy/local/browser.sh (make browser), "
            "or install Debian's package with 'sudo apt-get install chromium'"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(ARGS))
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def screenshot_on_failure(page: Page, name: str) -> AsyncIterator[Path]:
    """Save ``page`` as ``SCREENSHOTS/<name>.png`` when the block raises; yields that path."""
    path = SCREENSHOTS / f"{name}.png"
    try:
        yield path
    except BaseException:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):  # the page may be gone; the test's own error matters
            await page.screenshot(path=str(path), full_page=True)
        raise
