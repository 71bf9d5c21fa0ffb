"""``rag.*``: grounded answers over sanitized knowledge documents (Bedrock Knowledge Base, docs/rag.md)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline_contract import RetrievalLimits
from pipeline_stacks import validation
from pipeline_stacks.config._base import _Section

#: Vector stores that synthesize today (all the options docs/rag.md describes).
RAG_VECTOR_STORES: tuple[str, ...] = ("s3_vectors", "kendra", "opensearch_serverless", "aurora_pgvector")


class ChunkingConfig(_Section):
    """How the knowledge base splits sanitized documents before embedding (``rag.chunking.*``)."""

    strategy: Literal["FIXED_SIZE", "SEMANTIC", "HIERARCHICAL", "NONE"] = Field(
        "FIXED_SIZE",
        description="FIXED_SIZE (max_tokens, overlap_percent), SEMANTIC (max_tokens), HIERARCHICAL (parent "
        "3 x max_tokens, child max_tokens) or NONE (one chunk per document).",
    )
    max_tokens: int = Field(300, ge=20, le=8192, description="Tokens per chunk (the child chunk for HIERARCHICAL).")
    overlap_percent: int = Field(
        20, ge=1, le=99, description="Overlap between consecutive chunks (FIXED_SIZE; HIERARCHICAL overlap tokens)."
    )


class RagConfig(_Section):
    """Retrieval-augmented answers over sanitized knowledge (``rag.*``).

    Raw documents under ``knowledge_prefix`` of the raw bucket pass the sanitization job's document pass; only the
    redacted copies under the same prefix of the sanitized bucket are embedded and retrieved.
    """

    enabled: bool = Field(
        True,
        description="Deploy the knowledge base (data stack), the sanitization job's document pass, the chat app's "
        "retrieve permission and the ingestion alarms. The default vector store (S3 Vectors) costs ~nothing idle.",
    )
    vector_store: Literal["s3_vectors", "kendra", "opensearch_serverless", "aurora_pgvector"] = Field(
        "s3_vectors",
        description="s3_vectors (no idle cost: storage and queries billed per use), kendra (an existing Kendra "
        "GenAI index, billed per index-hour; its own connectors ingest), opensearch_serverless (a vector "
        "collection: minimum OCUs billed around the clock) or aurora_pgvector (Aurora PostgreSQL Serverless v2 "
        "with pgvector: storage always billed, ACUs while not paused); docs/rag.md.",
    )
    opensearch_standby_replicas: bool = Field(
        False,
        description="vector_store='opensearch_serverless' only: standby replicas in a second AZ (production "
        "redundancy; doubles the minimum OCUs). False = dev/test sizing.",
    )
    aurora_min_capacity: float = Field(
        0,
        ge=0,
        le=256,
        multiple_of=0.5,
        description="aurora_pgvector: minimum Aurora Serverless v2 ACUs; 0 lets the cluster auto-pause when idle "
        "(the first query after a pause waits for it to resume, ~15 s).",
    )
    aurora_max_capacity: float = Field(
        2,
        ge=1,
        le=256,
        multiple_of=0.5,
        description="aurora_pgvector: maximum Aurora Serverless v2 ACUs (ingestion bursts scale up to it).",
    )
    kendra_index_arn: str | None = Field(
        None,
        pattern=f"^{validation.KENDRA_INDEX_ARN_PATTERN}$",
        description="ARN of the existing Kendra GenAI index; required with vector_store='kendra', else unset.",
    )
    embedding_model: str = Field(
        "amazon.titan-embed-text-v2:0",
        description=f"Bedrock embedding model: {', '.join(validation.EMBEDDING_MODELS)}.",
    )
    embedding_dimensions: int = Field(
        1024, description="Vector size: 256, 512 or 1024 for Titan Text Embeddings v2; 1024 for Cohere."
    )
    chunking: ChunkingConfig = Field(default_factory=ChunkingConfig)
    top_k: int = Field(
        RetrievalLimits.DEFAULT_TOP_K,
        ge=1,
        le=RetrievalLimits.MAX_TOP_K,
        description="Passages retrieved when a request does not set retrieval.top_k (RAG_TOP_K).",
    )
    default_on: bool = Field(
        False,
        description="Retrieve for requests without a retrieval field (RAG_DEFAULT_ON); false: opt-in per request "
        'with {"retrieval": {"enabled": true}}.',
    )
    knowledge_prefix: str = Field(
        "knowledge/",
        description="Prefix of knowledge documents in the raw bucket and of their redacted copies in the sanitized "
        "bucket (the only prefix the knowledge base reads).",
    )
    batch_window_minutes: int = Field(
        5,
        ge=0,
        le=60,
        description="How long an upload-triggered ingestion waits for the rest of a burst before starting one job.",
    )

    @field_validator("knowledge_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        validation.check_s3_prefix(value, where="rag.knowledge_prefix")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RagConfig:
        validation.check_embedding_model(
            self.embedding_model,
            self.embedding_dimensions,
            model_key="rag.embedding_model",
            dimensions_key="rag.embedding_dimensions",
        )
        if self.aurora_max_capacity < self.aurora_min_capacity:
            raise ValueError(
                f"rag.aurora_max_capacity={self.aurora_max_capacity} is below rag.aurora_min_capacity="
                f"{self.aurora_min_capacity}; allowed: >= aurora_min_capacity"
            )
        if self.vector_store == "kendra" and not self.kendra_index_arn:
            raise ValueError(
                "rag.kendra_index_arn is not set but rag.vector_store='kendra'; allowed: the ARN of an existing "
                "Kendra GenAI index (arn:aws:kendra:<region>:<account>:index/<36-character id>)"
            )
        if self.opensearch_standby_replicas and self.vector_store != "opensearch_serverless":
            raise ValueError(
                f"rag.opensearch_standby_replicas=True but rag.vector_store={self.vector_store!r}; allowed: false, "
                "or vector_store='opensearch_serverless'"
            )
        if self.vector_store != "kendra" and self.kendra_index_arn:
            raise ValueError(
                f"rag.kendra_index_arn={self.kendra_index_arn!r} is set but rag.vector_store="
                f"{self.vector_store!r}; allowed: unset, or vector_store='kendra'"
            )
        return self

    def region_of_kendra_index(self) -> str | None:
        """The region of ``kendra_index_arn`` (None when unset)."""
        match = re.match(r"^arn:[^:]+:kendra:([^:]+):", self.kendra_index_arn or "")
        return match.group(1) if match else None
