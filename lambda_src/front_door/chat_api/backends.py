"""Streaming model backends: Bedrock ConverseStream, SageMaker InvokeEndpointWithResponseStream (LMI/TGI Messages
API), any OpenAI-compatible upstream (vLLM, Ollama, ...), a local transformers model, and a deterministic stub.

Each backend's :meth:`stream` is an async iterator of text deltas (``str``) ending with one :class:`Final`. Blocking
SDK streams (boto3 event streams, transformers' ``TextIteratorStreamer``) run on a worker thread and are bridged to
the event loop by :func:`iterate_in_thread`. Upstream failures are raised as :class:`~chat_api.protocol.ChatError`
with the statuses of :func:`frontdoor.errors.upstream_error` (429/503 with ``Retry-After``, 502, 504).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar

from frontdoor.errors import upstream_error

from chat_api.protocol import ChatError, ChatRequest, Message, Usage
from chat_api.settings import ChatSettings

T = TypeVar("T")

#: Backend stop reasons -> OpenAI ``finish_reason``.
FINISH_REASONS = {
    "stop": "stop", "end_turn": "stop", "stop_sequence": "stop", "eos_token": "stop", "eos": "stop",
    "length": "length", "max_tokens": "length", "model_length": "length",
    "guardrail_intervened": "content_filter", "content_filtered": "content_filter", "content_filter": "content_filter",
}  # fmt: skip


@dataclass(slots=True)
class Final:
    """End of a stream: finish reason, usage (``None`` when the backend reported none), served model version."""

    finish_reason: str = "stop"
    usage: Usage | None = None
    model_version: str | None = None


class Backend(Protocol):
    """What the app needs from a model backend."""

    model_id: str

    def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Text deltas, then one :class:`Final` (an async generator: the app closes it on disconnect)."""
        ...


def finish_reason(value: Any) -> str:
    """Map a backend stop reason to OpenAI's (unknown -> ``stop``)."""
    return FINISH_REASONS.get(str(value).lower(), "stop") if value else "stop"


def estimate_tokens(text: str) -> int:
    """Rough token count (characters / 4, at least 1 for non-empty text) when a backend reports none."""
    return (len(text) + 3) // 4


_END = object()


async def iterate_in_thread(make_iter: Callable[[], Iterable[T]]) -> AsyncIterator[T]:
    """Run a blocking iterator on a daemon thread and yield its items on the event loop.

    Closing the async iterator (client disconnect) sets a flag the worker checks between items, so the worker stops
    pulling from the upstream stream at the next item; exceptions of the worker are re-raised here.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()
    stop = threading.Event()

    def put(item: Any, exc: BaseException | None = None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (item, exc))
        except RuntimeError:  # the loop is closed: nobody is listening any more
            stop.set()

    def run() -> None:
        try:
            for item in make_iter():
                if stop.is_set():
                    break
                put(item)
        except BaseException as exc:
            put(_END, exc)
        else:
            put(_END)

    threading.Thread(target=run, daemon=True, name="backend-stream").start()
    try:
        while True:
            item, exc = await queue.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()


def no_model_deployed(s: ChatSettings) -> ChatError:
    """503 ``no_model_deployed`` with ``Retry-After``: the SageMaker endpoint has no promoted model yet."""
    return ChatError(
        503,
        "no_model_deployed",
        "No model has been deployed yet: approve a model package to promote it",
        headers={"Retry-After": str(s.retry_after_s)},
        metric="NoModelDeployed",
    )


def _endpoint_missing(exc: BaseException) -> bool:
    """InvokeEndpoint's answer for an endpoint that does not exist (``ValidationError`` "Endpoint ... not found")."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error") or {}
    message = str(error.get("Message") or "").lower()
    return error.get("Code") in ("ValidationError", "ValidationException") and (
        "endpoint" in message and ("not found" in message or "could not find" in message)
    )


def map_upstream(exc: BaseException, s: ChatSettings) -> ChatError | None:
    """botocore failures -> :class:`ChatError` (the front door's mapping); ``None`` when not an upstream error."""
    if isinstance(exc, ChatError):
        return exc
    if not isinstance(exc, Exception):
        return None
    if s.backend == "sagemaker" and _endpoint_missing(exc):
        return no_model_deployed(s)
    try:
        mapped = upstream_error(exc, s.retry_after_s)
    except ImportError:  # botocore absent (local installs without boto3)
        mapped = None
    return ChatError.from_api_error(mapped) if mapped is not None else None


