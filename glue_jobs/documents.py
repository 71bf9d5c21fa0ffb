"""Knowledge documents (plain text, Markdown, HTML): whole-document PII/PHI redaction for retrieval.

Pure Python (no Spark, no CDK, no AWS): the Glue job calls :func:`sanitize_document` for every raw object under
the ``knowledge/`` prefix (see ``glue_jobs/sanitize_job.py``), and the local retriever runs the very same function
over a local folder before indexing, so nothing unredacted is ever embedded or indexed.

What one raw document becomes (``knowledge/<rel>.<ext>`` in the raw bucket):

* sanitized text at ``knowledge/<rel>.<ext>.txt`` (``.md`` stays ``.md``; HTML becomes text), paragraph
  boundaries kept (one blank line between paragraphs) so fixed-size and semantic chunkers split on them;
* a sidecar ``<output name>.metadata.json`` in the Amazon Bedrock Knowledge Bases metadata format
  (``{"metadataAttributes": {...}}``) with ``source`` (the raw relative path), ``title`` (redacted), ``doc_type``,
  ``folder`` (first folder under ``knowledge/``, or ``""``), ``path_prefixes`` (every folder prefix of
  ``source``, e.g. ``["knowledge/", "knowledge/clinic/"]``, for "source prefix" filters) and ``entities_redacted``;
* or a quarantine verdict with a reason: ``unsupported_type``, ``oversize``, ``undecodable``, ``empty``,
  ``drop`` (an entity configured for drop mode was found: the document is not indexed at all).
"""

from __future__ import annotations

import html
import html.parser
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Key prefix of knowledge documents in the raw and sanitized buckets.
KNOWLEDGE_PREFIX = "knowledge/"
#: Suffix of the Bedrock Knowledge Bases metadata sidecar (appended to the document's full name).
METADATA_SUFFIX = ".metadata.json"
#: Document types by file extension (lower case).
DOCUMENT_TYPES: Mapping[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
#: Default largest raw document (bytes). Bedrock KB accepts up to 50 MB per file; knowledge pages are far smaller
#: and a whole document is redacted in one engine call, so the default stays small.
DEFAULT_MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
#: Bedrock KB caps a metadata sidecar at 10 KB; titles are truncated well below that.
MAX_TITLE_CHARS = 200

STATUS_SANITIZED = "sanitized"
STATUS_QUARANTINED = "quarantined"

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "br", "hr",
        "figure", "figcaption", "address", "details", "summary",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class Redactor(Protocol):
    """What :func:`sanitize_document` needs of the PII engine (``pii_engine.Engine`` fits)."""

    def redact(self, text: str, *, field: str | None = None) -> Any:
        """Return an object with ``text`` (redacted), ``counts`` (entity -> n) and ``drop`` (bool)."""
        ...


@dataclass(frozen=True)
class DocumentResult:
    """The verdict on one raw document.

    Sanitized: ``output_name`` (relative to the knowledge prefix), ``text``, ``metadata`` (the sidecar JSON
    object) and ``metadata_name``. Quarantined: ``reason`` and ``reason_detail``. ``entity_counts`` in both cases.
    """

    status: str
    relative_path: str
    output_name: str | None = None
    text: str | None = None
    metadata: dict[str, Any] | None = None
    reason: str | None = None
    reason_detail: str | None = None
    entity_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def metadata_name(self) -> str | None:
        """Name of the metadata sidecar next to the sanitized document."""
        return f"{self.output_name}{METADATA_SUFFIX}" if self.output_name else None

    def metadata_json(self) -> str:
        """The sidecar's content (UTF-8 JSON)."""
        return json.dumps(self.metadata, ensure_ascii=False, sort_keys=True)


class _TextExtractor(html.parser.HTMLParser):
    """HTML -> text with block elements as paragraph breaks; scripts, styles and ``<head>`` skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip = 0
        self._in_title = False
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIP_TAGS:
            self._skip += 1
        if tag == "pre":
            self._in_pre += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag != "br" else "\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        if tag == "pre" and self._in_pre:
            self._in_pre -= 1
        if tag in _BLOCK_TAGS and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip:
            self.parts.append(data if self._in_pre else data.replace("\n", " "))


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML document (paragraphs separated by blank lines) and its ``<title>``, if any."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    title = " ".join("".join(parser.title_parts).split()) or None
    return normalise_paragraphs(html.unescape("".join(parser.parts))), title


def normalise_paragraphs(text: str) -> str:
    """Unify newlines, collapse runs of spaces inside lines, keep exactly one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group("title").strip()
        if line.strip():
            return None  # the first non-empty line is not a heading
    return None


def _title_from_name(relative_path: str) -> str:
    stem = posixpath.basename(relative_path).rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split()).capitalize() or relative_path


