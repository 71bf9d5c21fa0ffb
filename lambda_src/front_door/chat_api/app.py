"""The chat API as a Starlette (ASGI) application.

Endpoints (OpenAI Chat Completions wire format, see docs/chat-api.md): ``POST /v1/chat/completions`` (buffered or
SSE streaming), ``GET /v1/models``, ``POST /v1/feedback``, ``GET|PATCH|DELETE /v1/conversations[/{id}]``, the
``POST /v1/generate`` alias (one release), ``GET /healthz`` (Lambda Web Adapter readiness) and, when configured,
``GET /config.json`` + the web UI's static files.

Order of work on a completion: validate -> identity -> (conversation ownership when continuing) -> (retrieval, when on
for the request: :mod:`chat_api.grounding`) -> the backend streams;
redaction of the messages runs on a worker thread while the model generates (buffered: from the start; streaming:
once the first chunk is out). The first token is never delayed by redaction or storage:
the redacted interaction, the conversation and the completion's ownership are written after the last byte of the
answer (after ``[DONE]``; also when the client disconnects, marked ``client_disconnected``) and before the response
ends, so on Lambda the writes finish inside the invocation. Every storage call is bounded by a deadline derived from
the remaining invocation time; a missed deadline emits the failure metric before it passes.

Raw prompts and outputs are never logged; only redacted copies are stored. Starlette rather than FastAPI: the same
routing and streaming without FastAPI's pydantic models and dependency injection on the cold-start import path (the
request is validated by :mod:`chat_api.protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from chat_api import backends as backends_mod
from chat_api.backends import Backend, Final
from chat_api.conversations import ConversationStore, build_conversation_store
from chat_api.grounding import GroundingStep, Retriever, build_retriever
from chat_api.identity import Invocation, invocation, remaining_s
from chat_api.metrics import Metrics
from chat_api.protocol import (
    DONE,
    MAX_TITLE_CHARS,
    ChatError,
    ChatRequest,
    ChunkEncoder,
    Message,
    Usage,
    completion,
    decode_json,
    error_event,
    invalid,
    new_completion_id,
    new_conversation_id,
    parse_chat_request,
    valid_id,
)
from chat_api.records import RecordStore, build_record_store
from chat_api.settings import ChatSettings

LOG = logging.getLogger("chat_api")
SCHEMA_VERSION = 2
BASE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
SSE_HEADERS = {**BASE_HEADERS, "X-Accel-Buffering": "no"}
RATINGS = {"up": 1, "down": -1, 1: 1, -1: -1}
TITLE_CHARS = 60
MAX_COMMENT_CHARS = 4000


def _redact(text: str) -> tuple[str, dict[str, int]]:
    from frontdoor import storage

    redacted, counts = storage.redact(text)
    return ("[REDACTED]" if redacted is None else redacted), counts


def redact_messages(messages: list[Message]) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Redacted copies of ``messages`` and the entity counts across them (the shared PII engine)."""
    counts: dict[str, int] = {}
    out = []
    for m in messages:
        text, c = _redact(m.content)
        for k, v in c.items():
            counts[k] = counts.get(k, 0) + v
        out.append({"role": m.role, "content": text})
    return out, counts


@dataclass
class _Answer:
    """A model stream as it is consumed: the content parts, when the first arrived, and how it ended."""

    parts: list[str] = field(default_factory=list)
    ttft: float | None = None
    final: Final = field(default_factory=lambda: Final("error"))

    def take(self, item: str | Final) -> TypeGuard[str]:
        """Record one stream item: true for content, false (and ``final`` set) at the end."""
        if isinstance(item, Final):
            self.final = item
            return False
        if self.ttft is None:
            self.ttft = time.perf_counter()
        self.parts.append(item)
        return True


