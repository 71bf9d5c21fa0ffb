"""Fixtures for the chat API tests: a local home under tmp_path and an in-process server with the stub backend."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_support import local_settings, serve


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    """Stub backend, local lake and SQLite under ``tmp_path``."""
    return local_settings(tmp_path)


@pytest.fixture
def server(settings: Any) -> Iterator[tuple[str, Any]]:
    """``(base_url, app)`` of a running server."""
    from chat_api.app import create_app

    app = create_app(settings)
    with serve(app) as url:
        yield url, app
