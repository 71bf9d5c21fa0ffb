"""OpenAI Chat Completions wire format: request validation and response/chunk builders.

Hand-written rather than pydantic models: the checks are few, every rejection must name the OpenAI ``param``, and
pydantic's import (~150 ms) would land on every Lambda cold start. Every problem is a :class:`ChatError` (4xx).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from frontdoor.errors import ApiError

from retrieval import RetrievalRequest

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
#: Fields a request may carry; anything else is refused (never silently ignored).
KNOWN_FIELDS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "stream",
    "stream_options", "user", "conversation_id", "retrieval", "seed", "store", "metadata", "n", "logprobs",
    "presence_penalty", "frequency_penalty", "response_format",
})  # fmt: skip
UNSUPPORTED_FIELDS = {
    "tools": "tool calling", "tool_choice": "tool calling", "functions": "function calling",
    "function_call": "function calling", "parallel_tool_calls": "tool calling", "top_logprobs": "logprobs",
    "logit_bias": "logit_bias", "audio": "audio", "modalities": "audio", "prediction": "predicted outputs",
    "web_search_options": "web search",
}  # fmt: skip
MAX_STOP = 4
MAX_STOP_CHARS = 200
MAX_ID_CHARS = 128
MAX_TITLE_CHARS = 200
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
               415: "invalid_request_error", 429: "rate_limit_error", 503: "service_unavailable"}  # fmt: skip


class ChatError(ApiError):
    """An API error answered in OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        metric: str | None = None,
    ) -> None:
        super().__init__(status, code, message, dict(headers or {}), metric)
        self.param = param

    @classmethod
    def from_api_error(cls, exc: ApiError) -> ChatError:
        """Wrap an error mapped by :func:`frontdoor.errors.upstream_error`."""
        if isinstance(exc, ChatError):
            return exc
        return cls(exc.status, exc.code, exc.message, headers=exc.headers, metric=exc.metric)

    def body(self) -> dict[str, Any]:
        """The OpenAI error object."""
        kind = ERROR_TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str = "invalid_request") -> ChatError:
    """A 400 naming the offending parameter."""
    return ChatError(400, code, message, param=param)


# --------------------------------------------------------------------------- body decoding


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes) -> Any:
    """Parse a JSON body: invalid UTF-8, NaN/Infinity, too-deep nesting -> 400; lone surrogates -> 400 naming the field.

    Lone surrogates (``"\\ud800"``) are valid JSON escapes but cannot be encoded to UTF-8: the model call, the stored
    record and the conversation would all fail on them, so they are refused up front (issue 10, defect 5).
    """
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise invalid("The request body is not valid JSON (UTF-8).", code="invalid_json") from None
    where = first_unencodable(data)
    if where is not None:
        raise invalid(
            f"{where or 'body'} contains a lone UTF-16 surrogate (not valid Unicode text).",
            param=where or None,
            code="invalid_unicode",
        )
    return data


