"""Pure-Python tests of the per-line sanitizer, field paths, config and engine cache (no Spark)."""

from __future__ import annotations

import base64
import json
import pickle

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyspark")

from glue_jobs import transform
from glue_jobs.transform import (
    STATUS_QUARANTINED,
    STATUS_SANITIZED,
    LineSanitizer,
    SanitizeConfig,
    get_engine,
    parse_field_path,
    sanitize_batches,
)
from pii_engine import Engine

KEY = b"k" * 32


def test_parse_field_path() -> None:
    assert parse_field_path("messages[].content") == (("messages", True), ("content", False))
    assert parse_field_path("patient.notes") == (("patient", False), ("notes", False))
    for bad in ("", "a..b", "a[0].b", "a[]x", "."):
        with pytest.raises(ValueError):
            parse_field_path(bad)


def test_config_validation_and_secret_not_in_repr() -> None:
    with pytest.raises(ValueError, match="text_fields"):
        SanitizeConfig()
    with pytest.raises(ValueError):
        SanitizeConfig(text_fields=("a",), default_mode="hash")  # hash mode needs a key
    with pytest.raises(ValueError):
        SanitizeConfig(text_fields=("a",), entity_modes=(("NOT_A_TYPE", "mask"),))
    cfg = SanitizeConfig(text_fields=("a",), default_mode="hash", hash_key=KEY)
    assert "k" * 8 not in repr(cfg)
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert hash(cfg) == hash(SanitizeConfig(text_fields=["a"], default_mode="hash", hash_key=KEY))


def test_nested_paths_are_sanitized_and_others_untouched() -> None:
    cfg = SanitizeConfig(text_fields=("messages[].content", "patient.notes"))
    line = json.dumps(
        {
            "id": "call me at 555-123-4567",  # not configured: left as is
            "messages": [{"role": "user", "content": "call me at 555-123-4567"}, {"role": "assistant"}],
            "patient": {"notes": "my ssn is 123-45-6789", "age_note": "mail a.b@example.org"},
        }
    )
    res = LineSanitizer(cfg).process(line)
    assert res.status == STATUS_SANITIZED
    out = json.loads(res.record)
    assert out["id"] == "call me at 555-123-4567"
    assert out["messages"][0] == {"role": "user", "content": "call me at [PHONE_NUMBER]"}
    assert out["messages"][1] == {"role": "assistant"}
    assert out["patient"] == {"notes": "my ssn is [US_SSN]", "age_note": "mail a.b@example.org"}
    assert dict(res.entity_counts) == {"PHONE_NUMBER": 1, "US_SSN": 1}


def test_non_string_target_has_all_its_strings_sanitized() -> None:
    cfg = SanitizeConfig(text_fields=("patient", "tags[]"))
    line = json.dumps({"patient": {"contact": ["mail a.b@example.org"], "n": 3}, "tags": ["x@example.org", 7]})
    out = json.loads(LineSanitizer(cfg).process(line).record)
    assert out == {"patient": {"contact": ["mail [EMAIL_ADDRESS]"], "n": 3}, "tags": ["[EMAIL_ADDRESS]", 7]}


def test_array_marker_on_non_array_still_redacts() -> None:
    cfg = SanitizeConfig(text_fields=("messages[].content",))
    out = json.loads(LineSanitizer(cfg).process(json.dumps({"messages": {"content": "mail a.b@example.org"}})).record)
    assert out == {"messages": {"content": "mail [EMAIL_ADDRESS]"}}


def test_too_deep_nesting_is_quarantined_not_crashing() -> None:
    sanitizer = LineSanitizer(SanitizeConfig(scan_all_strings=True))
    results = [sanitizer.process('{"a":' * d + '"x"' + "}" * d) for d in (10, *range(980, 1001), 5000)]
    assert results[0].status == STATUS_SANITIZED
    assert results[-1].reason == "invalid_json"
    assert {r.reason for r in results[1:]} <= {None, "invalid_json"}


def test_scan_all_strings_passes_json_key_as_field_context() -> None:
    # balanced: the recall profile (the job's default) would redact the unknown words in "comment" as well
    cfg = SanitizeConfig(scan_all_strings=True, pii_profile="balanced")
    sanitizer = LineSanitizer(cfg)
    seen: list[tuple[str, str | None]] = []
    real = sanitizer.engine

    class Spy:
        def redact(self, text: str, *, field: str | None = None):
            seen.append((text, field))
            return real.redact(text, field=field)

    sanitizer.engine = Spy()  # type: ignore[assignment]
    res = sanitizer.process(json.dumps({"name": "Zxqv Plom", "comment": "Zxqv Plom", "msgs": [{"content": "hi"}, "x"]}))
    values = [(text, field) for text, field in seen if field is not None]
    assert values == [("Zxqv Plom", "name"), ("Zxqv Plom", "comment"), ("hi", "content"), ("x", "msgs")]
    # keys are scanned too, without context (a key is not the value of its parent key)
    assert sorted(text for text, field in seen if field is None) == ["comment", "content", "msgs", "name"]
    # the field name matters: the engine treats a "name" value as a person, the same text elsewhere not
    assert json.loads(res.record)["name"] == "[PERSON]"
    assert json.loads(res.record)["comment"] == "Zxqv Plom"