def _bad_upstream(what: str) -> ChatError:
    return ChatError(
        502, "model_error", f"The model returned an unusable response ({what}).", metric="UpstreamModelErrors"
    )


# --------------------------------------------------------------------------- stub


class StubBackend:
    """Deterministic backend for tests and benchmarks: word tokens of a fixed reply at ``tokens_per_s`` (0 = as fast
    as possible). Test-only triggers in the last user message: ``[[stub:throttle]]`` (429), ``[[stub:unavailable]]``
    (503 ``model_warming_up``), ``[[stub:fail-midstream]]`` (error after two deltas), ``[[stub:echo]]`` (reply with the
    last user message). ``echo=True``: always reply with the last user message."""

    def __init__(
        self,
        model_id: str = "stub-model",
        reply: str = "",
        tokens_per_s: float = 0.0,
        retry_after_s: int = 2,
        echo: bool = False,
    ) -> None:
        self.model_id = model_id
        self.echo = echo
        self.reply = reply or "This is a deterministic stub answer from the secure LLM pipeline."
        self.tokens_per_s = tokens_per_s
        self.retry_after_s = retry_after_s

    @staticmethod
    def tokens(text: str) -> list[str]:
        """Split into word tokens that join back to ``text`` (each keeps its leading space)."""
        words = text.split(" ")
        return [words[0], *(f" {w}" for w in words[1:])] if text else []

    async def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Emit the reply word by word, honouring ``max_tokens`` and ``stop``."""
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        retry = {"Retry-After": str(self.retry_after_s)}
        if "[[stub:throttle]]" in last:
            raise ChatError(
                429, "rate_limit_exceeded", "The model is busy; retry later.", headers=retry, metric="UpstreamThrottled"
            )
        if "[[stub:unavailable]]" in last:
            raise ChatError(
                503,
                "model_warming_up",
                "The model is scaling out from zero; retry later.",
                headers=retry,
                metric="UpstreamUnavailable",
            )
        echo = self.echo or "[[stub:echo]]" in last
        reply = last.replace("[[stub:echo]]", "").strip() if echo else self.reply
        delay = 1.0 / self.tokens_per_s if self.tokens_per_s > 0 else 0.0
        produced: list[str] = []
        reason = "stop"
        for i, token in enumerate(self.tokens(reply)):
            if i >= request.max_tokens:
                reason = "length"
                break
            if any(s in "".join(produced) + token for s in request.stop):
                break
            if "[[stub:fail-midstream]]" in last and i == 2:
                raise ChatError(502, "model_error", "The model failed mid-stream.", metric="UpstreamModelErrors")
            await asyncio.sleep(delay)
            produced.append(token)
            yield token
        prompt = sum(len(m.content) for m in request.messages)
        yield Final(reason, Usage(estimate_tokens("x" * prompt), len(produced)), "stub")


# --------------------------------------------------------------------------- OpenAI-format SSE (upstream, SageMaker)


def parse_openai_chunk(data: dict[str, Any], state: dict[str, Any]) -> str | None:
    """Text of one OpenAI ``chat.completion.chunk``; records finish reason and usage in ``state``."""
    if isinstance(data.get("error"), dict | str):
        raise _bad_upstream("error event")
    usage = data.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
        state["usage"] = Usage(int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0))
    text: str | None = None
    for choice in data.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta") or choice.get("message") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            text = (text or "") + content
        if choice.get("finish_reason"):
            state["finish"] = finish_reason(choice["finish_reason"])
    # TGI's legacy stream format ({"token": {"text"}, "details"})
    token = data.get("token")
    if text is None and isinstance(token, dict) and isinstance(token.get("text"), str) and not token.get("special"):
        text = token["text"]
    return text


def sse_data_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """``data:`` payloads of a byte stream of Server-Sent Events whose lines may be split across chunks."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line = line.strip()
            if line.startswith(b"data:"):
                yield line[5:].strip().decode("utf-8", "replace")
    if buffer.strip().startswith(b"data:"):
        yield buffer.strip()[5:].strip().decode("utf-8", "replace")


