"""Bedrock Knowledge Base retriever (``bedrock-agent-runtime`` ``Retrieve``), with metadata filters.

Filters translate to the KB's ``RetrievalFilter``: ``source_prefix`` (a folder such as ``knowledge/clinic/``, or one
document) -> ``listContains`` on the ``path_prefixes`` attribute (or ``equals`` on ``source``) that the sanitization
job writes into every document's metadata sidecar (``glue_jobs/documents.py``), so it works on any vector store that
supports list attributes instead of relying on ``startsWith`` (OpenSearch only);
each attribute -> ``equals`` (a list value -> ``in``). Several conditions are combined with ``andAll``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retrieval import DEFAULT_TOP_K, Passage, RetrievalFilters, make_snippet

PATH_PREFIXES_ATTRIBUTE = "path_prefixes"


def kb_filter(filters: RetrievalFilters | None) -> dict[str, Any] | None:
    """The ``vectorSearchConfiguration.filter`` for ``filters`` (None when there is nothing to filter)."""
    if filters is None:
        return None
    conditions: list[dict[str, Any]] = []
    if filters.source_prefix:
        folder = {"listContains": {"key": PATH_PREFIXES_ATTRIBUTE, "value": filters.source_prefix.rstrip("/") + "/"}}
        if filters.source_prefix.endswith("/"):
            conditions.append(folder)
        else:  # a folder given without its slash, or one document
            conditions.append({"orAll": [folder, {"equals": {"key": "source", "value": filters.source_prefix}}]})
    for key, value in sorted(filters.attributes.items()):
        if isinstance(value, tuple):
            conditions.append({"in": {"key": key, "value": list(value)}})
        else:
            conditions.append({"equals": {"key": key, "value": value}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"andAll": conditions}


def _source_of(result: Mapping[str, Any]) -> str:
    metadata = result.get("metadata") or {}
    if isinstance(metadata.get("source"), str):
        return str(metadata["source"])
    uri = ((result.get("location") or {}).get("s3Location") or {}).get("uri", "")
    # s3://bucket/knowledge/x.md -> knowledge/x.md
    return uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else uri


class BedrockKbRetriever:
    """Retrieve from a Bedrock Knowledge Base. ``client``: a ``bedrock-agent-runtime`` client (default: boto3's,
    created on first use); ``search_type``: ``HYBRID`` or ``SEMANTIC`` (default: the store's default)."""

    def __init__(self, knowledge_base_id: str, *, client: Any | None = None, search_type: str | None = None) -> None:
        if not knowledge_base_id:
            raise ValueError("knowledge_base_id is required")
        if search_type not in (None, "HYBRID", "SEMANTIC"):
            raise ValueError(f"search_type={search_type!r}; allowed: HYBRID, SEMANTIC")
        self.knowledge_base_id = knowledge_base_id
        self.search_type = search_type
        self._client = client

    @property
    def client(self) -> Any:
        """The ``bedrock-agent-runtime`` client."""
        if self._client is None:
            import boto3

            self._client = boto3.client("bedrock-agent-runtime")
        return self._client

    def retrieve(
        self, query: str, top_k: int = DEFAULT_TOP_K, filters: RetrievalFilters | None = None
    ) -> list[Passage]:
        """Call ``Retrieve`` and map its results to passages (best first)."""
        if not query.strip():
            return []
        vector: dict[str, Any] = {"numberOfResults": top_k}
        condition = kb_filter(filters)
        if condition is not None:
            vector["filter"] = condition
        if self.search_type:
            vector["overrideSearchType"] = self.search_type
        response = self.client.retrieve(
            knowledgeBaseId=self.knowledge_base_id,
            retrievalQuery={"text": query[:1000]},  # Retrieve accepts at most 1000 characters
            retrievalConfiguration={"vectorSearchConfiguration": vector},
        )
        passages = []
        for result in response.get("retrievalResults", []):
            text = (result.get("content") or {}).get("text", "")
            metadata = dict(result.get("metadata") or {})
            source = _source_of(result)
            title = metadata.get("title") if isinstance(metadata.get("title"), str) else source.rsplit("/", 1)[-1]
            passages.append(
                Passage(
                    source=source,
                    title=str(title),
                    score=float(result.get("score") or 0.0),
                    snippet=make_snippet(text),
                    text=text,
                    attributes=metadata,
                )
            )
        return passages[:top_k]
