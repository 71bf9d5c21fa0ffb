"""Stages of the local lifecycle. Each stage skips itself when its outputs exist (``force`` redoes it)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "training" / "sample_data"
#: Sample knowledge documents (with planted PII) the raw ``knowledge/`` folder is seeded from on the first run.
KNOWLEDGE_SAMPLE = ROOT / "sample_data" / "knowledge"
SPLITS = ("train", "validation", "test")
#: Folder names standing in for the lake's buckets: ``.local/lake/<bucket>/<same prefixes as S3>``.
RAW, SANITIZED, QUARANTINE, INTERACTIONS, ARTIFACTS = "raw", "sanitized", "quarantine", "interactions", "artifacts"
#: The sample dataset's name under each bucket's S3 prefix (``pipeline_contract.Layout``).
DATASET = "support"

#: Synthetic identities put back into the sample's placeholders, so sanitization has real-looking PII to find.
FAKES: dict[str, tuple[str, ...]] = {
    "PERSON": ("Maria Garcia", "James Miller", "Aiko Tanaka", "Olivia Brown", "Ahmed Khan", "Lucas Martin"),
    "EMAIL_ADDRESS": (
        "maria.garcia@example.com",
        "j.miller@example.org",
        "aiko.t@example.net",
        "olivia.brown@example.com",
    ),
    "PHONE_NUMBER": ("+1 415 555 0134", "(212) 555-0199", "+44 20 7946 0958", "415-555-0172"),
    "STREET_ADDRESS": (
        "1600 Amphitheatre Parkway, Mountain View",
        "221B Baker Street, London",
        "350 Fifth Avenue, New York",
    ),
    "DATE_TIME": ("March 3, 2024", "2024-11-05", "12/09/2023", "June 21st 2024"),
    "MEDICAL_RECORD_NUMBER": ("MRN 4839201", "MRN: 0012345678", "MRN 7720019"),
}
PLACEHOLDER = re.compile(r"<([A-Z_]+)>")


@dataclass
class Paths:
    """Everything ``make local`` writes lives under ``home`` (default ``.local/``)."""

    home: Path

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    def bucket(self, name: str) -> Path:
        return self.lake / name

    @property
    def raw_dir(self) -> Path:
        from pipeline_contract import Layout

        return self.bucket(RAW) / Layout.RAW / DATASET

    @property
    def sanitized_dir(self) -> Path:
        from pipeline_contract import Layout

        return self.bucket(SANITIZED) / Layout.SANITIZED / DATASET

    @property
    def quarantine_dir(self) -> Path:
        from pipeline_contract import Layout

        return self.bucket(QUARANTINE) / Layout.QUARANTINE / DATASET

    @property
    def knowledge_raw_dir(self) -> Path:
        """Raw knowledge documents (``s3://<raw>/knowledge/``): add your own here."""
        from glue_jobs.documents import KNOWLEDGE_PREFIX

        return self.bucket(RAW) / KNOWLEDGE_PREFIX

    @property
    def knowledge_sanitized_dir(self) -> Path:
        """Sanitized knowledge documents + ``.metadata.json`` sidecars (what a Bedrock knowledge base indexes)."""
        from glue_jobs.documents import KNOWLEDGE_PREFIX

        return self.bucket(SANITIZED) / KNOWLEDGE_PREFIX

    @property
    def knowledge_quarantine_dir(self) -> Path:
        from glue_jobs.documents import KNOWLEDGE_PREFIX

        return self.bucket(QUARANTINE) / KNOWLEDGE_PREFIX

    @property
    def rag_index(self) -> Path:
        """The local BM25 index (``python -m retrieval`` format) the chat app serves."""
        return self.home / "rag-index"

    @property
    def train_dir(self) -> Path:
        return self.home / "train"

    @property
    def model_dir(self) -> Path:
        return self.train_dir / "model"

    @property
    def evaluation(self) -> Path:
        return self.train_dir / "evaluation" / "evaluation.json"

    @property
    def registry(self) -> Path:
        return self.home / "registry" / "model.json"

    @property
    def conversations(self) -> Path:
        return self.home / "conversations.sqlite3"


@dataclass
class StageResult:
    """What a stage did, for the progress lines and the summary."""

    name: str
    skipped: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def make_raw(paths: Paths, force: bool = False) -> StageResult:
    """Raw sample data: the training sample with its placeholders filled by synthetic identities (seeded)."""
    if not force and all((paths.raw_dir / f"{s}.jsonl").exists() for s in SPLITS):
        n = sum(_lines(paths.raw_dir / f"{s}.jsonl") for s in SPLITS)
        return StageResult("raw", True, f"{n} raw records already in {paths.raw_dir}", {"records": n})
    rng = random.Random(7)
    paths.raw_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for split in SPLITS:
        out = []
        for line in (SAMPLE / split / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(PLACEHOLDER.sub(lambda m: rng.choice(FAKES.get(m.group(1), (m.group(0),))), line))
        (paths.raw_dir / f"{split}.jsonl").write_text("\n".join(out) + "\n", encoding="utf-8")
        total += len(out)
    return StageResult("raw", False, f"{total} raw records with synthetic PII -> {paths.raw_dir}", {"records": total})


def sanitize(paths: Paths, force: bool = False) -> StageResult:
    """The Glue job's per-line sanitizer (:class:`glue_jobs.transform.LineSanitizer`) over the raw files."""
    outputs = [paths.sanitized_dir / s / "part-00000.jsonl" for s in SPLITS]
    if not force and all(p.exists() for p in outputs):
        n = sum(_lines(p) for p in outputs)
        return StageResult(
            "sanitize", True, f"{n} sanitized records already in {paths.sanitized_dir}", {"sanitized": n}
        )
    from glue_jobs.transform import STATUS_SANITIZED, LineSanitizer, SanitizeConfig

    sanitizer = LineSanitizer(SanitizeConfig(scan_all_strings=True))
    records_in = sanitized = 0
    reasons: Counter[str] = Counter()
    entities: Counter[str] = Counter()
    for split in SPLITS:
        good: list[str] = []
        bad: list[str] = []
        lines = [
            line for line in (paths.raw_dir / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        records_in += len(lines)
        for result in sanitizer.process_many(lines):  # the Glue job's batched path (one engine pass per batch)
            entities.update(result.entity_counts or {})
            if result.status == STATUS_SANITIZED and result.record is not None:
                good.append(result.record)
            else:
                reasons[str(result.reason)] += 1
                bad.append(json.dumps({"reason": result.reason, "reason_detail": result.reason_detail}))
        _write(paths.sanitized_dir / split / "part-00000.jsonl", good)
        _write(paths.quarantine_dir / split / "part-00000.jsonl", bad)
        sanitized += len(good)
    quarantined = sum(reasons.values())
    assert records_in == sanitized + quarantined, "count invariant"
    top = ", ".join(f"{k} {v}" for k, v in entities.most_common(4))
    detail = (
        f"{records_in} in = {sanitized} sanitized + {quarantined} quarantined; "
        f"{sum(entities.values())} entities redacted ({top})"
    )
    return StageResult(
        "sanitize",
        False,
        detail,
        {"records_in": records_in, "sanitized": sanitized, "quarantined": dict(reasons), "entities": dict(entities)},
    )


def knowledge(paths: Paths, force: bool = False, sample: Path = KNOWLEDGE_SAMPLE) -> StageResult:
    """Knowledge documents: raw ``knowledge/`` (seeded from ``sample`` when the folder does not exist) -> the Glue
    job's own sync (:func:`glue_jobs.documents.sync_knowledge`: whole-document redaction, sidecars, quarantine,
    removal of deleted documents; only changed documents are redone) -> the local BM25 index over the sanitized
    folder only. Skipped when nothing changed and the index exists."""
    import shutil

    from glue_jobs.documents import KNOWLEDGE_PREFIX, sync_knowledge
    from local_runtime.folder_s3 import FolderS3
    from retrieval.local import LocalBm25Retriever, default_engine

    seeded = 0
    if not paths.knowledge_raw_dir.exists() and sample.is_dir():
        shutil.copytree(sample, paths.knowledge_raw_dir)
        seeded = sum(1 for p in paths.knowledge_raw_dir.rglob("*") if p.is_file())
    paths.knowledge_raw_dir.mkdir(parents=True, exist_ok=True)
    if force and paths.knowledge_sanitized_dir.exists():
        shutil.rmtree(paths.knowledge_sanitized_dir)
    stats = sync_knowledge(
        FolderS3(paths.lake),
        default_engine(),
        raw_url=f"s3://{RAW}/{KNOWLEDGE_PREFIX}",
        sanitized_url=f"s3://{SANITIZED}/{KNOWLEDGE_PREFIX}",
        quarantine_url=f"s3://{QUARANTINE}/{KNOWLEDGE_PREFIX}",
    )
    quarantined = sum(stats.quarantined.values())
    manifest = paths.rag_index / "manifest.json"
    if not force and not stats.sanitized and not stats.removed and manifest.exists():
        report = json.loads(manifest.read_text(encoding="utf-8")).get("report", {})
        detail = (
            f"{report.get('documents', '?')} documents indexed ({report.get('chunks', '?')} chunks), "
            f"unchanged; {quarantined} quarantined -> {paths.rag_index}"
        )
        return StageResult("knowledge", True, detail, {**report, "quarantined": quarantined})
    paths.knowledge_sanitized_dir.mkdir(parents=True, exist_ok=True)
    retriever, report = LocalBm25Retriever.from_sanitized(paths.knowledge_sanitized_dir)
    retriever.save(paths.rag_index, report)
    detail = (
        f"{report.documents} documents indexed ({report.chunks} chunks; {stats.sanitized} sanitized now"
        + (
            f", {seeded} seeded from {sample.relative_to(ROOT) if sample.is_relative_to(ROOT) else sample}"
            if seeded
            else ""
        )
        + f", {stats.removed} removed), {report.entities_redacted} PII entities redacted, {quarantined} "
        f"quarantined{f' {dict(stats.quarantined)}' if quarantined else ''} -> {paths.rag_index}"
    )
    return StageResult(
        "knowledge",
        False,
        detail,
        {
            "documents": report.documents,
            "chunks": report.chunks,
            "entities_redacted": report.entities_redacted,
            "quarantined": quarantined,
            "sanitized": stats.sanitized,
        },
    )


def train(paths: Paths, data_dir: Path | None = None, force: bool = False, extra: tuple[str, ...] = ()) -> StageResult:
    """``training/local_run.sh`` on the sanitized data (tiny random Llama on CPU, then evaluate.py)."""
    if not force and paths.evaluation.exists() and (paths.model_dir / "config.json").exists():
        return StageResult("train", True, f"model already in {paths.model_dir}")
    env = {
        **os.environ,
        "LOCAL_TRAIN_DIR": str(paths.train_dir),
        "LOCAL_TRAIN_DATA": str(data_dir or paths.sanitized_dir),
        "PYTHON": sys.executable,
    }
    log = paths.home / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        proc = subprocess.run(
            ["bash", str(ROOT / "training" / "local_run.sh"), *extra],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"training failed (exit {proc.returncode}); see {log}")
    return StageResult("train", False, f"trained + evaluated -> {paths.model_dir} (log {log})")


def gate(paths: Paths, threshold: float, metric: str | None = None) -> StageResult:
    """The Step Functions quality gate: the evaluation metric against the threshold in its natural direction;
    writes a local registry entry (Approved / Rejected) the way the pipeline registers a model package."""
    from pipeline_stacks import training_metrics

    metric = metric or training_metrics.QUALITY_GATE_METRIC
    higher = {"rougeL": True, "perplexity": False, "eval_loss": False}[metric]
    report = json.loads(paths.evaluation.read_text(encoding="utf-8"))
    value = report.get("metrics", {}).get(metric)
    passed = value is not None and (value >= threshold if higher else value <= threshold)
    op = ">=" if higher else "<="
    status = "Approved" if passed else "Rejected"
    paths.registry.parent.mkdir(parents=True, exist_ok=True)
    paths.registry.write_text(
        json.dumps(
            {
                "model_dir": str(paths.model_dir),
                "metric": metric,
                "value": value,
                "threshold": threshold,
                "rule": f"{metric} {op} {threshold}",
                "approval_status": status,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    shown = "missing" if value is None else f"{value:.4f}"
    return StageResult(
        "gate",
        False,
        f"{metric}={shown} {op if passed else 'fails'} {threshold} -> {status}",
        {"passed": passed, "metric": metric, "value": value, "threshold": threshold},
    )


def interactions_to_training(paths: Paths, min_rating: int = 0) -> StageResult:
    """Continuous learning over the local lake: feedback-filtered, re-sanitized interactions become training pairs.

    The same pure-Python pieces as the Glue job: :mod:`glue_jobs.feedback` (net rating per completion, exclusion
    below ``min_rating``) and :class:`glue_jobs.transform.LineSanitizer` (quarantines ``negative_feedback``).
    """
    from glue_jobs.feedback import aggregate_ratings, excluded_requests, parse_feedback_text
    from glue_jobs.transform import STATUS_SANITIZED, LineSanitizer, SanitizeConfig

    root = paths.bucket(INTERACTIONS)
    pairs: list[tuple[str, int]] = []
    malformed = 0
    for f in sorted((root / "feedback").rglob("*.json")):
        parsed, bad = parse_feedback_text(f.read_text(encoding="utf-8"))
        pairs.extend(parsed)
        malformed += bad
    excluded = excluded_requests(aggregate_ratings(pairs), min_rating)
    sanitizer = LineSanitizer(SanitizeConfig(scan_all_strings=True), excluded=excluded)
    reasons: Counter[str] = Counter()
    rows: list[str] = []
    files = sorted((root / "interactions").rglob("*.json"))
    for f in files:
        result = sanitizer.process(f.read_text(encoding="utf-8"))
        if result.status != STATUS_SANITIZED or result.record is None:
            reasons[str(result.reason)] += 1
            continue
        record = json.loads(result.record)
        if record.get("status") != "completed" or not record.get("prompt") or not record.get("output"):
            reasons["incomplete"] += 1
            continue
        rows.append(json.dumps({"prompt": record["prompt"], "response": record["output"]}, ensure_ascii=False))
    out = paths.home / "retrain-data"
    for split in SPLITS:
        base = (paths.sanitized_dir / split / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()
        extra = rows if split == "train" else []
        _write(out / split / "part-00000.jsonl", [line for line in base if line.strip()] + extra)
    detail = (
        f"{len(files)} interactions, {len(pairs)} feedback ({malformed} malformed): {len(rows)} added to "
        f"training, {sum(reasons.values())} left out {dict(reasons)}"
    )
    return StageResult("feedback", False, detail, {"data_dir": str(out), "added": len(rows)})


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) if path.exists() else 0


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
