"""Retrieval for grounded chat answers: one interface, a Bedrock Knowledge Base and a local BM25 implementation.

No CDK import (runtime code). The chat app uses it like this::

    from retrieval import RetrievalRequest, defaults_from_env, ground, retriever_from_env

    retriever = retriever_from_env()                      # once per process; None when RAG is not configured
    defaults = defaults_from_env()                        # RAG_DEFAULT_ON / RAG_TOP_K (rag.default_on / rag.top_k)
    # ValueError -> 400 with the message
    request = RetrievalRequest.from_body(
        body.get("retrieval"), default_enabled=defaults.enabled, default_top_k=defaults.top_k
    )
    grounding = ground(messages, retriever, request)      # never raises for backend failures
    if grounding.ran:
        emit_metric(FrontDoorMetric.RETRIEVAL_LATENCY, grounding.latency_ms, "Milliseconds")
        if grounding.error:
            emit_metric(FrontDoorMetric.RETRIEVAL_ERRORS, 1, "Count")
        response["citations"] = grounding.citations      # stream: a final chunk with choices [] and citations
    messages = grounding.messages                         # what the model sees

Implementations: :class:`retrieval.bedrock.BedrockKbRetriever` (``bedrock-agent-runtime`` ``Retrieve``) and
:class:`retrieval.local.LocalBm25Retriever` (bm25s over a local folder, run through the same PII sanitization as
the Glue job first: nothing unredacted is indexed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline_contract import FrontDoorEnv, RetrievalLimits

MAX_TOP_K = RetrievalLimits.MAX_TOP_K
DEFAULT_TOP_K = RetrievalLimits.DEFAULT_TOP_K
SNIPPET_CHARS = 240
#: Filter attribute values the retrievers accept (Bedrock KB metadata value types).
AttributeValue = str | int | float | bool


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk. ``source`` is the document's key (``knowledge/clinic/hours.md``), ``score`` the
    retriever's relevance (higher is better; BM25 and vector scores are not comparable with each other)."""

    source: str
    title: str
    score: float
    snippet: str
    text: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def citation(self) -> dict[str, Any]:
        """The citation shape of the chat API: ``{"source", "title", "score", "snippet"}``."""
        return {
            "source": self.source,
            "title": self.title,
            "score": round(float(self.score), 4),
            "snippet": self.snippet,
        }


def citations(passages: Sequence[Passage]) -> list[dict[str, Any]]:
    """Citations for a response, in prompt order (``[1]`` is the first)."""
    return [p.citation() for p in passages]


def make_snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """First ``limit`` characters of ``text`` on one line, cut at a word boundary, with an ellipsis if cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


@dataclass(frozen=True)
class RetrievalFilters:
    """Metadata filters: ``source_prefix`` (a folder such as ``knowledge/clinic/`` -- with or without the trailing
    slash -- or one document such as ``knowledge/clinic/hours.md``) and exact ``attributes`` matches
    (a list value matches any of its items). Keys are the sidecar attributes (``doc_type``, ``folder``, ...)."""

    source_prefix: str | None = None
    attributes: Mapping[str, AttributeValue | tuple[AttributeValue, ...]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, value: Any) -> RetrievalFilters:
        """Parse the request's ``retrieval.filters`` object; raises ``ValueError`` with a caller-facing reason."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError("retrieval.filters must be an object")
        unknown = sorted(set(value) - {"source_prefix", "attributes"})
        if unknown:
            raise ValueError(f"retrieval.filters: unknown key(s) {unknown}; allowed: source_prefix, attributes")
        prefix = value.get("source_prefix")
        if prefix is not None and (not isinstance(prefix, str) or not prefix or len(prefix) > 512):
            raise ValueError("retrieval.filters.source_prefix must be a non-empty string (at most 512 characters)")
        attributes = value.get("attributes") or {}
        if not isinstance(attributes, Mapping) or len(attributes) > 10:
            raise ValueError("retrieval.filters.attributes must be an object with at most 10 keys")
        parsed: dict[str, AttributeValue | tuple[AttributeValue, ...]] = {}
        for key, item in attributes.items():
            if not isinstance(key, str) or not key or len(key) > 100:
                raise ValueError("retrieval.filters.attributes keys must be non-empty strings")
            if isinstance(item, list) and item and len(item) <= 20 and all(_is_value(v) for v in item):
                parsed[key] = tuple(item)
            elif _is_value(item):
                parsed[key] = item
            else:
                raise ValueError(
                    f"retrieval.filters.attributes.{key} must be a string, number, boolean or a list of them"
                )
        return cls(source_prefix=prefix, attributes=parsed)

    def matches(self, source: str, attributes: Mapping[str, Any]) -> bool:
        """True when a passage with ``source`` and ``attributes`` passes the filters (local retrievers)."""
        if self.source_prefix and source != self.source_prefix:
            folder = self.source_prefix.rstrip("/") + "/"
            if not source.startswith(folder):
                return False
        for key, wanted in self.attributes.items():
            have = attributes.get(key)
            options = wanted if isinstance(wanted, tuple) else (wanted,)
            values = have if isinstance(have, list) else [have]
            if not any(v in options for v in values):
                return False
        return True


