"""PySpark sanitization transform: raw JSON-lines -> sanitized records + quarantined records.

Pure PySpark + pandas (no ``awsglue``), so it runs under ``local[N]`` in tests and unchanged in Glue.

One ``mapInPandas`` pass over Arrow batches classifies every input line and emits exactly one output
row per line with a ``status`` column; the combined frame is persisted and then split into the
sanitized and the quarantine frames, and statistics are aggregated from it (per-record entity-count
map summed), so the PII engine runs once per record.

Quarantine reasons (``reason`` column; ``reason_detail`` never carries raw values):

``empty``          blank or whitespace-only line (quarantined, not skipped, so the count identity holds)
``oversize``       raw line longer than ``max_record_bytes`` UTF-8 bytes (checked before parsing)
``invalid_utf8``   the line's bytes are not UTF-8 (e.g. a Latin-1 export); detail = offset of the first bad byte
                   (``byte N``); ``raw_base64`` holds the exact bytes, ``raw`` a readable backslash-escaped copy
``invalid_json``   not parseable as JSON (also NaN/Infinity literals, nesting too deep to walk)
``not_object``     valid JSON whose top level is not an object
``missing_field``  a configured required field path is absent or null; detail = the path
``negative_feedback`` the record's top-level ``request_id`` has a net feedback rating below the threshold
                   (only with feedback exclusions, see :mod:`glue_jobs.feedback`); detail = the net rating
``drop``           a span whose entity type is configured with mode ``drop``; detail = sorted entity types

Lines arrive as bytes (``value`` is cast to binary, so one bad byte cannot fail the Arrow -> pandas step).
A UTF-8 byte-order mark opening a line (concatenated exports) is stripped. Lone surrogates (only reachable
as JSON escapes such as ``"\\ud800"``; they are not Unicode characters) become U+FFFD in every scanned string
and key, and are written as JSON escapes elsewhere, so the sanitized record is always valid UTF-8.

Besides string values, the engine sees object keys (without field context; a key that is PII is replaced by
its redaction, suffixed ``_2``, ``_3`` ... if that name is taken) and numbers as text (with the enclosing
key as context; a number that is PII becomes the redacted string), under every scanned path.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, MapType, StringType, StructField, StructType

from pii_engine import ENTITY_TYPES, Engine, EngineConfig, Mode, Redaction
from pipeline_contract import InteractionRecord, Layout

STATUS_SANITIZED = "sanitized"
STATUS_QUARANTINED = "quarantined"
QUARANTINE_REASONS: tuple[str, ...] = (
    "empty",
    "oversize",
    "invalid_utf8",
    "invalid_json",
    "not_object",
    "missing_field",
    "negative_feedback",
    "drop",
)
FEEDBACK_KEY = InteractionRecord.FEEDBACK_KEY  # top-level key of an interaction record that feedback refers to

RAW_COLUMN = "value"
SOURCE_COLUMN = "source_file"
PARTITION_COLUMN = Layout.PARTITION_COLUMN

COMBINED_SCHEMA = StructType(
    [
        StructField("status", StringType(), False),
        StructField("record", StringType(), True),
        StructField("raw", StringType(), True),
        StructField("raw_base64", StringType(), True),
        StructField("reason", StringType(), True),
        StructField("reason_detail", StringType(), True),
        StructField(SOURCE_COLUMN, StringType(), True),
        StructField("entity_counts", MapType(StringType(), LongType(), False), False),
    ]
)

_SEGMENT = re.compile(r"^([^.\[\]]+)(\[\])?$")
_BOM = "\ufeff"
_MEMO_MAX_CHARS = 64  # texts up to this length are memoised per sanitizer ...
_MEMO_MAX_ENTRIES = 16_384  # ... in a dict cleared when it reaches this size
_BATCH_LINES = 256  # lines sanitized together by sanitize_batches (one engine pass over their texts)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # after json.loads, valid pairs are single characters
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # a surrogate escape in raw JSON text


def parse_field_path(path: str) -> tuple[tuple[str, bool], ...]:
    """Parse ``"messages[].content"`` into ``(("messages", True), ("content", False))``.

    A segment is a JSON key; a trailing ``[]`` means "each element of this array". Keys that contain
    ``.``, ``[`` or ``]`` cannot be addressed (use ``scan_all_strings`` instead).
    """
    segments = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise ValueError(f"invalid field path {path!r}: bad segment {part!r}")
        segments.append((match.group(1), match.group(2) is not None))
    return tuple(segments)


@dataclass(frozen=True)
class SanitizeConfig:
    """Small, hashable, picklable job configuration; broadcast to executors and used as engine-cache key.

    ``hash_key`` (HMAC key for ``hash`` mode) is excluded from ``repr`` so it never reaches logs.
    """

    text_fields: tuple[str, ...] = ()
    scan_all_strings: bool = False
    required_fields: tuple[str, ...] = ()
    max_record_bytes: int = 1_048_576
    entities: frozenset[str] = frozenset(ENTITY_TYPES)
    min_score: float = 0.5
    default_mode: str = Mode.MASK.value
    entity_modes: tuple[tuple[str, str], ...] = ()
    hash_key: bytes | None = field(default=None, repr=False)
    #: PII engine profile: ``recall`` (default: training data, a missed name is memorised) or ``balanced``.
    pii_profile: str = "recall"

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_fields", tuple(self.text_fields))
        object.__setattr__(self, "required_fields", tuple(self.required_fields))
        object.__setattr__(self, "entities", frozenset(self.entities))
        object.__setattr__(self, "entity_modes", tuple(sorted(tuple(p) for p in self.entity_modes)))
        if not self.text_fields and not self.scan_all_strings:
            raise ValueError("configure text_fields or set scan_all_strings")
        for path in (*self.text_fields, *self.required_fields):
            parse_field_path(path)
        if self.max_record_bytes <= 0:
            raise ValueError("max_record_bytes must be positive")
        self.engine_config()  # validates entities, modes, score and hash key

    def engine_config(self) -> EngineConfig:
        """The PII engine configuration this job configuration stands for."""
        return EngineConfig(
            entities=self.entities,
            min_score=self.min_score,
            default_mode=Mode(self.default_mode),
            entity_modes={name: Mode(mode) for name, mode in self.entity_modes},
            hash_key=self.hash_key,
            profile=self.pii_profile,
        )


# One engine per Python worker process and config (Spark reuses Python workers across tasks).
_ENGINES: dict[SanitizeConfig, Engine] = {}


def get_engine(config: SanitizeConfig) -> Engine:
    """Return the process-wide engine for ``config``, building it on first use only."""
    engine = _ENGINES.get(config)
    if engine is None:
        engine = _ENGINES[config] = Engine(config.engine_config())
    return engine


Redactor = Callable[[str, str | None], str]


def _redact_keys(node: dict[str, Any], redact: Redactor) -> dict[str, Any]:
    """``node`` with every key that is PII replaced by its redaction (no field context: a key is not the value
    of its parent key); replaced keys get ``_2``, ``_3`` ... when the name is taken, so no value is lost."""
    new_keys = [redact(key, None) for key in node]
    if all(new == old for new, old in zip(new_keys, node, strict=True)):
        return node
    taken = {old for new, old in zip(new_keys, node, strict=True) if new == old}
    out: dict[str, Any] = {}
    for (old, value), new in zip(node.items(), new_keys, strict=True):
        if new != old:
            base, n = new, 1
            while new in taken:
                n += 1
                new = f"{base}_{n}"
            taken.add(new)
        out[new] = value
    return out


def _scan_all(node: Any, field_name: str | None, redact: Redactor) -> Any:
    """Redact every string, key and number under ``node``; a value's context is its nearest enclosing object key.

    A number is scanned as its JSON text and replaced by the redacted string only if the engine found PII in it.
    """
    if isinstance(node, str):
        return redact(node, field_name)
    if isinstance(node, dict):
        node = _redact_keys(node, redact)
        for key, value in node.items():
            node[key] = _scan_all(value, key, redact)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            node[i] = _scan_all(value, field_name, redact)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        text = json.dumps(node)
        redacted = redact(text, field_name)
        return node if redacted == text else redacted
    return node


def _engine_text(text: str, surrogates: bool) -> str:
    """``text`` as the engine sees it: with ``surrogates`` (the line has a surrogate escape), lone surrogates become
    U+FFFD (the engine and its HMAC need valid text; a lone surrogate is no character)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if surrogates else text