@pytest.mark.parametrize(
    ("line", "reason", "detail"),
    [
        ("", "empty", None),
        ("   \t", "empty", None),
        ('{"text": "' + "a" * 200 + '"}', "oversize", None),
        ("{not json", "invalid_json", None),
        ('{"text": NaN}', "invalid_json", None),
        ("[1, 2]", "not_object", None),
        ('"just a string"', "not_object", None),
        ('{"other": 1}', "missing_field", "text"),
        ('{"text": null}', "missing_field", "text"),
        ('{"text": "my ssn is 123-45-6789"}', "drop", "US_SSN"),
    ],
)
def test_every_quarantine_reason(line: str, reason: str, detail: str | None) -> None:
    cfg = SanitizeConfig(
        text_fields=("text",), required_fields=("text",), max_record_bytes=100, entity_modes=(("US_SSN", "drop"),)
    )
    res = LineSanitizer(cfg).process(line)
    assert (res.status, res.reason, res.reason_detail) == (STATUS_QUARANTINED, reason, detail)
    assert res.record is None


def test_oversize_counts_utf8_bytes_not_characters() -> None:
    cfg = SanitizeConfig(text_fields=("t",), max_record_bytes=30)
    line = json.dumps({"t": "é" * 10}, ensure_ascii=False)  # 18 characters, 28 bytes
    assert LineSanitizer(cfg).process(line).status == STATUS_SANITIZED
    assert LineSanitizer(cfg).process(json.dumps({"t": "é" * 12}, ensure_ascii=False)).reason == "oversize"


def test_drop_reason_names_types_never_values() -> None:
    cfg = SanitizeConfig(text_fields=("a", "b"), entity_modes=(("US_SSN", "drop"), ("EMAIL_ADDRESS", "drop")))
    res = LineSanitizer(cfg).process(json.dumps({"a": "ssn 123-45-6789", "b": "mail a.b@example.org"}))
    assert (res.reason, res.reason_detail) == ("drop", "EMAIL_ADDRESS,US_SSN")
    assert "123-45-6789" not in res.reason_detail and "example.org" not in res.reason_detail
    assert dict(res.entity_counts) == {"US_SSN": 1, "EMAIL_ADDRESS": 1}


def test_engine_built_once_per_config_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []

    class CountingEngine(Engine):
        def __init__(self, config: object) -> None:
            built.append(config)
            super().__init__(config)  # type: ignore[arg-type]

    monkeypatch.setattr(transform, "Engine", CountingEngine)
    monkeypatch.setattr(transform, "_ENGINES", {})
    cfg = SanitizeConfig(text_fields=("t",))
    batches = [pd.DataFrame({"value": ['{"t": "x"}'] * 3, "source_file": "f"}) for _ in range(4)]
    for _ in range(3):  # three "tasks" in the same Python worker
        out = list(sanitize_batches(iter(batches), cfg))
        assert [len(b) for b in out] == [3, 3, 3, 3]
    assert len(built) == 1
    assert get_engine(SanitizeConfig(text_fields=("t",))) is get_engine(cfg)
    get_engine(SanitizeConfig(text_fields=("t",), min_score=0.9))
    assert len(built) == 2


def test_sanitize_batches_keeps_raw_only_for_quarantine() -> None:
    cfg = SanitizeConfig(text_fields=("t",))
    batch = pd.DataFrame({"value": ['{"t": "mail a.b@example.org"}', "oops", None], "source_file": ["f1", "f2", "f3"]})
    (out,) = list(sanitize_batches(iter([batch]), cfg))
    assert list(out["status"]) == [STATUS_SANITIZED, STATUS_QUARANTINED, STATUS_QUARANTINED]
    assert out["raw"].iloc[0] is None and out["raw"].iloc[1] == "oops"
    assert list(out["reason"])[1:] == ["invalid_json", "empty"]
    assert list(out["source_file"]) == ["f1", "f2", "f3"]
    assert "example.org" not in out["record"].iloc[0]


# --- Raw bytes: invalid UTF-8, BOMs, escaped lone surrogates (issue 10, defect 1) ---------------------------------

LATIN1_LINE = b'{"text": "caf\xe9"}'  # a Latin-1 export: 0xE9 is not valid UTF-8


