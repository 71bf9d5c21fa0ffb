"""``make local``'s knowledge stage: raw knowledge/ -> the Glue job's document sync -> BM25 index; serving with it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lambda_src" / "front_door"))

from local_runtime import __main__ as cli  # noqa: E402
from local_runtime import lifecycle  # noqa: E402
from local_runtime.folder_s3 import FolderS3  # noqa: E402
from retrieval.local import LocalBm25Retriever  # noqa: E402


def test_seeds_sanitizes_and_indexes_then_skips(tmp_path: Path) -> None:
    paths = lifecycle.Paths(tmp_path)
    first = lifecycle.knowledge(paths)
    assert not first.skipped
    assert (first.data["documents"], first.data["sanitized"], first.data["quarantined"]) == (9, 9, 0)
    assert first.data["entities_redacted"] > 0 and "9 documents indexed" in first.detail
    assert (paths.knowledge_raw_dir / "clinic" / "billing.html").is_file()
    # the sanitized layout of the lake: HTML as .html.txt, a Bedrock KB sidecar per document
    sidecar = json.loads((paths.knowledge_sanitized_dir / "clinic" / "billing.html.txt.metadata.json").read_text())
    assert sidecar["metadataAttributes"]["source"] == "knowledge/clinic/billing.html"
    billing = (paths.knowledge_sanitized_dir / "clinic" / "billing.html.txt").read_text()
    assert "Whitfield" not in billing and "[PERSON]" in billing
    manifest = json.loads((paths.rag_index / "manifest.json").read_text())
    assert manifest["report"]["documents"] == 9
    second = lifecycle.knowledge(paths)
    assert second.skipped and second.data["documents"] == 9


def test_added_changed_deleted_and_unsupported_documents(tmp_path: Path) -> None:
    paths = lifecycle.Paths(tmp_path)
    lifecycle.knowledge(paths)
    raw = paths.knowledge_raw_dir
    (raw / "clinic" / "parking.md").write_text(
        "# Parking\n\nThe clinic garage costs $3 per hour. Questions: Jane Roe, jane.roe@example.com.\n"
    )
    (raw / "app" / "troubleshooting.md").unlink()
    (raw / "scan.pdf").write_bytes(b"%PDF-1.7 ...")
    result = lifecycle.knowledge(paths)
    assert not result.skipped
    assert (result.data["documents"], result.data["sanitized"], result.data["quarantined"]) == (9, 1, 1)
    assert not (paths.knowledge_sanitized_dir / "app" / "troubleshooting.md").exists()
    quarantine = json.loads((paths.knowledge_quarantine_dir / "scan.pdf.quarantine.json").read_text())
    assert quarantine["reason"] == "unsupported_type" and "PDF" not in json.dumps(quarantine)
    retriever = LocalBm25Retriever.load(paths.rag_index)
    (top, *_) = retriever.retrieve("How much does the garage cost per hour?")
    assert top.source == "knowledge/clinic/parking.md"
    assert "Jane Roe" not in top.text and "jane.roe@example.com" not in top.text
    assert "troubleshooting" not in " ".join(c.source for c in retriever.chunks)


def test_folder_s3_stays_inside_its_bucket(tmp_path: Path) -> None:
    s3 = FolderS3(tmp_path)
    s3.put_object(Bucket="b", Key="knowledge/a.md", Body=b"x")
    (page,) = s3.get_paginator("list_objects_v2").paginate(Bucket="b", Prefix="knowledge/")
    assert [c["Key"] for c in page["Contents"]] == ["knowledge/a.md"]
    assert s3.get_object(Bucket="b", Key="knowledge/a.md")["Body"].read() == b"x"
    with pytest.raises(ValueError, match="leaves bucket"):
        s3.put_object(Bucket="b", Key="../c/x", Body=b"y")


def test_serve_settings_turn_rag_on_by_default_and_off_with_no_rag(tmp_path: Path) -> None:
    paths = lifecycle.Paths(tmp_path)
    on = cli.chat_settings(cli.parse_args(["serve", "--backend", "stub"]), paths)
    off = cli.chat_settings(cli.parse_args(["serve", "--backend", "stub", "--no-rag"]), paths)
    assert (on.rag_default_on, on.rag_local_index) == (True, str(paths.rag_index))  # type: ignore[attr-defined]
    assert (off.rag_default_on, off.rag_local_index) == (False, None)  # type: ignore[attr-defined]


def test_prepare_runs_the_knowledge_stage_unless_no_rag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(name: str) -> object:
        def stage(*args: object, **kwargs: object) -> lifecycle.StageResult:
            calls.append(name)
            return lifecycle.StageResult(name, True, "", {})

        return stage

    for name in ("make_raw", "sanitize", "knowledge"):
        monkeypatch.setattr(lifecycle, name, fake(name))
    paths = lifecycle.Paths(tmp_path)
    cli.prepare(cli.parse_args(["prepare", "--backend", "stub"]), paths)
    assert calls == ["make_raw", "sanitize", "knowledge"]
    calls.clear()
    cli.prepare(cli.parse_args(["prepare", "--backend", "stub", "--no-rag"]), paths)
    assert calls == ["make_raw", "sanitize"]
    summary = cli.summary(
        cli.parse_args(["serve", "--backend", "stub"]),
        paths,
        {"knowledge": lifecycle.StageResult("knowledge", False, "", {"documents": 9})},
        "http://127.0.0.1:8000",
    )
    assert "9 documents indexed" in summary and str(paths.knowledge_raw_dir) in summary
