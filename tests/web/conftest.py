"""Browser tests of the web UI: the server under test and the browser, in one place.

The server comes from ONE fixture, :func:`web_target`, chosen by environment:

* ``WEB_BASE_URL=http://127.0.0.1:8000`` - an already running server (e.g. ``make local`` in another shell);
  feedback records are read from the local lake (``WEB_LAKE_DIR``, default ``.local/lake``);
* ``WEB_TEST_MOCK=1`` - the dev mock in ``web/e2e/mock_server.py`` (opt-in), started in-process;
* otherwise - :func:`_start_local_server` (the real ``make local`` server, stub backend in echo mode).

The error-state and sign-in tests always run against the dev mock (:func:`mock_target`, :func:`auth_target`):
its magic prompts (``#429``, ``#503``, ``#cut``, ``#sources``) and fake Cognito endpoints fail or sign in on demand.

Every test needs a built UI (``web/dist``: built here when missing or stale, as ``make web-build`` does) and
Debian's ``chromium`` (Playwright drives it through ``executable_path``; never ``playwright install``). Missing
pieces skip with the command that provides them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = REPO_ROOT / "web"
AXE_JS = WEB_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class WebTarget:
    """A running server that serves the UI at ``/`` and the chat API at ``/v1``.

    ``mock``: True for the dev mock (its fake model echoes prompts and honours magic prompts like ``#429``).
    ``feedback_records``: every feedback record the server persisted so far.
    """

    base_url: str
    mock: bool
    feedback_records: Callable[[], list[dict[str, Any]]]
    server: Any = None


def _lake_feedback(lake_dir: Path) -> Callable[[], list[dict[str, Any]]]:
    def records() -> list[dict[str, Any]]:
        found = []
        for path in sorted(lake_dir.glob("interactions/feedback/**/*.json")):
            found.append(json.loads(path.read_text()))
        return found

    return records


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_local_server() -> Iterator[WebTarget]:
    """Start the real local server (``python -m local_runtime serve``, what ``make local`` runs) and yield it.

    Stub backend that echoes each prompt word by word with a 30 ms pause (streaming is visible in steps, and the
    untrusted-markdown test gets its payload back as the model's answer), a throw-away home (lake, conversations),
    a free port. Waits for ``/config.json``; feedback records are read from the temporary lake.
    """
    home = Path(tempfile.mkdtemp(prefix="web-e2e-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "local_runtime", "serve", "--backend", "stub", "--stub-echo",
               "--stub-delay-ms", "30", "--home", str(home), "--port", str(port)]  # fmt: skip
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # the first run prepares the sample data (sanitize) before serving
        while True:
            if server.poll() is not None:
                pytest.fail(f"local server exited ({server.returncode}):\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/config.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"local server did not answer in time:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield WebTarget(base_url=base_url, mock=False, feedback_records=_lake_feedback(home / "lake"), server=server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _ensure_web_build() -> None:
    """Build ``web/dist`` when it is missing or older than its sources (``make web-build`` does the same)."""
    if os.environ.get("WEB_BASE_URL"):
        return  # an already running server serves its own build
    if shutil.which("npm") is None:
        if not (WEB_DIR / "dist" / "index.html").is_file():
            pytest.skip("web/dist is missing and npm is not on PATH: run `make web-build`")
        return
    from pipeline_stacks.bundling import ensure_web_build

    ensure_web_build(WEB_DIR)


def _mock_module() -> Any:
    if "web_mock_server" in sys.modules:
        return sys.modules["web_mock_server"]
    spec = importlib.util.spec_from_file_location("web_mock_server", WEB_DIR / "e2e" / "mock_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def _start_mock(auth: dict[str, Any] | None = None) -> Generator[WebTarget, None, None]:
    server = _mock_module().make_server(token_delay=0.05, auth=auth)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"

    def records() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{base_url}/__mock/feedback", timeout=5) as response:
            return json.loads(response.read())["data"]

    try:
        yield WebTarget(base_url=base_url, mock=True, feedback_records=records, server=server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def web_target() -> Iterator[WebTarget]:
    """The server under test (see the module docstring)."""
    _ensure_web_build()
    if url := os.environ.get("WEB_BASE_URL"):
        lake = Path(os.environ.get("WEB_LAKE_DIR", REPO_ROOT / ".local" / "lake"))
        yield WebTarget(base_url=url.rstrip("/"), mock=False, feedback_records=_lake_feedback(lake))
    elif os.environ.get("WEB_TEST_MOCK") == "1":
        yield from _start_mock()
    else:
        yield from _start_local_server()


#: A Cognito-like sign-in domain the browser tests intercept (never contacted).
AUTH_DOMAIN = "https://chat-test.auth.eu-west-1.amazoncognito.com"


@pytest.fixture(scope="session")
def mock_target(web_target: WebTarget) -> Iterator[WebTarget]:
    """The dev mock, for what the real server cannot be made to do on demand (error states from magic prompts):
    the session's target when it is the mock, else a mock started beside the real server."""
    if web_target.mock:
        yield web_target
    else:
        yield from _start_mock()


@pytest.fixture(scope="session")
def auth_target(web_target: WebTarget) -> Iterator[WebTarget]:
    """A dev mock whose /config.json turns sign-in on (the real local server runs with auth null)."""
    config = {
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_Test",
        "clientId": "web-client-id",
        "domain": AUTH_DOMAIN,
        "redirectUri": "",  # filled below: the mock's own origin
        "logoutUri": "",
        "scopes": ["openid", "email", "profile"],
    }
    holder = _start_mock(auth=config)
    target = next(holder)
    config["redirectUri"] = config["logoutUri"] = f"{target.base_url}/"
    try:
        yield target
    finally:
        holder.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium driven by Playwright (no browser download)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.skip("chromium is missing: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageProbe:
    """A page plus what went wrong in it: console errors, page errors and dialogs (alert/confirm)."""

    page: Any
    console_errors: list[str]
    page_errors: list[str]
    dialogs: list[str]


def open_page(browser: Any, web_target: WebTarget, viewport: dict[str, int]) -> Iterator[PageProbe]:
    context = browser.new_context(viewport=viewport, base_url=web_target.base_url)
    page = context.new_page()
    probe = PageProbe(page=page, console_errors=[], page_errors=[], dialogs=[])
    page.on("console", lambda m: probe.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: probe.page_errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        probe.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(15_000)
    try:
        yield probe
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Any, web_target: WebTarget) -> Iterator[PageProbe]:
    """A fresh desktop-size page (own cookies/storage) on the server under test."""
    yield from open_page(browser, web_target, {"width": 1280, "height": 800})


@pytest.fixture
def phone(browser: Any, web_target: WebTarget) -> Iterator[PageProbe]:
    """A fresh phone-size page (390 x 844, an iPhone 12-14 viewport)."""
    yield from open_page(browser, web_target, {"width": 390, "height": 844})


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle (from web/node_modules: npm ci in web/)."""
    if not AXE_JS.is_file():
        pytest.skip("axe-core is missing: run `npm ci` in web/")
    return AXE_JS.read_text()