def openai_messages(messages: list[Message]) -> list[dict[str, str]]:
    """Messages in the OpenAI wire shape."""
    return [{"role": m.role, "content": m.content} for m in messages]


def openai_payload(request: ChatRequest, model: str) -> dict[str, Any]:
    """Upstream request body (streaming, usage requested)."""
    payload: dict[str, Any] = {
        "model": model,
        "messages": openai_messages(request.messages),
        "max_tokens": request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    for name in ("temperature", "top_p", "seed"):
        if getattr(request, name) is not None:
            payload[name] = getattr(request, name)
    if request.stop:
        payload["stop"] = list(request.stop)
    return payload


class OpenAICompatibleBackend:
    """Any OpenAI-compatible ``/chat/completions`` (vLLM, Ollama, LM Studio, Bedrock's OpenAI endpoint) via httpx."""

    def __init__(self, s: ChatSettings) -> None:
        if not s.openai_base_url:
            raise ValueError("backend 'openai' needs openai_base_url (OPENAI_BASE_URL)")
        self.s = s
        self.model_id = s.model_id
        self.url = s.openai_base_url.rstrip("/") + "/chat/completions"
        self._client: Any = None

    def client(self) -> Any:
        """One pooled ``httpx.AsyncClient`` (imported on first use)."""
        if self._client is None:
            import httpx

            timeout = httpx.Timeout(self.s.model_read_timeout_s, connect=self.s.model_connect_timeout_s)
            headers = {"Authorization": f"Bearer {self.s.openai_api_key}"} if self.s.openai_api_key else {}
            self._client = httpx.AsyncClient(timeout=timeout, headers=headers)
        return self._client

    async def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Stream the upstream's chunks, mapping HTTP and transport errors."""
        import httpx

        retry = {"Retry-After": str(self.s.retry_after_s)}
        state: dict[str, Any] = {}
        try:
            async with self.client().stream("POST", self.url, json=openai_payload(request, self.model_id)) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _http_error(resp.status_code, resp.headers.get("retry-after") or retry["Retry-After"])
                buffer = ""
                async for piece in resp.aiter_text():
                    buffer += piece
                    *lines, buffer = buffer.split("\n")
                    for line in lines:
                        text = _sse_line(line, state)
                        if text:
                            yield text
                text = _sse_line(buffer, state)
                if text:
                    yield text
        except httpx.TimeoutException:
            raise ChatError(
                504, "upstream_timeout", "The model did not answer in time.", metric="UpstreamTimeouts"
            ) from None
        except httpx.TransportError:
            raise ChatError(
                503,
                "model_unavailable",
                "The model server cannot be reached; retry later.",
                headers=retry,
                metric="UpstreamUnavailable",
            ) from None
        yield Final(state.get("finish", "stop"), state.get("usage"), None)


def _sse_line(line: str, state: dict[str, Any]) -> str | None:
    line = line.strip()
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if not data or data == "[DONE]":
        return None
    try:
        parsed = json.loads(data)
    except ValueError:
        raise _bad_upstream("not JSON") from None
    return parse_openai_chunk(parsed, state) if isinstance(parsed, dict) else None


def _http_error(status: int, retry_after: str) -> ChatError:
    retry = {"Retry-After": retry_after}
    if status == 429:
        return ChatError(
            429, "rate_limit_exceeded", "The model is busy; retry later.", headers=retry, metric="UpstreamThrottled"
        )
    if status in (502, 503, 504):
        return ChatError(
            503,
            "model_unavailable",
            "The model is not available; retry later.",
            headers=retry,
            metric="UpstreamUnavailable",
        )
    return ChatError(502, "upstream_error", f"The model backend answered HTTP {status}.", metric="UpstreamErrors")


# --------------------------------------------------------------------------- AWS backends


@cache
def _aws_client(service: str, connect_s: float, read_s: float, attempts: int) -> Any:
    from frontdoor import clients

    return clients._client(service, connect_s, read_s, attempts)


class _AwsRuntimeBackend:
    """Base of the backends that call an AWS runtime ``service`` through boto3."""

    service: ClassVar[str]

    def __init__(self, s: ChatSettings) -> None:
        self.s = s
        self.model_id = s.model_id

    def client(self) -> Any:
        """The ``service`` client with the configured model timeouts and attempts (one per process)."""
        s = self.s
        return _aws_client(self.service, s.model_connect_timeout_s, s.model_read_timeout_s, s.model_max_attempts)


class BedrockBackend(_AwsRuntimeBackend):
    """Amazon Bedrock ``ConverseStream`` (optionally with a guardrail in ``sync``/``async`` stream processing mode)."""

    service = "bedrock-runtime"

    def request(self, request: ChatRequest) -> dict[str, Any]:
        """Keyword arguments of ``converse_stream``: system prompts apart, consecutive same-role turns merged."""
        system = [{"text": m.content} for m in request.messages if m.role == "system" and m.content]
        turns: list[dict[str, Any]] = []
        for m in request.messages:
            if m.role == "system":
                continue
            if turns and turns[-1]["role"] == m.role:
                turns[-1]["content"][0]["text"] += "\n\n" + m.content
            else:
                turns.append({"role": m.role, "content": [{"text": m.content}]})
        if not turns or turns[0]["role"] != "user":
            turns.insert(0, {"role": "user", "content": [{"text": "."}]})
        inference: dict[str, Any] = {"maxTokens": request.max_tokens}
        if request.temperature is not None:
            inference["temperature"] = request.temperature
        if request.top_p is not None:
            inference["topP"] = request.top_p
        if request.stop:
            inference["stopSequences"] = list(request.stop)
        out: dict[str, Any] = {"modelId": self.model_id, "messages": turns, "inferenceConfig": inference}
        if system:
            out["system"] = system
        if self.s.guardrail_id:
            out["guardrailConfig"] = {
                "guardrailIdentifier": self.s.guardrail_id,
                "guardrailVersion": self.s.guardrail_version or "DRAFT",
                "streamProcessingMode": self.s.guardrail_stream_mode,
                "trace": "disabled",
            }
        return out

    async def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Text deltas of the ConverseStream events, then the stop reason and usage."""
        kwargs = self.request(request)
        state: dict[str, Any] = {}

        def events() -> Iterator[str]:
            response = self.client().converse_stream(**kwargs)
            for event in response["stream"]:
                if "contentBlockDelta" in event:
                    text = event["contentBlockDelta"].get("delta", {}).get("text")
                    if text:
                        yield text
                elif "messageStop" in event:
                    state["finish"] = finish_reason(event["messageStop"].get("stopReason"))
                elif "metadata" in event:
                    usage = event["metadata"].get("usage") or {}
                    if isinstance(usage.get("inputTokens"), int):
                        state["usage"] = Usage(usage["inputTokens"], int(usage.get("outputTokens") or 0))

        async for text in _mapped(iterate_in_thread(events), self.s):
            yield text
        yield Final(state.get("finish", "stop"), state.get("usage"), self.s.model_version)


class SageMakerBackend(_AwsRuntimeBackend):
    """SageMaker ``InvokeEndpointWithResponseStream`` with the LMI/TGI Messages API (OpenAI chunks as SSE)."""

    service = "sagemaker-runtime"

    def __init__(self, s: ChatSettings) -> None:
        if not s.endpoint_name:
            raise ValueError("backend 'sagemaker' needs endpoint_name (ENDPOINT_NAME)")
        super().__init__(s)

    def request(self, request: ChatRequest) -> dict[str, Any]:
        """Keyword arguments of ``invoke_endpoint_with_response_stream``."""
        body = openai_payload(request, self.model_id)
        body.pop("model")
        out: dict[str, Any] = {
            "EndpointName": self.s.endpoint_name,
            "Body": json.dumps(body).encode(),
            "ContentType": "application/json",
            "Accept": "text/event-stream",
        }
        if self.s.inference_component_name:
            out["InferenceComponentName"] = self.s.inference_component_name
        return out

    async def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Parse the ``PayloadPart`` bytes as SSE lines of OpenAI chunks (503 ``no_model_deployed`` while
        ``LIVE_MODEL_PACKAGE_ARN`` is ``none``)."""
        if self.s.no_model_deployed:
            raise no_model_deployed(self.s)
        kwargs = self.request(request)
        state: dict[str, Any] = {}

        def parts() -> Iterator[bytes]:
            response = self.client().invoke_endpoint_with_response_stream(**kwargs)
            state["variant"] = response.get("InvokedProductionVariant")
            for event in response["Body"]:
                if "PayloadPart" in event:
                    yield event["PayloadPart"]["Bytes"]
                elif "ModelStreamError" in event:
                    raise _bad_upstream("model stream error")

        def texts() -> Iterator[str]:
            for data in sse_data_lines(parts()):
                if not data or data == "[DONE]":
                    continue
                try:
                    parsed = json.loads(data)
                except ValueError:
                    raise _bad_upstream("not JSON") from None
                text = parse_openai_chunk(parsed, state) if isinstance(parsed, dict) else None
                if text:
                    yield text

        async for text in _mapped(iterate_in_thread(texts), self.s):
            yield text
        yield Final(state.get("finish", "stop"), state.get("usage"), self.s.model_version or state.get("variant"))


async def _mapped(items: AsyncIterator[str], s: ChatSettings) -> AsyncIterator[str]:
    try:
        async for item in items:
            yield item
    except Exception as exc:
        mapped = map_upstream(exc, s)
        if mapped is None:
            raise
        raise mapped from None


# --------------------------------------------------------------------------- local transformers model


class LocalModelBackend:
    """The tiny model of ``make train-local`` (or any local causal LM folder), on CPU, streamed with
    ``TextIteratorStreamer``. One generation at a time (a lock); loaded at construction."""

    def __init__(self, s: ChatSettings) -> None:
        if not s.local_model_dir:
            raise ValueError("backend 'local' needs local_model_dir (LOCAL_MODEL_DIR)")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.s = s
        self.model_id = s.model_id
        self.tokenizer = AutoTokenizer.from_pretrained(s.local_model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(s.local_model_dir)
        self.model.eval()
        self.lock = threading.Lock()

    def prompt(self, messages: list[Message]) -> str:
        """The chat template when the tokenizer has one, else ``role: content`` lines and ``assistant:``."""
        if getattr(self.tokenizer, "chat_template", None):
            return str(
                self.tokenizer.apply_chat_template(
                    openai_messages(messages), tokenize=False, add_generation_prompt=True
                )
            )
        return "".join(f"{m.role}: {m.content}\n" for m in messages) + "assistant:"

    async def stream(self, request: ChatRequest) -> AsyncGenerator[str | Final, None]:
        """Generate on a worker thread; yields decoded text as the streamer produces it."""
        from transformers import TextIteratorStreamer

        state: dict[str, Any] = {}

        def generate() -> Iterator[str]:
            with self.lock:
                inputs = self.tokenizer(
                    self.prompt(request.messages),
                    return_tensors="pt",
                    truncation=True,
                    max_length=max(16, getattr(self.model.config, "max_position_embeddings", 512) - request.max_tokens),
                )
                streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
                kwargs: dict[str, Any] = {
                    **inputs,
                    "max_new_tokens": request.max_tokens,
                    "streamer": streamer,
                    "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                }
                if request.temperature:
                    kwargs.update(do_sample=True, temperature=request.temperature, top_p=request.top_p or 1.0)
                else:
                    kwargs["do_sample"] = False
                worker = threading.Thread(target=self.model.generate, kwargs=kwargs, daemon=True)
                worker.start()
                produced = []
                for text in streamer:
                    if text:
                        produced.append(text)
                        yield text
                worker.join()
                out_tokens = len(self.tokenizer("".join(produced))["input_ids"]) if produced else 0
                state["usage"] = Usage(int(inputs["input_ids"].shape[-1]), out_tokens)
                state["finish"] = "length" if out_tokens >= request.max_tokens else "stop"

        async for text in iterate_in_thread(generate):
            yield text
        yield Final(state.get("finish", "stop"), state.get("usage"), self.s.model_version)


def build_backend(s: ChatSettings) -> Backend:
    """The backend named by ``s.backend``."""
    if s.backend == "stub":
        return StubBackend(s.model_id, s.stub_reply, s.stub_tokens_per_s, s.retry_after_s, echo=s.stub_echo)
    if s.backend == "openai":
        return OpenAICompatibleBackend(s)
    if s.backend == "bedrock":
        return BedrockBackend(s)
    if s.backend == "sagemaker":
        return SageMakerBackend(s)
    return LocalModelBackend(s)


def now_s() -> int:
    """Unix seconds (the ``created`` field)."""
    return int(time.time())
