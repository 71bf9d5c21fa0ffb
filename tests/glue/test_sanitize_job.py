"""Tests of the Glue entry script's non-awsglue parts: arguments, secret loading, metrics, write path, run()."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

pytest.importorskip("pyspark")

from glue_jobs import sanitize_job
from glue_jobs.metrics import DEFAULT_NAMESPACE, MAX_DATUMS_PER_CALL, build_metric_data, put_metrics
from glue_jobs.sanitize_job import (
    CountInvariantError,
    WritePlan,
    bookmark_option,
    load_hash_key,
    parse_job_args,
    plan_writes,
    present_optional_args,
    read_path,
    run,
)
from glue_jobs.transform import SanitizeResult, SanitizeStats
from tests.glue.support import local_job_args

REGION = "us-east-1"
BASE = {
    "JOB_NAME": "sanitize",
    "raw_path": "s3://raw/in/",
    "sanitized_path": "s3://clean/out/",
    "quarantine_path": "s3://q/out/",
}


def test_present_optional_args_only_lists_given_keys() -> None:
    argv = ["script.py", "--JOB_NAME", "j", "--text_fields", "a", "--output_format=jsonl", "--job-bookmark-option", "x"]
    assert present_optional_args(argv) == ["output_format", "text_fields"]


def test_bookmark_option_from_argv() -> None:
    assert bookmark_option(["s.py", "--JOB_NAME", "j"]) == "job-bookmark-disable"
    assert bookmark_option(["s.py", "--job-bookmark-option", "job-bookmark-enable"]) == "job-bookmark-enable"
    assert bookmark_option(["s.py", "--job-bookmark-option=job-bookmark-pause"]) == "job-bookmark-pause"
    with pytest.raises(ValueError, match="job-bookmark-option"):
        bookmark_option(["s.py", "--job-bookmark-option", "on"])


def test_read_path_decodes_and_escapes_globs() -> None:
    assert read_path("s3://b/in/a%20b%5B1%5D.jsonl") == r"s3://b/in/a b\[1\].jsonl"
    assert read_path("file:///tmp/x%7Ba,b%7D*?.gz") == r"file:///tmp/x\{a,b\}\*\?.gz"


def test_parse_job_args_defaults_and_values() -> None:
    cfg = parse_job_args({**BASE, "text_fields": "messages[].content, patient.notes"})
    assert (cfg.output_format, cfg.ingestion_date, cfg.hash_key_secret_arn, cfg.emit_metrics) == (
        "parquet",
        None,
        None,
        True,
    )
    assert (cfg.bookmark_option, cfg.state_path) == ("job-bookmark-disable", "s3://q/out/_bookmarks/sanitize/")
    assert cfg.metrics_namespace == DEFAULT_NAMESPACE
    sc = cfg.sanitize_config(None)
    assert sc.text_fields == ("messages[].content", "patient.notes") and sc.max_record_bytes == 1_048_576

    cfg = parse_job_args(
        {
            **BASE,
            "scan_all_strings": "TRUE",
            "output_format": "jsonl",
            "required_fields": "id",
            "max_record_bytes": "2048",
            "entities": "US_SSN,EMAIL_ADDRESS",
            "min_score": "0.7",
            "entity_modes": "US_SSN=drop, EMAIL_ADDRESS=hash",
            "hash_key_secret_arn": "arn:aws:secretsmanager:us-east-1:111111111111:secret:k",
            "ingestion_date": "2026-03-04",
            "emit_metrics": "false",
            "--ignored": "x",
        }
    )
    assert cfg.needs_hash_key and cfg.ingestion_date == dt.date(2026, 3, 4) and not cfg.emit_metrics
    sc = cfg.sanitize_config(b"k" * 32)
    assert sc.scan_all_strings and sc.entities == frozenset({"US_SSN", "EMAIL_ADDRESS"})
    assert sc.entity_modes == (("EMAIL_ADDRESS", "hash"), ("US_SSN", "drop"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"JOB_NAME": ""}, "JOB_NAME"),
        ({"text_fields": "a", "output_format": "csv"}, "output_format"),
        ({}, "text_fields"),
        ({"text_fields": "a", "default_mode": "hash"}, "hash_key_secret_arn"),
        ({"text_fields": "a", "entity_modes": "US_SSN"}, "ENTITY=mode"),
        ({"text_fields": "a", "entity_modes": "NOPE=mask"}, "NOPE"),
        ({"text_fields": "a[0]"}, "field path"),
        ({"text_fields": "a", "scan_all_strings": "yes"}, "true or false"),
    ],
)
def test_parse_job_args_rejects_bad_input(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_job_args({**BASE, **extra})


def test_module_imports_without_awsglue() -> None:
    with pytest.raises(ModuleNotFoundError):
        import awsglue  # noqa: F401
    assert callable(sanitize_job.main)


@mock_aws
def test_load_hash_key_from_secrets_manager() -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    arn = client.create_secret(Name="hmac", SecretString="s" * 32)["ARN"]
    assert load_hash_key(client, arn) == b"s" * 32
    short = client.create_secret(Name="short", SecretString="abc")["ARN"]
    with pytest.raises(ValueError, match="shorter") as err:
        load_hash_key(client, short)
    assert "abc" not in str(err.value)


@mock_aws
def test_metrics_emitted_to_cloudwatch() -> None:
    client = boto3.client("cloudwatch", region_name=REGION)
    data = build_metric_data("sanitize", 10, 7, {"drop": 2, "empty": 1}, {"US_SSN": 2, "EMAIL_ADDRESS": 5}, True)
    assert put_metrics(client, DEFAULT_NAMESPACE, data) == 1
    got = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for m in client.list_metrics(Namespace=DEFAULT_NAMESPACE)["Metrics"]
    }
    job = ("JobName", "sanitize")
    assert got == {
        ("RecordsIn", (job,)),
        ("RecordsSanitized", (job,)),
        ("RecordsQuarantined", (job,)),
        ("CountInvariantViolation", (job,)),
        ("RecordsQuarantined", (job, ("Reason", "drop"))),
        ("RecordsQuarantined", (job, ("Reason", "empty"))),
        ("EntitiesDetected", (("Entity", "EMAIL_ADDRESS"), job)),
        ("EntitiesDetected", (("Entity", "US_SSN"), job)),
    }
    values = {(d["MetricName"], d["Dimensions"][-1]["Value"]): d["Value"] for d in data}
    assert values[("RecordsQuarantined", "sanitize")] == 3 and values[("EntitiesDetected", "EMAIL_ADDRESS")] == 5


def test_put_metrics_batches_calls() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def put_metric_data(self, Namespace: str, MetricData: list[dict[str, Any]]) -> None:
            self.sizes.append(len(MetricData))

    rec = Recorder()
    data = build_metric_data("j", 1, 1, {}, {f"E{i}": 1 for i in range(2 * MAX_DATUMS_PER_CALL)}, True)
    assert put_metrics(rec, "ns", data) == 3
    assert rec.sizes == [MAX_DATUMS_PER_CALL, MAX_DATUMS_PER_CALL, 4]


def test_plan_writes() -> None:
    assert plan_writes(parse_job_args({**BASE, "text_fields": "a"})) == WritePlan(
        sanitized_path="s3://clean/out/", sanitized_format="parquet", quarantine_path="s3://q/out/"
    )
    jsonl = plan_writes(parse_job_args({**BASE, "text_fields": "a", "output_format": "jsonl"}))
    assert (jsonl.sanitized_format, jsonl.quarantine_format, jsonl.partition_by) == (
        "text",
        "json",
        ("ingestion_date",),
    )


def _job_args(tmp_path: Path, fmt: str) -> dict[str, str]:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = [
        json.dumps({"messages": [{"content": "mail jane@example.com"}]}),
        json.dumps({"messages": [{"content": "ssn 123-45-6789"}]}),
        "",
        "{bad",
    ]
    (raw / "part-0.jsonl").write_text("\n".join(lines) + "\n")
    return local_job_args(
        "sanitize-test",
        raw,
        tmp_path,
        text_fields="messages[].content",
        entity_modes="US_SSN=drop",
        output_format=fmt,
        ingestion_date="2026-01-02",
    )


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
@mock_aws
def test_run_writes_partitioned_outputs_and_metrics(spark: Any, tmp_path: Path, fmt: str) -> None:
    cfg = parse_job_args(_job_args(tmp_path, fmt))
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    stats = run(spark, cfg, None, cloudwatch)
    assert (stats.records_in, stats.sanitized, dict(stats.quarantined)) == (
        4,
        1,
        {"drop": 1, "empty": 1, "invalid_json": 1},
    )

    part = tmp_path / "sanitized" / "ingestion_date=2026-01-02"
    assert part.is_dir() and [p.name for p in (tmp_path / "sanitized").iterdir() if p.is_dir()] == [part.name]
    if fmt == "parquet":
        records = [r.record for r in spark.read.parquet(str(tmp_path / "sanitized")).collect()]
    else:
        records = [line for f in part.glob("part-*") for line in f.read_text().splitlines()]
    assert [json.loads(r) for r in records] == [{"messages": [{"content": "mail [EMAIL_ADDRESS]"}]}]

    qpart = tmp_path / "quarantine" / "ingestion_date=2026-01-02"
    quarantined = [json.loads(line) for f in qpart.glob("part-*.json") for line in f.read_text().splitlines()]
    assert sorted(q["reason"] for q in quarantined) == ["drop", "empty", "invalid_json"]
    drop = next(q for q in quarantined if q["reason"] == "drop")
    assert (
        drop["raw"] == json.dumps({"messages": [{"content": "ssn 123-45-6789"}]}) and drop["reason_detail"] == "US_SSN"
    )
    assert drop["source_file"].endswith("part-0.jsonl") and drop["quarantined_at"]

    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=DEFAULT_NAMESPACE)["Metrics"]}
    assert {
        "RecordsIn",
        "RecordsSanitized",
        "RecordsQuarantined",
        "EntitiesDetected",
        "CountInvariantViolation",
    } == names


@pytest.mark.slow
@mock_aws
def test_run_fails_before_writing_when_invariant_breaks(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = parse_job_args(_job_args(tmp_path, "parquet"))
    monkeypatch.setattr(SanitizeResult, "stats", lambda self: SanitizeStats(4, 1, {"empty": 1}, {}))
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    with pytest.raises(CountInvariantError):
        run(spark, cfg, None, cloudwatch)
    assert not (tmp_path / "sanitized").exists() and not (tmp_path / "quarantine").exists()
    stats = cloudwatch.get_metric_statistics(
        Namespace=DEFAULT_NAMESPACE,
        MetricName="CountInvariantViolation",
        Dimensions=[{"Name": "JobName", "Value": "sanitize-test"}],
        StartTime=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        EndTime=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        Period=60,
        Statistics=["Maximum"],
    )
    assert [p["Maximum"] for p in stats["Datapoints"]] == [1.0]


@pytest.mark.slow
def test_file_bookmark_processes_each_file_once(spark: Any, tmp_path: Path) -> None:
    cfg = parse_job_args({**_job_args(tmp_path, "jsonl"), "emit_metrics": "false"}, "job-bookmark-enable")
    assert run(spark, cfg, None).records_in == 4
    (tmp_path / "raw" / "new dir").mkdir()
    lines = [json.dumps({"messages": [{"content": f"hello {i}"}]}) for i in range(2)]
    (tmp_path / "raw" / "new dir" / "late [1].jsonl").write_text("\n".join(lines) + "\n")

    def records_in(option: str) -> int:
        return run(spark, dataclasses.replace(cfg, bookmark_option=option), None).records_in

    assert records_in("job-bookmark-pause") == 2  # filtered, not recorded
    assert records_in("job-bookmark-enable") == 2  # the new file only, now recorded
    assert records_in("job-bookmark-enable") == 0  # nothing new: empty run
    assert records_in("job-bookmark-disable") == 6  # everything under raw_path
    assert (tmp_path / "quarantine" / "_bookmarks" / "sanitize-test").is_dir()
    quarantine = spark.read.json(str(tmp_path / "quarantine"))  # the bookmark files are not picked up
    assert sorted(quarantine.columns) == [
        "ingestion_date",
        "quarantined_at",
        "raw",
        "reason",
        "reason_detail",
        "source_file",
    ]
    assert quarantine.count() == 3 * 2  # the first and the disabled run each quarantined the 3 bad lines


@pytest.mark.slow
def test_run_quarantines_invalid_utf8_and_advances_the_bookmark(spark: Any, tmp_path: Path) -> None:
    """Issue 10, defect 1: one Latin-1 line used to abort the run (nothing written, bookmark stuck, forever)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    latin1 = b'{"text": "caf\xe9 ssn 123-45-6789"}'
    lines = [
        b'{"text": "mail jane@example.com"}',
        latin1,
        b'\xef\xbb\xbf{"text": "bom line, call 555-123-4567"}',  # BOM opening a line of a concatenated export
        b'{"text": "lone \\ud800 surrogate"}',
        b'{"by_ssn": {"123-45-6789": "x"}, "card": 4111111111111111}',
    ]
    (raw / "export.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    args = local_job_args(
        "utf8",
        raw,
        tmp_path,
        scan_all_strings="true",
        output_format="jsonl",
        emit_metrics="false",
        ingestion_date="2026-01-02",
    )
    cfg = parse_job_args(args, "job-bookmark-enable")
    stats = run(spark, cfg, None)
    assert (stats.records_in, stats.sanitized, dict(stats.quarantined)) == (5, 4, {"invalid_utf8": 1})
    assert stats.invariant_holds

    part = tmp_path / "sanitized" / "ingestion_date=2026-01-02"
    data = b"".join(f.read_bytes() for f in part.glob("part-*"))
    records = [json.loads(line) for line in data.decode("utf-8").splitlines()]  # strict UTF-8
    assert sorted(json.dumps(r, sort_keys=True) for r in records) == sorted(
        json.dumps(r, sort_keys=True)
        for r in [
            {"text": "mail [EMAIL_ADDRESS]"},
            {"text": "bom line, call [PHONE_NUMBER]"},
            {"text": "lone \ufffd surrogate"},
            {"by_ssn": {"[US_SSN]": "x"}, "card": "[CREDIT_CARD]"},
        ]
    )
    qpart = tmp_path / "quarantine" / "ingestion_date=2026-01-02"
    (q,) = [json.loads(line) for f in qpart.glob("part-*.json") for line in f.read_text().splitlines()]
    assert (q["reason"], q["reason_detail"]) == ("invalid_utf8", "byte 13")
    assert base64.b64decode(q["raw_base64"]) == latin1 and q["source_file"].endswith("export.jsonl")

    assert run(spark, cfg, None).records_in == 0  # the bookmark advanced: the file is not read again


def test_pii_profile_defaults_to_recall_for_training_data() -> None:
    sc = parse_job_args({**BASE, "text_fields": "t"}).sanitize_config(None)
    assert sc.pii_profile == "recall" and sc.engine_config().profile == "recall"
    sc = parse_job_args({**BASE, "text_fields": "t", "pii_profile": " Balanced "}).sanitize_config(None)
    assert sc.engine_config().profile == "balanced"
    with pytest.raises(ValueError, match="profile"):
        parse_job_args({**BASE, "text_fields": "t", "pii_profile": "strict"}).sanitize_config(None)