def output_name_for(relative_path: str) -> str:
    """Sanitized name of a raw document: Markdown and text keep their name, others (HTML) get ``.txt`` appended."""
    ext = posixpath.splitext(relative_path)[1].lower()
    return relative_path if DOCUMENT_TYPES.get(ext) in ("markdown", "text") else f"{relative_path}.txt"


def path_prefixes(relative_path: str) -> list[str]:
    """Every folder prefix of ``relative_path`` (``a/b/c.md`` -> ``["a/", "a/b/"]``), for source-prefix filters."""
    folders = relative_path.split("/")[:-1]
    return ["/".join(folders[: i + 1]) + "/" for i in range(len(folders))]


def relative_knowledge_path(key: str, prefix: str = KNOWLEDGE_PREFIX) -> str | None:
    """The path of ``key`` below the knowledge prefix, or None when ``key`` is not a knowledge document."""
    if not key.startswith(prefix):
        return None
    rel = key[len(prefix) :].lstrip("/")
    name = posixpath.basename(rel)
    if not rel or name.startswith((".", "_")) or rel.endswith(METADATA_SUFFIX):
        return None
    return rel


def is_knowledge_document(relative_path: str) -> bool:
    """True for a supported document type (by extension)."""
    return posixpath.splitext(relative_path)[1].lower() in DOCUMENT_TYPES


def sanitize_document(
    relative_path: str,
    data: bytes,
    engine: Redactor,
    *,
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    extra_attributes: Mapping[str, str | int | float | bool | list[str]] | None = None,
) -> DocumentResult:
    """Redact one whole document and build its Bedrock KB metadata, or say why it is quarantined.

    ``relative_path`` is the key below the knowledge prefix (``clinic/hours.md``); ``data`` the raw bytes
    (UTF-8, a BOM is dropped). The title (first Markdown heading, HTML ``<title>``, else the file name) is redacted
    separately as field ``title``. ``extra_attributes`` are added to the sidecar as they are (e.g. a tenant id).
    """
    ext = posixpath.splitext(relative_path)[1].lower()
    doc_type = DOCUMENT_TYPES.get(ext)
    if doc_type is None:
        return DocumentResult(STATUS_QUARANTINED, relative_path, reason="unsupported_type", reason_detail=ext or "none")
    if len(data) > max_bytes:
        return DocumentResult(
            STATUS_QUARANTINED, relative_path, reason="oversize", reason_detail=f"{len(data)} > {max_bytes} bytes"
        )
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return DocumentResult(
            STATUS_QUARANTINED, relative_path, reason="undecodable", reason_detail=f"not UTF-8 at byte {exc.start}"
        )
    if "\x00" in raw:
        return DocumentResult(STATUS_QUARANTINED, relative_path, reason="undecodable", reason_detail="NUL byte")
    if doc_type == "html":
        text, title = html_to_text(raw)
    else:
        text = normalise_paragraphs(raw)
        title = _markdown_title(text) if doc_type == "markdown" else None
    if not text.strip():
        return DocumentResult(STATUS_QUARANTINED, relative_path, reason="empty")

    counts: dict[str, int] = {}
    dropped = False

    def redact(value: str, field_name: str | None) -> str:
        nonlocal dropped
        result = engine.redact(value, field=field_name)
        for entity, n in result.counts.items():
            counts[entity] = counts.get(entity, 0) + n
        dropped = dropped or bool(result.drop)
        return str(result.text)

    body = redact(text, None)
    clean_title = redact((title or _title_from_name(relative_path))[:MAX_TITLE_CHARS], "title")
    if dropped:
        return DocumentResult(
            STATUS_QUARANTINED,
            relative_path,
            reason="drop",
            reason_detail=",".join(sorted(counts)),
            entity_counts=counts,
        )
    source = f"{KNOWLEDGE_PREFIX}{relative_path}"
    folders = relative_path.split("/")[:-1]
    attributes: dict[str, Any] = {
        "source": source,
        "title": clean_title,
        "doc_type": doc_type,
        "folder": folders[0] if folders else "",
        "path_prefixes": path_prefixes(source),
        "entities_redacted": sum(counts.values()),
        **dict(extra_attributes or {}),
    }
    return DocumentResult(
        STATUS_SANITIZED,
        relative_path,
        output_name=output_name_for(relative_path),
        text=body if body.endswith("\n") else body + "\n",
        metadata={"metadataAttributes": attributes},
        entity_counts=counts,
    )


