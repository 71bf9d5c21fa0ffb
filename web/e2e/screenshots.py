"""Take the README screenshots of the UI (desktop + phone width) against the dev mock.

Run after ``npm run build`` in ``web/``: ``.venv/bin/python web/e2e/screenshots.py`` -> ``docs/images/web-*.png``.
Uses Debian's chromium through Playwright (no browser download).
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from mock_server import make_server  # noqa: E402

OUT = HERE.parent.parent / "docs" / "images"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars"]  # fmt: skip
PROMPT = "How do I read a CSV file in Python?"


def _ask(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('article[aria-label=Answer]')].every(a => a.ariaBusy === 'false')"
    )


def main() -> None:
    """Write docs/images/web-desktop.png, web-desktop-feedback.png and web-phone.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    server = make_server(token_delay=0.0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        desk = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=base)
        desk.goto("/")
        _ask(desk, "Draft a short agenda for a 30-minute project kick-off")
        desk.get_by_role("button", name="New chat").click()
        _ask(desk, PROMPT)
        desk.get_by_text("Sources (2)").click()
        desk.screenshot(path=str(OUT / "web-desktop.png"))
        desk.get_by_role("article", name="Answer").last.get_by_role("button", name="Bad response").click()
        desk.get_by_role("textbox", name="What was wrong? (optional)").fill("It should mention the encoding argument")
        desk.get_by_role("button", name="Settings").click()
        desk.screenshot(path=str(OUT / "web-desktop-feedback.png"))
        phone = browser.new_page(viewport={"width": 390, "height": 844}, base_url=base, device_scale_factor=2)
        phone.goto("/")
        _ask(phone, "Summarise our travel policy in two sentences.")
        phone.screenshot(path=str(OUT / "web-phone.png"))
        browser.close()
    server.shutdown()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
