"""Redacted interaction and feedback records written to the interactions bucket (SSE-KMS)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import pipeline_contract
from frontdoor import clients
from frontdoor.config import Settings

if TYPE_CHECKING:
    from pii_engine import Engine

SCHEMA_VERSION = 1


@cache
def _engine() -> Engine:
    """The shared PII engine, built on first use (it lazy-loads its gazetteers)."""
    from pii_engine import Engine, EngineConfig

    return Engine(EngineConfig())


def redact(text: str) -> tuple[str | None, dict[str, int]]:
    """``(redacted text, entity counts)``; the text is ``None`` when the engine says to drop it."""
    result = _engine().redact(text)
    counts = {str(k): int(v) for k, v in (result.counts or {}).items()}
    return (None if result.drop else result.text), counts


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="redact")


def redact_in_background(text: str) -> Future[tuple[str | None, dict[str, int]]]:
    """Start :func:`redact` on a worker thread (it overlaps with the model call, which waits on I/O)."""
    return _pool().submit(redact, text)


def interaction_key(request_id: str, now: datetime, prefix: str = pipeline_contract.Layout.INTERACTIONS) -> str:
    """``<prefix>dt=YYYY-MM-DD/hour=HH/<request_id>.json`` (UTC partitions; layout from ``pipeline_contract``)."""
    return pipeline_contract.interaction_key(request_id, now, prefix)


def feedback_key(
    request_id: str, feedback_id: str, now: datetime, prefix: str = pipeline_contract.Layout.FEEDBACK
) -> str:
    """``<prefix>dt=YYYY-MM-DD/<request_id>-<feedback_id>.json`` (layout from ``pipeline_contract``)."""
    return pipeline_contract.feedback_key(request_id, feedback_id, now, prefix)


def pii_total(counts: Mapping[str, Mapping[str, int]]) -> int:
    """Number of entities redacted across all fields."""
    return sum(sum(c.values()) for c in counts.values())


def put_record(key: str, record: dict[str, Any], s: Settings) -> None:
    """Write one JSON record; raises on any failure.

    With ``KMS_KEY_ID`` the object is written SSE-KMS with that key; without it no SSE header is sent so
    the bucket's default encryption applies (``aws:kms`` without a key id would pick the AWS managed key).
    """
    if not s.interactions_bucket:
        raise RuntimeError("INTERACTIONS_BUCKET is not set")
    extra: dict[str, str] = {}
    if s.kms_key_id:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": s.kms_key_id}
    clients.s3().put_object(
        Bucket=s.interactions_bucket,
        Key=key,
        Body=json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode(),
        ContentType="application/json",
        **extra,
    )
