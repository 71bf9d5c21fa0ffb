"""Obfuscated and Unicode PII (pii_engine.normalize): detection on the normalised text, redaction of the original."""

from __future__ import annotations

import sys
import unicodedata
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pii_engine import Engine, EngineConfig, Mode, Span
from pii_engine.normalize import CF_CLASS, normalize

ENGINE = Engine()

# (input, entity type); each was missed before normalisation. The whole input after the label is the entity.
OBFUSCATED = {
    "zero-width space in SSN": ("SSN ", "123-4\u200b5-6789", "US_SSN"),
    "zero-width joiner in SSN": ("SSN ", "123\u200d-45-6789", "US_SSN"),
    "zero-width space in email": ("mail ", "jo\u200bhn.smith@exa\u200bmple.com", "EMAIL_ADDRESS"),
    "zero-width joiner in email": ("mail ", "john.smith@\u200dexample.com", "EMAIL_ADDRESS"),
    "zero-width space in card": ("card ", "4111 11\u200b11 1111 1111", "CREDIT_CARD"),
    "zero-width joiner in card": ("card ", "4111\u200d1111\u200d1111\u200d1111", "CREDIT_CARD"),
    "zero-width space in phone": ("call ", "(555) 01\u200b0-0199", "PHONE_NUMBER"),
    "zero-width joiner in phone": ("call ", "555-010\u200d-0199", "PHONE_NUMBER"),
    "soft hyphen between SSN groups": ("SSN ", "123\u00ad45\u00ad6789", "US_SSN"),
    "en dash between SSN groups": ("SSN ", "123\u201345\u20136789", "US_SSN"),
    "U+2010 hyphen between SSN groups": ("SSN ", "123\u201045\u20106789", "US_SSN"),
    "U+2212 minus between SSN groups": ("SSN ", "123\u221245\u22126789", "US_SSN"),
    "NBSP in card": ("card ", "4111\u00a01111\u00a01111\u00a01111", "CREDIT_CARD"),
    "double spaces in card": ("card ", "4111  1111  1111  1111", "CREDIT_CARD"),
    "newlines in card": ("card ", "4111\n1111\n1111\n1111", "CREDIT_CARD"),
    "underscores in card": ("card ", "4111_1111_1111_1111", "CREDIT_CARD"),
    "slashes in card": ("card ", "4111/1111/1111/1111", "CREDIT_CARD"),
    "full-width at sign": ("mail ", "john.smith\uff20example.com", "EMAIL_ADDRESS"),
    "full-width address": (
        "mail ",
        "\uff4a\uff4f\uff48\uff4e\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
        "EMAIL_ADDRESS",
    ),
    "ideographic full stop": ("mail ", "john.smith@example\u3002com", "EMAIL_ADDRESS"),
    "internationalized domain": ("mail ", "jan@b\u00fccher.example", "EMAIL_ADDRESS"),
    "internationalized domain (CJK)": ("mail ", "taro@\u4f8b\u3048.\u30c6\u30b9\u30c8", "EMAIL_ADDRESS"),
    "%40": ("mail ", "john.smith%40example.com", "EMAIL_ADDRESS"),
    "&#64;": ("mail ", "john.smith&#64;example.com", "EMAIL_ADDRESS"),
    "&#x40; and &period;": ("mail ", "john&#x40;example&period;com", "EMAIL_ADDRESS"),
    "name dot surname at example dot com": ("mail ", "name dot surname at example dot com", "EMAIL_ADDRESS"),
    "[at]": ("mail ", "john.smith[at]example.com", "EMAIL_ADDRESS"),
    "(at)": ("mail ", "john.smith (at) example.com", "EMAIL_ADDRESS"),
    "(at) and (dot)": ("mail ", "john (at) example (dot) com", "EMAIL_ADDRESS"),
}


@pytest.mark.parametrize("case", list(OBFUSCATED))
def test_obfuscated_pii_is_found_and_every_original_character_redacted(case: str) -> None:
    label, value, etype = OBFUSCATED[case]
    text = f"{label}{value} thanks"
    spans = ENGINE.detect(text)
    assert [(s.type, s.start, s.end) for s in spans] == [(etype, len(label), len(label) + len(value))]
    assert ENGINE.redact(text).text == f"{label}[{etype}] thanks"


@pytest.mark.parametrize(
    "text",
    [
        "I work at example.com and live at home",  # a spaced "at" before a real domain is not an address
        "meet me at noon, dot the i's",
        "pages 10\u201320 of the report",  # en dash between digits becomes "-", still not PII
        "a=1&b=2 and 50% off, %zz, &unknown; &amp; co",
        "caf\u00e9 na\u00efve \u00fcber stra\u00dfe",
    ],
)
def test_ordinary_text_stays_clean(text: str) -> None:
    assert ENGINE.detect(text) == []