def _is_value(item: Any) -> bool:
    return isinstance(item, str | int | float | bool) and not (isinstance(item, str) and len(item) > 1024)


@dataclass(frozen=True)
class RetrievalRequest:
    """The request's ``retrieval`` extension resolved against the deployment defaults."""

    enabled: bool
    top_k: int = DEFAULT_TOP_K
    filters: RetrievalFilters = field(default_factory=RetrievalFilters)

    @classmethod
    def from_body(
        cls, value: Any, *, default_enabled: bool = False, default_top_k: int = DEFAULT_TOP_K
    ) -> RetrievalRequest:
        """``value`` is ``body.get("retrieval")`` (absent: the deployment default); raises ``ValueError`` (-> 400)."""
        if value is None:
            return cls(enabled=default_enabled, top_k=default_top_k)
        if not isinstance(value, Mapping):
            raise ValueError('retrieval must be an object: {"enabled": bool, "top_k": int, "filters": {...}}')
        unknown = sorted(set(value) - {"enabled", "top_k", "filters"})
        if unknown:
            raise ValueError(f"retrieval: unknown key(s) {unknown}; allowed: enabled, top_k, filters")
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ValueError("retrieval.enabled must be a boolean")
        top_k = value.get("top_k", default_top_k)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise ValueError(f"retrieval.top_k must be an integer from 1 to {MAX_TOP_K}")
        return cls(enabled=enabled, top_k=top_k, filters=RetrievalFilters.from_dict(value.get("filters")))


class Retriever(Protocol):
    """What the chat app calls. Implementations never return unredacted text: they read sanitized documents."""

    def retrieve(
        self, query: str, top_k: int = DEFAULT_TOP_K, filters: RetrievalFilters | None = None
    ) -> list[Passage]:
        """The ``top_k`` most relevant passages for ``query`` that pass ``filters``, best first."""
        ...


#: The grounding instructions put in front of the conversation (``{passages}`` is the numbered passage list).
GROUNDING_TEMPLATE = (
    "Answer the user's question using the numbered sources below. Cite the sources you use with their number in "
    "square brackets, e.g. [1]. If the sources do not contain the answer, say that you do not know rather than "
    "guessing. Redaction markers such as [PERSON] or [EMAIL_ADDRESS] stand for removed personal data: never try to "
    "restore it.\n\n"
    "Sources:\n{passages}"
)
#: How each passage is rendered into ``{passages}``.
PASSAGE_TEMPLATE = "[{n}] {title} ({source})\n{text}"
#: Used when retrieval ran but found nothing (the model should not invent sources).
NO_PASSAGES_TEXT = (
    "No knowledge-base sources matched this question. Answer from general knowledge only if you are sure, and say "
    "that no source was found."
)


def format_passages(passages: Sequence[Passage], max_chars_per_passage: int = 2000) -> str:
    """The numbered passage list of :data:`GROUNDING_TEMPLATE`."""
    return "\n\n".join(
        PASSAGE_TEMPLATE.format(n=i, title=p.title, source=p.source, text=p.text.strip()[:max_chars_per_passage])
        for i, p in enumerate(passages, start=1)
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the last user message (the retrieval query); ``""`` when there is none."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def build_grounded_messages(
    messages: Sequence[Mapping[str, Any]], passages: Sequence[Passage], *, max_chars_per_passage: int = 2000
) -> list[dict[str, Any]]:
    """``messages`` with the grounding instructions and passages added as system text.

    Appended to the first system message (after a blank line) when there is one, else inserted as a new first
    system message; chat templates that allow one system message keep working. The other messages are unchanged
    (copied). Passage ``[n]`` is ``citations(passages)[n - 1]``.
    """
    grounding = (
        GROUNDING_TEMPLATE.format(passages=format_passages(passages, max_chars_per_passage))
        if passages
        else NO_PASSAGES_TEXT
    )
    out = [dict(m) for m in messages]
    for message in out:
        if message.get("role") == "system":
            message["content"] = f"{_content_text(message.get('content')).rstrip()}\n\n{grounding}"
            return out
    return [{"role": "system", "content": grounding}, *out]


