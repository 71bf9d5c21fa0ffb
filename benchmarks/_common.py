"""Helpers shared by the benchmark scripts (each runs as a script, so ``benchmarks/`` is first on ``sys.path``).

The TTFT benchmarks call the chat app through ASGI directly (no sockets): :func:`chat_scope` is the request,
:func:`receive_once` its body, and :func:`compare` one percentile row of a baseline against a candidate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def compare(
    baseline: float,
    candidate: float,
    *,
    digits: int,
    ratio_digits: int | None = None,
    name: str = "front_door",
    difference: str = "overhead",
) -> dict[str, float]:
    """``baseline_ms``, ``<name>_ms``, ``<difference>_ms`` rounded to ``digits``, and with ``ratio_digits`` the
    ``ratio`` of candidate to baseline."""
    row = {
        "baseline_ms": round(baseline, digits),
        f"{name}_ms": round(candidate, digits),
        f"{difference}_ms": round(candidate - baseline, digits),
    }
    if ratio_digits is not None:
        row["ratio"] = round(candidate / baseline, ratio_digits)
    return row


def chat_scope(body: bytes) -> dict[str, Any]:
    """The ASGI scope of ``POST /v1/chat/completions`` with a JSON ``body`` (as uvicorn builds it)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }


def receive_once(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    """An ASGI ``receive`` that delivers ``body`` in one message, then waits forever (the client never disconnects)."""
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {}

    return receive
