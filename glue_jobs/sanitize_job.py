"""AWS Glue entry script: raw JSON-lines in S3 -> sanitized bucket + KMS-encrypted quarantine bucket.

``awsglue`` is imported lazily inside :func:`main` (arguments, ``GlueContext``, ``Job`` init/commit);
everything else is plain PySpark/boto3 and is tested locally. The job fails (raises) before writing
anything if ``records_in != sanitized + quarantined``.

Arguments (``--NAME value``): required ``JOB_NAME``, ``raw_path``, ``sanitized_path``,
``quarantine_path``; optional keys and defaults in :data:`OPTIONAL_ARGS`.

Incremental runs: Glue job bookmarks only track DynamicFrame sources, and no DynamicFrame format yields
exact raw lines, so the job keeps its own file bookmark (:class:`FileBookmark`) and honours Glue's
``--job-bookmark-option`` for it: ``job-bookmark-enable`` processes only input files not recorded by an
earlier successful run and records them after the writes; ``job-bookmark-pause`` filters but does not
record; ``job-bookmark-disable`` (Glue's default) processes every file under ``--raw_path``.

Feedback filtering: with ``--feedback_path`` every feedback file under it is read on each run (not
bookmarked: feedback may arrive after its interaction), ratings are summed per ``request_id`` and records
whose net rating is below ``--feedback_min_rating`` are quarantined (``negative_feedback``); see
:mod:`glue_jobs.feedback`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from glue_jobs.documents import KNOWLEDGE_ARGS, KnowledgeJobArgs, build_document_metric_data, sync_knowledge
from glue_jobs.feedback import FeedbackSummary, load_feedback
from glue_jobs.metrics import DEFAULT_NAMESPACE, build_metric_data, put_metrics
from glue_jobs.transform import (
    PARTITION_COLUMN,
    SanitizeConfig,
    SanitizeResult,
    SanitizeStats,
    get_engine,
    read_raw,
    sanitize,
)
from pii_engine import ENTITY_TYPES, Mode

LOG = logging.getLogger("sanitize_job")

REQUIRED_ARGS: tuple[str, ...] = ("JOB_NAME", "raw_path", "sanitized_path", "quarantine_path")
OPTIONAL_ARGS: Mapping[str, str] = {
    "output_format": "parquet",  # parquet | jsonl
    "text_fields": "",  # comma-separated dotted paths, e.g. "messages[].content,patient.notes"
    "scan_all_strings": "false",  # true: sanitize every string value (text_fields then ignored)
    "required_fields": "",  # comma-separated dotted paths that must be present and non-null
    "max_record_bytes": "1048576",
    "entities": "",  # comma-separated subset of ENTITY_TYPES; empty = all
    "min_score": "0.5",
    "pii_profile": "recall",  # recall (training data) | balanced; see docs/pii-engine.md "Profiles"
    "default_mode": "mask",  # mask | hash | drop
    "entity_modes": "",  # e.g. "US_SSN=drop,EMAIL_ADDRESS=hash"
    "hash_key_secret_arn": "",  # Secrets Manager secret holding the HMAC key; required for hash mode
    "ingestion_date": "",  # YYYY-MM-DD partition value; empty = run date (UTC)
    "metrics_namespace": DEFAULT_NAMESPACE,
    "emit_metrics": "true",
    "state_path": "",  # file-bookmark location; empty = <quarantine_path>/_bookmarks/<JOB_NAME>/
    "feedback_path": "",  # front-door feedback records (read in full every run); empty = no feedback filtering
    "feedback_min_rating": "0",  # records whose request's net rating (sum) is below this are quarantined
    **KNOWLEDGE_ARGS,  # whole-document pass over knowledge/ (glue_jobs.documents); empty = off
}
BOOKMARK_OPTIONS = ("job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause")
OUTPUT_FORMATS = ("parquet", "jsonl")
MIN_HASH_KEY_BYTES = 16
_GLOB_CHARS = re.compile(r"([\\\[\]{}*?])")


class CountInvariantError(RuntimeError):
    """``records_in != sanitized + quarantined``: some record was lost or duplicated."""


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"--{name} must be true or false, got {value!r}")
    return lowered == "true"


@dataclass(frozen=True)
class JobConfig:
    """Validated job arguments. Holds the secret's ARN, never the HMAC key itself."""

    job_name: str
    raw_path: str
    sanitized_path: str
    quarantine_path: str
    output_format: str
    ingestion_date: dt.date | None
    hash_key_secret_arn: str | None
    metrics_namespace: str
    emit_metrics: bool
    sanitize_options: Mapping[str, Any]
    bookmark_option: str = "job-bookmark-disable"
    state_path: str = ""
    feedback_path: str = ""
    feedback_min_rating: int = 0

    @property
    def needs_hash_key(self) -> bool:
        """True when any entity is redacted in ``hash`` mode."""
        modes = {self.sanitize_options["default_mode"], *dict(self.sanitize_options["entity_modes"]).values()}
        return Mode.HASH.value in modes

    def sanitize_config(self, hash_key: bytes | None) -> SanitizeConfig:
        """The transform configuration, with the HMAC key loaded at run time."""
        return SanitizeConfig(**self.sanitize_options, hash_key=hash_key)


