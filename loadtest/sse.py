"""Server-sent events parsing for OpenAI ``chat.completion.chunk`` streams.

Hand-written on purpose: the SSE framing needed here (``data:`` lines, blank-line dispatch, ``[DONE]``) is a few lines,
and timing each event as its bytes arrive needs the parser to consume raw chunks (an SSE client library would hide
when a line arrived).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


class SSELineSplitter:
    """Splits arbitrary byte chunks into text lines (``\\n``, ``\\r\\n`` or ``\\r`` endings)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Complete lines found after adding ``chunk``."""
        self._buffer += chunk
        data = self._buffer.replace(b"\r\n", b"\n")
        # a trailing \r may be the first half of \r\n: keep it for the next chunk
        keep_cr = data.endswith(b"\r")
        if keep_cr:
            data = data[:-1]
        data = data.replace(b"\r", b"\n")
        *lines, rest = data.split(b"\n")
        self._buffer = rest + (b"\r" if keep_cr else b"")
        return [line.decode("utf-8", errors="replace") for line in lines]

    def flush(self) -> list[str]:
        """The last line when the stream did not end with a newline."""
        rest, self._buffer = self._buffer.rstrip(b"\r"), b""
        return [rest.decode("utf-8", errors="replace")] if rest else []


@dataclass
class SSEEvent:
    """One dispatched event: its ``event`` name (default ``message``) and joined ``data``."""

    data: str
    event: str = "message"


class SSEParser:
    """Incremental SSE parser (the subset of the HTML spec that chat streams use)."""

    def __init__(self) -> None:
        self._splitter = SSELineSplitter()
        self._data: list[str] = []
        self._event = "message"

    def _line(self, line: str) -> SSEEvent | None:
        if line == "":
            if not self._data:
                self._event = "message"
                return None
            event = SSEEvent("\n".join(self._data), self._event)
            self._data, self._event = [], "message"
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Events completed by ``chunk``."""
        events = []
        for line in self._splitter.feed(chunk):
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """Events still pending when the stream ended (a last event without its blank line)."""
        events = []
        for line in [*self._splitter.flush(), ""]:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events


@dataclass
class StreamOutcome:
    """What one streamed chat completion delivered, with the clock readings needed for LLM latency metrics.

    ``token_times``: clock reading of every chunk that carried content (text or a refusal). ``usage_tokens``:
    ``usage.completion_tokens`` of the usage chunk, when the server sent one. ``error``: the ``error`` object of an
    in-stream error event. ``done``: ``data: [DONE]`` arrived.
    """

    token_times: list[float] = field(default_factory=list)
    usage_tokens: int | None = None
    prompt_tokens: int | None = None
    error: dict[str, Any] | None = None
    done: bool = False
    chunks: int = 0
    finish_reason: str | None = None
    bad_events: int = 0

    @property
    def content_chunks(self) -> int:
        """Chunks that carried generated text."""
        return len(self.token_times)

    @property
    def output_tokens(self) -> int:
        """Usage tokens when the server reported them, else the number of content chunks."""
        return self.usage_tokens if self.usage_tokens is not None else self.content_chunks

    @property
    def token_source(self) -> str:
        """``usage`` or ``chunks``: where :attr:`output_tokens` came from."""
        return "usage" if self.usage_tokens is not None else "chunks"


def _apply(outcome: StreamOutcome, event: SSEEvent, now: float) -> bool:
    """Fold one event into ``outcome``; ``True`` when the stream is finished."""
    data = event.data.strip()
    if data == "[DONE]":
        outcome.done = True
        return True
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        outcome.bad_events += 1
        return False
    if not isinstance(payload, dict):
        outcome.bad_events += 1
        return False
    if payload.get("error"):
        error = payload["error"]
        outcome.error = error if isinstance(error, dict) else {"message": str(error)}
        return True
    outcome.chunks += 1
    usage = payload.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        outcome.usage_tokens = usage["completion_tokens"]
        if isinstance(usage.get("prompt_tokens"), int):
            outcome.prompt_tokens = usage["prompt_tokens"]
    for choice in payload.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta") or {}
        if isinstance(delta, dict) and (delta.get("content") or delta.get("refusal")):
            outcome.token_times.append(now)
        if choice.get("finish_reason"):
            outcome.finish_reason = choice["finish_reason"]
    return False


def consume_stream(chunks: Iterable[bytes], clock: Callable[[], float]) -> StreamOutcome:
    """Read a ``text/event-stream`` body chunk by chunk, timing content events with ``clock``."""
    parser = SSEParser()
    outcome = StreamOutcome()
    for chunk in chunks:
        if not chunk:
            continue
        now = clock()
        for event in parser.feed(chunk):
            if _apply(outcome, event, now):
                return outcome
    now = clock()
    for event in parser.close():
        if _apply(outcome, event, now):
            return outcome
    return outcome


def iter_events(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    """All events of a byte stream (for tests and tools)."""
    parser = SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()
