"""Property tests (hypothesis): idempotence, span invariants, robustness on arbitrary unicode."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pii_engine import ENTITY_TYPES, Engine, EngineConfig, Mode

MASK = Engine()
HASH = Engine(EngineConfig(default_mode=Mode.HASH, hash_key=b"property-test-key"))
DROP = Engine(EngineConfig(default_mode=Mode.DROP))

# PII-shaped fragments glued together with arbitrary text exercise the recognizers much more than random text.
FRAGMENTS = st.sampled_from(
    [
        "John Smith",
        "Dr. Okafor",
        "Patient: ",
        "my name is anna lee",
        "4111 1111 1111 1111",
        "123-45-6789",
        "+44 20 7946 0958",
        "(415) 555-2671",
        "a.b@example.com",
        "https://example.org/x?y=1",
        "GB82 WEST 1234 5698 7654 32",
        "192.168.0.1",
        "2001:db8::1",
        "00:1A:2B:3C:4D:5E",
        "03/14/1975",
        "2024-01-15T10:30:00Z",
        "MRN: 12345678",
        "passport 912345678",
        "routing 021000021",
        "AKIAIOSFODNN7EXAMPLE",
        "45-year-old",
        "Springfield, IL 62704",
        "4890 Bowers View Apt. 883",
        "Musterstraße 12a, 10115 Berlin",
        "lives in Paris",
        "[PERSON]",
        "[US_SSN:0123456789abcdef]",
        "[",
        "]",
        ":",
        "-",
        " ",
        "\n",
        "v1.2.3",
        "12345",
        "é",
        "\u00a0",
        "Ünïcödé",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=12).map("".join),
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXTS)
def test_spans_valid(text: str) -> None:
    spans = MASK.detect(text)
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.type in ENTITY_TYPES and 0.5 <= s.score <= 1.0
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))  # sorted and non-overlapping


@SETTINGS
@given(TEXTS)
def test_redaction_idempotent_all_modes(text: str) -> None:
    for engine in (MASK, HASH, DROP):
        once = engine.redact(text).text
        assert engine.redact(once).text == once


@SETTINGS
@given(
    TEXTS,
    st.sampled_from([None, "name", "mrn", "passport_number", "city", "address", "notes", ""]),
)
def test_field_hints_never_crash(text: str, field: str | None) -> None:
    result = MASK.redact(text, field=field)
    assert result.drop is False
    assert sum(result.counts.values()) >= len(result.spans)
