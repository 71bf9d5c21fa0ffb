"""Pure-Python tests of the per-line sanitizer, field paths, config and engine cache (no Spark)."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

pytest.importorskip("pyspark")

from glue_jobs import transform
from pii_engine import Engine
from glue_jobs.transform import (
    STATUS_QUARANTINED,
    STATUS_SANITIZED,
    LineSanitizer,
    SanitizeConfig,
    get_engine,
    parse_field_path,
    sanitize_batches,
)

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
        def redact(self, text: str, *, field: str | None = None):  # noqa: ANN201 - mirrors Engine.redact
            seen.append((text, field))
            return real.redact(text, field=field)

    sanitizer.engine = Spy()  # type: ignore[assignment]
    res = sanitizer.process(json.dumps({"name": "Zxqv Plom", "comment": "Zxqv Plom", "msgs": [{"content": "hi"}, "x"]}))
    assert seen == [("Zxqv Plom", "name"), ("Zxqv Plom", "comment"), ("hi", "content"), ("x", "msgs")]
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
