"""What retrieval adds to the chat API's time to first token (TTFT), measured side by side in one run.

Two chat apps (``chat_api.app.create_app``, stub backend without delay, local lake + SQLite) are called in this
process through ASGI (no sockets), alternating request by request with the same question:

* **baseline**: retrieval off (no retriever configured);
* **rag**: retrieval on by default over the local BM25 index that ``make local`` builds from
  ``sample_data/knowledge`` (sanitized by the Glue job's document code first), top-k 4.

Reported: streaming TTFT p50/p99 of each, the difference and the ratio, and the ``RetrievalLatency`` metric's mean
(redaction of the query + BM25), which is what the difference should be made of: the first token waits for the
retrieval and nothing else. On AWS the retrieval is a Bedrock ``Retrieve`` call instead (network-bound).

    .venv/bin/python benchmarks/rag_ttft.py [--requests 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "lambda_src" / "front_door"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _common import chat_scope, compare, pct, receive_once  # shared with the front-door TTFT benchmark

QUESTION = "How much is the late-cancellation fee if I cancel less than 24 hours before?"


async def ttft(app: Any, body: bytes) -> float:
    """Milliseconds from the request to the first content delta (ASGI called directly)."""
    t0 = time.perf_counter()
    first: float | None = None

    async def send(message: dict[str, Any]) -> None:
        nonlocal first
        if (
            first is None
            and message["type"] == "http.response.body"
            and b'"delta":{"content"' in message.get("body", b"")
        ):
            first = time.perf_counter()

    await app(chat_scope(body), receive_once(body), send)
    assert first is not None
    return (first - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it (``--json``: also write it)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from chat_api.app import create_app
    from chat_api.settings import ChatSettings

    from local_runtime import lifecycle

    home = Path(tempfile.mkdtemp(prefix="rag-ttft-"))
    paths = lifecycle.Paths(home)
    lifecycle.knowledge(paths)

    def settings(name: str, **rag: Any) -> ChatSettings:
        return ChatSettings(
            backend="stub",
            storage="local",
            lake_dir=str(home / name / "lake"),
            sqlite_path=str(home / name / "c.sqlite3"),
            **rag,
        )

    apps = {
        "baseline": create_app(settings("baseline")),
        "rag": create_app(settings("rag", rag_local_index=str(paths.rag_index), rag_default_on=True)),
    }
    body = json.dumps({"messages": [{"role": "user", "content": QUESTION}], "stream": True}).encode()
    times: dict[str, list[float]] = {k: [] for k in apps}

    async def run() -> None:
        for i in range(args.requests + 30):
            for name, app in apps.items():
                value = await ttft(app, body)
                if i >= 30:  # warm-up
                    times[name].append(value)

    asyncio.run(run())
    counts = apps["rag"].state.chat.metrics.counts
    retrievals = args.requests + 30
    out: dict[str, Any] = {
        "requests": args.requests,
        "retrieval_latency_mean_ms": round(counts["RetrievalLatency"] / retrievals, 3),
    }
    for q in (50, 99):
        out[f"p{q}"] = compare(
            pct(times["baseline"], q), pct(times["rag"], q), digits=3, ratio_digits=2, name="rag", difference="added"
        )
    out["mean"] = {
        "baseline_ms": round(statistics.mean(times["baseline"]), 3),
        "rag_ms": round(statistics.mean(times["rag"]), 3),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
