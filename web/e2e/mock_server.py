"""Dev mock of the chat API contract plus the web host, for the web UI's own checks (never shipped).

Serves ``web/dist`` at ``/`` (SPA fallback to ``index.html``), ``/config.json`` (``auth: null``) and ``/v1``:
models, streaming and plain chat completions from a fake *echo* model (the answer repeats the last user
message word by word, so a test controls the answer through its prompt), conversations and feedback,
all in memory. Responses carry the same Content-Security-Policy the ``WebApp`` construct sets on
CloudFront, so the browser tests also prove the built app runs under it.

Magic prompts for error states: ``#429`` (rate limited, Retry-After 7), ``#503`` (model warming up,
Retry-After 30), ``#cut`` (the stream breaks off before ``[DONE]``), ``#error`` (an error event mid-stream),
``#sources`` (a citations chunk). ``GET /__mock/feedback`` lists the feedback records received.

Run: ``python web/e2e/mock_server.py --port 8000`` (after ``npm run build`` in ``web/``).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DIST = Path(__file__).resolve().parent.parent / "dist"
MODEL = "mock-echo-1"
#: The policy WebApp's response-headers policy sends, with the API on the same origin.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)


@dataclass
class Store:
    """In-memory conversations and feedback, shared by all request threads."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    completions: set[str] = field(default_factory=set)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