def _recorder(wanted: dict[tuple[str, str | None], None], surrogates: bool) -> Redactor:
    """A redactor that changes nothing and adds each ``(text, field)`` it is asked for to ``wanted``, in the form the
    sanitizer's memo is keyed by."""

    def record(text: str, field_name: str | None) -> str:
        wanted[(_engine_text(text, surrogates), field_name)] = None
        return text

    return record


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _apply_path(node: Any, segments: tuple[tuple[str, bool], ...], redact: Redactor) -> None:
    """Redact the value(s) a parsed path points at; a non-string target has all its strings redacted.

    ``a[]`` on a value that is not an array treats it as a one-element array (fail towards redacting).
    """
    if not isinstance(node, dict) or segments[0][0] not in node:
        return
    (name, each), rest = segments[0], segments[1:]
    if not rest:
        node[name] = _scan_all(node[name], name, redact)
        return
    value = node[name]
    for item in value if each and isinstance(value, list) else [value]:
        _apply_path(item, rest, redact)


def _resolve(node: Any, segments: tuple[tuple[str, bool], ...]) -> Iterator[Any]:
    """Yield the values a parsed path points at (arrays fan out; ``a[]`` on a non-array is one element)."""
    if not isinstance(node, dict) or segments[0][0] not in node:
        return
    (name, each), rest = segments[0], segments[1:]
    value = node[name]
    items = value if each and isinstance(value, list) else [value]
    for item in items:
        if rest:
            yield from _resolve(item, rest)
        else:
            yield item


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


