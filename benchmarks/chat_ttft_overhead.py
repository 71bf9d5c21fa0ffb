"""Chat API overhead benchmark: time to first token (TTFT) and per-chunk cost added by the front door.

Two servers run side by side in one process each (uvicorn, one worker), both streaming the same deterministic stub
backend at a fixed token rate:

* **baseline**: a bare Starlette endpoint that parses the JSON body and relays the stub's tokens as SSE chunks
  (what "calling the backend directly" costs once it is behind any HTTP server);
* **front door**: the chat API (``chat_api.app.create_app``): body limits, OpenAI validation, identity, background
  redaction of the messages, SSE chunk encoding, and after ``[DONE]`` the redacted interaction, conversation and
  completion-owner writes (local lake + SQLite here; S3 + DynamoDB on Lambda).

Requests alternate between the two (same client, same prompt with an email and a phone number). Reported: TTFT
p50/p99 for streaming (first content chunk) and buffered (whole JSON answer), the front door's overhead over the
baseline at each percentile, and the per-chunk overhead (difference of the mean inter-chunk interval). Targets:
p99 TTFT overhead <= 10 ms, <= 1 ms per chunk. Also the cold start of the Lambda app: ``import chat_api.app`` +
building the app in a fresh interpreter, and ``run.sh`` start to ``/healthz`` ready (what the Lambda Web Adapter
waits for). (The previous Powertools handler, measured against it before, is removed.)

    .venv/bin/python benchmarks/chat_ttft_overhead.py [--requests 300] [--tokens-per-s 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import chat_scope, compare, pct, receive_once

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_DIR = ROOT / "lambda_src" / "front_door"
TTFT_TARGET_MS = 10.0
CHUNK_TARGET_MS = 1.0
PROMPT = (
    "Hi, I'm writing about order 4471. You can reach me at jane.roe@example.com or 415-555-0134. "
    "Please summarise the meeting notes in three bullet points and list the action items."
)

SERVER = r"""
import json, sys
sys.path[:0] = [{root!r}, {lambda_dir!r}]
from chat_api.backends import Final, StubBackend
from chat_api.protocol import ChatRequest, Message
from chat_api.settings import ChatSettings
REPLY = " ".join(["token"] * {tokens})
def baseline():
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route
    stub = StubBackend(reply=REPLY, tokens_per_s={rate})
    async def chat(request: Request):
        body = json.loads(await request.body())
        req = ChatRequest(messages=[Message(m["role"], m["content"]) for m in body["messages"]], model=None,
                          max_tokens=4096)
        if not body.get("stream"):
            parts = [t async for t in stub.stream(req) if isinstance(t, str)]
            return JSONResponse({{"choices": [{{"message": {{"content": "".join(parts)}}}}]}})
        async def events():
            async for t in stub.stream(req):
                if isinstance(t, str):
                    yield ("data: " + json.dumps({{"choices": [{{"delta": {{"content": t}}}}]}}) + "\n\n").encode()
            yield b"data: [DONE]\n\n"
        return StreamingResponse(events(), media_type="text/event-stream")
    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
def front_door():
    from chat_api.app import create_app
    home = {home!r}
    s = ChatSettings(backend="stub", stub_reply=REPLY, stub_tokens_per_s={rate}, storage="local",
                     lake_dir=home + "/lake", sqlite_path=home + "/c.sqlite3", max_tokens_cap=8192)
    return create_app(s)
