"""``LineSanitizer.process_many`` (one engine pass per batch) gives exactly the results of ``process`` line by line."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyspark")

from glue_jobs import transform
from glue_jobs.transform import LineSanitizer, SanitizeConfig, sanitize_batches
from pii_engine import Engine
from tests.benchmark_scripts import load_benchmark

KEY = b"k" * 32
EXCLUDED = {"bad-1": -2, "bad-2": -1}


def _devset() -> ModuleType:
    return load_benchmark("pii_devset")


def _records(texts: list[str]) -> list[str | bytes]:
    """Records that put ``texts`` everywhere the sanitizer looks: text fields, nested paths, keys, numbers."""
    lines: list[str | bytes] = []
    for i, text in enumerate(texts):
        shape = i % 5
        if shape == 0:
            obj: dict[str, Any] = {"request_id": f"r-{i}", "text": text, "n": i}
        elif shape == 1:
            obj = {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": text[::-1]}]}
        elif shape == 2:
            obj = {"text": "hi", "patient": {"notes": text, text[:40]: {"ssn": 123456789}}, "phone": 5551234567}
        elif shape == 3:
            obj = {"request_id": "bad-1" if i % 2 else "good", "text": text, "meta": {"name": text[:20]}}
        else:
            obj = {"text": [text, {"content": text, "4111 1111 1111 1111": [text[:12], 4111111111111111]}]}
        lines.append(json.dumps(obj, ensure_ascii=i % 2 == 0))
        if i % 7 == 0:
            lines.append(json.dumps(obj).encode("utf-8"))  # the same record again, as bytes from the reader
    return lines


EDGE_LINES: list[str | bytes] = [
    "",
    "   \t",
    b"",
    "{not json",
    '{"text": NaN}',
    "[1, 2]",
    '"just a string"',
    '{"other": 1}',
    '{"text": null}',
    '{"text": 1e400}',
    '{"text": "' + "a" * 5000 + '"}',  # oversize
    b'{"text": "caf\xe9 jane@example.com"}',  # invalid UTF-8
    b'{"text": "' + b"\xe9" * 5000 + b'"}',  # invalid UTF-8 and oversize
    '\ufeff{"text": "mail jane@example.com"}',
    b'\xef\xbb\xbf\xef\xbb\xbf{"text": "mail jane@example.com"}',
    '{"text": "\\ud800 call 555-123-4567", "\\udfff": "jane@example.com", "other": "\\udc00"}',
    '{"text": "[PERSON] and [US_SSN:0123456789abcdef] met Anna Kowalski", "[EMAIL_ADDRESS]": 1}',
    '{"text": "john dot smith at example dot com &#64; caf\\u00e9 \\uff21nna"}',
    '{"text": "my ssn is 123-45-6789"}',
    '{"text": "' + "Anna Kowalski, 555-123-4567. " * 20 + '"}',  # longer than the memo limit
    '{"jane.doe@example.com": {"text": "jane.doe@example.com"}, "text": {"123-45-6789": "Anna"}}',
    '{"text": "x", "messages": [{"content": "mail a.b@example.org"}, "not an object", {"content": 5551234567}]}',
    '{"text": {"a": {"b": [1.5, true, null, "Anna Kowalski", {"c": "ssn 123-45-6789"}]}}}',
    '{"a":' * 3000 + '"x"' + "}" * 3000,  # too deep to walk
    '{"text": "a"}',
]

CONFIGS = {
    "paths": SanitizeConfig(
        text_fields=("text", "messages[].content", "patient", "meta.name", "messages"),  # overlapping paths too
        required_fields=("text",),
        max_record_bytes=4096,
    ),
    "scan_all": SanitizeConfig(scan_all_strings=True, max_record_bytes=4096),
    "scan_all_balanced_hash": SanitizeConfig(
        scan_all_strings=True, default_mode="hash", hash_key=KEY, pii_profile="balanced", max_record_bytes=4096
    ),
    "drop": SanitizeConfig(
        text_fields=("text", "messages[].content", "patient"),
        entity_modes=(("US_SSN", "drop"), ("CREDIT_CARD", "drop"), ("EMAIL_ADDRESS", "hash")),
        hash_key=KEY,
        max_record_bytes=4096,
    ),
}


@pytest.fixture(scope="module")
def lines() -> list[str | bytes]:
    devset = _devset()
    texts = [rec.text for rec in devset.generate(300, seed=21)] + devset.hard_negatives(60, seed=22)
    return [*_records(texts), *EDGE_LINES, *_records(texts[:40])]  # repeats: memo hits within and across batches


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("excluded", [None, EXCLUDED])
def test_process_many_gives_the_results_of_process(
    name: str, excluded: dict[str, int] | None, lines: list[str | bytes]
) -> None:
    config = CONFIGS[name]
    expected = [LineSanitizer(config, excluded).process(line) for line in lines]
    batched = LineSanitizer(config, excluded)
    got = [res for i in range(0, len(lines), 97) for res in batched.process_many(lines[i : i + 97])]
    assert got == expected
    assert [r.record for r in got] == [r.record for r in expected]  # byte-identical JSON text
    assert batched._batch == {}  # nothing held between batches
    # the mix covers every outcome
    reasons = {r.reason for r in expected}
    assert {"empty", "oversize", "invalid_utf8", "invalid_json", "not_object"} <= reasons
    assert ("negative_feedback" in reasons) == (excluded is not None)
    assert ("drop" in reasons) == (name == "drop")
    assert sum(sum(r.entity_counts.values()) for r in expected) > 300


def test_a_batch_runs_the_engine_once(monkeypatch: pytest.MonkeyPatch, lines: list[str | bytes]) -> None:
    """The per-line code finds every redaction prepared, except where the walk could not foresee the text (values
    under a key that is itself redacted, a value redacted again by an overlapping path)."""
    config = SanitizeConfig(text_fields=("text", "messages[].content"), max_record_bytes=4096)
    sanitizer = LineSanitizer(config)
    calls: dict[str, int] = {"redact": 0, "redact_many": 0}
    for method in calls:
        original = getattr(Engine, method)

        def spy(self: Engine, *args: Any, _original: Any = original, _name: str = method, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Engine, method, spy)
    pii_keys = ('"4111 1111 1111 1111":', '"jane.doe@example.com":', '"123-45-6789":')
    plain = [line for line in lines if not any(k in (line if isinstance(line, str) else str(line)) for k in pii_keys)]
    assert len(plain) > 300
    results = sanitizer.process_many(plain)
    assert calls == {"redact": 0, "redact_many": 1}
    assert sum(sum(r.entity_counts.values()) for r in results) > 300
    sanitizer.process_many(plain)  # everything short is memoised now; the long texts are redacted again, batched
    assert calls == {"redact": 0, "redact_many": 2}


def _frame(lines: list[str | bytes | None]) -> pd.DataFrame:
    return pd.DataFrame({"value": lines, "source_file": [f"f{i % 3}" for i in range(len(lines))]})


@pytest.mark.parametrize("batch_lines", [1, 7, 10_000])
def test_sanitize_batches_rows_are_those_of_process(
    batch_lines: int, monkeypatch: pytest.MonkeyPatch, lines: list[str | bytes]
) -> None:
    monkeypatch.setattr(transform, "_BATCH_LINES", batch_lines)
    config = CONFIGS["drop"]
    values: list[str | bytes | None] = [*lines[:150], None, *EDGE_LINES]
    (out,) = list(sanitize_batches(iter([_frame(values)]), config, EXCLUDED))
    reference = LineSanitizer(config, EXCLUDED)
    expected = [reference.process("" if v is None else v) for v in values]
    assert len(out) == len(values)
    assert out["status"].tolist() == [r.status for r in expected]
    assert out["record"].tolist() == [r.record for r in expected]
    assert out["reason"].tolist() == [r.reason for r in expected]
    assert out["reason_detail"].tolist() == [r.reason_detail for r in expected]
    assert out["entity_counts"].tolist() == [r.entity_counts for r in expected]
    assert out["source_file"].tolist() == [f"f{i % 3}" for i in range(len(values))]


_PII = st.sampled_from(
    [
        "Anna Kowalski",
        "jane.doe@example.com",
        "123-45-6789",
        "555-123-4567",
        "4111 1111 1111 1111",
        "[PERSON]",
        "[US_SSN:0123456789abcdef]",
        "john dot smith at example dot com",
        "\ud800",
        "caf\u00e9",
        "",
    ]
)
_TEXT = st.one_of(st.text(max_size=12), st.lists(_PII | st.text(max_size=6), max_size=4).map(" ".join))
_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([123456789, 5551234567, 4.5]) | _TEXT,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(_TEXT | st.sampled_from(["text", "name"]), kids, max_size=3)
    ),
    max_leaves=10,
)
_LINE = st.one_of(
    st.builds(lambda obj, bom: ("\ufeff" if bom else "") + json.dumps(obj), _VALUE, st.booleans()),
    st.builds(lambda obj: json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass"), _VALUE),
    st.binary(max_size=40),
    st.sampled_from(EDGE_LINES[:15]),
)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_LINE, max_size=12), name=st.sampled_from(sorted(CONFIGS)))
def test_process_many_equals_process_on_generated_lines(lines: list[str | bytes], name: str) -> None:
    config = CONFIGS[name]
    assert LineSanitizer(config).process_many(lines) == [LineSanitizer(config).process(line) for line in lines]
