"""A stub OpenAI-compatible streaming chat server for testing the load generator (stdlib only, no model).

``python -m loadtest.stub --port 18431 --token-rate 50 --prefill-ms 40 [--slots 1] [--inject 429:5,500:7,stream:9]``

- Generates ``min(max_tokens, --tokens)`` one-word tokens at ``--token-rate`` tokens/s after ``--prefill-ms`` (plus
  ``--prefill-ms-per-kchar`` per 1,000 prompt characters), one token per chunk, a usage chunk when
  ``stream_options.include_usage``, then ``data: [DONE]``; ``stream: false`` answers a ``chat.completion``.
- ``--slots N`` admits N generations at a time (the others wait, like a server with N model replicas; ``--slots 1`` is
  a single-CPU model that serialises generation). 0 = unlimited.
- ``--inject 429:5,500:7,stream:9``: every 5th request answers 429 (with ``Retry-After``), every 7th 500, every 9th
  fails mid-stream with an ``error`` event (counted on the request number, first match wins).
- ``GET /stats`` returns what it served: requests, responses by status, stream errors, tokens sent (all, and those of
  completed answers).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubConfig:
    """Behaviour of the stub."""

    token_rate: float = 50.0
    prefill_ms: float = 20.0
    prefill_ms_per_kchar: float = 0.0
    tokens: int = 32
    slots: int = 0
    inject: dict[str, int] = field(default_factory=dict)
    model: str = "stub-model"


#: The numeric :class:`StubConfig` fields the command line sets, with their help (type and default: the field's).
OPTIONS = {
    "token_rate": "tokens/s per generation (default 50)",
    "prefill_ms": "delay before the first token (default 20)",
    "prefill_ms_per_kchar": "extra prefill per 1,000 prompt chars",
    "tokens": "tokens per answer (capped by max_tokens; default 32)",
    "slots": "concurrent generations (0 = unlimited, 1 = serialised)",
}


def parse_inject(text: str) -> dict[str, int]:
    """``"429:5,500:7,stream:9"`` -> ``{"429": 5, "500": 7, "stream": 9}``."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, every = part.partition(":")
        if key != "stream" and not (key.isdigit() and 400 <= int(key) <= 599):
            raise ValueError(f"--inject {part!r}: key must be an HTTP status 400-599 or 'stream'")
        if not every.isdigit() or int(every) < 1:
            raise ValueError(f"--inject {part!r}: needs KEY:EVERY with EVERY >= 1")
        out[key] = int(every)
    return out