"""
RUN = r"""
import uvicorn
uvicorn.run(baseline() if sys.argv[1] == "baseline" else front_door(), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


async def drive(app: Any, body: bytes) -> tuple[float, float, int]:
    """Call an ASGI app directly (no sockets): ``(ttft_ms, last_chunk_ms, content_chunks)``."""
    t0 = time.perf_counter()
    first: float | None = None
    last = t0
    chunks = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal first, last, chunks
        if message["type"] == "http.response.body" and message.get("body"):
            n = sum(1 for event in message["body"].split(b"\n\n") if b"token" in event)
            if n:
                chunks += n
                last = time.perf_counter()
                first = first or last

    await app(chat_scope(body), receive_once(body), send)
    assert first is not None
    return (first - t0) * 1000, (last - t0) * 1000, chunks


def in_process(requests: int, tokens: int) -> dict[str, Any]:
    """Both apps called in this process through ASGI, alternating, the stub without delay: the front door's own
    work without sockets, HTTP client or scheduling noise between processes."""
    import asyncio

    ns: dict[str, Any] = {}
    exec(
        SERVER.format(
            root=str(ROOT),
            lambda_dir=str(LAMBDA_DIR),
            tokens=tokens,
            rate=0.0,
            home=tempfile.mkdtemp(prefix="chat-bench-asgi-"),
        ),
        ns,
    )
    apps = {"baseline": ns["baseline"](), "front_door": ns["front_door"]()}
    out: dict[str, Any] = {}

    async def run() -> None:
        for mode in ("stream", "buffered"):
            payload = json.dumps({"messages": [{"role": "user", "content": PROMPT}], "stream": mode == "stream"})
            ttft: dict[str, list[float]] = {k: [] for k in apps}
            chunk: dict[str, list[float]] = {k: [] for k in apps}
            for i in range(requests + 50):
                for kind, app in apps.items():
                    first, last, n = await drive(app, payload.encode())
                    if i >= 50:  # warm-up
                        ttft[kind].append(first)
                        if n > 1:
                            chunk[kind].append((last - first) / (n - 1))
            out[mode] = overhead_row(ttft, chunk, mode == "stream", statistics.median, digits=3, ratio_digits=2)

    asyncio.run(run())
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(kind: str, script: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start one server process; returns it and its base URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(script), kind, str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.post(
                f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "warm"}]}, timeout=30
            )
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def one(client: httpx.Client, url: str, stream: bool) -> tuple[float, float, int]:
    """``(ttft_ms, total_ms, content_chunks)`` of one request (buffered: ttft = whole answer)."""
    body = {"messages": [{"role": "user", "content": PROMPT}], "stream": stream}
    t0 = time.perf_counter()
    if not stream:
        resp = client.post(f"{url}/v1/chat/completions", json=body)
        resp.raise_for_status()
        ms = (time.perf_counter() - t0) * 1000
        return ms, ms, 1
    first: float | None = None
    chunks = 0
    last = t0
    with client.stream("POST", f"{url}/v1/chat/completions", json=body) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if line.startswith("data: {") and _content(json.loads(line[6:])):
                chunks += 1
                last = time.perf_counter()
                if first is None:
                    first = last
            if line == "data: [DONE]":
                break
    assert first is not None
    return (first - t0) * 1000, (last - t0) * 1000, chunks