def _bad(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unencodable(node: Any, path: str = "") -> str | None:
    """Path (``messages[0].content``) of the first string (value or key) that UTF-8 cannot encode, else ``None``."""
    stack: list[tuple[Any, str]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _bad(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{where}.{key}" if where else str(key)
                if _bad(key):
                    return where or "body"
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
    return None


# --------------------------------------------------------------------------- request model


@dataclass(slots=True)
class Message:
    """One chat message with text content."""

    role: str
    content: str


@dataclass(slots=True)
class ChatRequest:
    """A validated ``POST /v1/chat/completions`` body."""

    messages: list[Message]
    model: str | None
    max_tokens: int
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    user: str | None = None
    conversation_id: str | None = None
    #: The ``retrieval`` extension as sent (validated); resolved against the deployment defaults by
    #: :mod:`chat_api.grounding`. None: the deployment default applies.
    retrieval: dict[str, Any] | None = None
    seed: int | None = None

    @property
    def prompt_chars(self) -> int:
        """Characters across all message contents."""
        return sum(len(m.content) for m in self.messages)

    def parameters(self) -> dict[str, Any]:
        """Sampling parameters as stored with the interaction (``stop`` is redacted by the caller)."""
        out: dict[str, Any] = {"max_tokens": self.max_tokens}
        for name in ("temperature", "top_p", "seed"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(f"{name} must be a number.", name)
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low:g} and {high:g}.", name)
    return float(value)


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{name} must be an integer.", name)
    return value


def _opt_str(body: dict[str, Any], name: str, max_chars: int = MAX_ID_CHARS) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.", name)
    if len(value) > max_chars:
        raise invalid(f"{name} is longer than {max_chars} characters.", name)
    return value


def _content(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts: list[str] = []
        for i, part in enumerate(value):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise invalid("Each content part must be an object with a type.", f"{where}[{i}]")
            if part["type"] != "text":
                raise invalid(
                    f"Content parts of type {part['type']!r} are not supported (text only).",
                    f"{where}[{i}].type",
                    "unsupported_content",
                )
            if not isinstance(part.get("text"), str):
                raise invalid("A text part needs a string text.", f"{where}[{i}].text")
            texts.append(part["text"])
        return "".join(texts)
    raise invalid("content must be a string or a list of text parts.", where)


def parse_messages(value: Any, max_messages: int) -> list[Message]:
    """Validate the ``messages`` array (roles system/developer/user/assistant, text content)."""
    if not isinstance(value, list) or not value:
        raise invalid("messages must be a non-empty array.", "messages")
    if len(value) > max_messages:
        raise invalid(
            f"messages has {len(value)} items; at most {max_messages} are accepted.", "messages", "too_many_messages"
        )
    out: list[Message] = []
    for i, item in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise invalid("Each message must be an object.", where)
        role = item.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise invalid(
                "role must be one of system, developer, user, assistant (tools are not supported).",
                f"{where}.role",
                "unsupported_role" if isinstance(role, str) else "invalid_request",
            )
        for key in ("tool_calls", "function_call", "audio", "tool_call_id"):
            if item.get(key) is not None:
                raise invalid(f"{key} is not supported.", f"{where}.{key}", "unsupported_parameter")
        out.append(Message(ROLES[role], _content(item.get("content"), f"{where}.content")))
    return out


def parse_retrieval(value: Any) -> dict[str, Any] | None:
    """Validate the ``retrieval`` extension ``{"enabled": bool, "top_k": 1-20, "filters": {"source_prefix",
    "attributes"}}`` with :meth:`retrieval.RetrievalRequest.from_body` (400, ``param="retrieval"``, the message names
    the field)."""
    if value is None:
        return None
    try:
        RetrievalRequest.from_body(value)
    except ValueError as exc:
        raise invalid(f"{exc}.", "retrieval") from None
    return dict(value)


def parse_chat_request(
    body: Any, *, max_messages: int, max_prompt_chars: int, max_tokens_cap: int, default_max_tokens: int
) -> ChatRequest:
    """Validate a chat completion request body against the OpenAI format and the configured limits."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    for name, feature in UNSUPPORTED_FIELDS.items():
        if body.get(name) not in (None, [], False):
            raise invalid(f"{name} is not supported ({feature}).", name, "unsupported_parameter")
    unknown = sorted(k for k in body if k not in KNOWN_FIELDS and k not in UNSUPPORTED_FIELDS)
    if unknown:
        raise invalid(f"Unrecognized request argument: {unknown[0]}.", unknown[0], "unsupported_parameter")
    n = _int(body, "n")
    if n is not None and n != 1:
        raise invalid("Only n=1 is supported.", "n", "unsupported_parameter")
    if body.get("logprobs") not in (None, False):
        raise invalid("logprobs is not supported.", "logprobs", "unsupported_parameter")
    for name in ("presence_penalty", "frequency_penalty"):
        if _number(body, name, -2, 2) not in (None, 0.0):
            raise invalid(f"{name} is not supported (only 0).", name, "unsupported_parameter")
    fmt = body.get("response_format")
    if fmt is not None and fmt != {"type": "text"}:
        raise invalid('Only response_format {"type": "text"} is supported.', "response_format", "unsupported_parameter")
    messages = parse_messages(body.get("messages"), max_messages)
    chars = sum(len(m.content) for m in messages)
    if chars > max_prompt_chars:
        raise invalid(
            f"The messages have {chars} characters; the limit is {max_prompt_chars}.",
            "messages",
            "context_length_exceeded",
        )
    max_tokens = _int(body, "max_completion_tokens")
    max_tokens = _int(body, "max_tokens") if max_tokens is None else max_tokens
    param = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    if max_tokens is not None and max_tokens < 1:
        raise invalid(f"{param} must be at least 1.", param)
    if max_tokens is not None and max_tokens > max_tokens_cap:
        raise invalid(f"{param}={max_tokens} exceeds the limit of {max_tokens_cap}.", param, "max_tokens_exceeded")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop
    if stops is None:
        stops = []
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise invalid("stop must be a string or an array of non-empty strings.", "stop")
    if len(stops) > MAX_STOP or any(len(s) > MAX_STOP_CHARS for s in stops):
        raise invalid(f"stop accepts at most {MAX_STOP} sequences of {MAX_STOP_CHARS} characters.", "stop")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise invalid("stream must be a boolean.", "stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool):
            raise invalid("stream_options must be an object with a boolean include_usage.", "stream_options")
        if not stream:
            raise invalid("stream_options is only allowed with stream=true.", "stream_options")
        include_usage = bool(options.get("include_usage", False))
    for name in ("store",):
        if body.get(name) is not None and not isinstance(body.get(name), bool):
            raise invalid(f"{name} must be a boolean.", name)
    if body.get("metadata") is not None and not isinstance(body.get("metadata"), dict):
        raise invalid("metadata must be an object.", "metadata")
    conversation_id = _opt_str(body, "conversation_id")
    if conversation_id is not None and not valid_id(conversation_id, "conv_"):
        raise ChatError(404, "conversation_not_found", "No such conversation.", param="conversation_id")
    seed = _int(body, "seed")
    return ChatRequest(
        messages=messages,
        model=_opt_str(body, "model", 256),
        max_tokens=max_tokens or default_max_tokens,
        temperature=_number(body, "temperature", 0, 2),
        top_p=_number(body, "top_p", 0, 1),
        stop=list(stops),
        stream=stream,
        include_usage=include_usage,
        user=_opt_str(body, "user", 256),
        conversation_id=conversation_id,
        retrieval=parse_retrieval(body.get("retrieval")),
        seed=seed,
    )


# --------------------------------------------------------------------------- ids and responses


def new_completion_id() -> str:
    """``chatcmpl-<32 hex>``."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def new_conversation_id() -> str:
    """``conv_<32 hex>``."""
    return f"conv_{uuid.uuid4().hex}"


def valid_id(value: str, prefix: str) -> bool:
    """Whether ``value`` looks like an id this API issued (prefix + 32 lowercase hex)."""
    rest = value[len(prefix) :]
    return value.startswith(prefix) and len(rest) == 32 and all(c in "0123456789abcdef" for c in rest)


@dataclass(slots=True)
class Usage:
    """Token usage; ``estimated`` when the backend did not report counts (characters / 4)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    def as_openai(self) -> dict[str, int]:
        """OpenAI ``usage`` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def completion(
    completion_id: str,
    model: str,
    created: int,
    text: str,
    finish_reason: str,
    usage: Usage,
    conversation_id: str,
    citations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``chat.completion`` object (plus the ``conversation_id``/``citations`` extensions)."""
    out: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage.as_openai(),
        "conversation_id": conversation_id,
    }
    if citations is not None:
        out["citations"] = citations
    return out


class ChunkEncoder:
    """Encodes ``chat.completion.chunk`` SSE events for one completion (the common prefix is built once)."""

    def __init__(self, completion_id: str, model: str, conversation_id: str, created: int | None = None) -> None:
        created = int(time.time()) if created is None else created
        self._head = (
            f'data: {{"id":{json.dumps(completion_id)},"object":"chat.completion.chunk","created":{created},'
            f'"model":{json.dumps(model)},"conversation_id":{json.dumps(conversation_id)},'
        )

    def role(self) -> bytes:
        """The first chunk: the assistant role with empty content."""
        return self._event(
            '"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]'
        )

    def content(self, text: str) -> bytes:
        """A content delta."""
        return self._event(
            f'"choices":[{{"index":0,"delta":{{"content":{json.dumps(text, ensure_ascii=False)}}},'
            '"logprobs":null,"finish_reason":null}]'
        )

    def finish(self, reason: str) -> bytes:
        """The chunk carrying ``finish_reason``."""
        return self._event(
            f'"choices":[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":{json.dumps(reason)}}}]'
        )

    def usage(self, usage: Usage) -> bytes:
        """The final usage chunk (``choices: []``)."""
        return self._event(f'"choices":[],"usage":{json.dumps(usage.as_openai())}')

    def citations(self, citations: list[dict[str, Any]]) -> bytes:
        """A chunk with ``choices: []`` and the retrieval ``citations``."""
        return self._event(f'"choices":[],"citations":{json.dumps(citations, ensure_ascii=False)}')

    def _event(self, rest: str) -> bytes:
        return f"{self._head}{rest}}}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def error_event(error: ChatError) -> bytes:
    """A mid-stream error event (``data: {"error": {...}}``)."""
    return f"data: {json.dumps(error.body())}\n\n".encode()
