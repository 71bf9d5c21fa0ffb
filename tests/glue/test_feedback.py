"""Feedback-based filtering: rating normalisation/aggregation (pure Python) and one end-to-end local Spark run."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("pyspark")

from glue_jobs.feedback import (
    FeedbackSummary,
    aggregate_ratings,
    excluded_requests,
    load_feedback,
    normalize_rating,
    parse_feedback_record,
    parse_feedback_text,
)
from glue_jobs.sanitize_job import parse_job_args, run
from glue_jobs.transform import STATUS_QUARANTINED, STATUS_SANITIZED, LineSanitizer, SanitizeConfig, sanitize_batches
from tests.glue.support import local_job_args


def _fb(request_id: Any, rating: Any, **extra: Any) -> dict[str, Any]:
    """A feedback record as the front door stores it (``chat_api.app.ChatService.feedback``)."""
    return {
        "schema_version": 1,
        "type": "feedback",
        "feedback_id": "00000000-0000-4000-8000-000000000000",
        "request_id": request_id,
        "feedback_request_id": "api-req",
        "timestamp": "2026-01-01T00:00:00.000+00:00",
        "rating": rating,
        "comment": None,
        "pii_counts": {"comment": {}},
        **extra,
    }


def _interaction(request_id: str | None, prompt: str = "hi", output: str = "hello") -> str:
    record: dict[str, Any] = {"schema_version": 1, "type": "interaction", "prompt": prompt, "output": output}
    if request_id is not None:
        record["request_id"] = request_id
    return json.dumps(record, separators=(",", ":"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("up", 1),
        ("down", -1),
        (" UP ", 1),
        (1, 1),
        (0, 0),
        (-1, -1),
        (1.0, 1),
        (-1.0, -1),
        ("meh", None),
        ("1", None),
        (2, None),
        (-5, None),
        (0.5, None),
        (float("nan"), None),
        (True, None),
        (None, None),
        ([1], None),
    ],
)
def test_normalize_rating(value: Any, expected: int | None) -> None:
    assert normalize_rating(value) == expected


def test_parse_feedback_record_rejects_non_feedback() -> None:
    assert parse_feedback_record(_fb("r1", "down")) == ("r1", -1)
    assert parse_feedback_record({"request_id": "r1", "rating": 1}) == ("r1", 1)  # type is optional
    assert parse_feedback_record(_fb("r1", 1, type="interaction")) is None
    assert parse_feedback_record(_fb("", 1)) is None
    assert parse_feedback_record(_fb(7, 1)) is None
    assert parse_feedback_record(_fb("r1", "meh")) is None
    assert parse_feedback_record(["r1", 1]) is None


def test_parse_feedback_text_whole_file_or_json_lines() -> None:
    assert parse_feedback_text(json.dumps(_fb("r1", "up"))) == ([("r1", 1)], 0)
    assert parse_feedback_text(json.dumps(_fb("r1", -1), indent=2)) == ([("r1", -1)], 0)  # pretty-printed
    lines = "\n".join([json.dumps(_fb("r1", 1)), "{broken", "", json.dumps(_fb("r2", "down")), "[]"])
    assert parse_feedback_text(lines) == ([("r1", 1), ("r2", -1)], 2)
    assert parse_feedback_text("{bad") == ([], 1)
    assert parse_feedback_text('{"request_id": "r1", "rating": NaN}') == ([], 1)
    assert parse_feedback_text("") == ([], 1)
    assert parse_feedback_text(None) == ([], 1)
    assert parse_feedback_text(json.dumps(_fb("r1", 3))) == ([], 1)


def test_aggregate_is_a_sum_per_request_and_threshold_is_strict() -> None:
    pairs = [("a", 1), ("b", -1), ("c", 1), ("c", -1), ("d", -1), ("d", -1), ("d", 1), ("e", 0)]
    net = aggregate_ratings(pairs)
    assert net == {"a": 1, "b": -1, "c": 0, "d": -1, "e": 0}
    assert excluded_requests(net, 0) == {"b": -1, "d": -1}  # no feedback / net 0 = neutral, kept
    assert excluded_requests(net, 1) == {"b": -1, "c": 0, "d": -1, "e": 0}
    assert excluded_requests(net, -1) == {}


def test_line_sanitizer_quarantines_excluded_request_ids_only() -> None:
    cfg = SanitizeConfig(text_fields=("prompt", "output"))
    sanitizer = LineSanitizer(cfg, {"bad": -2})
    res = sanitizer.process(_interaction("bad", prompt="mail a.b@example.org"))
    assert (res.status, res.reason, res.reason_detail, res.record) == (
        STATUS_QUARANTINED,
        "negative_feedback",
        "-2",
        None,
    )
    assert "example.org" not in res.reason_detail and dict(res.entity_counts) == {}  # engine not run
    assert sanitizer.process(_interaction("good")).status == STATUS_SANITIZED
    assert sanitizer.process(_interaction(None)).status == STATUS_SANITIZED  # no request id: nothing to match
    assert sanitizer.process(json.dumps({"request_id": ["bad"], "prompt": "x"})).status == STATUS_SANITIZED
    assert LineSanitizer(cfg).process(_interaction("bad")).status == STATUS_SANITIZED  # no exclusions
    batch = pd.DataFrame({"value": [_interaction("bad"), _interaction("ok")], "source_file": "f"})
    (out,) = list(sanitize_batches(iter([batch]), cfg, {"bad": -1}))
    assert list(out["reason"]) == ["negative_feedback", None]


def test_job_args_feedback_defaults_and_values() -> None:
    base = {"JOB_NAME": "j", "raw_path": "s3://r/", "sanitized_path": "s3://s/", "quarantine_path": "s3://q/"}
    cfg = parse_job_args({**base, "text_fields": "prompt"})
    assert (cfg.feedback_path, cfg.feedback_min_rating) == ("", 0)
    cfg = parse_job_args(
        {**base, "text_fields": "prompt", "feedback_path": " s3://i/feedback/ ", "feedback_min_rating": "-1"}
    )
    assert (cfg.feedback_path, cfg.feedback_min_rating) == ("s3://i/feedback/", -1)
    with pytest.raises(ValueError, match="feedback_min_rating"):
        parse_job_args({**base, "text_fields": "prompt", "feedback_min_rating": "0.5"})


@pytest.mark.slow
def test_run_quarantines_negative_feedback_end_to_end(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = tmp_path / "interactions" / "dt=2026-01-01" / "hour=00"
    raw.mkdir(parents=True)
    ids = ["req-up", "req-down", "req-mixed", "req-even", "req-lines", "req-none"]
    for request_id in ids:
        (raw / f"{request_id}.json").write_text(_interaction(request_id, prompt="mail a.b@example.org"))
    (raw / "no-id.json").write_text(_interaction(None))

    fb = tmp_path / "feedback"
    (fb / "dt=2026-01-01").mkdir(parents=True)
    (fb / "dt=2026-01-02").mkdir(parents=True)
    files = {
        "dt=2026-01-01/req-up-1.json": json.dumps(_fb("req-up", 1)),
        "dt=2026-01-01/req-down-1.json": json.dumps(_fb("req-down", "down")),
        "dt=2026-01-01/req-mixed-1.json": json.dumps(_fb("req-mixed", "up")),
        "dt=2026-01-02/req-mixed-2.json": json.dumps(_fb("req-mixed", -1)),
        "dt=2026-01-02/req-mixed-3.json": json.dumps(_fb("req-mixed", "down")),
        "dt=2026-01-01/req-even-1.json": json.dumps(_fb("req-even", "up")),
        "dt=2026-01-02/req-even-2.json": json.dumps(_fb("req-even", "down")),
        "dt=2026-01-02/req-ghost-1.json": json.dumps(_fb("req-ghost", "down")),  # no such interaction
        "dt=2026-01-02/req-lines-1.json": json.dumps(_fb("req-lines", -1)) + "\n{broken line\n",
        "dt=2026-01-02/bad-1.json": "{not json",
        "dt=2026-01-02/bad-2.json": json.dumps(_fb("req-up", "meh")),
    }
    for name, text in files.items():
        (fb / name).write_text(text)

    summary = load_feedback(spark, str(fb), 1)
    assert (summary.files, summary.records, summary.malformed, summary.rated_requests) == (11, 9, 3, 6)
    assert summary.excluded == {"req-down": -1, "req-mixed": -1, "req-even": 0, "req-ghost": -1, "req-lines": -1}
    assert load_feedback(spark, str(tmp_path / "no-feedback-yet"), 0) == FeedbackSummary()

    args = local_job_args(
        "cl-test",
        tmp_path / "interactions",
        tmp_path,
        text_fields="prompt,output",
        output_format="jsonl",
        ingestion_date="2026-01-03",
        emit_metrics="false",
        feedback_path=str(fb),
    )
    with caplog.at_level(logging.INFO, logger="sanitize_job"):
        stats = run(spark, parse_job_args(args), None)
    assert (stats.records_in, stats.sanitized, dict(stats.quarantined)) == (7, 4, {"negative_feedback": 3})
    assert stats.invariant_holds
    assert "3 malformed feedback" in caplog.text

    part = tmp_path / "sanitized" / "ingestion_date=2026-01-03"
    kept = [json.loads(line) for f in part.glob("part-*") for line in f.read_text().splitlines()]
    assert sorted(r.get("request_id", "-") for r in kept) == ["-", "req-even", "req-none", "req-up"]
    assert all(r["prompt"] in ("mail [EMAIL_ADDRESS]", "hi") for r in kept)
    qpart = tmp_path / "quarantine" / "ingestion_date=2026-01-03"
    quarantined = [json.loads(line) for f in qpart.glob("part-*.json") for line in f.read_text().splitlines()]
    assert sorted((json.loads(q["raw"])["request_id"], q["reason"], q["reason_detail"]) for q in quarantined) == [
        ("req-down", "negative_feedback", "-1"),
        ("req-lines", "negative_feedback", "-1"),
        ("req-mixed", "negative_feedback", "-1"),
    ]