def _content(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or []
    return str((choices[0].get("delta") or {}).get("content") or "") if choices else ""


def overhead_row(
    ttft: dict[str, list[float]],
    per_chunk: dict[str, list[float]],
    stream: bool,
    chunk_stat: Callable[[list[float]], float],
    *,
    digits: int,
    ratio_digits: int,
) -> dict[str, Any]:
    """TTFT p50/p99 of ``front_door`` against ``baseline`` (and, streaming, ``chunk_stat`` of the chunk intervals,
    one more digit)."""
    row: dict[str, Any] = {
        f"p{q}": compare(pct(ttft["baseline"], q), pct(ttft["front_door"], q), digits=digits, ratio_digits=ratio_digits)
        for q in (50, 99)
    }
    if stream:
        row["per_chunk"] = compare(
            chunk_stat(per_chunk["baseline"]), chunk_stat(per_chunk["front_door"]), digits=digits + 1
        )
    return row


def cold_start(runs: int) -> dict[str, float]:
    """Median ms: app import + build, run.sh to ready, first request."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(LAMBDA_DIR)]),
        "BACKEND": "stub",
        "STORAGE": "local",
        "LOCAL_LAKE_DIR": tempfile.mkdtemp(),
        "CONVERSATIONS_SQLITE": tempfile.mkdtemp() + "/c.sqlite3",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the Lambda bundle ships bytecode: measure with it
    probes = {
        "chat_app_import_ms": "import chat_api.app as a; a.create_app()",
        "chat_app_plus_uvicorn_import_ms": "import uvicorn, chat_api.app as a; a.create_app()",
    }
    out: dict[str, float] = {}
    for name, code in probes.items():
        timer = f"import time; t=time.perf_counter(); {code}; print((time.perf_counter()-t)*1000)"
        subprocess.run([sys.executable, "-c", timer], env=env, cwd=LAMBDA_DIR, check=True, capture_output=True)
        samples = [
            float(
                subprocess.run(
                    [sys.executable, "-c", timer], env=env, cwd=LAMBDA_DIR, check=True, capture_output=True, text=True
                ).stdout.strip()
            )
            for _ in range(runs)
        ]
        out[name] = statistics.median(samples)
    ready: list[float] = []
    first: list[float] = []
    for _ in range(max(1, runs // 2)):
        port = _free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(LAMBDA_DIR / "run.sh")],
            env={**env, "PORT": str(port), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"},
        )
        try:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.005)
            ready.append((time.perf_counter() - t0) * 1000)
            t1 = time.perf_counter()
            httpx.post(
                f"http://127.0.0.1:{port}/v1/chat/completions",
                json={"messages": [{"role": "user", "content": PROMPT}]},
                timeout=60,
            ).raise_for_status()
            first.append((time.perf_counter() - t1) * 1000)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    out["run_sh_to_ready_ms"] = statistics.median(ready)
    out["first_request_ms"] = statistics.median(first)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (and ``--json``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300, help="requests per server and mode")
    p.add_argument("--tokens-per-s", type=float, default=200.0)
    p.add_argument("--tokens", type=int, default=40)
    p.add_argument("--import-runs", type=int, default=7)
    p.add_argument("--asgi-requests", type=int, default=2000, help="in-process ASGI requests per app and mode")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    home = tempfile.mkdtemp(prefix="chat-bench-")
    script = Path(home) / "server.py"
    results_asgi = in_process(args.asgi_requests, args.tokens)
    script.write_text(
        (SERVER + RUN).format(
            root=str(ROOT), lambda_dir=str(LAMBDA_DIR), tokens=args.tokens, rate=args.tokens_per_s, home=home
        )
    )
    servers = {kind: start(kind, script) for kind in ("baseline", "front_door")}
    results: dict[str, Any] = {"requests": args.requests, "tokens_per_s": args.tokens_per_s, "tokens": args.tokens}
    try:
        with httpx.Client(timeout=60) as client:
            for mode in ("stream", "buffered"):
                ttft: dict[str, list[float]] = {"baseline": [], "front_door": []}
                per_chunk: dict[str, list[float]] = {"baseline": [], "front_door": []}
                for _ in range(10):  # warm-up
                    for _, url in servers.values():
                        one(client, url, mode == "stream")
                for _ in range(args.requests):
                    for kind, (_, url) in servers.items():
                        first, total, chunks = one(client, url, mode == "stream")
                        ttft[kind].append(first)
                        if chunks > 1:
                            per_chunk[kind].append((total - first) / (chunks - 1))
                results[mode] = overhead_row(
                    ttft, per_chunk, mode == "stream", statistics.mean, digits=2, ratio_digits=3
                )
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
    results["cold_start"] = {k: round(v, 1) for k, v in cold_start(args.import_runs).items()}
    results["in_process"] = results_asgi
    s, bu = results["stream"], results["buffered"]
    print(
        f"chat API overhead, stub backend at {args.tokens_per_s:g} tokens/s, {args.tokens} tokens, "
        f"{args.requests} requests per server and mode, alternating"
    )
    for mode, row in (("streaming TTFT", s), ("buffered (whole answer)", bu)):
        for pq in ("p50", "p99"):
            r = row[pq]
            print(
                f"  {mode:24s} {pq}: baseline {r['baseline_ms']:8.2f} ms  front door {r['front_door_ms']:8.2f} ms"
                f"  overhead {r['overhead_ms']:+7.2f} ms  ratio {r['ratio']:.3f}"
            )
    c = s["per_chunk"]
    print(
        f"  per chunk (mean interval)   baseline {c['baseline_ms']:.3f} ms  front door {c['front_door_ms']:.3f} ms"
        f"  overhead {c['overhead_ms']:+.3f} ms"
    )
    print(f"in process (ASGI called directly, stub without delay, {args.asgi_requests} requests per app and mode):")
    for mode, label in (("stream", "streaming TTFT"), ("buffered", "buffered (whole answer)")):
        for pq in ("p50", "p99"):
            r = results_asgi[mode][pq]
            print(
                f"  {label:24s} {pq}: baseline {r['baseline_ms']:8.3f} ms  front door {r['front_door_ms']:8.3f} ms"
                f"  overhead {r['overhead_ms']:+7.3f} ms"
            )
    ca = results_asgi["stream"]["per_chunk"]
    print(
        f"  per chunk (median interval) baseline {ca['baseline_ms']:.4f} ms  front door {ca['front_door_ms']:.4f} ms"
        f"  overhead {ca['overhead_ms']:+.4f} ms"
    )
    cs = results["cold_start"]
    print("  cold start (median): " + ", ".join(f"{k} {v} ms" for k, v in cs.items()))
    a = results_asgi["stream"]
    for label, ttft99, chunk in (
        ("in process", a["p99"]["overhead_ms"], a["per_chunk"]["overhead_ms"]),
        ("over HTTP", s["p99"]["overhead_ms"], c["overhead_ms"]),
    ):
        ok = ttft99 <= TTFT_TARGET_MS and chunk <= CHUNK_TARGET_MS
        print(
            f"  targets {label} (p99 TTFT overhead <= {TTFT_TARGET_MS} ms, <= {CHUNK_TARGET_MS} ms/chunk): "
            f"{'met' if ok else 'NOT met'} ({ttft99:+.3f} ms, {chunk:+.4f} ms/chunk)"
        )
    print(
        f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (HTTP tails are "
        "scheduling noise when it exceeds the CPU count)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