def present_optional_args(argv: Sequence[str]) -> list[str]:
    """Optional argument names present in ``argv`` (``getResolvedOptions`` fails on absent ones)."""
    return [name for name in OPTIONAL_ARGS if any(a == f"--{name}" or a.startswith(f"--{name}=") for a in argv)]


def bookmark_option(argv: Sequence[str]) -> str:
    """Glue's ``--job-bookmark-option`` from ``argv`` (``job-bookmark-disable`` when absent)."""
    value = "job-bookmark-disable"
    for i, arg in enumerate(argv):
        if arg == "--job-bookmark-option" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--job-bookmark-option="):
            value = arg.split("=", 1)[1]
    if value not in BOOKMARK_OPTIONS:
        raise ValueError(f"--job-bookmark-option must be one of {BOOKMARK_OPTIONS}, got {value!r}")
    return value


def parse_job_args(resolved: Mapping[str, str], bookmark: str = "job-bookmark-disable") -> JobConfig:
    """Validate resolved ``--NAME`` arguments into a :class:`JobConfig`; raises ``ValueError``."""
    if bookmark not in BOOKMARK_OPTIONS:
        raise ValueError(f"--job-bookmark-option must be one of {BOOKMARK_OPTIONS}, got {bookmark!r}")
    missing = [name for name in REQUIRED_ARGS if not resolved.get(name)]
    if missing:
        raise ValueError(f"missing required job argument(s): {', '.join('--' + m for m in missing)}")
    args = {**OPTIONAL_ARGS, **{k: v for k, v in resolved.items() if k in OPTIONAL_ARGS}}
    try:
        feedback_min_rating = int(args["feedback_min_rating"].strip())
    except ValueError:
        raise ValueError(f"--feedback_min_rating must be an integer, got {args['feedback_min_rating']!r}") from None
    output_format = args["output_format"].strip().lower()
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"--output_format must be one of {OUTPUT_FORMATS}, got {output_format!r}")
    entity_modes = []
    for pair in _csv(args["entity_modes"]):
        name, sep, mode = pair.partition("=")
        if not sep:
            raise ValueError(f"--entity_modes items must be ENTITY=mode, got {pair!r}")
        entity_modes.append((name.strip(), mode.strip().lower()))
    options: dict[str, Any] = {
        "text_fields": _csv(args["text_fields"]),
        "scan_all_strings": _bool("scan_all_strings", args["scan_all_strings"]),
        "required_fields": _csv(args["required_fields"]),
        "max_record_bytes": int(args["max_record_bytes"]),
        "entities": frozenset(_csv(args["entities"]) or ENTITY_TYPES),
        "min_score": float(args["min_score"]),
        "pii_profile": args["pii_profile"].strip().lower(),
        "default_mode": args["default_mode"].strip().lower(),
        "entity_modes": tuple(entity_modes),
    }
    config = JobConfig(
        job_name=resolved["JOB_NAME"],
        raw_path=resolved["raw_path"],
        sanitized_path=resolved["sanitized_path"],
        quarantine_path=resolved["quarantine_path"],
        output_format=output_format,
        ingestion_date=dt.date.fromisoformat(args["ingestion_date"]) if args["ingestion_date"].strip() else None,
        hash_key_secret_arn=args["hash_key_secret_arn"].strip() or None,
        metrics_namespace=args["metrics_namespace"],
        emit_metrics=_bool("emit_metrics", args["emit_metrics"]),
        sanitize_options=options,
        bookmark_option=bookmark,
        state_path=args["state_path"].strip()
        or f"{resolved['quarantine_path'].rstrip('/')}/_bookmarks/{resolved['JOB_NAME']}/",
        feedback_path=args["feedback_path"].strip(),
        feedback_min_rating=feedback_min_rating,
    )
    if config.needs_hash_key and not config.hash_key_secret_arn:
        raise ValueError("hash mode is configured but --hash_key_secret_arn is not set")
    config.sanitize_config(b"\0" * MIN_HASH_KEY_BYTES if config.needs_hash_key else None)  # validate now
    return config