def _combined_rows(values: list[bytes], cfg: SanitizeConfig) -> list[dict[str, object]]:
    batch = pd.DataFrame({"value": values, "source_file": [f"f{i}" for i in range(len(values))]})
    return [row for out in sanitize_batches(iter([batch]), cfg) for row in out.to_dict("records")]


def test_invalid_utf8_line_is_quarantined_with_lossless_raw_bytes() -> None:
    cfg = SanitizeConfig(text_fields=("text",))
    good = b'{"text": "mail jane@example.com"}'
    rows = _combined_rows([good, LATIN1_LINE, b"\xff\xfe\x00garbage"], cfg)
    assert [r["status"] for r in rows] == [STATUS_SANITIZED, STATUS_QUARANTINED, STATUS_QUARANTINED]
    assert json.loads(rows[0]["record"]) == {"text": "mail [EMAIL_ADDRESS]"}
    assert [r["reason"] for r in rows[1:]] == ["invalid_utf8", "invalid_utf8"]
    assert rows[1]["reason_detail"] == "byte 13" and rows[2]["reason_detail"] == "byte 0"  # offsets, never values
    assert base64.b64decode(rows[1]["raw_base64"]) == LATIN1_LINE
    assert base64.b64decode(rows[2]["raw_base64"]) == b"\xff\xfe\x00garbage"
    assert rows[1]["raw"] == '{"text": "caf\\xe9"}'  # readable, escaped; raw_base64 is the exact copy
    assert rows[0]["raw_base64"] is None


def test_invalid_utf8_over_the_size_limit_is_oversize() -> None:
    cfg = SanitizeConfig(text_fields=("text",), max_record_bytes=20)
    assert LineSanitizer(cfg).process(b'{"text": "' + b"\xe9" * 30 + b'"}').reason == "oversize"
    assert LineSanitizer(cfg).process(b"\xe9").reason == "invalid_utf8"


@pytest.mark.parametrize(
    "line",
    [
        '\ufeff{"text": "mail jane@example.com"}',  # UTF-8 BOM opening a line of a concatenated export
        '\ufeff\ufeff{"text": "mail jane@example.com"}',
        b'\xef\xbb\xbf{"text": "mail jane@example.com"}',  # the same, as bytes from the reader
    ],
)
def test_bom_at_line_start_is_stripped(line: str | bytes) -> None:
    res = LineSanitizer(SanitizeConfig(text_fields=("text",))).process(line)
    assert res.status == STATUS_SANITIZED, res.reason
    assert json.loads(res.record) == {"text": "mail [EMAIL_ADDRESS]"}
    assert LineSanitizer(SanitizeConfig(text_fields=("text",))).process("\ufeff").reason == "empty"


@pytest.mark.parametrize("mode", ["mask", "hash"])
def test_escaped_lone_surrogates_give_valid_utf8_output(mode: str) -> None:
    cfg = SanitizeConfig(scan_all_strings=True, default_mode=mode, hash_key=KEY if mode == "hash" else None)
    values = [
        b'{"text": "ssn 123-45-6789 \\ud800", "name": "Jo\\udc00hn"}',
        b'{"k\\ud800": "x", "emoji": "\\ud83d\\ude00"}',  # a valid pair is one character and is kept
    ]
    rows = _combined_rows(values, cfg)
    assert [r["status"] for r in rows] == [STATUS_SANITIZED, STATUS_SANITIZED]
    for row in rows:
        row["record"].encode("utf-8")  # strict: Arrow and Parquet need valid UTF-8
    first, second = (json.loads(r["record"]) for r in rows)
    assert "123-45-6789" not in first["text"] and first["text"].endswith("\ufffd")
    assert "\ud800" not in json.dumps(second, ensure_ascii=False) and second["emoji"] == "\U0001f600"
    assert "k\ufffd" in second


def test_surrogates_outside_text_fields_are_escaped_not_lost() -> None:
    res = LineSanitizer(SanitizeConfig(text_fields=("text",))).process('{"text": "hi", "other": "a\\udfffb"}')
    assert res.status == STATUS_SANITIZED
    res.record.encode("utf-8")
    assert json.loads(res.record)["other"] in ("a\udfffb", "a\ufffdb")


# --- PII in object keys and numbers (issue 10, defect 4) -------------------------------------------------------


def test_scan_all_redacts_numbers_that_are_pii() -> None:
    res = LineSanitizer(SanitizeConfig(scan_all_strings=True)).process(
        '{"ssn": 123456789, "card": 4111111111111111, "age": 42, "ok": true, "ratio": 1.5, "none": null}'
    )
    assert res.status == STATUS_SANITIZED
    assert json.loads(res.record) == {
        "ssn": "[US_SSN]",
        "card": "[CREDIT_CARD]",
        "age": 42,
        "ok": True,
        "ratio": 1.5,
        "none": None,
    }
    assert dict(res.entity_counts) == {"US_SSN": 1, "CREDIT_CARD": 1}


