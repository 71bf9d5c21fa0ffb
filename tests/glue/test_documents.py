"""Knowledge documents: whole-document redaction, HTML to text, Bedrock KB metadata sidecars, S3 sync."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from glue_jobs import documents
from glue_jobs.documents import (
    KnowledgeJobArgs,
    html_to_text,
    output_name_for,
    relative_knowledge_path,
    sanitize_document,
    sync_knowledge,
)
from pii_engine import Engine, EngineConfig, Mode

ENGINE = Engine(EngineConfig())
PII = "Contact Dana Whitfield at dana.whitfield@example.com or (415) 555-0134."


def test_markdown_is_redacted_whole_and_keeps_paragraphs() -> None:
    text = f"# Billing\n\nFirst   paragraph\nwraps here.\n\n\n\n{PII}\n"
    result = sanitize_document("clinic/billing.md", text.encode(), ENGINE)
    assert result.status == "sanitized"
    assert result.output_name == "clinic/billing.md"
    assert result.metadata_name == "clinic/billing.md.metadata.json"
    assert result.text is not None
    assert "Whitfield" not in result.text and "dana.whitfield" not in result.text and "555-0134" not in result.text
    assert "[EMAIL_ADDRESS]" in result.text
    assert result.text.split("\n\n")[:2] == ["# Billing", "First paragraph\nwraps here."]
    attrs = result.metadata["metadataAttributes"]  # type: ignore[index]
    assert attrs["source"] == "knowledge/clinic/billing.md"
    assert attrs["title"] == "Billing"
    assert attrs["folder"] == "clinic"
    assert attrs["path_prefixes"] == ["knowledge/", "knowledge/clinic/"]
    assert attrs["doc_type"] == "markdown"
    assert attrs["entities_redacted"] == sum(result.entity_counts.values()) >= 3


def test_html_becomes_text_without_scripts_and_with_a_redacted_title() -> None:
    html = (
        "<html><head><title>Notes by Maria Gonzalez</title><style>p{}</style></head><body>"
        "<h1>Intro</h1><p>One &amp; two</p><script>var secret = 1;</script><ul><li>a</li><li>b</li></ul>"
        f"<p>{PII}</p></body></html>"
    )
    result = sanitize_document("notes.html", html.encode(), ENGINE)
    assert result.status == "sanitized" and result.text is not None
    assert result.output_name == "notes.html.txt"
    assert "secret" not in result.text and "p{}" not in result.text
    assert "One & two" in result.text and "- a" in result.text
    assert "Whitfield" not in result.text
    title = result.metadata["metadataAttributes"]["title"]  # type: ignore[index]
    assert "Gonzalez" not in title and title.startswith("Notes by")
    assert result.metadata["metadataAttributes"]["folder"] == ""  # type: ignore[index]


def test_html_to_text_separates_blocks_by_blank_lines() -> None:
    text, title = html_to_text("<title> T </title><p>a\nb</p><div>c<br/>d</div>")
    assert title == "T"
    assert text == "a b\n\nc\nd\n"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("doc.pdf", b"%PDF", "unsupported_type"),
        ("doc.md", b"\xff\xfe\x00bad", "undecodable"),
        ("doc.txt", b"a\x00b", "undecodable"),
        ("doc.md", b" \n\n ", "empty"),
        ("doc.md", b"x" * 101, "oversize"),
    ],
)
def test_bad_documents_are_quarantined_with_a_reason(name: str, data: bytes, reason: str) -> None:
    result = sanitize_document(name, data, ENGINE, max_bytes=100)
    assert result.status == "quarantined"
    assert result.reason == reason
    assert result.text is None and result.output_name is None


def test_drop_mode_entity_quarantines_the_whole_document() -> None:
    engine = Engine(EngineConfig(entity_modes={"US_SSN": Mode.DROP}))
    result = sanitize_document("a.txt", b"Patient SSN 123-45-6789 called.", engine)
    assert result.status == "quarantined" and result.reason == "drop"


def test_names_and_paths() -> None:
    assert output_name_for("a/b.txt") == "a/b.txt"
    assert output_name_for("a/b.HTM") == "a/b.HTM.txt"
    assert relative_knowledge_path("knowledge/a/b.md") == "a/b.md"
    assert relative_knowledge_path("knowledge/a/b.md.metadata.json") is None
    assert relative_knowledge_path("knowledge/a/.hidden.md") is None
    assert relative_knowledge_path("incoming/a.md") is None


def test_knowledge_args() -> None:
    assert KnowledgeJobArgs.from_resolved({}) is None
    args = KnowledgeJobArgs.from_resolved(
        {
            "knowledge_raw_path": "s3://raw/knowledge/",
            "knowledge_sanitized_path": "s3://san/knowledge/",
            "knowledge_quarantine_path": "s3://q/knowledge/",
            "knowledge_max_bytes": "10",
        }
    )
    assert args is not None and args.max_bytes == 10
    with pytest.raises(ValueError, match="go together"):
        KnowledgeJobArgs.from_resolved({"knowledge_raw_path": "s3://raw/knowledge/"})
    with pytest.raises(ValueError, match="end with"):
        KnowledgeJobArgs.from_resolved(
            {
                "knowledge_raw_path": "s3://raw/knowledge",
                "knowledge_sanitized_path": "s3://san/knowledge/",
                "knowledge_quarantine_path": "s3://q/knowledge/",
            }
        )


def _body(s3: Any, bucket: str, key: str) -> str:
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())


@mock_aws
def test_sync_writes_sanitized_docs_sidecars_and_quarantine_and_removes_orphans(monkeypatch: Any) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in ("raw-docs", "san-docs", "q-docs"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="raw-docs", Key="knowledge/clinic/billing.html", Body=f"<p>{PII}</p>".encode())
    s3.put_object(Bucket="raw-docs", Key="knowledge/notes.md", Body=b"# Notes\n\nHello.")
    s3.put_object(Bucket="raw-docs", Key="knowledge/scan.pdf", Body=b"%PDF")
    s3.put_object(Bucket="san-docs", Key="knowledge/old.md", Body=b"stale")
    s3.put_object(Bucket="san-docs", Key="knowledge/old.md.metadata.json", Body=b"{}")
    kwargs = {
        "raw_url": "s3://raw-docs/knowledge/",
        "sanitized_url": "s3://san-docs/knowledge/",
        "quarantine_url": "s3://q-docs/knowledge/",
    }

    stats = sync_knowledge(s3, ENGINE, **kwargs)

    assert (stats.documents_in, stats.sanitized, stats.removed) == (3, 2, 1)
    assert stats.quarantined == {"unsupported_type": 1}
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="san-docs")["Contents"])
    assert keys == [
        "knowledge/clinic/billing.html.txt",
        "knowledge/clinic/billing.html.txt.metadata.json",
        "knowledge/notes.md",
        "knowledge/notes.md.metadata.json",
    ]
    body = _body(s3, "san-docs", "knowledge/clinic/billing.html.txt")
    assert "Whitfield" not in body and "[EMAIL_ADDRESS]" in body
    sidecar = json.loads(_body(s3, "san-docs", "knowledge/clinic/billing.html.txt.metadata.json"))
    assert sidecar["metadataAttributes"]["source"] == "knowledge/clinic/billing.html"
    quarantine = json.loads(_body(s3, "q-docs", "knowledge/scan.pdf.quarantine.json"))
    assert quarantine == {"source": "knowledge/scan.pdf", "reason": "unsupported_type", "reason_detail": ".pdf"}

    # A second pass leaves up-to-date outputs alone.
    calls: list[str] = []
    original = documents.sanitize_document
    monkeypatch.setattr(
        documents, "sanitize_document", lambda rel, *a, **k: calls.append(rel) or original(rel, *a, **k)
    )
    again = sync_knowledge(s3, ENGINE, **kwargs)
    assert again.unchanged == 2 and calls == ["scan.pdf"]


def test_metric_data_counts_documents() -> None:
    stats = documents.SyncStats(documents_in=3, sanitized=2, quarantined={"oversize": 1})
    data = {
        (d["MetricName"], len(d["Dimensions"])): d["Value"] for d in documents.build_document_metric_data("j", stats)
    }
    assert data == {
        ("DocumentsIn", 1): 3.0,
        ("DocumentsSanitized", 1): 2.0,
        ("DocumentsQuarantined", 1): 1.0,
        ("DocumentsQuarantined", 2): 1.0,
    }


def test_dt_is_comparable() -> None:  # LastModified values from S3 are aware datetimes
    assert dt.datetime.now(dt.UTC) >= dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class _FakeCloudWatch:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@mock_aws
def test_glue_hook_runs_the_knowledge_pass_only_when_configured() -> None:
    from glue_jobs import sanitize_job

    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in ("raw-docs", "san-docs", "q-docs"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="raw-docs", Key="knowledge/a.md", Body=f"# A\n\n{PII}".encode())
    base = {"JOB_NAME": "j", "raw_path": "s3://raw-docs/incoming/", "sanitized_path": "s3://san-docs/records/"}
    base["quarantine_path"] = "s3://q-docs/records/"
    config = sanitize_job.parse_job_args({**base, "scan_all_strings": "true"})
    cloudwatch = _FakeCloudWatch()

    sanitize_job.run_knowledge(base, config, None, s3, cloudwatch)  # no --knowledge_* arguments: nothing happens
    assert "Contents" not in s3.list_objects_v2(Bucket="san-docs") and cloudwatch.calls == []

    resolved = {
        **base,
        "knowledge_raw_path": "s3://raw-docs/knowledge/",
        "knowledge_sanitized_path": "s3://san-docs/knowledge/",
        "knowledge_quarantine_path": "s3://q-docs/knowledge/",
    }
    sanitize_job.run_knowledge(resolved, config, None, s3, cloudwatch)
    assert "Whitfield" not in _body(s3, "san-docs", "knowledge/a.md")
    (call,) = cloudwatch.calls
    assert call["Namespace"] == config.metrics_namespace
    assert {d["MetricName"] for d in call["MetricData"]} == {
        "DocumentsIn",
        "DocumentsSanitized",
        "DocumentsQuarantined",
    }
    assert "knowledge_raw_path" in sanitize_job.OPTIONAL_ARGS  # getResolvedOptions accepts the new arguments
