"""Where redacted interaction and feedback records land: S3 (SSE-KMS) or a local folder with the same key layout.

Keys come from :mod:`frontdoor.storage` (``interactions/dt=YYYY-MM-DD/hour=HH/<id>.json``,
``feedback/dt=YYYY-MM-DD/<id>-<feedback_id>.json``), so the continuous-learning job reads both homes alike.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from frontdoor.clients import LazyStorageClient

from chat_api.settings import ChatSettings


def dumps(record: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; a string UTF-8 cannot encode is written escaped instead of losing the record."""
    try:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class RecordStore(Protocol):
    """Writes one JSON record under a key; raises on failure."""

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` at ``key``."""
        ...


class LocalRecordStore:
    """``<root>/<key>`` written atomically (temporary file + rename), so readers never see half a record."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Write the record file."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")  # never matched by *.json readers
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(dumps(record))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class S3RecordStore(LazyStorageClient):
    """``PutObject`` to the interactions bucket with the pipeline KMS key (when configured) and short timeouts."""

    service = "s3"
    s: ChatSettings

    def put(self, key: str, record: dict[str, Any]) -> None:
        """``PutObject`` (SSE-KMS with ``kms_key_id``, else the bucket default)."""
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.s.kms_key_id} if self.s.kms_key_id else {}
        self.client().put_object(
            Bucket=self.s.interactions_bucket, Key=key, Body=dumps(record), ContentType="application/json", **extra
        )


def build_record_store(s: ChatSettings) -> RecordStore:
    """The store named by ``s.storage``."""
    return S3RecordStore(s) if s.storage == "s3" else LocalRecordStore(s.local_bucket_dir)