#: Canned answers for the README screenshots (any other prompt is echoed).
CANNED = {
    "How do I read a CSV file in Python?": (
        "Use the standard library's `csv` module; `DictReader` maps each row to the header names:\n\n"
        '```python\nimport csv\n\nwith open("data.csv", newline="") as f:\n'
        '    for row in csv.DictReader(f):\n        print(row["name"])\n```\n\n'
        "For large files or analysis, **pandas** (`pd.read_csv`) is faster to work with."
    ),
    "Summarise our travel policy in two sentences.": (
        "Book travel at least **14 days ahead** through the travel portal. Economy class applies to "
        "flights under six hours; longer flights may be booked in premium economy."
    ),
}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class Handler(BaseHTTPRequestHandler):
    """One request of the mock (ThreadingHTTPServer: streams do not block other requests)."""

    server_version = "mock-chat/1"
    store: Store
    token_delay: float
    auth: dict[str, Any] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------ plumbing
    def _headers(self, status: int, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        csp = CSP
        if self.auth:  # like WebApp: the Cognito domain joins connect-src (token endpoint)
            csp = CSP.replace("connect-src 'self'", f"connect-src 'self' {self.auth['domain']}")
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.send_header("X-Frame-Options", "DENY")
        for k, v in (extra or {}).items():
            self.send_header(k, v)

    def _json(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self._headers(
            status, "application/json", {"Content-Length": str(len(data)), "Cache-Control": "no-store", **(extra or {})}
        )
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str, extra: dict[str, str] | None = None) -> None:
        kind = {400: "invalid_request_error", 404: "not_found_error", 429: "rate_limit_error"}.get(
            status, "server_error"
        )
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, extra)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except json.JSONDecodeError:
            return None

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:
        self.server.last_authorization = self.headers.get("Authorization")  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        if path == "/__bench/blank":  # baseline page of benchmarks/web_first_paint.py
            data = b"<!doctype html><html lang=en><title>blank</title><p>Loading</p></html>"
            self._headers(200, "text/html", {"Content-Length": str(len(data))})
            self.end_headers()
            self.wfile.write(data)
        elif path == "/config.json":
            self._json(200, {"apiBaseUrl": "/v1", "auth": self.auth})
        elif path == "/__mock/feedback":
            with self.store.lock:
                self._json(200, {"data": list(self.store.feedback)})
        elif path == "/v1/models":
            self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": MODEL, "object": "model", "created": 0, "owned_by": "mock"},
                        {"id": "mock-echo-2", "object": "model", "created": 0, "owned_by": "mock"},
                    ],
                },
            )
        elif path == "/v1/conversations":
            with self.store.lock:
                items = sorted(self.store.conversations.values(), key=lambda c: c["updated_at"], reverse=True)
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [{k: c[k] for k in ("id", "title", "created_at", "updated_at")} for c in items],
                    },
                )
        elif path.startswith("/v1/conversations/"):
            with self.store.lock:
                conv = self.store.conversations.get(path.rsplit("/", 1)[1])
                if conv is None:
                    self._error(404, "conversation not found", "not_found")
                else:
                    self._json(200, conv)
        elif path.startswith("/v1/"):
            self._error(404, "no such route", "not_found")
        else:
            self._static(path)

    def do_PATCH(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if (
            not path.startswith("/v1/conversations/")
            or not isinstance(body, dict)
            or not isinstance(body.get("title"), str)
        ):
            self._error(400, "title (string) is required", "invalid_request")
            return
        with self.store.lock:
            conv = self.store.conversations.get(path.rsplit("/", 1)[1])
            if conv is None:
                self._error(404, "conversation not found", "not_found")
                return
            conv["title"] = body["title"][:200]
            conv["updated_at"] = int(time.time())
            self._json(200, {k: conv[k] for k in ("id", "title", "created_at", "updated_at")})

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path
        with self.store.lock:
            cid = path.rsplit("/", 1)[1]
            if not path.startswith("/v1/conversations/") or self.store.conversations.pop(cid, None) is None:
                self._error(404, "conversation not found", "not_found")
                return
        self._json(200, {"id": cid, "object": "conversation.deleted", "deleted": True})

    def do_POST(self) -> None:
        self.server.last_authorization = self.headers.get("Authorization")  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        body = self._body()
        if not isinstance(body, dict):
            self._error(400, "the body must be a JSON object", "invalid_json")
        elif path == "/v1/feedback":
            self._feedback(body)
        elif path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._error(404, "no such route", "not_found")

    def _feedback(self, body: dict[str, Any]) -> None:
        cid, rating = body.get("completion_id"), body.get("rating")
        if rating not in ("up", "down", 1, -1):
            self._error(400, "rating must be up or down", "invalid_rating")
            return
        with self.store.lock:
            if cid not in self.store.completions:
                self._error(404, "unknown completion", "not_found")
                return
            self.store.feedback.append({"completion_id": cid, "rating": rating, "comment": body.get("comment")})
        self._json(200, {"status": "recorded", "completion_id": cid})

    def _chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "messages must be a non-empty list", "invalid_messages")
            return
        prompt = _text(messages[-1].get("content")) if isinstance(messages[-1], dict) else ""
        if "#429" in prompt:
            self._error(429, "rate limit exceeded", "rate_limited", {"Retry-After": "7"})
            return
        if "#503" in prompt:
            self._error(503, "the model is scaling up from zero", "model_warming_up", {"Retry-After": "30"})
            return
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        answer = CANNED.get(prompt.replace("#sources", "").strip(), f"You said: {prompt}")
        with self.store.lock:
            conv_id = body.get("conversation_id")
            if conv_id is not None and conv_id not in self.store.conversations:
                self._error(404, "conversation not found", "not_found")
                return
            now = int(time.time())
            if conv_id is None:
                conv_id = f"conv-{uuid.uuid4().hex[:16]}"
                self.store.conversations[conv_id] = {
                    "id": conv_id,
                    "title": prompt[:60],
                    "created_at": now,
                    "updated_at": now,
                    "messages": [],
                }
            conv = self.store.conversations[conv_id]
            conv["messages"].append({"role": "user", "content": prompt})
            conv["updated_at"] = now
            self.store.completions.add(completion_id)
        if not body.get("stream"):
            self._store_answer(conv_id, answer, completion_id)
            self._json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": now,
                    "model": MODEL,
                    "conversation_id": conv_id,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
                {"X-Conversation-Id": conv_id},
            )
            return
        self._stream(body, prompt, answer, completion_id, conv_id, now)

    def _stream(
        self, body: dict[str, Any], prompt: str, answer: str, completion_id: str, conv_id: str, now: int
    ) -> None:
        self._headers(
            200, "text/event-stream", {"Cache-Control": "no-store", "X-Conversation-Id": conv_id, "Connection": "close"}
        )
        self.end_headers()
        self.close_connection = True

        def send(payload: Any) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": now,
                "model": MODEL,
                "conversation_id": conv_id,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }

        sent = ""
        try:
            send(chunk({"role": "assistant", "content": ""}))
            words = answer.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else f" {word}"
                time.sleep(self.token_delay)
                send(chunk({"content": piece}))
                sent += piece
                if "#cut" in prompt and i >= len(words) // 2:
                    return  # the connection closes without [DONE]
                if "#error" in prompt and i >= len(words) // 2:
                    send(
                        {
                            "error": {
                                "message": "The model stopped unexpectedly.",
                                "type": "server_error",
                                "code": "backend_error",
                            }
                        }
                    )
                    return
            send(chunk({}, "stop"))
            if "#sources" in prompt or prompt.strip() in CANNED:
                send(
                    {
                        **chunk({}),
                        "choices": [],
                        "citations": [
                            {
                                "source": "https://docs.example.com/handbook#leave",
                                "title": "Employee handbook",
                                "score": 0.82,
                                "snippet": "Leave requests go through the HR portal.",
                            },
                            {
                                "source": "s3://kb/policies/travel.md",
                                "title": "Travel policy",
                                "score": 0.61,
                                "snippet": "Book travel at least 14 days ahead.",
                            },
                        ],
                    }
                )
            if (body.get("stream_options") or {}).get("include_usage"):
                send(
                    {
                        **chunk({}),
                        "choices": [],
                        "usage": {
                            "prompt_tokens": len(prompt.split()),
                            "completion_tokens": len(words),
                            "total_tokens": len(prompt.split()) + len(words),
                        },
                    }
                )
            send("[DONE]")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped the stream
        finally:
            self._store_answer(conv_id, sent, completion_id)

    def _store_answer(self, conv_id: str, answer: str, completion_id: str) -> None:
        with self.store.lock:
            conv = self.store.conversations.get(conv_id)
            if conv is not None and answer:
                conv["messages"].append({"role": "assistant", "content": answer, "completion_id": completion_id})

    def _static(self, path: str) -> None:
        target = (DIST / path.lstrip("/")).resolve()
        if not target.is_relative_to(DIST) or not target.is_file():
            target = DIST / "index.html"  # SPA routing, like CloudFront's 403/404 -> /index.html
        if not target.is_file():
            self._error(404, "web/dist is missing: run npm run build in web/", "not_built")
            return
        data = target.read_bytes()
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._headers(HTTPStatus.OK, ctype, {"Content-Length": str(len(data))})
        self.end_headers()
        self.wfile.write(data)


def make_server(
    host: str = "127.0.0.1", port: int = 0, token_delay: float = 0.04, auth: dict[str, Any] | None = None
) -> ThreadingHTTPServer:
    """A mock server (not yet serving); ``port=0`` picks a free port (``server.server_address``).

    ``auth``: the ``auth`` block of ``/config.json`` (sign-in through a Cognito-like domain); the mock checks no
    tokens, it records the last ``Authorization`` header in ``server.last_authorization``."""
    handler = type("BoundHandler", (Handler,), {"store": Store(), "token_delay": token_delay, "auth": auth})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--token-delay", type=float, default=0.04, help="seconds between streamed words")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.token_delay)
    print(f"mock chat server on http://{args.host}:{server.server_address[1]}/")
    server.serve_forever()


if __name__ == "__main__":
    main()