def test_structural_url_escapes_stay_encoded() -> None:
    """%20, %2F, %26 are not decoded: the URL is found whole, as before."""
    text = "see https://example.org/search?q=a%20b%2Fc%26d now"
    [span] = ENGINE.detect(text)
    assert (span.type, text[span.start : span.end]) == ("URL", "https://example.org/search?q=a%20b%2Fc%26d")


def test_hash_of_an_obfuscated_value_equals_the_hash_of_the_plain_value() -> None:
    engine = Engine(EngineConfig(default_mode=Mode.HASH, hash_key=b"k"))
    plain = engine.redact("mail john@example.com").text
    for variant in (
        "john%40example.com",
        "john&#64;example.com",
        "jo\u200bhn\uff20example.com",
        "john [at] example.com",
    ):
        assert engine.redact(f"mail {variant}").text == plain


def test_redaction_is_still_a_fixed_point_on_obfuscated_text() -> None:
    text = "SSN 123\u201345\u20136789, mail john%40example.com, card 4111\u00a01111\u00a01111\u00a01111"
    once = ENGINE.redact(text).text
    assert once == "SSN [US_SSN], mail [EMAIL_ADDRESS], card [CREDIT_CARD]"
    assert ENGINE.redact(once).text == once


def test_cf_class_is_exactly_the_format_characters() -> None:
    import re

    if unicodedata.unidata_version != "14.0.0":
        pytest.skip(f"CF_CLASS lists Unicode 14.0.0; this Python has {unicodedata.unidata_version}")
    rx = re.compile(f"[{CF_CLASS}]")
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        assert (rx.match(ch) is not None) == (unicodedata.category(ch) == "Cf"), hex(cp)


# ------------------------------------------------------------------------------------------------ properties

PLAIN = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="%&@[](){}<>"), max_size=80)
TRICKY = st.lists(
    st.one_of(
        st.sampled_from(
            [
                *"ab1 .-@%&;#[]()x4",
                *["\u200b", "\u200d", "\u00ad", "\u2013", "\u2212", "\u00a0", "\uff20", "\u3002", "\ufb01", "\u00bd"],
                *["e\u0301", "&#64;", "%40", "%C3%A9", "%ZZ", " at ", " dot ", "[at]", "(dot)", "&amp;", "\u2126"],
            ]
        ),
        st.characters(),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(TRICKY, st.data())
def test_mapped_spans_are_valid_ordered_and_disjoint(text: str, data: st.DataObject) -> None:
    norm = normalize(text)
    if norm is None:
        return
    cuts = sorted(data.draw(st.lists(st.integers(0, len(norm.text)), max_size=12)))
    spans = [Span("PERSON", a, b, 1.0) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
    mapped, values = norm.map_spans(spans)
    assert len(mapped) == len(values) <= len(spans)
    last = 0
    for s in mapped:
        assert last <= s.start < s.end <= len(text)
        last = s.end
    # a span over the whole normalised text leaves out at most removed characters at the edges
    if norm.text:
        start, end = norm.to_original(0, len(norm.text))
        assert 0 <= start < end <= len(text)
        head = normalize(text[:start] + "x")
        assert head is None or head.text == "x"


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_every_original_character_maps_into_some_chunk_or_is_copied(text: str) -> None:
    """Mapping each normalised character back gives non-decreasing, in-range original positions."""
    norm = normalize(text)
    if norm is None:
        return
    positions = [norm.to_original(i, i + 1) for i in range(len(norm.text))]
    for (a0, a1), (b0, b1) in pairwise(positions):
        assert a0 <= b0 and a1 <= b1
    assert all(0 <= a < b <= len(text) for a, b in positions)


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_text_without_anything_to_normalise_is_untouched(text: str) -> None:
    if "dot" in text.lower():
        return
    assert normalize(text) is None
    assert ENGINE.detect(text) == ENGINE._detect(text, None)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            ("ssn", "123-45-6789"),
            ("mail", "john.smith@example.com"),
            ("card", "4111 1111 1111 1111"),
            ("phone", "(555) 010-0199"),
        ]
    ),
    st.data(),
)
def test_zero_width_characters_anywhere_inside_do_not_hide_pii(case: tuple[str, str], data: st.DataObject) -> None:
    label, value = case
    positions = sorted(data.draw(st.lists(st.integers(1, len(value) - 1), min_size=1, max_size=4, unique=True)))
    zw = data.draw(st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]))
    obfuscated = "".join(zw + c if i in positions else c for i, c in enumerate(value))
    plain = ENGINE.redact(f"{label}: {value}.")
    assert len(plain.spans) == 1
    found = ENGINE.redact(f"{label}: {obfuscated}.")
    assert [s.type for s in found.spans] == [s.type for s in plain.spans]
    assert found.text == plain.text