# ---------------------------------------------------------------------------------------------- S3 sync (Glue)


@dataclass
class SyncStats:
    """What one :func:`sync_knowledge` pass did (counts of documents)."""

    documents_in: int = 0
    sanitized: int = 0
    unchanged: int = 0
    removed: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    entity_counts: dict[str, int] = field(default_factory=dict)


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix/`` -> ``("bucket", "prefix/")``."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, prefix


def _list(s3: Any, bucket: str, prefix: str) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            objects[obj["Key"]] = obj["LastModified"]
    return objects


def sync_knowledge(
    s3: Any,
    engine: Redactor,
    *,
    raw_url: str,
    sanitized_url: str,
    quarantine_url: str,
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
) -> SyncStats:
    """Mirror raw knowledge documents into their sanitized form (driver-side, boto3 ``s3`` client).

    A raw document is (re)processed when its sanitized output is missing or older than it; sanitized outputs
    whose raw document is gone are deleted with their sidecars (so the knowledge base forgets them at its next
    ingestion). Quarantined documents get ``<rel>.quarantine.json`` (reason only, never content) under
    ``quarantine_url``. Writes use the buckets' default encryption (SSE-KMS with the lake key).
    """
    raw_bucket, raw_prefix = split_s3_url(raw_url)
    out_bucket, out_prefix = split_s3_url(sanitized_url)
    q_bucket, q_prefix = split_s3_url(quarantine_url)
    stats = SyncStats()
    existing = _list(s3, out_bucket, out_prefix)
    expected: set[str] = set()
    for key, modified in sorted(_list(s3, raw_bucket, raw_prefix).items()):
        rel = relative_knowledge_path(key, raw_prefix)
        if rel is None:
            continue
        stats.documents_in += 1
        out_key = f"{out_prefix}{output_name_for(rel)}"
        expected.update((out_key, f"{out_key}{METADATA_SUFFIX}"))
        if out_key in existing and f"{out_key}{METADATA_SUFFIX}" in existing and existing[out_key] >= modified:
            stats.unchanged += 1
            continue
        body = s3.get_object(Bucket=raw_bucket, Key=key)["Body"].read(max_bytes + 1)
        result = sanitize_document(rel, body, engine, max_bytes=max_bytes)
        for entity, n in result.entity_counts.items():
            stats.entity_counts[entity] = stats.entity_counts.get(entity, 0) + n
        if result.status == STATUS_QUARANTINED:
            reason = result.reason or "unknown"
            stats.quarantined[reason] = stats.quarantined.get(reason, 0) + 1
            expected.discard(out_key)
            expected.discard(f"{out_key}{METADATA_SUFFIX}")
            record = {"source": key, "reason": reason, "reason_detail": result.reason_detail}
            s3.put_object(
                Bucket=q_bucket,
                Key=f"{q_prefix}{rel}.quarantine.json",
                Body=json.dumps(record).encode("utf-8"),
                ContentType="application/json",
            )
            continue
        assert result.output_name is not None and result.text is not None
        content_type = "text/markdown" if result.output_name.endswith((".md", ".markdown")) else "text/plain"
        s3.put_object(
            Bucket=out_bucket,
            Key=out_key,
            Body=result.text.encode("utf-8"),
            ContentType=f"{content_type}; charset=utf-8",
        )
        s3.put_object(
            Bucket=out_bucket,
            Key=f"{out_key}{METADATA_SUFFIX}",
            Body=result.metadata_json().encode("utf-8"),
            ContentType="application/json",
        )
        stats.sanitized += 1
    for key in sorted(set(existing) - expected):
        s3.delete_object(Bucket=out_bucket, Key=key)
        if not key.endswith(METADATA_SUFFIX):
            stats.removed += 1
    return stats


