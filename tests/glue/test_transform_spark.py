"""Local Spark (``local[2]``) tests of the sanitization transform."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glue_jobs.transform import QUARANTINE_REASONS, SanitizeConfig, read_raw, sanitize
from pii_engine import Engine

pytestmark = pytest.mark.slow

KEY = b"test-hmac-key-0123456789abcdef!!"
FIELDS = ("messages[].content", "patient.notes")


def _raw(spark: Any, lines: list[str] | list[str | bytes], source: str = "s3://raw/f.jsonl") -> Any:
    if all(isinstance(line, str) for line in lines):
        return spark.createDataFrame([(line, source) for line in lines], "value string, source_file string")
    rows = [(bytearray(line.encode() if isinstance(line, str) else line), source) for line in lines]
    return spark.createDataFrame(rows, "value binary, source_file string")


def _rec(content: str, notes: str = "none") -> str:
    return json.dumps({"messages": [{"role": "user", "content": content}], "patient": {"notes": notes}})


def test_every_reason_nested_fields_and_invariant(spark: Any) -> None:
    cfg = SanitizeConfig(
        text_fields=FIELDS, required_fields=("patient.notes",), max_record_bytes=300, entity_modes=(("US_SSN", "drop"),)
    )
    lines: list[str | bytes] = [
        _rec("mail me at jane.doe@example.com", "Patient Jane Smith, MRN 12345678"),
        _rec("nothing to see"),
        "",
        "{broken",
        "[1]",
        json.dumps({"messages": []}),
        _rec("x" * 400),
        _rec("ok", "my ssn is 123-45-6789"),
        json.dumps({"request_id": "r-neg", "messages": [], "patient": {"notes": "n"}}),
        b'{"messages": [], "patient": {"notes": "caf\xe9"}}',  # Latin-1, not UTF-8
    ]
    result = sanitize(
        _raw(spark, lines), cfg, ingestion_date=dt.date(2026, 1, 2), feedback_excluded={"r-neg": -2, "r-other": -1}
    )
    stats = result.stats()
    assert stats.records_in == 10 and stats.sanitized == 2
    assert dict(stats.quarantined) == {r: 1 for r in QUARANTINE_REASONS}
    assert stats.invariant_holds

    sanitized = [json.loads(r.record) for r in result.sanitized.collect()]
    first = next(r for r in sanitized if "EMAIL" in r["messages"][0]["content"])
    assert first["messages"][0]["content"] == "mail me at [EMAIL_ADDRESS]"
    assert first["patient"]["notes"] == "Patient [PERSON], MRN [MEDICAL_RECORD_NUMBER]"
    assert {r.ingestion_date for r in result.sanitized.collect()} == {"2026-01-02"}

    quarantine = {r.reason: r for r in result.quarantine.collect()}
    assert quarantine["drop"].reason_detail == "US_SSN"
    assert quarantine["drop"].raw == lines[-3]  # original line kept for the encrypted quarantine bucket
    assert quarantine["negative_feedback"].reason_detail == "-2"
    assert quarantine["missing_field"].reason_detail == "patient.notes"
    assert quarantine["invalid_utf8"].raw_base64 == base64.b64encode(lines[-1]).decode()  # type: ignore[arg-type]
    assert quarantine["empty"].raw == ""
    assert all(r.source_file == "s3://raw/f.jsonl" and r.quarantined_at is not None for r in quarantine.values())
    result.unpersist()


def test_entity_counts_match_engine_run_directly(spark: Any) -> None:
    texts = [
        "call 555-123-4567 or mail a.b@example.org",
        "Jane Smith lives at 12 Main Street, Springfield",
        "ip 10.0.0.1, card 4111 1111 1111 1111",
        "nothing here",
        "ssn 123-45-6789 and MRN 12345678",
    ]
    cfg = SanitizeConfig(text_fields=("content",))
    result = sanitize(_raw(spark, [json.dumps({"content": t}) for t in texts]), cfg)
    engine = Engine(cfg.engine_config())
    expected: Counter[str] = Counter()
    for text in texts:
        expected.update(engine.redact(text, field="content").counts)
    assert dict(result.stats().entity_counts) == dict(expected)
    assert sorted(json.loads(r.record)["content"] for r in result.sanitized.collect()) == sorted(
        engine.redact(t, field="content").text for t in texts
    )
    result.unpersist()


def test_hash_mode_is_consistent_across_records_and_partitions(spark: Any) -> None:
    cfg = SanitizeConfig(text_fields=("content",), entity_modes=(("EMAIL_ADDRESS", "hash"),), hash_key=KEY)
    lines = [json.dumps({"content": f"msg {i} from Jane.Doe@Example.com"}) for i in range(40)]
    lines += [json.dumps({"content": "msg from other@example.com"})]
    result = sanitize(_raw(spark, lines).repartition(4), cfg)
    tokens = Counter(json.loads(r.record)["content"].split(" from ")[1] for r in result.sanitized.collect())
    assert len(tokens) == 2 and sorted(tokens.values()) == [1, 40]
    assert all(t.startswith("[EMAIL_ADDRESS:") for t in tokens)
    other_key = SanitizeConfig(text_fields=("content",), entity_modes=(("EMAIL_ADDRESS", "hash"),), hash_key=b"x" * 32)
    assert Engine(other_key.engine_config()).redact("Jane.Doe@Example.com").text not in tokens
    result.unpersist()


def test_drop_mode_quarantines_without_leaking_values(spark: Any) -> None:
    cfg = SanitizeConfig(scan_all_strings=True, entity_modes=(("CREDIT_CARD", "drop"),))
    lines = [json.dumps({"a": {"b": ["card 4111 1111 1111 1111"]}}), json.dumps({"a": "mail a.b@example.org"})]
    result = sanitize(_raw(spark, lines), cfg)
    (dropped,) = result.quarantine.collect()
    assert (dropped.reason, dropped.reason_detail) == ("drop", "CREDIT_CARD")
    (kept,) = result.sanitized.collect()
    assert json.loads(kept.record) == {"a": "mail [EMAIL_ADDRESS]"}
    assert result.stats().entity_counts == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1}
    result.unpersist()


def test_read_raw_keeps_blank_lines_and_source_file(spark: Any, tmp_path: Any) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.jsonl").write_text('{"t": "x"}\n\n{"t": "y"}\n')
    (tmp_path / "two.jsonl").write_text("not json\n")
    raw = read_raw(spark, str(tmp_path))
    rows = sorted((r.source_file.rsplit("/", 1)[-1], r.value) for r in raw.collect())
    assert rows == [
        ("one.jsonl", ""),
        ("one.jsonl", '{"t": "x"}'),
        ("one.jsonl", '{"t": "y"}'),
        ("two.jsonl", "not json"),
    ]
    stats = sanitize(raw, SanitizeConfig(text_fields=("t",))).stats()
    assert (stats.records_in, stats.sanitized, dict(stats.quarantined)) == (4, 2, {"empty": 1, "invalid_json": 1})


_GOOD = st.builds(
    lambda c, n: _rec(c, n),
    st.sampled_from(["hello", "mail a.b@example.org", "call 555-123-4567", "Jane Smith said hi"]),
    st.sampled_from(["fine", "ssn 123-45-6789", "MRN 12345678"]),
)
_BAD = st.sampled_from(["", "  ", "{", "null", "42", '"s"', "[]", '{"messages": 1}', "x" * 500, _rec("y" * 400)])


_HOSTILE = st.one_of(
    st.binary(max_size=40),  # arbitrary bytes, mostly invalid UTF-8
    st.text(max_size=20).map(lambda t: t.encode("utf-8")),
    st.text().map(  # a Latin-1 export
        lambda t: json.dumps({"messages": [], "patient": {"notes": t}}, ensure_ascii=False).encode("latin-1", "replace")
    ),
    _GOOD.map(lambda line: b"\xef\xbb\xbf" + line.encode()),  # BOM at the start of a line
    _GOOD.map(lambda line: line.replace("fine", "fine \\ud800").encode()),  # escaped lone surrogate in JSON
    st.sampled_from([b'{"patient": {"notes": "\\udc00"}}', b"\xed\xa0\x80", b"\xc3", b"\xef\xbb\xbf"]),
    st.sampled_from([b"\xe9" * 2_000_000, b'{"patient": {"notes": "' + b"a" * 2_000_000 + b'"}}']),  # huge lines
)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(st.one_of(_GOOD.map(str.encode), _BAD.map(str.encode), _HOSTILE), min_size=0, max_size=40))
def test_count_invariant_property(spark: Any, lines: list[bytes]) -> None:
    lines = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines]
    cfg = SanitizeConfig(
        text_fields=FIELDS, required_fields=("patient.notes",), max_record_bytes=300, entity_modes=(("US_SSN", "drop"),)
    )
    rows = [(bytearray(line), "s3://raw/f.jsonl") for line in lines]
    raw = spark.createDataFrame(rows, "value binary, source_file string")
    result = sanitize(raw, cfg)
    stats = result.stats()
    assert stats.records_in == len(lines)
    assert stats.invariant_holds
    assert result.sanitized.count() == stats.sanitized
    assert result.quarantine.count() == stats.quarantined_total
    assert set(stats.quarantined) <= set(QUARANTINE_REASONS)
    for row in result.sanitized.collect():
        json.loads(row.record)
    result.unpersist()