@dataclass(frozen=True)
class LineResult:
    """Outcome for one raw line (one row of the combined frame, minus the source file)."""

    status: str
    record: str | None = None
    reason: str | None = None
    reason_detail: str | None = None
    entity_counts: Mapping[str, int] = field(default_factory=dict)


class LineSanitizer:
    """Classifies and sanitizes single raw lines with one engine; pure Python, no Spark.

    ``excluded`` maps request ids to their (below-threshold) net feedback rating; a record whose top-level
    ``request_id`` is in it is quarantined (``negative_feedback``) before the engine runs on it.
    """

    def __init__(self, config: SanitizeConfig, excluded: Mapping[str, int] | None = None) -> None:
        self.config = config
        self.excluded: Mapping[str, int] = excluded or {}
        self.engine = get_engine(config)
        self._engine_config = config.engine_config()
        self._paths = tuple(parse_field_path(p) for p in config.text_fields)
        self._required = tuple((p, parse_field_path(p)) for p in config.required_fields)
        # Short texts repeat across records (keys, enum-like values): the engine is deterministic per config.
        self._memo: dict[tuple[str, str | None], Redaction] = {}
        # The redactions :meth:`process_many` prepared for the batch it is working on (any length).
        self._batch: dict[tuple[str, str | None], Redaction] = {}

    def _redact(self, text: str, field_name: str | None) -> Redaction:
        key = (text, field_name)
        result = self._batch.get(key)
        if result is None:
            result = self._memo.get(key)
        if result is None:
            result = self.engine.redact(text, field=field_name)
            self._remember(key, result)
        return result

    def _remember(self, key: tuple[str, str | None], result: Redaction) -> None:
        if len(key[0]) <= _MEMO_MAX_CHARS:
            if len(self._memo) >= _MEMO_MAX_ENTRIES:
                self._memo.clear()
            self._memo[key] = result

    def process(self, line: str | bytes) -> LineResult:
        """Sanitize one raw JSON line (text, or bytes as read from a file) or say why it is quarantined."""
        parsed = self._parse(line)
        return parsed if isinstance(parsed, LineResult) else self._sanitize(*parsed)

    def process_many(self, lines: Iterable[str | bytes]) -> list[LineResult]:
        """``[self.process(line) for line in lines]`` (the same results), with the engine run once for the batch.

        Each line is parsed and classified once; the texts the per-line code would redact are collected by walking
        the parsed records with a redactor that only records what it is asked (and changes nothing), redacted in one
        :meth:`~pii_engine.Engine.redact_many` call (minus those memoised already), and then each record goes through
        the per-line code, whose redactor now finds every answer prepared. A text the walk could not foresee (under
        a key that is itself redacted, or a value redacted twice by overlapping paths) is redacted on its own there.
        """
        parsed = [self._parse(line) for line in lines]
        wanted: dict[tuple[str, str | None], None] = {}
        for item in parsed:
            if not isinstance(item, LineResult):
                with contextlib.suppress(RecursionError):  # quarantined by the per-line code below
                    self._walk(item[0], _recorder(wanted, item[1]))  # leaves the object as it is
        for key in wanted:
            if (result := self._memo.get(key)) is not None:
                self._batch[key] = result
        todo = [key for key in wanted if key not in self._batch]
        for key, result in zip(todo, self.engine.redact_many([t for t, _ in todo], [f for _, f in todo]), strict=True):
            self._batch[key] = result
            self._remember(key, result)
        try:
            return [item if isinstance(item, LineResult) else self._sanitize(*item) for item in parsed]
        finally:
            self._batch.clear()

    def _parse(self, line: str | bytes) -> LineResult | tuple[dict[str, Any], bool]:
        """The quarantine result of a line rejected before redaction, or its JSON object and whether the line
        holds a surrogate escape."""
        n_bytes: int | None = None
        if isinstance(line, bytes | bytearray):
            n_bytes = len(line)
            try:
                line = bytes(line).decode("utf-8")
            except UnicodeDecodeError as exc:
                if n_bytes > self.config.max_record_bytes:
                    return LineResult(STATUS_QUARANTINED, reason="oversize")
                return LineResult(STATUS_QUARANTINED, reason="invalid_utf8", reason_detail=f"byte {exc.start}")
        if line.startswith(_BOM):
            stripped = line.lstrip(_BOM)
            if n_bytes is not None:
                n_bytes -= len(_BOM.encode()) * (len(line) - len(stripped))
            line = stripped
        if not line.strip():
            return LineResult(STATUS_QUARANTINED, reason="empty")
        if n_bytes is None:
            n_bytes = len(line.encode("utf-8", "surrogatepass"))
        if n_bytes > self.config.max_record_bytes:
            return LineResult(STATUS_QUARANTINED, reason="oversize")
        try:
            obj = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return LineResult(STATUS_QUARANTINED, reason="invalid_json")
        if not isinstance(obj, dict):
            return LineResult(STATUS_QUARANTINED, reason="not_object")
        for path, segments in self._required:
            if all(value is None for value in _resolve(obj, segments)):
                return LineResult(STATUS_QUARANTINED, reason="missing_field", reason_detail=path)
        if self.excluded:
            request_id = obj.get(FEEDBACK_KEY)
            if isinstance(request_id, str) and request_id in self.excluded:
                return LineResult(
                    STATUS_QUARANTINED, reason="negative_feedback", reason_detail=str(self.excluded[request_id])
                )
        return obj, _SURROGATE_ESCAPE.search(line) is not None

    def _walk(self, obj: dict[str, Any], redact: Redactor) -> Any:
        """``obj`` with the configured texts (every string, key and number, or the configured paths) redacted."""
        if self.config.scan_all_strings:
            return _scan_all(obj, None, redact)
        for segments in self._paths:
            _apply_path(obj, segments, redact)
        return obj

    def _sanitize(self, obj: dict[str, Any], surrogates: bool) -> LineResult:
        """The result for a parsed record that passed the checks: sanitized, or quarantined for a drop-mode entity."""
        counts: dict[str, int] = {}
        dropped: set[str] = set()
        mode_for = self._engine_config.mode_for

        def redact(text: str, field_name: str | None) -> str:
            result = self._redact(_engine_text(text, surrogates), field_name)
            for entity, n in result.counts.items():
                counts[entity] = counts.get(entity, 0) + n
            if result.drop:
                dropped.update(t for t in result.counts if mode_for(t) is Mode.DROP)
            return result.text

        try:
            record = json.dumps(self._walk(obj, redact), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except RecursionError:
            return LineResult(STATUS_QUARANTINED, reason="invalid_json", reason_detail="nesting too deep")
        except ValueError:  # a number literal beyond float range (1e400) parses as inf: not writable as JSON
            return LineResult(STATUS_QUARANTINED, reason="invalid_json", reason_detail="number out of range")
        if surrogates:  # lone surrogates left outside the scanned paths: keep them, as JSON escapes
            record = _LONE_SURROGATE.sub(_escape_surrogate, record)
        if dropped:
            return LineResult(
                STATUS_QUARANTINED, reason="drop", reason_detail=",".join(sorted(dropped)), entity_counts=counts
            )
        return LineResult(STATUS_SANITIZED, record=record, entity_counts=counts)


def _quarantine_copy(line: str | bytes) -> tuple[str, str | None]:
    """``(raw, raw_base64)`` of a quarantined line: the text itself, or for bytes that are not UTF-8 a
    backslash-escaped readable copy plus the exact bytes in base64 (lossless)."""
    if isinstance(line, str):
        return line, None
    data = bytes(line)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), base64.b64encode(data).decode("ascii")