def load_hash_key(secretsmanager: Any, secret_arn: str) -> bytes:
    """Fetch the HMAC key (``SecretBinary``, else UTF-8 of ``SecretString``); the value is never logged."""
    response = secretsmanager.get_secret_value(SecretId=secret_arn)
    key = response.get("SecretBinary") or response.get("SecretString", "").encode("utf-8")
    if len(key) < MIN_HASH_KEY_BYTES:
        raise ValueError(f"HMAC key in {secret_arn} is shorter than {MIN_HASH_KEY_BYTES} bytes")
    return key


@dataclass(frozen=True)
class FileBookmark:
    """Append-only record of processed input files: text files of file URIs under ``path``.

    A file is identified by its URI (raw uploads get unique keys); each successful run adds one part file.
    """

    path: str

    def processed(self, spark: Any) -> set[str]:
        """URIs recorded by earlier runs (empty before the first recorded run)."""
        from pyspark.errors import AnalysisException

        try:
            return {row.value for row in spark.read.text(self.path).collect()}
        except AnalysisException as exc:
            if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
                return set()
            raise

    def record(self, spark: Any, files: Sequence[str]) -> None:
        """Append ``files`` as one part file."""
        rows = [(f,) for f in files]
        spark.createDataFrame(rows, "value string").coalesce(1).write.mode("append").text(self.path)


def read_path(uri: str) -> str:
    """A file URI from ``DataFrame.inputFiles()`` (percent-encoded) as a path Spark reads literally (glob-escaped)."""
    return _GLOB_CHARS.sub(r"\\\1", urllib.parse.unquote(uri))


def list_input_files(spark: Any, raw_path: str) -> list[str]:
    """Every data file under ``raw_path`` (recursive; names starting with ``_`` or ``.`` skipped), as URIs."""
    return sorted(spark.read.option("recursiveFileLookup", "true").text(raw_path).inputFiles())


def select_input_files(spark: Any, config: JobConfig) -> list[str]:
    """Input files of this run: all of them, or with bookmarks on/paused the ones not yet recorded."""
    files = list_input_files(spark, config.raw_path)
    if config.bookmark_option == "job-bookmark-disable":
        return files
    done = FileBookmark(config.state_path).processed(spark)
    return [f for f in files if f not in done]


@dataclass(frozen=True)
class WritePlan:
    """Where and how the two outputs are written (both append, partitioned by ingestion date)."""

    sanitized_path: str
    sanitized_format: str
    quarantine_path: str
    quarantine_format: str = "json"
    partition_by: tuple[str, ...] = (PARTITION_COLUMN,)


def plan_writes(config: JobConfig) -> WritePlan:
    """Output locations/formats; quarantine is always JSON lines (raw line + reason + source + timestamp)."""
    return WritePlan(
        sanitized_path=config.sanitized_path,
        sanitized_format="text" if config.output_format == "jsonl" else "parquet",
        quarantine_path=config.quarantine_path,
    )


def write_outputs(result: SanitizeResult, plan: WritePlan) -> None:
    """Write sanitized records (``jsonl``: one JSON record per line) and quarantine rows."""
    sanitized = result.sanitized
    if plan.sanitized_format == "text":
        sanitized = sanitized.select("record", *plan.partition_by)
    sanitized.write.mode("append").partitionBy(*plan.partition_by).format(plan.sanitized_format).save(
        plan.sanitized_path
    )
    result.quarantine.write.mode("append").partitionBy(*plan.partition_by).format(plan.quarantine_format).save(
        plan.quarantine_path
    )


