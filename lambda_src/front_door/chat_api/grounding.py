"""The retrieval step of a completion: ground the prompt in sanitized knowledge and produce the citations.

Per request, the ``retrieval`` extension (validated by :func:`chat_api.protocol.parse_retrieval`) is resolved
against the deployment defaults (``RAG_DEFAULT_ON``, ``RAG_TOP_K``); when retrieval is on and a retriever is
configured (``KNOWLEDGE_BASE_ID`` -> the Bedrock Knowledge Base, else ``RAG_LOCAL_INDEX`` -> the local BM25 index),
the last user message is **redacted** with the same PII engine as the stored records and sent to the retriever, the
passages are put into the prompt with :data:`retrieval.GROUNDING_TEMPLATE` (:func:`retrieval.ground`) and the
response carries ``citations``. The caller's messages are not changed for storage: the stored interaction keeps the
redacted request messages and gets the citations as a field.

Retrieval runs on its own worker thread with a deadline (``ChatSettings.retrieval_timeout_s``). A failing or slow
retriever never fails the chat: the answer is generated without passages, ``citations`` is ``[]`` and
``RetrievalErrors`` is counted. ``RetrievalLatency`` (milliseconds, redaction of the query included) and
``RetrievalPassages`` are emitted for every retrieval that ran. Nothing else runs before the model is called, so the
first token waits only for the retrieval itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chat_api.metrics import Metrics
from chat_api.protocol import ChatRequest, Message
from chat_api.settings import ChatSettings
from pipeline_contract import FrontDoorMetric
from retrieval import (
    Grounding,
    Passage,
    RetrievalFilters,
    RetrievalRequest,
    Retriever,
    ground,
)


class RedactedQueryRetriever:
    """Wraps a retriever so that it only ever sees the redacted query (the retriever is a remote service on AWS, and
    a query could otherwise leak into its logs). ``redact``: text -> redacted text."""

    def __init__(self, inner: Retriever, redact: Callable[[str], str]) -> None:
        self.inner = inner
        self.redact = redact

    def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
        """Redact ``query``, then retrieve."""
        return self.inner.retrieve(self.redact(query), top_k=top_k, filters=filters)


class _AgentRuntimeClient:
    """A ``bedrock-agent-runtime`` client created on first use with the app's timeouts (no cold-start cost when the
    knowledge base is never queried)."""

    def __init__(self, connect_s: float, read_s: float) -> None:
        self.connect_s = connect_s
        self.read_s = read_s

    def retrieve(self, **kwargs: Any) -> Any:
        """``Retrieve`` (one retry: the request deadline bounds the whole call anyway)."""
        from chat_api import backends

        client = backends._aws_client("bedrock-agent-runtime", self.connect_s, self.read_s, 2)
        return client.retrieve(**kwargs)


def build_retriever(s: ChatSettings) -> Retriever | None:
    """The retriever the settings name: the Bedrock Knowledge Base (``knowledge_base_id``), else the local BM25
    index (``rag_local_index``, needs the ``rag`` extra), else None (retrieval not configured)."""
    if s.knowledge_base_id:
        from retrieval.bedrock import BedrockKbRetriever

        client = _AgentRuntimeClient(s.model_connect_timeout_s, s.retrieval_timeout_s)
        return BedrockKbRetriever(s.knowledge_base_id, client=client)
    if s.rag_local_index:
        from retrieval.local import LocalBm25Retriever

        return LocalBm25Retriever.load(s.rag_local_index)
    return None


@dataclass(frozen=True)
class Grounded:
    """What the retrieval step decided: the request the model sees and the response's ``citations`` (None when
    retrieval did not run, ``[]`` when it ran and found nothing or failed)."""

    model_request: ChatRequest
    citations: list[dict[str, Any]] | None
    latency_ms: float | None = None
    error: str | None = None

    def record(self, top_k: int | None) -> dict[str, Any] | None:
        """The ``retrieval`` field of the stored interaction (None when retrieval did not run)."""
        if self.citations is None:
            return None
        return {
            "top_k": top_k,
            "latency_ms": round(self.latency_ms or 0.0, 1),
            "error": self.error,
            "passages": len(self.citations),
        }


class GroundingStep:
    """Resolves the ``retrieval`` extension and runs :func:`retrieval.ground` for one request."""

    def __init__(
        self, s: ChatSettings, retriever: Retriever | None, metrics: Metrics, redact: Callable[[str], str]
    ) -> None:
        self.s = s
        self.metrics = metrics
        self.retriever = RedactedQueryRetriever(retriever, redact) if retriever is not None else None
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="retrieve")

    @property
    def configured(self) -> bool:
        """Whether a retriever is configured."""
        return self.retriever is not None

    def resolve(self, req: ChatRequest) -> RetrievalRequest:
        """The request's ``retrieval`` object against the deployment defaults (already validated: never raises)."""
        return RetrievalRequest.from_body(
            req.retrieval, default_enabled=self.s.rag_default_on, default_top_k=self.s.rag_top_k
        )

    async def run(self, req: ChatRequest, *, skip: bool = False) -> tuple[Grounded, RetrievalRequest]:
        """Retrieve and ground when retrieval is on for this request; otherwise (or ``skip``: the legacy
        ``/v1/generate`` alias, whose response has no citations) the request unchanged."""
        wanted = self.resolve(req)
        if skip or self.retriever is None or not wanted.enabled or self.s.no_model_deployed:  # 503 follows
            return Grounded(req, None), wanted
        messages = [{"role": m.role, "content": m.content} for m in req.messages]
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            grounding: Grounding = await asyncio.wait_for(
                loop.run_in_executor(self.pool, ground, messages, self.retriever, wanted),
                timeout=self.s.retrieval_timeout_s,
            )
        except Exception as exc:  # the deadline (ground() itself never raises for retriever failures)
            grounding = Grounding(messages, [], (time.perf_counter() - started) * 1000, type(exc).__name__)
        if not grounding.ran:  # nothing to search for (no user text)
            return Grounded(req, None), wanted
        self.metrics.add(FrontDoorMetric.RETRIEVAL_LATENCY, round(grounding.latency_ms or 0.0, 1), "Milliseconds")
        self.metrics.add(FrontDoorMetric.RETRIEVAL_PASSAGES, len(grounding.citations))
        if grounding.error:
            self.metrics.add(FrontDoorMetric.RETRIEVAL_ERRORS)
        model_request = dataclasses.replace(
            req, messages=[Message(str(m["role"]), str(m["content"])) for m in grounding.messages]
        )
        return Grounded(model_request, grounding.citations, grounding.latency_ms, grounding.error), wanted
