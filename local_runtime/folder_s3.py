"""The few S3 client calls :func:`glue_jobs.documents.sync_knowledge` makes, over the local lake folder.

``.local/lake/<bucket>/<key>`` stands in for ``s3://<bucket>/<key>`` (the layout of ``make local``), so the local
knowledge stage runs the Glue job's own sync function -- listing, change detection by modification time, redaction,
sidecars, quarantine records and removal of documents whose raw file is gone -- instead of a re-implementation.
Hand-written rather than moto: moto keeps objects in memory, and the point here is files on disk that the user can
read and add to. Only what ``sync_knowledge`` calls is implemented.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class FolderS3:
    """``list_objects_v2`` (paginator), ``get_object``, ``put_object`` and ``delete_object`` on ``root/<bucket>/``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, bucket: str, key: str) -> Path:
        base = (self.root / bucket).resolve()
        path = (base / key).resolve()
        if base != path and base not in path.parents:
            raise ValueError(f"key {key!r} leaves bucket {bucket!r}")
        return path

    def get_paginator(self, operation: str) -> FolderS3:
        """Only ``list_objects_v2``; the paginator is the client itself (one page)."""
        if operation != "list_objects_v2":
            raise NotImplementedError(operation)
        return self

    def paginate(self, *, Bucket: str, Prefix: str = "") -> Iterator[dict[str, Any]]:
        """One page with every file under ``Prefix`` (``Key``, ``LastModified`` as an aware datetime)."""
        base = self.root / Bucket
        contents = []
        if base.is_dir():
            for dirpath, _dirs, files in os.walk(base):
                for name in files:
                    if name.endswith(".part"):
                        continue
                    path = Path(dirpath) / name
                    key = path.relative_to(base).as_posix()
                    if key.startswith(Prefix):
                        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                        contents.append({"Key": key, "LastModified": modified, "Size": path.stat().st_size})
        yield {"Contents": sorted(contents, key=lambda c: c["Key"])}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        """``Body`` is a readable file object."""
        return {"Body": io.BytesIO(self._path(Bucket, Key).read_bytes())}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        """Write atomically (``.part`` then rename), creating folders."""
        path = self._path(Bucket, Key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(Body)
        tmp.replace(path)
        return {}

    def delete_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        """Delete (missing is fine, as on S3)."""
        self._path(Bucket, Key).unlink(missing_ok=True)
        return {}
