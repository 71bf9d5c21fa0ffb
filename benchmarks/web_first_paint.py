"""Web UI first paint: first-contentful-paint of the built chat UI in headless chromium, beside a baseline.

Each run opens a fresh browser context (empty cache), loads ``/`` and records the page's
first-contentful-paint and the time until the Message box is usable (React rendered after ``/config.json``).
The baseline, alternated with the app in the same run, is a one-paragraph HTML page served by the same server
(``/__bench/blank`` on the dev mock; a ``data:`` page elsewhere), so the ratio separates the app's cost from the
browser's and the machine's. Needs ``web/dist`` (npm run build) and Debian's chromium.

    .venv/bin/python benchmarks/web_first_paint.py [--runs 9] [--local | --base-url URL] [--json out.json]

``--local`` starts the real local server (``python -m local_runtime serve --backend stub``, what ``make local`` runs)
on a free port with a throw-away home; without ``--local`` or ``--base-url`` the dev mock (web/e2e/mock_server.py)
serves ``web/dist``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
BLANK = "<!doctype html><html lang=en><title>blank</title><p>Loading</p></html>"


def _fcp(browser: Browser, url: str, wait_for_message: bool) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    if wait_for_message:
        page.get_by_role("textbox", name="Message").wait_for()
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
    fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    ready = page.evaluate("performance.now()")
    context.close()
    return float(fcp), float(ready)


def _start_local() -> tuple[subprocess.Popen[bytes], str, Path]:
    """The real local server on a free port with a temporary home; returns (process, base URL, home)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = Path(tempfile.mkdtemp(prefix="web-bench-"))
    command = [sys.executable, "-m", "local_runtime", "serve", "--backend", "stub", "--home", str(home),
               "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/config.json", timeout=2):
                return process, base, home
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the local server did not start")


def main() -> None:
    """Run the benchmark and print (and optionally write) medians and the app/baseline ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--local", action="store_true", help="start the real local server (stub backend)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    server = None
    base = args.base_url
    blank_url = "data:text/html," + BLANK
    local = None
    if args.local:
        local, base, home = _start_local()
    elif base is None:
        sys.path.insert(0, str(REPO / "web" / "e2e"))
        from mock_server import make_server  # only when the mock is used

        server = make_server(token_delay=0.0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        blank_url = f"{base}/__bench/blank"
    app: list[float] = []
    ready: list[float] = []
    baseline: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        _fcp(browser, f"{base}/", True)  # warm-up (server, browser caches of the binary)
        for _ in range(args.runs):
            fcp, until_ready = _fcp(browser, f"{base}/", True)
            app.append(fcp)
            ready.append(until_ready)
            baseline.append(_fcp(browser, blank_url, False)[0])
        browser.close()
    if server is not None:
        server.shutdown()
    if local is not None:
        local.terminate()
        local.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    result: dict[str, Any] = {
        "server": "local (real)" if args.local else base if args.base_url else "dev mock",
        "baseline": blank_url.split(",")[0] if blank_url.startswith("data:") else blank_url,
        "runs": args.runs,
        "app_fcp_ms_median": round(statistics.median(app), 1),
        "app_message_box_ready_ms_median": round(statistics.median(ready), 1),
        "baseline_fcp_ms_median": round(statistics.median(baseline), 1),
        "fcp_ratio_app_to_baseline": round(statistics.median(app) / statistics.median(baseline), 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
