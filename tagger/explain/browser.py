"""Open a page in headless Chromium and take its screenshot (tests and README pictures).

Needs the `playwright` package (dev extra) and a Chromium: Debian's `chromium` package
(`/usr/bin/chromium`, which `.ci/run` installs) or $TAGGER_CHROMIUM. Chromium starts
with its background networking off, so a closed network costs nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """$TAGGER_CHROMIUM, else chromium (or chromium-browser) on the PATH, else None."""
    found = os.environ.get("TAGGER_CHROMIUM")
    if found:
        return found
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(
    page: Path, picture: Path, width: int = 1280, height: int = 900, full_page: bool = False
) -> list[str]:
    """Load the page from its file, save a PNG screenshot; returns the console errors and
    uncaught page errors it met (an empty list for a clean page)."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError(
            "no Chromium found: install Debian's chromium or set TAGGER_CHROMIUM"
        )
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            tab.goto(page.resolve().as_uri(), wait_until="load")
            picture.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(picture), full_page=full_page)
        finally:
            browser.close()
    return errors