class StubState:
    """Counters shared by the handler threads."""

    def __init__(self, config: StubConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(config.slots) if config.slots > 0 else None
        self.requests = 0
        self.by_status: dict[str, int] = {}
        self.stream_errors = 0
        self.tokens_sent = 0
        self.tokens_completed = 0
        self.completed_streams = 0

    def next_request(self) -> tuple[int, str | None]:
        """Number of this request and the fault to inject into it (``"429"``, ``"500"``, ``"stream"`` or None)."""
        with self.lock:
            self.requests += 1
            number = self.requests
        for key, every in self.config.inject.items():
            if number % every == 0:
                return number, key
        return number, None

    def count(self, status: int, tokens: int = 0, stream_error: bool = False, completed: bool = False) -> None:
        """Record one response."""
        with self.lock:
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            self.tokens_sent += tokens
            self.stream_errors += int(stream_error)
            self.completed_streams += int(completed)
            self.tokens_completed += tokens if completed else 0

    def snapshot(self) -> dict[str, Any]:
        """``GET /stats``."""
        with self.lock:
            return {
                "requests": self.requests,
                "by_status": dict(self.by_status),
                "stream_errors": self.stream_errors,
                "tokens_sent": self.tokens_sent,
                "tokens_completed": self.tokens_completed,
                "completed_streams": self.completed_streams,
            }


def _error(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class Handler(BaseHTTPRequestHandler):
    """Request handler (``server.state`` holds the :class:`StubState`)."""

    protocol_version = "HTTP/1.1"
    server: StubServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        """``/v1/models`` and ``/stats``."""
        if self.path.rstrip("/") == "/v1/models":
            model = self.server.state.config.model
            self._json(
                200, {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "stub"}]}
            )
        elif self.path == "/stats":
            self._json(200, self.server.state.snapshot())
        else:
            self._json(404, _error(f"no route {self.path}", "invalid_request_error", "not_found"))

    def do_POST(self) -> None:
        """``/v1/chat/completions``."""
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, _error(f"no route {self.path}", "invalid_request_error", "not_found"))
            return
        try:
            body = json.loads(raw)
            messages = body["messages"]
            assert isinstance(messages, list) and messages
        except (ValueError, KeyError, AssertionError):
            state.count(400)
            self._json(400, _error("body must be JSON with a non-empty 'messages' list", "invalid_request_error"))
            return
        _, fault = state.next_request()
        if fault and fault != "stream":
            status = int(fault)
            state.count(status)
            headers = {"Retry-After": "1"} if status == 429 else None
            self._json(
                status,
                _error(
                    f"injected {status}",
                    "rate_limit_error" if status == 429 else "server_error",
                    "rate_limited" if status == 429 else "injected",
                ),
                headers,
            )
            return
        config = state.config
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or config.tokens
        n_tokens = max(1, min(int(max_tokens), config.tokens))
        chars = sum(len(str(m.get("content", ""))) for m in messages if isinstance(m, dict))
        prefill_s = (config.prefill_ms + config.prefill_ms_per_kchar * chars / 1000) / 1000
        if state.slots:
            state.slots.acquire()
        try:
            if body.get("stream"):
                self._stream(body, n_tokens, prefill_s, chars, fault == "stream")
            else:
                time.sleep(prefill_s + n_tokens / config.token_rate)
                text = " ".join(f"tok{i}" for i in range(n_tokens))
                state.count(200, n_tokens, completed=True)
                self._json(
                    200,
                    {
                        "id": f"chatcmpl-{uuid.uuid4().hex}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": config.model,
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
                        ],
                        "usage": {
                            "prompt_tokens": chars // 4,
                            "completion_tokens": n_tokens,
                            "total_tokens": chars // 4 + n_tokens,
                        },
                    },
                )
        finally:
            if state.slots:
                state.slots.release()

    def _stream(self, body: dict[str, Any], n_tokens: int, prefill_s: float, chars: int, fail: bool) -> None:
        state = self.server.state
        config = state.config
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        conversation_id = f"conv-{cid[9:21]}"
        base: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": config.model,
            "conversation_id": conversation_id,
        }
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Conversation-Id", conversation_id)
        self.end_headers()

        def event(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            self._chunk(f"data: {data}\n\n".encode())

        sent = 0
        try:
            event(
                {
                    **base,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
                }
            )
            time.sleep(prefill_s)
            for i in range(n_tokens):
                if i:
                    time.sleep(1 / config.token_rate)
                if fail and i == n_tokens // 2:
                    event(_error("injected mid-stream failure", "server_error", "injected"))
                    self._chunk(b"")
                    state.count(200, sent, stream_error=True)
                    return
                event({**base, "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]})
                sent += 1
            event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                event(
                    {
                        **base,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": chars // 4,
                            "completion_tokens": sent,
                            "total_tokens": chars // 4 + sent,
                        },
                    }
                )
            event("[DONE]")
            self._chunk(b"")
            state.count(200, sent, completed=True)
        except (BrokenPipeError, ConnectionResetError):
            state.count(499, sent)


class StubServer(ThreadingHTTPServer):
    """Threaded HTTP server holding a :class:`StubState`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], config: StubConfig) -> None:
        super().__init__(address, Handler)
        self.state = StubState(config)

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``."""
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/v1"


def start_in_thread(config: StubConfig, host: str = "127.0.0.1", port: int = 0) -> StubServer:
    """Start a stub on a daemon thread (port 0 = a free port); stop it with ``server.shutdown()``."""
    server = StubServer((host, port), config)
    threading.Thread(target=server.serve_forever, daemon=True, name="loadtest-stub").start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m loadtest.stub", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18431)
    for name, help_text in OPTIONS.items():
        default = getattr(StubConfig, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default, help=help_text)
    parser.add_argument("--inject", default="", help="faults, e.g. 429:5,500:7,stream:9 (every Nth request)")
    args = parser.parse_args(argv)
    config = StubConfig(**{name: getattr(args, name) for name in OPTIONS}, inject=parse_inject(args.inject))
    server = StubServer((args.host, args.port), config)
    print(f"stub listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