def read_feedback(spark: Any, config: JobConfig) -> FeedbackSummary:
    """Feedback exclusions for this run (empty without ``--feedback_path``); malformed feedback is only logged."""
    if not config.feedback_path:
        return FeedbackSummary()
    summary = load_feedback(spark, config.feedback_path, config.feedback_min_rating)
    LOG.info(
        "feedback: files=%d records=%d rated_requests=%d excluded_requests=%d (net rating < %d)",
        summary.files,
        summary.records,
        summary.rated_requests,
        len(summary.excluded),
        config.feedback_min_rating,
    )
    if summary.malformed:
        LOG.warning("feedback: %d malformed feedback file(s)/line(s) skipped", summary.malformed)
    return summary


def run(spark: Any, config: JobConfig, hash_key: bytes | None, cloudwatch: Any | None = None) -> SanitizeStats:
    """Select input files, sanitize, check the count invariant, emit metrics, write, record the bookmark.

    Raises :class:`CountInvariantError` (after emitting metrics, before writing) if the identity breaks.
    """
    files = select_input_files(spark, config)
    LOG.info("input files: %d (%s)", len(files), config.bookmark_option)
    raw = (
        read_raw(spark, [read_path(f) for f in files])
        if files
        else spark.createDataFrame([], "value string, source_file string")
    )
    feedback = read_feedback(spark, config) if files else FeedbackSummary()
    result = sanitize(
        raw,
        config.sanitize_config(hash_key),
        ingestion_date=config.ingestion_date,
        feedback_excluded=feedback.excluded,
    )
    try:
        stats = result.stats()
        LOG.info(
            "records_in=%d sanitized=%d quarantined=%s entities=%s",
            stats.records_in,
            stats.sanitized,
            dict(stats.quarantined),
            dict(stats.entity_counts),
        )
        if config.emit_metrics and cloudwatch is not None:
            data = build_metric_data(
                config.job_name,
                stats.records_in,
                stats.sanitized,
                stats.quarantined,
                stats.entity_counts,
                stats.invariant_holds,
            )
            put_metrics(cloudwatch, config.metrics_namespace, data)
        if not stats.invariant_holds:
            raise CountInvariantError(
                f"records_in={stats.records_in} != sanitized={stats.sanitized} + quarantined={stats.quarantined_total}"
            )
        write_outputs(result, plan_writes(config))
        if config.bookmark_option == "job-bookmark-enable" and files:
            FileBookmark(config.state_path).record(spark, files)
        return stats
    finally:
        result.unpersist()


def run_knowledge(
    resolved: Mapping[str, str], config: JobConfig, hash_key: bytes | None, s3: Any, cloudwatch: Any | None = None
) -> None:
    """The knowledge-document pass (``--knowledge_*`` arguments; no-op without them): :mod:`glue_jobs.documents`."""
    knowledge = KnowledgeJobArgs.from_resolved(resolved)
    if knowledge is None:
        return
    stats = sync_knowledge(
        s3,
        get_engine(config.sanitize_config(hash_key)),
        raw_url=knowledge.raw_url,
        sanitized_url=knowledge.sanitized_url,
        quarantine_url=knowledge.quarantine_url,
        max_bytes=knowledge.max_bytes,
    )
    LOG.info("knowledge: %s", stats)
    if config.emit_metrics and cloudwatch is not None:
        put_metrics(cloudwatch, config.metrics_namespace, build_document_metric_data(config.job_name, stats))


def main(argv: Sequence[str] | None = None) -> int:
    """Glue entry point."""
    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    argv = list(sys.argv if argv is None else argv)
    resolved = getResolvedOptions(argv, [*REQUIRED_ARGS, *present_optional_args(argv)])
    config = parse_job_args(resolved, bookmark_option(argv))
    LOG.info("config: %s", config)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(config.job_name, resolved)
    hash_key = None
    if config.needs_hash_key:
        if not config.hash_key_secret_arn:  # parse_job_args already rejects this; the check narrows the type
            raise ValueError("hash mode is configured but --hash_key_secret_arn is not set")
        hash_key = load_hash_key(boto3.client("secretsmanager"), config.hash_key_secret_arn)
    cloudwatch = boto3.client("cloudwatch")
    run(glue_context.spark_session, config, hash_key, cloudwatch)
    run_knowledge(resolved, config, hash_key, boto3.client("s3"), cloudwatch)
    job.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