@dataclass(frozen=True)
class Grounding:
    """What :func:`ground` did: the messages to send to the model, the response's ``citations``, and for metrics
    ``latency_ms`` (None when retrieval did not run) and ``error`` (the exception type name when it failed)."""

    messages: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    latency_ms: float | None = None
    error: str | None = None

    @property
    def ran(self) -> bool:
        """True when retrieval was attempted (then the response carries ``citations``, possibly empty)."""
        return self.latency_ms is not None


def ground(messages: Sequence[Mapping[str, Any]], retriever: Retriever | None, request: RetrievalRequest) -> Grounding:
    """One call for the chat app: retrieve for the last user message and build the grounded messages.

    Retrieval is skipped (messages unchanged, no citations) when it is disabled, not configured or there is no user
    text. A failing retriever never fails the chat request: the answer is generated without passages and ``error``
    names the exception so the app can count ``RetrievalErrors``.
    """
    query = last_user_text(messages)
    if not request.enabled or retriever is None or not query.strip():
        return Grounding([dict(m) for m in messages], [])
    started = time.perf_counter()
    try:
        passages = retriever.retrieve(query, top_k=request.top_k, filters=request.filters)
    except Exception as exc:  # any backend failure degrades to an ungrounded answer
        return Grounding([dict(m) for m in messages], [], (time.perf_counter() - started) * 1000, type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    return Grounding(build_grounded_messages(messages, passages), citations(passages), latency)


def retriever_from_env(environ: Mapping[str, str] | None = None, **kwargs: Any) -> Retriever | None:
    """The configured retriever: Bedrock KB when ``KNOWLEDGE_BASE_ID`` is set, else a local index at
    ``RAG_LOCAL_INDEX``, else None (retrieval not configured: the chat app answers without it)."""
    env = os.environ if environ is None else environ
    if env.get(FrontDoorEnv.KNOWLEDGE_BASE_ID):
        from retrieval.bedrock import BedrockKbRetriever

        return BedrockKbRetriever(env[FrontDoorEnv.KNOWLEDGE_BASE_ID], **kwargs)
    if env.get(FrontDoorEnv.RAG_LOCAL_INDEX):
        from retrieval.local import LocalBm25Retriever

        return LocalBm25Retriever.load(env[FrontDoorEnv.RAG_LOCAL_INDEX])
    return None


@dataclass(frozen=True)
class RetrievalDefaults:
    """The deployment's defaults for requests without a ``retrieval`` field (``RAG_DEFAULT_ON``, ``RAG_TOP_K``)."""

    enabled: bool = False
    top_k: int = DEFAULT_TOP_K


def defaults_from_env(environ: Mapping[str, str] | None = None) -> RetrievalDefaults:
    """Read ``RAG_DEFAULT_ON`` (``true``/``1``/``yes``, case-insensitive; anything else is off) and ``RAG_TOP_K``
    (1..MAX_TOP_K; unset, not a number or out of range -> :data:`DEFAULT_TOP_K`). Pass them to
    :meth:`RetrievalRequest.from_body` as ``default_enabled``/``default_top_k``."""
    env = os.environ if environ is None else environ
    enabled = env.get(FrontDoorEnv.RAG_DEFAULT_ON, "").strip().lower() in ("true", "1", "yes")
    try:
        top_k = int(env.get(FrontDoorEnv.RAG_TOP_K, ""))
    except ValueError:
        top_k = DEFAULT_TOP_K
    return RetrievalDefaults(enabled=enabled, top_k=top_k if 1 <= top_k <= MAX_TOP_K else DEFAULT_TOP_K)


__all__ = [
    "DEFAULT_TOP_K",
    "GROUNDING_TEMPLATE",
    "Grounding",
    "Passage",
    "RetrievalDefaults",
    "RetrievalFilters",
    "RetrievalRequest",
    "Retriever",
    "build_grounded_messages",
    "citations",
    "defaults_from_env",
    "ground",
    "last_user_text",
    "make_snippet",
    "retriever_from_env",
]
