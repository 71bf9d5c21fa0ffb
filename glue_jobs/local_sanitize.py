"""Run the sanitization job on a local folder, without AWS: raw JSON-lines in, sanitized + quarantine out.

The same code path as Glue: the arguments become the job's :class:`~glue_jobs.sanitize_job.JobConfig` through
:func:`~glue_jobs.sanitize_job.parse_job_args`, and :func:`~glue_jobs.sanitize_job.run` (file selection, file
bookmark, the PySpark transform, the count-invariant check, the partitioned writes) runs on a ``local[2]``
SparkSession instead of a Glue one. Only CloudWatch metrics are left out. Needs PySpark and a Java 17 runtime
(``make deps-test``, or ``pip install -e '.[spark]'`` plus a JRE).

Usage::

    python -m glue_jobs.local_sanitize --raw DIR --out DIR [--text-fields a,b | --scan-all] [--mode mask|hash|drop]

writes ``DIR/sanitized/ingestion_date=YYYY-MM-DD/part-*`` and ``DIR/quarantine/ingestion_date=YYYY-MM-DD/part-*.json``
(the layout the job writes under its S3 prefixes) and prints records in, sanitized, and quarantined by reason.
Like the job with ``--job-bookmark-option job-bookmark-enable``, it records the files it processed (default
``DIR/quarantine/_bookmarks/local-sanitize/``), so a second run over the same folder processes only new files
(``--all-files`` processes everything again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glue_jobs.sanitize_job import (
    MIN_HASH_KEY_BYTES,
    FileBookmark,
    list_input_files,
    parse_job_args,
    run,
)

JOB_NAME = "local-sanitize"
HASH_KEY_ENV = "SANITIZE_HASH_KEY"
REPO_ROOT = Path(__file__).resolve().parents[1]

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"[local-sanitize] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Summary:
    """Counts of one local run (``files``: input files processed; 0 when the bookmark had them all)."""

    files: int
    records_in: int
    sanitized: int
    quarantined: Mapping[str, int]
    entity_counts: Mapping[str, int]
    sanitized_dir: Path
    quarantine_dir: Path
    seconds: float = field(default=0.0, compare=False)

    @property
    def quarantined_total(self) -> int:
        """All quarantined records, any reason."""
        return sum(self.quarantined.values())

    def render(self) -> str:
        """The human-readable summary the command prints."""
        lines = [
            f"input files:  {self.files}",
            f"records in:   {self.records_in}",
            f"sanitized:    {self.sanitized}",
            f"quarantined:  {self.quarantined_total}",
            *(f"  {reason:<22} {n}" for reason, n in sorted(self.quarantined.items())),
            f"entities redacted: {sum(self.entity_counts.values())}",
            *(f"  {entity:<22} {n}" for entity, n in sorted(self.entity_counts.items())),
            f"sanitized ->  {self.sanitized_dir}",
            f"quarantine -> {self.quarantine_dir}",
            f"took {self.seconds:.1f} s",
        ]
        return "\n".join(lines)


def _require_spark() -> None:
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError:
        raise RuntimeError(
            "the local sanitization run needs PySpark: `make deps-test` or `pip install -e '.[spark]'`"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise RuntimeError("the local sanitization run needs a Java 17 runtime (e.g. openjdk-17-jre-headless)")


@contextmanager
def local_spark() -> Iterator[Any]:
    """A ``local[2]`` SparkSession whose Python workers run this interpreter and import this checkout."""
    _require_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(REPO_ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), *paths]))
    from pyspark.sql import SparkSession

    with tempfile.TemporaryDirectory(prefix="local-sanitize-") as scratch:
        session = (
            SparkSession.builder.master("local[2]")
            .appName(JOB_NAME)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")  # our own progress lines instead
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.warehouse.dir", str(Path(scratch) / "warehouse"))
            .config("spark.local.dir", scratch)
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


def _hash_key(hash_key: bytes | None, needed: bool) -> bytes | None:
    if not needed:
        return None
    key = hash_key if hash_key is not None else os.environ.get(HASH_KEY_ENV, "").encode("utf-8")
    if len(key) < MIN_HASH_KEY_BYTES:
        raise ValueError(
            f"hash mode needs an HMAC key of at least {MIN_HASH_KEY_BYTES} bytes: set {HASH_KEY_ENV} or --hash-key-file"
        )
    return key


def run_local(
    raw_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    text_fields: Sequence[str] = (),
    scan_all: bool | None = None,
    mode: str = "mask",
    entity_modes: Mapping[str, str] | None = None,
    required_fields: Sequence[str] = (),
    output_format: str = "jsonl",
    max_record_bytes: int = 1_048_576,
    hash_key: bytes | None = None,
    ingestion_date: dt.date | None = None,
    feedback_dir: str | os.PathLike[str] | None = None,
    sanitized_dir: str | os.PathLike[str] | None = None,
    quarantine_dir: str | os.PathLike[str] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    bookmark: bool = True,
    spark: Any | None = None,
    progress: Progress | None = _stderr,
) -> Summary:
    """Sanitize the new files under ``raw_dir`` with the Glue job's code; returns the run's counts.

    ``scan_all`` defaults to true when no ``text_fields`` are given (the deployed default). Outputs default to
    ``out_dir/sanitized`` and ``out_dir/quarantine`` (override each, e.g. to mirror the lake's bucket prefixes);
    the file bookmark to ``<quarantine>/_bookmarks/local-sanitize/``. ``bookmark=False`` processes every file
    and records nothing. Hash mode takes ``hash_key`` or the ``SANITIZE_HASH_KEY`` environment variable.
    ``spark``: an existing session (tests); otherwise a ``local[2]`` one is started and stopped.
    Raises ``ValueError`` for bad arguments and :class:`~glue_jobs.sanitize_job.CountInvariantError` like the job.
    """
    say = progress or (lambda _message: None)
    started = time.monotonic()
    raw = Path(raw_dir).resolve()
    if not raw.is_dir():
        raise ValueError(f"raw folder {raw} does not exist")
    out = Path(out_dir).resolve()
    sanitized = Path(sanitized_dir).resolve() if sanitized_dir else out / "sanitized"
    quarantine = Path(quarantine_dir).resolve() if quarantine_dir else out / "quarantine"
    args = {
        "JOB_NAME": JOB_NAME,
        "raw_path": str(raw),
        "sanitized_path": str(sanitized),
        "quarantine_path": str(quarantine),
        "output_format": output_format,
        "text_fields": ",".join(text_fields),
        "scan_all_strings": str(not text_fields if scan_all is None else scan_all).lower(),
        "required_fields": ",".join(required_fields),
        "max_record_bytes": str(max_record_bytes),
        "default_mode": mode,
        "entity_modes": ",".join(f"{entity}={m}" for entity, m in (entity_modes or {}).items()),
        "hash_key_secret_arn": "local",  # the key comes from the caller, not Secrets Manager
        "ingestion_date": ingestion_date.isoformat() if ingestion_date else "",
        "emit_metrics": "false",
        "state_path": str(Path(state_dir).resolve()) if state_dir else "",
        "feedback_path": str(Path(feedback_dir).resolve()) if feedback_dir else "",
    }
    config = parse_job_args(args, "job-bookmark-enable" if bookmark else "job-bookmark-disable")
    key = _hash_key(hash_key, config.needs_hash_key)

    def go(session: Any) -> Summary:
        files = list_input_files(session, str(raw)) if any(p.is_file() for p in raw.rglob("*")) else []
        done = FileBookmark(config.state_path).processed(session) if bookmark else set()
        new = [f for f in files if f not in done]
        say(f"{len(new)} new input file(s) under {raw} ({len(files) - len(new)} already processed)")
        if new:
            say("sanitizing ...")
        stats = run(session, config, key)
        return Summary(
            files=len(new),
            records_in=stats.records_in,
            sanitized=stats.sanitized,
            quarantined=dict(stats.quarantined),
            entity_counts=dict(stats.entity_counts),
            sanitized_dir=sanitized,
            quarantine_dir=quarantine,
            seconds=time.monotonic() - started,
        )

    if spark is not None:
        return go(spark)
    say("starting Spark (local[2]) ...")
    with local_spark() as session:
        return go(session)


def _parse_entity_modes(value: str) -> dict[str, str]:
    modes = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        name, sep, mode = pair.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected ENTITY=mode, got {pair!r}")
        modes[name.strip()] = mode.strip()
    return modes


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of ``python -m glue_jobs.local_sanitize``."""
    parser = argparse.ArgumentParser(
        prog="python -m glue_jobs.local_sanitize",
        description="Run the Glue sanitization job's code on a local folder (no AWS).",
    )
    parser.add_argument("--raw", required=True, help="folder of raw JSON-lines files (read recursively)")
    parser.add_argument("--out", required=True, help="writes OUT/sanitized/ and OUT/quarantine/")
    fields = parser.add_mutually_exclusive_group()
    fields.add_argument("--text-fields", default="", help="comma-separated paths, e.g. messages[].content,notes")
    fields.add_argument("--scan-all", action="store_true", help="sanitize every string, key and number (default)")
    parser.add_argument("--mode", choices=("mask", "hash", "drop"), default="mask", help="default redaction mode")
    parser.add_argument(
        "--entity-modes", type=_parse_entity_modes, default={}, help="e.g. US_SSN=drop,EMAIL_ADDRESS=hash"
    )
    parser.add_argument("--required-fields", default="", help="comma-separated paths that must be present")
    parser.add_argument("--output-format", choices=("jsonl", "parquet"), default="jsonl")
    parser.add_argument("--max-record-bytes", type=int, default=1_048_576)
    parser.add_argument(
        "--hash-key-file", type=Path, help=f"HMAC key for hash mode, trailing newline ignored (else ${HASH_KEY_ENV})"
    )
    parser.add_argument("--ingestion-date", type=dt.date.fromisoformat, help="partition value (default: today, UTC)")
    parser.add_argument("--feedback", help="folder of feedback records: exclude net-negative interactions")
    parser.add_argument("--all-files", action="store_true", help="ignore and do not update the file bookmark")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: prints the summary on stdout, progress on stderr; exit status 2 on bad arguments."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[local-sanitize] %(message)s", stream=sys.stderr)
    logging.getLogger("sanitize_job").setLevel(logging.INFO)  # the job's own progress lines
    text_fields = [f.strip() for f in args.text_fields.split(",") if f.strip()]
    try:
        summary = run_local(
            args.raw,
            args.out,
            text_fields=text_fields,
            scan_all=True if args.scan_all or not text_fields else None,
            mode=args.mode,
            entity_modes=args.entity_modes,
            required_fields=[f.strip() for f in args.required_fields.split(",") if f.strip()],
            output_format=args.output_format,
            max_record_bytes=args.max_record_bytes,
            hash_key=args.hash_key_file.read_bytes().rstrip(b"\r\n") if args.hash_key_file else None,
            ingestion_date=args.ingestion_date,
            feedback_dir=args.feedback,
            bookmark=not args.all_files,
        )
    except ValueError as exc:
        print(f"local-sanitize: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # no Spark/Java, or the count invariant broke (nothing was written)
        print(f"local-sanitize: error: {exc}", file=sys.stderr)
        return 1
    print(summary.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
