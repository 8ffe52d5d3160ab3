"""Headless Chromium for tests: open a page the way a reader would and report what went wrong on it.

Debian's ``chromium`` (``/usr/bin/chromium``, or ``PKOSIM_CHROMIUM``) driven by Playwright for Python with
``executable_path``: Playwright's own browser download is never used. A test that needs the browser skips with
``MISSING`` as its reason where either is absent (``make test`` on a laptop); CI installs Chromium (``.ci/run``).

Reusable by any browser test (a report, an interactive view)::

    from browser import MISSING, chromium, inspect

    @pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
    def test_page(tmp_path):
        with chromium() as browser:
            page = inspect(browser, tmp_path / "index.html")
        assert page.problems() == []
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

CHROMIUM = Path(os.environ.get("PKOSIM_CHROMIUM", "/usr/bin/chromium"))
# Flags that work on a shared, headless CI machine: no sandbox (root in a container), no GPU, no network chatter.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH, HEIGHT = 1280, 900


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser test skipped: Playwright for Python is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return (f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver, as "
                ".ci/run does; or set PKOSIM_CHROMIUM)")
    return None


MISSING = _missing()


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium with a fresh profile (its own --user-data-dir, deleted afterwards)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="pkosim-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
                viewport={"width": WIDTH, "height": HEIGHT})
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class PageReport:
    """What a reader would meet on a page."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    overflow_px: int = 0
    broken_images: list[str] = field(default_factory=list)
    images: int = 0
    headline: str = ""

    def problems(self) -> list[str]:
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"script error: {e}" for e in self.page_errors]
        if self.overflow_px > 0:
            out.append(f"wider than {WIDTH} px by {self.overflow_px} px (horizontal scrolling)")
        out += [f"image not loaded: {alt}" for alt in self.broken_images]
        if not self.headline.strip():
            out.append("no headline block (#headlines)")
        return [f"{self.url}: {p}" for p in out]


def inspect(context, path: Path | str, screenshot: Path | None = None) -> PageReport:
    """Open ``path`` at 1280 px and report console errors, horizontal overflow, images that did not load and the
    text of the headline block; optionally save a full-page screenshot."""
    url = Path(path).resolve().as_uri() if not str(path).startswith(("http:", "https:", "file:")) else str(path)
    report = PageReport(url)
    page = context.new_page()
    page.on("console", lambda message: report.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: report.page_errors.append(str(error)))
    try:
        page.goto(url, wait_until="load")
        report.overflow_px = int(page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"))
        images = page.evaluate("[...document.images].map(i => [i.alt || i.src.slice(0, 60), i.complete,"
                               " i.naturalWidth])")
        report.images = len(images)
        report.broken_images = [alt for alt, complete, width in images if not complete or width <= 0]
        block = page.query_selector("#headlines")
        report.headline = block.inner_text() if block else ""
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return report
