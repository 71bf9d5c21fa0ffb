"""End to end: ``python -m glue_jobs.local_sanitize`` / ``run_local`` on a temp folder (the job's code, local Spark)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from glue_jobs import local_sanitize
from glue_jobs.local_sanitize import Summary, build_parser, run_local

LATIN1 = b'{"text": "caf\xe9, ssn 123-45-6789"}'


def _raw_folder(root: Path) -> Path:
    raw = root / "raw"
    (raw / "2026" / "01").mkdir(parents=True)
    (raw / "2026" / "01" / "latin1.jsonl").write_bytes(b'{"text": "ok, mail jane@example.com"}\n' + LATIN1 + b"\n")
    (raw / "concat.jsonl").write_bytes(
        b'{"text": "first export"}\n\xef\xbb\xbf{"text": "second export, call 555-123-4567"}\n'
    )
    (raw / "keys.jsonl").write_text(
        json.dumps({"ssn": 123456789, "card": 4111111111111111, "by_ssn": {"123-45-6789": "x"}}) + "\n"
    )
    (raw / "normal.jsonl").write_text(
        "\n".join([*(json.dumps({"text": t}) for t in ("hello", "Patient Jane Smith, MRN 12345678")), ""]) + "\n"
    )
    return raw


def _lines(folder: Path, pattern: str) -> list[str]:
    data = b"".join(f.read_bytes() for f in sorted(folder.glob(f"ingestion_date=*/{pattern}")))
    return data.decode("utf-8").splitlines()  # strict UTF-8


@pytest.mark.slow
def test_run_local_end_to_end_with_bookmark(spark: Any, tmp_path: Path) -> None:
    raw, out = _raw_folder(tmp_path), tmp_path / "out"
    messages: list[str] = []
    summary = run_local(raw, out, spark=spark, progress=messages.append)

    assert (summary.files, summary.records_in, summary.sanitized) == (4, 8, 6)
    assert dict(summary.quarantined) == {"empty": 1, "invalid_utf8": 1}
    assert summary.records_in == summary.sanitized + summary.quarantined_total
    assert summary.entity_counts["US_SSN"] == 2 and summary.entity_counts["CREDIT_CARD"] == 1
    assert any("4 new input file(s)" in m for m in messages)

    records = [json.loads(line) for line in _lines(out / "sanitized", "part-*")]
    text = json.dumps(records)
    for secret in ("jane@example.com", "555-123-4567", "123-45-6789", "123456789", "4111111111111111", "Jane Smith"):
        assert secret not in text
    assert {"text": "second export, call [PHONE_NUMBER]"} in records  # the BOM line was not lost
    assert {"ssn": "[US_SSN]", "card": "[CREDIT_CARD]", "by_ssn": {"[US_SSN]": "x"}} in records

    quarantined = [json.loads(line) for line in _lines(out / "quarantine", "part-*.json")]
    bad = next(q for q in quarantined if q["reason"] == "invalid_utf8")
    assert base64.b64decode(bad["raw_base64"]) == LATIN1 and bad["source_file"].endswith("latin1.jsonl")
    assert (out / "quarantine" / "_bookmarks" / "local-sanitize").is_dir()

    again = run_local(raw, out, spark=spark, progress=messages.append)
    assert (again.files, again.records_in, again.sanitized, again.quarantined_total) == (0, 0, 0, 0)
    assert len(_lines(out / "sanitized", "part-*")) == 6  # nothing written twice

    (raw / "late.jsonl").write_text(json.dumps({"text": "new, ssn 234-56-7890"}) + "\n")
    late = run_local(raw, out, spark=spark, progress=None)
    assert (late.files, late.records_in, late.sanitized) == (1, 1, 1)
    assert "  invalid_utf8           1" in summary.render().splitlines()


@pytest.mark.slow
def test_run_local_hash_mode_needs_a_key_and_text_fields_mode(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _raw_folder(tmp_path)
    monkeypatch.delenv(local_sanitize.HASH_KEY_ENV, raising=False)
    with pytest.raises(ValueError, match="HMAC key"):
        run_local(raw, tmp_path / "h", mode="hash", spark=spark)
    monkeypatch.setenv(local_sanitize.HASH_KEY_ENV, "k" * 32)
    summary = run_local(raw, tmp_path / "h", text_fields=["ssn", "text"], mode="hash", spark=spark, bookmark=False)
    assert summary.sanitized == 6
    records = [json.loads(line) for line in _lines(tmp_path / "h" / "sanitized", "part-*")]
    keyed = next(r for r in records if "card" in r)
    assert keyed["ssn"].startswith("[US_SSN:") and keyed["card"] == 4111111111111111  # only addressed fields
    assert not (tmp_path / "h" / "quarantine" / "_bookmarks").exists()  # bookmark=False records nothing


def test_cli_arguments() -> None:
    args = build_parser().parse_args(
        ["--raw", "r", "--out", "o", "--text-fields", "a,b[].c", "--mode", "hash", "--entity-modes", "US_SSN=drop"]
    )
    assert (args.text_fields, args.mode, args.entity_modes, args.all_files) == (
        "a,b[].c",
        "hash",
        {"US_SSN": "drop"},
        False,
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--raw", "r", "--out", "o", "--text-fields", "a", "--scan-all"])
    assert local_sanitize.main(["--raw", "/nonexistent/raw", "--out", "o"]) == 2


def test_summary_render() -> None:
    summary = Summary(2, 5, 3, {"invalid_utf8": 1, "empty": 1}, {"US_SSN": 2}, Path("/o/s"), Path("/o/q"), 1.25)
    assert summary.quarantined_total == 2
    assert summary.render().splitlines()[:6] == [
        "input files:  2",
        "records in:   5",
        "sanitized:    3",
        "quarantined:  2",
        "  empty                  1",
        "  invalid_utf8           1",
    ]


@pytest.mark.slow
def test_module_command_prints_the_summary(tmp_path: Path) -> None:
    """The documented command itself, in a fresh interpreter (its own local[2] session)."""
    raw = _raw_folder(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "glue_jobs.local_sanitize", "--raw", str(raw), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "records in:   8" in proc.stdout and "invalid_utf8           1" in proc.stdout
    assert "starting Spark" in proc.stderr and "4 new input file(s)" in proc.stderr
