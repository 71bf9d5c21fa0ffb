"""Local retriever: BM25 (bm25s) over a folder of knowledge documents, sanitized before anything is indexed.

Every file goes through :func:`glue_jobs.documents.sanitize_document` -- the function the Glue job runs on the
``knowledge/`` prefix -- with the same PII engine, so the local index holds exactly what a deployed knowledge base
would hold: redacted text, redacted titles, the same ``source`` keys (``knowledge/<relative path>``) and metadata
attributes. Quarantined files (unsupported type, undecodable, oversize, drop-mode entities) are skipped and
reported. No model or data download: BM25 over word tokens (English stop words; Snowball stemming when PyStemmer
is installed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from glue_jobs.documents import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    KNOWLEDGE_PREFIX,
    METADATA_SUFFIX,
    STATUS_QUARANTINED,
    Redactor,
    sanitize_document,
)
from retrieval import DEFAULT_TOP_K, Passage, RetrievalFilters, make_snippet

DEFAULT_MAX_CHUNK_CHARS = 800
_INDEX_DIR = "bm25"
_CHUNKS_FILE = "chunks.jsonl"
_MANIFEST_FILE = "manifest.json"


def default_engine() -> Redactor:
    """The PII engine with the sanitization job's defaults (all entity types, mask mode)."""
    from pii_engine import Engine, EngineConfig

    return Engine(EngineConfig())


def _stemmer() -> Any | None:
    try:
        import Stemmer  # type: ignore[import-not-found,unused-ignore]  # PyStemmer
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Chunk:
    """One indexed unit: a run of whole paragraphs of one sanitized document."""

    source: str
    title: str
    text: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class IndexReport:
    """What :meth:`LocalBm25Retriever.from_folder` indexed and skipped."""

    documents: int = 0
    chunks: int = 0
    quarantined: dict[str, str] = field(default_factory=dict)  # relative path -> reason
    entities_redacted: int = 0