def test_scan_all_redacts_keys_that_are_pii_and_keeps_them_unique() -> None:
    line = json.dumps(
        {
            "by_ssn": {"123-45-6789": "x", "234-56-7890": "y", "[US_SSN]": "literal key", "note": "n"},
            "name": {"first": "a"},  # schema keys under a "name" object are not names
            "jane.doe@example.com": [{"4111 1111 1111 1111": 1}],
        }
    )
    res = LineSanitizer(SanitizeConfig(scan_all_strings=True)).process(line)
    assert res.status == STATUS_SANITIZED
    out = json.loads(res.record)
    assert "123-45-6789" not in res.record and "234-56-7890" not in res.record and "example.com" not in res.record
    assert list(out) == ["by_ssn", "name", "[EMAIL_ADDRESS]"]
    by_ssn = out["by_ssn"]
    assert len(by_ssn) == 4 and sorted(by_ssn.values()) == ["literal key", "n", "x", "y"]
    assert by_ssn["[US_SSN]"] == "literal key" and by_ssn["note"] == "n"  # an unchanged key keeps its name
    assert all(k.startswith("[US_SSN]") for k in by_ssn if k != "note")
    assert out["name"] == {"first": "a"}
    assert out["[EMAIL_ADDRESS]"] == [{"[CREDIT_CARD]": 1}]
    assert dict(res.entity_counts) == {"US_SSN": 2, "EMAIL_ADDRESS": 1, "CREDIT_CARD": 1}


def test_hash_mode_keys_are_tokens_and_drop_mode_keys_drop_the_record() -> None:
    hashed = LineSanitizer(SanitizeConfig(scan_all_strings=True, default_mode="hash", hash_key=KEY)).process(
        '{"by_ssn": {"123-45-6789": 1}}'
    )
    ((key, value),) = json.loads(hashed.record)["by_ssn"].items()
    assert key.startswith("[US_SSN:") and value == 1
    dropped = LineSanitizer(SanitizeConfig(scan_all_strings=True, entity_modes=(("US_SSN", "drop"),))).process(
        '{"by_ssn": {"123-45-6789": 1}}'
    )
    assert (dropped.reason, dropped.reason_detail) == ("drop", "US_SSN")


def test_text_fields_redact_addressed_numbers_and_keys_under_them() -> None:
    cfg = SanitizeConfig(text_fields=("ssn", "patient", "ids[]"))
    line = json.dumps(
        {"ssn": 123456789, "patient": {"123-45-6789": {"card": 4111111111111111}}, "ids": [4111111111111111], "n": 7}
    )
    out = json.loads(LineSanitizer(cfg).process(line).record)
    assert out == {
        "ssn": "[US_SSN]",
        "patient": {"[US_SSN]": {"card": "[CREDIT_CARD]"}},
        "ids": ["[CREDIT_CARD]"],
        "n": 7,
    }


_LINES = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=30).map(lambda t: t.encode("utf-8")),
    st.builds(
        lambda obj, bom: (b"\xef\xbb\xbf" if bom else b"") + json.dumps(obj).encode(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
            lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=12), kids, max_size=3),
            max_leaves=8,
        ),
        st.booleans(),
    ),
    st.sampled_from(
        [
            b'{"t": "\\ud800", "\\udfff": 123456789}',
            b'{"ssn": 123456789, "by_ssn": {"123-45-6789": 4111111111111111, "[US_SSN]": 1}}',
            b"\xef\xbb\xbf",
            b'{"t": "caf\xe9"}',
            b'{"t": "' + b"\xe9" * 5000 + b'"}',
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINES, max_size=8), scan_all=st.booleans())
def test_every_line_gives_one_utf8_row_and_quarantined_bytes_survive(lines: list[bytes], scan_all: bool) -> None:
    cfg = SanitizeConfig(text_fields=() if scan_all else ("t", "ssn"), scan_all_strings=scan_all, max_record_bytes=4096)
    rows = _combined_rows(lines, cfg)
    assert len(rows) == len(lines)
    for line, row in zip(lines, rows, strict=True):
        assert row["reason"] is None or row["reason"] in transform.QUARANTINE_REASONS
        if row["status"] == STATUS_SANITIZED:
            assert isinstance(json.loads(row["record"].encode("utf-8")), dict)
        else:
            assert row["record"] is None
            row["raw"].encode("utf-8")
            if row["raw_base64"] is not None:
                assert base64.b64decode(row["raw_base64"]) == line
            else:
                assert row["raw"].encode("utf-8") == line