def sanitize_batches(
    batches: Iterable[pd.DataFrame], config: SanitizeConfig, excluded: Mapping[str, int] | None = None
) -> Iterator[pd.DataFrame]:
    """``mapInPandas`` body: one output row (``COMBINED_SCHEMA``) per input row of every batch.

    The lines are sanitized ``_BATCH_LINES`` at a time by :meth:`LineSanitizer.process_many` (one engine pass over
    their texts; the same rows as :meth:`LineSanitizer.process` line by line)."""
    sanitizer = LineSanitizer(config, excluded)
    for batch in batches:
        lines = ["" if line is None else line for line in batch[RAW_COLUMN]]
        results = [
            res
            for i in range(0, len(lines), _BATCH_LINES)
            for res in sanitizer.process_many(lines[i : i + _BATCH_LINES])
        ]
        rows = []
        for line, source, res in zip(lines, batch[SOURCE_COLUMN], results, strict=True):
            raw, raw_base64 = _quarantine_copy(line) if res.status == STATUS_QUARANTINED else (None, None)
            rows.append(
                (
                    res.status,
                    res.record,
                    raw,
                    raw_base64,
                    res.reason,
                    res.reason_detail,
                    source,
                    res.entity_counts,
                )
            )
        yield pd.DataFrame.from_records(rows, columns=COMBINED_SCHEMA.fieldNames())


