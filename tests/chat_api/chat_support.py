"""Helpers for the chat API tests: import path, settings for a temporary local home, an in-process uvicorn server."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = ROOT / "lambda_src" / "front_door"
if str(LAMBDA_DIR) not in sys.path:
    sys.path.insert(0, str(LAMBDA_DIR))

from chat_api.settings import ChatSettings  # noqa: E402


def local_settings(tmp: Path, **changes: Any) -> ChatSettings:
    """Stub backend, local lake and SQLite under ``tmp``."""
    return ChatSettings(
        backend="stub",
        model_id="stub-model",
        storage="local",
        lake_dir=str(tmp / "lake"),
        conversations="sqlite",
        sqlite_path=str(tmp / "conversations.sqlite3"),
        **changes,
    )


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free port in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def interaction_records(s: ChatSettings) -> list[dict[str, Any]]:
    """Stored interaction records of a local lake."""
    import json

    root = s.local_bucket_dir / "interactions"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.json"))] if root.exists() else []


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (storage finishes just after the stream ends)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