#: Optional Glue job arguments of the knowledge pass (``--NAME value``); all empty = no knowledge pass.
KNOWLEDGE_ARGS: Mapping[str, str] = {
    "knowledge_raw_path": "",  # s3://<raw bucket>/knowledge/
    "knowledge_sanitized_path": "",  # s3://<sanitized bucket>/knowledge/
    "knowledge_quarantine_path": "",  # s3://<quarantine bucket>/knowledge/
    "knowledge_max_bytes": str(DEFAULT_MAX_DOCUMENT_BYTES),
}


@dataclass(frozen=True)
class KnowledgeJobArgs:
    """Validated knowledge-pass arguments of the sanitization job."""

    raw_url: str
    sanitized_url: str
    quarantine_url: str
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES

    @classmethod
    def from_resolved(cls, resolved: Mapping[str, str]) -> KnowledgeJobArgs | None:
        """None without ``--knowledge_raw_path``; raises ``ValueError`` on a partial or invalid set."""
        args = {**KNOWLEDGE_ARGS, **{k: v for k, v in resolved.items() if k in KNOWLEDGE_ARGS}}
        paths = [
            args[k].strip() for k in ("knowledge_raw_path", "knowledge_sanitized_path", "knowledge_quarantine_path")
        ]
        if not any(paths):
            return None
        if not all(paths):
            raise ValueError(
                "--knowledge_raw_path, --knowledge_sanitized_path and --knowledge_quarantine_path go together"
            )
        for path in paths:
            split_s3_url(path)
            if not path.endswith("/"):
                raise ValueError(f"knowledge path {path!r} must end with '/'")
        try:
            max_bytes = int(args["knowledge_max_bytes"])
        except ValueError:
            raise ValueError(f"--knowledge_max_bytes must be an integer, got {args['knowledge_max_bytes']!r}") from None
        if max_bytes <= 0:
            raise ValueError("--knowledge_max_bytes must be positive")
        return cls(paths[0], paths[1], paths[2], max_bytes)


def build_document_metric_data(job_name: str, stats: SyncStats) -> list[dict[str, Any]]:
    """CloudWatch datums of a knowledge pass: ``DocumentsIn``, ``DocumentsSanitized``, ``DocumentsQuarantined``
    (also by ``Reason``), by ``JobName`` (same namespace as the record metrics)."""
    job = {"Name": "JobName", "Value": job_name}

    def datum(name: str, value: int, extra: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "MetricName": name,
            "Dimensions": [job, *([extra] if extra else [])],
            "Value": float(value),
            "Unit": "Count",
        }

    data = [
        datum("DocumentsIn", stats.documents_in),
        datum("DocumentsSanitized", stats.sanitized),
        datum("DocumentsQuarantined", sum(stats.quarantined.values())),
    ]
    data += [
        datum("DocumentsQuarantined", n, {"Name": "Reason", "Value": r}) for r, n in sorted(stats.quarantined.items())
    ]
    return data