@dataclass(frozen=True)
class SanitizeStats:
    """Counts from one run. ``entity_counts`` covers every record the engine saw (drop-quarantined too)."""

    records_in: int
    sanitized: int
    quarantined: Mapping[str, int]
    entity_counts: Mapping[str, int]

    @property
    def quarantined_total(self) -> int:
        """All quarantined records, any reason."""
        return sum(self.quarantined.values())

    @property
    def invariant_holds(self) -> bool:
        """``records_in == sanitized + quarantined``."""
        return self.records_in == self.sanitized + self.quarantined_total


@dataclass
class SanitizeResult:
    """Output of :func:`sanitize`; the combined frame is persisted, so outputs and stats share one engine pass."""

    combined: DataFrame
    raw: DataFrame
    ingestion_date: str
    processed_at: dt.datetime

    @property
    def sanitized(self) -> DataFrame:
        """Columns ``record`` (sanitized JSON text), ``source_file``, ``ingestion_date``."""
        return self.combined.filter(F.col("status") == STATUS_SANITIZED).select(
            "record", SOURCE_COLUMN, F.lit(self.ingestion_date).alias(PARTITION_COLUMN)
        )

    @property
    def quarantine(self) -> DataFrame:
        """Columns ``raw`` (original line), ``raw_base64`` (exact bytes, ``invalid_utf8`` only), ``reason``,
        ``reason_detail``, ``source_file``, ``quarantined_at``, ``ingestion_date``."""
        return self.combined.filter(F.col("status") == STATUS_QUARANTINED).select(
            "raw",
            "raw_base64",
            "reason",
            "reason_detail",
            SOURCE_COLUMN,
            F.lit(self.processed_at).cast("timestamp").alias("quarantined_at"),
            F.lit(self.ingestion_date).alias(PARTITION_COLUMN),
        )

    def stats(self) -> SanitizeStats:
        """Aggregate counts from the persisted combined frame in one job; ``records_in`` is counted on the raw input.

        ``posexplode_outer`` yields one row per entity (or one null row for an empty map); a record is counted
        on its first row only.
        """
        rows = (
            self.combined.select("status", "reason", F.posexplode_outer("entity_counts").alias("pos", "entity", "n"))
            .groupBy("status", "reason", "entity")
            .agg(
                F.sum(F.when(F.coalesce(F.col("pos"), F.lit(0)) == 0, 1).otherwise(0)).alias("records"),
                F.sum("n").alias("n"),
            )
            .collect()
        )
        sanitized = 0
        quarantined: dict[str, int] = {}
        entities: dict[str, int] = {}
        for row in rows:
            if row["status"] == STATUS_SANITIZED:
                sanitized += row["records"]
            elif row["status"] == STATUS_QUARANTINED:
                quarantined[row["reason"]] = quarantined.get(row["reason"], 0) + row["records"]
            if row["entity"] is not None:
                entities[row["entity"]] = entities.get(row["entity"], 0) + int(row["n"])
        return SanitizeStats(
            records_in=self.raw.count(),
            sanitized=sanitized,
            quarantined=dict(sorted(quarantined.items())),
            entity_counts=dict(sorted(entities.items())),
        )

    def unpersist(self) -> None:
        """Release the cached combined frame."""
        self.combined.unpersist()