def chunk_paragraphs(text: str, max_chars: int = DEFAULT_MAX_CHUNK_CHARS) -> list[str]:
    """Group paragraphs (blank-line separated) into chunks of at most ``max_chars`` (a longer paragraph is its own
    chunk); a Markdown heading always starts a new chunk."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        if current and (paragraph.startswith("#") or size + len(paragraph) > max_chars):
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(paragraph)
        size += len(paragraph) + 2
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _walk(folder: Path) -> Iterable[tuple[str, Path]]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if name.startswith((".", "_")) or name.endswith(METADATA_SUFFIX):
                continue
            path = Path(root) / name
            yield path.relative_to(folder).as_posix(), path


class LocalBm25Retriever:
    """BM25 retrieval over sanitized chunks; build with :meth:`from_folder`, persist with :meth:`save`/:meth:`load`."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self._stemmer = _stemmer()
        self._bm25 = bm25s.BM25()
        if self.chunks:
            self._bm25.index(self._tokenize([self._index_text(c) for c in self.chunks]), show_progress=False)

    @staticmethod
    def _index_text(chunk: Chunk) -> str:
        return f"{chunk.title}\n{chunk.text}"

    def _tokenize(self, texts: list[str]) -> Any:
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)

    @classmethod
    def from_folder(
        cls,
        folder: str | os.PathLike[str],
        *,
        engine: Redactor | None = None,
        max_chunk_chars: int = DEFAULT_MAX_CHUNK_CHARS,
        max_bytes: int | None = None,
    ) -> tuple[LocalBm25Retriever, IndexReport]:
        """Sanitize every document under ``folder`` (recursively; names starting with ``.``/``_`` skipped) and index
        the redacted chunks. Sources are ``knowledge/<path relative to folder>``, as in the lake."""
        root = Path(folder)
        if not root.is_dir():
            raise FileNotFoundError(f"knowledge folder {root} does not exist")
        engine = engine or default_engine()
        report = IndexReport()
        chunks: list[Chunk] = []
        for rel, path in _walk(root):
            result = sanitize_document(
                rel, path.read_bytes(), engine, max_bytes=max_bytes or DEFAULT_MAX_DOCUMENT_BYTES
            )
            if result.status == STATUS_QUARANTINED:
                report.quarantined[rel] = result.reason or "unknown"
                continue
            assert result.text is not None and result.metadata is not None
            attributes = dict(result.metadata["metadataAttributes"])
            report.documents += 1
            report.entities_redacted += int(attributes.get("entities_redacted", 0))
            for text in chunk_paragraphs(result.text, max_chunk_chars):
                chunks.append(Chunk(attributes["source"], attributes["title"], text, attributes))
        report.chunks = len(chunks)
        return cls(chunks), report

    @classmethod
    def from_sanitized(
        cls, folder: str | os.PathLike[str], *, max_chunk_chars: int = DEFAULT_MAX_CHUNK_CHARS
    ) -> tuple[LocalBm25Retriever, IndexReport]:
        """Index a folder the sanitization pass wrote (:func:`glue_jobs.documents.sync_knowledge`: the sanitized
        bucket's ``knowledge/`` prefix): every document with its ``.metadata.json`` sidecar, as a Bedrock knowledge
        base reads it. Nothing is redacted again here: the folder holds sanitized text only. A document without its
        sidecar is skipped (reported as ``no_metadata``)."""
        root = Path(folder)
        if not root.is_dir():
            raise FileNotFoundError(f"sanitized knowledge folder {root} does not exist")
        report = IndexReport()
        chunks: list[Chunk] = []
        for rel, path in _walk(root):
            sidecar = path.with_name(path.name + METADATA_SUFFIX)
            if not sidecar.is_file():
                report.quarantined[rel] = "no_metadata"
                continue
            attributes = dict(json.loads(sidecar.read_text(encoding="utf-8"))["metadataAttributes"])
            report.documents += 1
            report.entities_redacted += int(attributes.get("entities_redacted", 0))
            for text in chunk_paragraphs(path.read_text(encoding="utf-8"), max_chunk_chars):
                chunks.append(Chunk(attributes["source"], attributes["title"], text, attributes))
        report.chunks = len(chunks)
        return cls(chunks), report

    def retrieve(
        self, query: str, top_k: int = DEFAULT_TOP_K, filters: RetrievalFilters | None = None
    ) -> list[Passage]:
        """Best ``top_k`` chunks by BM25 that pass ``filters`` and score above 0 (at most one per document)."""
        if not self.chunks or not query.strip():
            return []
        mask = None
        if filters and (filters.source_prefix or filters.attributes):
            mask = np.array([filters.matches(c.source, c.attributes) for c in self.chunks], dtype=np.float32)
            if not mask.any():
                return []
        query_tokens = self._tokenize([query])
        if not query_tokens.ids or not query_tokens.ids[0]:
            return []
        ids, scores = self._bm25.retrieve(
            query_tokens, k=len(self.chunks), show_progress=False, weight_mask=mask, n_threads=1
        )
        passages: list[Passage] = []
        seen: set[str] = set()
        for index, score in zip(ids[0], scores[0], strict=True):
            chunk = self.chunks[int(index)]
            if score <= 0 or chunk.source in seen:
                continue
            seen.add(chunk.source)
            passages.append(
                Passage(chunk.source, chunk.title, float(score), make_snippet(chunk.text), chunk.text, chunk.attributes)
            )
            if len(passages) == top_k:
                break
        return passages

    # ------------------------------------------------------------------ persistence

    def save(self, folder: str | os.PathLike[str], report: IndexReport | None = None) -> Path:
        """Write the chunks (sanitized text only) and a manifest to ``folder``; the BM25 index is rebuilt on load
        (milliseconds for a knowledge folder), so the saved form is plain JSON lines."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        with (out / _CHUNKS_FILE).open("w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        manifest = {"format": 1, "chunks": len(self.chunks), "knowledge_prefix": KNOWLEDGE_PREFIX}
        if report is not None:
            manifest["report"] = asdict(report)
        (out / _MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> LocalBm25Retriever:
        """Load what :meth:`save` wrote."""
        path = Path(folder) / _CHUNKS_FILE
        with path.open(encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh if line.strip()]
        return cls(chunks)