class ChatService:
    """State shared by the routes: settings, backend, stores, metrics, worker pools."""

    def __init__(
        self,
        s: ChatSettings,
        backend: Backend,
        records: RecordStore,
        conversations: ConversationStore,
        metrics: Metrics,
        retriever: Retriever | None = None,
    ) -> None:
        self.s = s
        self.backend = backend
        self.records = records
        self.conversations = conversations
        self.metrics = metrics
        self.grounding = GroundingStep(s, retriever, metrics, lambda text: _redact(text)[0])
        self.started = int(time.time())
        self.redactor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="redact")
        self.storage_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="storage")

    # ------------------------------------------------------------------ helpers

    async def bounded(self, inv: Invocation, what: str, fn: Any, *args: Any) -> Any:
        """Run a blocking storage call with a deadline: ``min(storage_timeout_s, remaining invocation time -
        margin)``. On timeout or error the ``<what>Failures`` metric is emitted (before the deadline) and the error
        re-raised as ``TimeoutError``/the original exception."""
        budget = min(
            self.s.storage_timeout_s, remaining_s(inv.deadline, self.s.storage_timeout_s) - self.s.deadline_margin_s
        )
        if budget <= 0:
            self.metrics.add(f"{what}Failures")
            raise TimeoutError(f"no time left for {what}")
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self.storage_pool, fn, *args), timeout=budget)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self.metrics.add(f"{what}Failures")
                LOG.warning("%s failed: %s", what, type(exc).__name__)
            raise

    async def read_json(self, request: Request) -> Any:
        """Body with the size limit (413), the content type (415) and :func:`decode_json` (400)."""
        ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json" and not ctype.endswith("+json"):
            raise ChatError(415, "unsupported_media_type", "Content-Type must be application/json.")
        too_large = ChatError(413, "payload_too_large", f"The request body exceeds {self.s.max_body_bytes} bytes.")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.s.max_body_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.s.max_body_bytes:
                raise too_large
            chunks.append(chunk)
        if not size:
            raise invalid("A JSON request body is required.", code="invalid_json")
        return decode_json(b"".join(chunks))

    def invocation(self, request: Request) -> Invocation:
        """Caller identity and deadline of this request (401/400 via :class:`ChatError`)."""
        return invocation(request.headers, self.s)

    # ------------------------------------------------------------------ completions

    async def chat_completions(self, request: Request) -> Response:
        """``POST /v1/chat/completions``."""
        t0 = time.perf_counter()
        self.metrics.add("ChatRequests")
        inv = self.invocation(request)
        req = parse_chat_request(
            await self.read_json(request),
            max_messages=self.s.max_messages,
            max_prompt_chars=self.s.max_prompt_chars,
            max_tokens_cap=self.s.max_tokens_cap,
            default_max_tokens=self.s.default_max_tokens,
        )
        return await self.complete(req, inv, t0, request)

    async def complete(
        self, req: ChatRequest, inv: Invocation, t0: float, request: Request, legacy: bool = False
    ) -> Response:
        """Run one completion (streamed or buffered) and store it."""
        existing: dict[str, Any] | None = None
        if req.conversation_id:
            try:
                existing = await self.bounded(
                    inv, "ConversationRead", self.conversations.get, inv.caller, req.conversation_id
                )
            except Exception:
                raise self.unavailable() from None
            if existing is None:
                raise ChatError(404, "conversation_not_found", "No such conversation.", param="conversation_id")
        conversation_id = req.conversation_id or new_conversation_id()
        completion_id = new_completion_id()
        # Buffered: redact while the model generates. Streaming: start after the first token is out, so the
        # redaction (pure Python, holds the GIL) never competes with the first chunk.
        redaction: Future[Any] | None = (
            None if req.stream else self.redactor.submit(redact_messages, list(req.messages))
        )
        # Retrieval (when on for this request) is the only step before the model call: chat_api.grounding.
        grounded, wanted = await self.grounding.run(req, skip=legacy)
        citations = grounded.citations
        stream = self.backend.stream(grounded.model_request)
        ctx = {
            "t0": t0,
            "inv": inv,
            "req": req,
            "completion_id": completion_id,
            "conversation_id": conversation_id,
            "existing": existing,
            "redaction": redaction,
            "citations": citations,
            "model_req": grounded.model_request,
            "retrieval": grounded.record(wanted.top_k),
        }
        try:
            first = await anext(stream)
        except StopAsyncIteration:
            first = Final()
        except Exception as exc:
            await stream.aclose()
            raise self.upstream(exc) from None
        headers = {"X-Conversation-Id": conversation_id, "X-Request-Id": inv.request_id or completion_id}
        if req.stream:
            return SSEResponse(
                self.sse(stream, first, ctx), media_type="text/event-stream", headers={**SSE_HEADERS, **headers}
            )
        answer = _Answer()
        item: str | Final = first
        try:
            while answer.take(item):
                item = await anext(stream)
        except StopAsyncIteration:
            answer.final = Final()
        except Exception as exc:
            await stream.aclose()
            error = self.upstream(exc)
            await self.store(ctx, "".join(answer.parts), Final("error"), "error", answer.ttft)
            raise error from None
        text = "".join(answer.parts)
        final, ttft = answer.final, answer.ttft
        usage = self.usage_of(grounded.model_request, text, final)
        model = self.backend.model_id
        if legacy:
            body: dict[str, Any] = {
                "request_id": completion_id,
                "output": text,
                "model": model,
                "stop_reason": final.finish_reason,
                "usage": {
                    "input_tokens": usage.prompt_tokens,
                    "output_tokens": usage.completion_tokens,
                    "total_tokens": usage.prompt_tokens + usage.completion_tokens,
                },
                "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
                "conversation_id": conversation_id,
            }
        else:
            body = completion(
                completion_id, model, int(time.time()), text, final.finish_reason, usage, conversation_id, citations
            )
        payload = json.dumps(body, ensure_ascii=False).encode()
        done = final

        async def send_then_store() -> AsyncIterator[bytes]:
            # The whole answer goes out first (with Content-Length the client has it at once); the writes follow
            # before the response ends, so on Lambda they still finish inside the invocation.
            try:
                yield payload
            finally:
                with anyio.CancelScope(shield=True):
                    await self.store(ctx, text, done, "completed", ttft)

        return SSEResponse(
            send_then_store(),
            media_type="application/json",
            headers={**BASE_HEADERS, **headers, "Content-Length": str(len(payload))},
        )

    async def sse(
        self, stream: AsyncGenerator[str | Final, None], first: str | Final, ctx: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        """SSE body: role chunk, content deltas, finish, usage, citations, ``[DONE]``; stores when it ends."""
        req: ChatRequest = ctx["req"]
        enc = ChunkEncoder(ctx["completion_id"], self.backend.model_id, ctx["conversation_id"])
        answer = _Answer()
        status = "error"
        item: str | Final = first
        try:
            yield enc.role()
            while answer.take(item):
                yield enc.content(item)
                if ctx["redaction"] is None:
                    ctx["redaction"] = self.redactor.submit(redact_messages, list(req.messages))
                try:
                    item = await anext(stream)
                except StopAsyncIteration:
                    answer.final = Final()
                    break
            yield enc.finish(answer.final.finish_reason)
            usage = self.usage_of(ctx["model_req"], "".join(answer.parts), answer.final)
            if req.include_usage:
                yield enc.usage(usage)
            if ctx["citations"] is not None:
                yield enc.citations(ctx["citations"])
            yield DONE
            status = "completed"
        except (asyncio.CancelledError, GeneratorExit):
            status = "client_disconnected"
            self.metrics.add("ClientDisconnects")
            raise
        except Exception as exc:
            error = self.upstream(exc)
            self.metrics.add(error.metric or "StreamErrors")
            yield error_event(error)
        finally:
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(Exception):
                    await stream.aclose()
                done = answer.final if status == "completed" else Final(status)
                await self.store(ctx, "".join(answer.parts), done, status, answer.ttft)

    def usage_of(self, req: ChatRequest, text: str, final: Final) -> Usage:
        """The backend's usage, or an estimate (characters / 4) marked ``estimated``."""
        if final.usage is not None:
            return final.usage
        est = backends_mod.estimate_tokens
        return Usage(est("".join(m.content for m in req.messages)), est(text), estimated=True)

    async def store(self, ctx: dict[str, Any], text: str, final: Final, status: str, ttft: float | None) -> Usage:
        """Write the redacted interaction, the conversation and the completion's owner; never raises."""
        req: ChatRequest = ctx["req"]
        inv: Invocation = ctx["inv"]
        t0: float = ctx["t0"]
        usage = self.usage_of(ctx["model_req"], text, final)
        now = datetime.now(UTC)
        latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        self.metrics.add("ModelLatency", latency_ms, "Milliseconds")
        if ttft is not None:
            self.metrics.add("TimeToFirstToken", round((ttft - t0) * 1000, 1), "Milliseconds")
        self.metrics.add("InputTokens", usage.prompt_tokens)
        self.metrics.add("OutputTokens", usage.completion_tokens)
        if final.finish_reason == "content_filter":
            self.metrics.add("GuardrailInterventions")
        if ctx["redaction"] is None:
            ctx["redaction"] = self.redactor.submit(redact_messages, list(req.messages))
        try:
            loop = asyncio.get_running_loop()
            messages, in_counts = await asyncio.wait_for(
                asyncio.wrap_future(ctx["redaction"]), timeout=max(0.05, self.s.storage_timeout_s)
            )
            output, out_counts = await loop.run_in_executor(self.redactor, _redact, text)
        except Exception as exc:
            self.metrics.add("InteractionLogFailures")
            LOG.warning("redaction failed: %s", type(exc).__name__)
            return usage
        from frontdoor import storage

        record = {
            "schema_version": SCHEMA_VERSION,
            "type": "interaction",
            "api": "chat.completions",
            "request_id": ctx["completion_id"],
            "completion_id": ctx["completion_id"],
            "conversation_id": ctx["conversation_id"],
            "caller": inv.caller,
            "gateway_request_id": inv.request_id,
            "timestamp": now.isoformat(timespec="milliseconds"),
            "backend": self.s.backend,
            "model": self.backend.model_id,
            "model_version": final.model_version,
            "latency_ms": latency_ms,
            "ttft_ms": round((ttft - t0) * 1000, 1) if ttft is not None else None,
            "usage": {**usage.as_openai(), "estimated": usage.estimated},
            "finish_reason": final.finish_reason,
            "status": status,
            "stream": req.stream,
            "parameters": {**req.parameters(), "stop": [_redact(x)[0] for x in req.stop]},
            "messages": messages,
            "prompt": next((m["content"] for m in reversed(messages) if m["role"] == "user"), ""),
            "output": output,
            "prompt_chars": req.prompt_chars,
            "output_chars": len(text),
            "pii_counts": {"messages": in_counts, "output": out_counts},
            # Citations come from the sanitized knowledge base: already redacted.
            "retrieval": ctx["retrieval"],
            "citations": ctx["citations"],
        }
        self.metrics.add("PiiEntitiesRedacted", storage.pii_total(record["pii_counts"]))
        key = storage.interaction_key(ctx["completion_id"], now, self.s.interactions_prefix)
        conversation = self.conversation_record(ctx, messages, output, now)
        results = await asyncio.gather(
            self.bounded(inv, "InteractionLog", self.records.put, key, record),
            self.bounded(inv, "ConversationWrite", self.conversations.put, inv.caller, conversation),
            self.bounded(
                inv,
                "CompletionOwner",
                self.conversations.add_completion,
                inv.caller,
                ctx["completion_id"],
                ctx["conversation_id"],
            ),
            return_exceptions=True,
        )
        if not any(isinstance(r, BaseException) for r in results):
            LOG.info("completion stored", extra={"status": status, "latency_ms": latency_ms})
        self.metrics.flush()
        return usage

    def conversation_record(
        self, ctx: dict[str, Any], messages: list[dict[str, str]], output: str, now: datetime
    ) -> dict[str, Any]:
        """The conversation after this turn: redacted request messages + the redacted answer."""
        existing = ctx["existing"] or {}
        previous = existing.get("messages") or []
        merged: list[dict[str, Any]] = []
        for i, m in enumerate(messages):
            entry: dict[str, Any] = dict(m)
            if i < len(previous) and previous[i].get("role") == m["role"] and previous[i].get("completion_id"):
                entry["completion_id"] = previous[i]["completion_id"]
            merged.append(entry)
        merged.append({"role": "assistant", "content": output, "completion_id": ctx["completion_id"]})
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "Conversation")
        title = existing.get("title") or (" ".join(first_user.split())[:TITLE_CHARS] or "Conversation")
        ts = int(now.timestamp())
        return {
            "id": ctx["conversation_id"],
            "title": title,
            "created_at": existing.get("created_at", ts),
            "updated_at": ts,
            "messages": merged,
        }

    def upstream(self, exc: BaseException) -> ChatError:
        """Map a backend failure (unknown ones become a 502 and are logged by type)."""
        mapped = backends_mod.map_upstream(exc, self.s)
        if mapped is not None:
            return mapped
        LOG.error("backend failed: %s", type(exc).__name__)
        self.metrics.add("UnhandledErrors")
        return ChatError(502, "upstream_error", "The model backend failed.", metric="UpstreamErrors")

    def unavailable(self) -> ChatError:
        """503 ``storage_unavailable`` with ``Retry-After``."""
        return ChatError(
            503,
            "storage_unavailable",
            "Storage is unavailable; retry later.",
            headers={"Retry-After": str(self.s.retry_after_s)},
        )

    # ------------------------------------------------------------------ other endpoints

    async def generate(self, request: Request) -> Response:
        """``POST /v1/generate`` ``{"prompt", "parameters"?}``: the pre-chat API, kept one release as an alias."""
        t0 = time.perf_counter()
        self.metrics.add("GenerateRequests")
        inv = self.invocation(request)
        body = await self.read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            raise invalid("prompt must be a string.", "prompt")
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise invalid("parameters must be an object.", "parameters")
        chat_body = {
            "messages": [{"role": "user", "content": body["prompt"]}],
            **{k: v for k, v in params.items() if k in ("max_tokens", "temperature", "top_p", "stop")},
        }
        req = parse_chat_request(
            chat_body,
            max_messages=1,
            max_prompt_chars=self.s.max_prompt_chars,
            max_tokens_cap=self.s.max_tokens_cap,
            default_max_tokens=self.s.default_max_tokens,
        )
        if not body["prompt"].strip():
            raise invalid("prompt must contain non-whitespace characters.", "prompt")
        return await self.complete(req, inv, t0, request, legacy=True)

    async def models(self, request: Request) -> Response:
        """``GET /v1/models``."""
        self.invocation(request)
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {
                        "id": self.backend.model_id,
                        "object": "model",
                        "created": self.started,
                        "owned_by": "secure-llm-pipeline",
                    }
                ],
            },
            headers=BASE_HEADERS,
        )

    async def feedback(self, request: Request) -> Response:
        """``POST /v1/feedback``: only the caller who received the completion may rate it (others: 404)."""
        self.metrics.add("FeedbackRequests")
        inv = self.invocation(request)
        body = await self.read_json(request)
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        completion_id = body.get("completion_id", body.get("request_id"))
        rating = body.get("rating")
        comment = body.get("comment")
        if not isinstance(completion_id, str):
            raise invalid("completion_id must be a string.", "completion_id")
        if isinstance(rating, bool) or not isinstance(rating, str | int) or rating not in RATINGS:
            raise invalid('rating must be "up", "down", 1 or -1.', "rating")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
            raise invalid(f"comment must be a string of at most {MAX_COMMENT_CHARS} characters.", "comment")
        not_found = ChatError(404, "completion_not_found", "No such completion.", param="completion_id")
        if not valid_id(completion_id, "chatcmpl-"):
            raise not_found
        try:
            owned = await self.bounded(
                inv, "FeedbackOwner", self.conversations.owns_completion, inv.caller, completion_id
            )
        except Exception:
            raise self.unavailable() from None
        if not owned:
            raise not_found
        now = datetime.now(UTC)
        feedback_id = uuid.uuid4().hex
        redacted, counts = _redact(comment) if comment else (None, {})
        record = {
            "schema_version": SCHEMA_VERSION,
            "type": "feedback",
            "feedback_id": feedback_id,
            "request_id": completion_id,
            "completion_id": completion_id,
            "caller": inv.caller,
            "timestamp": now.isoformat(timespec="milliseconds"),
            "rating": RATINGS[rating],
            "comment": redacted,
            "pii_counts": {"comment": counts},
        }
        from frontdoor import storage

        try:
            await self.bounded(
                inv,
                "FeedbackLog",
                self.records.put,
                storage.feedback_key(completion_id, feedback_id, now, self.s.feedback_prefix),
                record,
            )
        except Exception:
            raise self.unavailable() from None
        finally:
            self.metrics.flush()
        return JSONResponse(
            {"status": "recorded", "completion_id": completion_id, "feedback_id": feedback_id}, headers=BASE_HEADERS
        )

    def _conversation_id(self, request: Request) -> str:
        cid = request.path_params["conversation_id"]
        if not valid_id(cid, "conv_"):
            raise ChatError(404, "conversation_not_found", "No such conversation.")
        return str(cid)

    async def list_conversations(self, request: Request) -> Response:
        """``GET /v1/conversations``: the caller's own, newest first."""
        inv = self.invocation(request)
        try:
            items = await self.bounded(inv, "ConversationRead", self.conversations.list, inv.caller)
        except Exception:
            raise self.unavailable() from None
        return JSONResponse({"object": "list", "data": items}, headers=BASE_HEADERS)

    async def _own_conversation(self, inv: Any, operation: str, call: Any, *args: Any) -> Any:
        """A conversation-store call for the caller, bounded by the deadline: 503 when the store fails, 404 when the
        caller has no such conversation (another caller's id included: existence is never confirmed)."""
        try:
            result = await self.bounded(inv, operation, call, inv.caller, *args)
        except Exception:
            raise self.unavailable() from None
        if not result:
            raise ChatError(404, "conversation_not_found", "No such conversation.")
        return result

    async def get_conversation(self, request: Request) -> Response:
        """``GET /v1/conversations/{id}`` (messages as stored: redacted)."""
        inv = self.invocation(request)
        cid = self._conversation_id(request)
        item = await self._own_conversation(inv, "ConversationRead", self.conversations.get, cid)
        return JSONResponse(item, headers=BASE_HEADERS)

    async def patch_conversation(self, request: Request) -> Response:
        """``PATCH /v1/conversations/{id}`` ``{"title"}`` (the title is stored redacted)."""
        inv = self.invocation(request)
        cid = self._conversation_id(request)
        body = await self.read_json(request)
        title = body.get("title") if isinstance(body, dict) else None
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
            raise invalid(f"title must be a non-blank string of at most {MAX_TITLE_CHARS} characters.", "title")
        redacted = _redact(title.strip())[0]
        item = await self._own_conversation(inv, "ConversationWrite", self.conversations.rename, cid, redacted)
        return JSONResponse(item, headers=BASE_HEADERS)

    async def delete_conversation(self, request: Request) -> Response:
        """``DELETE /v1/conversations/{id}``."""
        inv = self.invocation(request)
        cid = self._conversation_id(request)
        await self._own_conversation(inv, "ConversationWrite", self.conversations.delete, cid)
        return JSONResponse({"id": cid, "object": "conversation.deleted", "deleted": True}, headers=BASE_HEADERS)

    async def config_json(self, request: Request) -> Response:
        """``GET /config.json`` for the web UI (local: same-origin API, no auth)."""
        return JSONResponse({"apiBaseUrl": self.s.api_base_url, "auth": None}, headers=BASE_HEADERS)

    async def healthz(self, request: Request) -> Response:
        """Readiness (the Lambda Web Adapter polls it before the first invocation)."""
        return JSONResponse({"status": "ok"})