def read_raw(spark: Any, path: str | list[str]) -> DataFrame:
    """Read JSON-lines files as raw text: one row per line (blank lines included) plus the source file."""
    paths = [path] if isinstance(path, str) else path
    return (
        spark.read.option("recursiveFileLookup", "true")
        .text(paths)
        .select(F.col(RAW_COLUMN), F.col("_metadata.file_path").alias(SOURCE_COLUMN))
    )


def sanitize(
    raw: DataFrame,
    config: SanitizeConfig,
    *,
    ingestion_date: dt.date | None = None,
    processed_at: dt.datetime | None = None,
    feedback_excluded: Mapping[str, int] | None = None,
) -> SanitizeResult:
    """Sanitize ``raw`` (columns ``value`` and ``source_file``) in one Arrow-batched pass.

    The config (HMAC key included) is broadcast; each Python worker builds its engine once per config.
    ``feedback_excluded`` (request id -> net rating, see :func:`glue_jobs.feedback.load_feedback`) is broadcast
    separately (it is not part of the engine-cache key) and looked up in the same pass: no join, no second scan.
    """
    processed_at = processed_at or dt.datetime.now(dt.UTC)
    ingestion_date = ingestion_date or processed_at.date()
    context = raw.sparkSession.sparkContext
    broadcast = context.broadcast(config)
    excluded = context.broadcast(dict(feedback_excluded)) if feedback_excluded else None

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return sanitize_batches(batches, broadcast.value, excluded.value if excluded is not None else None)

    combined = (  # lines travel as bytes: Arrow -> pandas would fail the whole task on one non-UTF-8 line
        raw.select(F.col(RAW_COLUMN).cast("binary"), F.col(SOURCE_COLUMN).cast("string"))
        .mapInPandas(run, COMBINED_SCHEMA)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    return SanitizeResult(
        combined=combined, raw=raw, ingestion_date=ingestion_date.isoformat(), processed_at=processed_at
    )