class SSEResponse(StreamingResponse):
    """A streaming response that always closes its body iterator, so the generator's ``finally`` (storage) runs
    deterministically on every exit path: completion, client disconnect, server shutdown."""

    async def stream_response(self, send: Any) -> None:
        """Send the stream; close the iterator whatever happens."""
        try:
            await super().stream_response(send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]


def error_response(error: ChatError, metrics: Metrics) -> Response:
    """OpenAI-shaped error response with the error's headers."""
    metrics.add(error.metric or ("ClientErrors" if error.status < 500 else "ServerErrors"))
    metrics.flush()
    return JSONResponse(error.body(), status_code=error.status, headers={**BASE_HEADERS, **error.headers})


def create_app(
    s: ChatSettings | None = None,
    *,
    backend: Backend | None = None,
    records: RecordStore | None = None,
    conversations: ConversationStore | None = None,
    metrics: Metrics | None = None,
    retriever: Retriever | None = None,
    serve_web: bool = False,
) -> Starlette:
    """Build the app; adapters default to those named by the settings (``retriever``: a
    :class:`retrieval.Retriever`, default :func:`chat_api.grounding.build_retriever`). ``serve_web``:
    ``/config.json`` and the static UI from ``s.static_dir`` (when that folder exists)."""
    s = s or ChatSettings.from_env()
    metrics = metrics or Metrics(emf=s.emf_metrics)
    svc = ChatService(
        s,
        backend or backends_mod.build_backend(s),
        records or build_record_store(s),
        conversations or build_conversation_store(s),
        metrics,
        retriever if retriever is not None else build_retriever(s),
    )

    async def on_chat_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ChatError)
        return error_response(exc, metrics)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        error = ChatError(
            exc.status_code,
            code,
            "No such route." if exc.status_code == 404 else str(exc.detail),
            headers=dict(exc.headers or {}),
        )
        return error_response(error, metrics)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        LOG.error("unhandled error: %s", type(exc).__name__)
        metrics.add("UnhandledErrors")
        return error_response(ChatError(500, "internal_error", "Internal error."), metrics)

    routes: list[Route | Mount] = [
        Route("/v1/chat/completions", svc.chat_completions, methods=["POST"]),
        Route("/v1/models", svc.models, methods=["GET"]),
        Route("/v1/feedback", svc.feedback, methods=["POST"]),
        Route("/v1/conversations", svc.list_conversations, methods=["GET"]),
        Route("/v1/conversations/{conversation_id}", svc.get_conversation, methods=["GET"]),
        Route("/v1/conversations/{conversation_id}", svc.patch_conversation, methods=["PATCH"]),
        Route("/v1/conversations/{conversation_id}", svc.delete_conversation, methods=["DELETE"]),
        Route("/v1/generate", svc.generate, methods=["POST"]),
        Route("/healthz", svc.healthz, methods=["GET"]),
    ]
    if serve_web:
        routes.append(Route("/config.json", svc.config_json, methods=["GET"]))
        if s.static_dir and Path(s.static_dir).is_dir():
            from starlette.staticfiles import StaticFiles

            routes.append(Mount("/", app=StaticFiles(directory=s.static_dir, html=True), name="web"))
    middleware = []
    if s.cors_allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(s.cors_allowed_origins),
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=["Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"],
                expose_headers=["X-Request-Id", "Retry-After", "X-Conversation-Id"],
                max_age=600,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ChatError: on_chat_error, HTTPException: on_http_error, Exception: on_unexpected},
    )
    app.state.chat = svc
    return app


def __getattr__(name: str) -> Any:
    """``chat_api.app:app`` (what ``run.sh`` serves): built from the environment on first access."""
    if name == "app":
        built = create_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)
