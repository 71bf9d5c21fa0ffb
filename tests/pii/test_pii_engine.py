"""Unit tests for the PII engine: validators, per-type detection and negatives, overlaps, modes, config."""

from __future__ import annotations

import itertools
import pickle

import pytest

from pii_engine import (
    ENTITY_TYPES,
    Engine,
    EngineConfig,
    Mode,
    Redaction,
    Span,
    detect,
    redact,
)
from pii_engine import validators as v
from pii_engine.engine import resolve_overlaps
from pii_engine.recognizers import numbers

ENGINE = Engine()
#: Types made of digits: every type the number recognizers report, and IP addresses.
NUMERIC_TYPES = frozenset({"IP_ADDRESS"}).union(*(types for _, types in numbers.RECOGNIZERS.values()))


def found(text: str, field: str | None = None) -> set[tuple[str, str]]:
    return {(s.type, text[s.start : s.end]) for s in ENGINE.detect(text, field=field)}


def types_of(text: str, field: str | None = None) -> set[str]:
    return {t for t, _ in found(text, field)}


# ------------------------------------------------------------------------------------------- validators


def test_luhn_and_issuers() -> None:
    assert v.luhn_ok("4111111111111111")
    assert not v.luhn_ok("4111111111111112")
    assert v.card_ok("4111111111111111")  # Visa
    assert v.card_ok("5555555555554444")  # Mastercard
    assert v.card_ok("378282246310005")  # Amex (15)
    assert v.card_ok("6011111111111117")  # Discover
    assert not v.card_ok("1234567812345670")  # Luhn-valid, no issuer
    assert not v.card_ok("378282246310005" + "0")  # Amex must be 15 digits


def test_iban_checksum_and_length() -> None:
    assert v.iban_ok("GB82WEST12345698765432")
    assert v.iban_ok("DE89370400440532013000")
    assert not v.iban_ok("GB82WEST12345698765433")  # mod-97 fails
    assert not v.iban_ok("DE8937040044053201300")  # DE needs 22 chars
    assert not v.iban_ok("XX82WEST12345698765432")  # unknown country


def test_ssn_and_itin_rules() -> None:
    assert v.ssn_ok("123", "45", "6789")
    for ssn in ("000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "111-11-1111"):
        assert not v.ssn_ok(*ssn.split("-")), ssn
    assert v.itin_ok("912", "70", "1234") and v.itin_ok("900", "94", "0000")
    assert not v.itin_ok("912", "93", "1234") and not v.itin_ok("812", "70", "1234")


def test_aba_checksum() -> None:
    assert v.aba_ok("021000021") and v.aba_ok("011000015")
    assert not v.aba_ok("021000022") and not v.aba_ok("991000021") and not v.aba_ok("12345")


def test_ip_validators() -> None:
    assert v.ipv4_ok("192.168.0.1") and not v.ipv4_ok("256.1.1.1") and not v.ipv4_ok("01.2.3.4")
    assert v.ipv6_ok("2001:db8::1") and not v.ipv6_ok("12:30:45")


# ------------------------------------------------------------------------------------------- per type


#: Per entity type, (text, the value found in it): every registered type has at least one.
DETECTS: dict[str, list[tuple[str, str]]] = {
    "EMAIL_ADDRESS": [("mail me: jane.doe+x@mail.example.co.uk.", "jane.doe+x@mail.example.co.uk")],
    "PHONE_NUMBER": [
        ("call (415) 555-2671 today", "(415) 555-2671"),
        ("US +1-202-555-0173x12", "+1-202-555-0173x12"),
        ("UK office +44 20 7946 0958", "+44 20 7946 0958"),
        ("UK mobile 07700 900123", "07700 900123"),
        ("Tel.: +49 (0) 30 1234567", "+49 (0) 30 1234567"),
        ("Berlin 030 12345678 Büro", "030 12345678"),
        ("Tél : 01 23 45 67 89", "01 23 45 67 89"),
        ("India +91 98765 43210", "+91 98765 43210"),
        ("Madrid +34 912 345 678", "+34 912 345 678"),
    ],
    "CREDIT_CARD": [
        ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005", "3782-822463-10005"),
    ],
    "US_SSN": [("ssn 123-45-6789", "123-45-6789"), ("SSN: 123456789", "123456789")],
    "US_ITIN": [("ITIN 912-70-1234", "912-70-1234")],
    "IBAN_CODE": [
        ("pay to GB82 WEST 1234 5698 7654 32 now", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "DE89370400440532013000"),
    ],
    "IP_ADDRESS": [
        ("from 203.0.113.42:8080", "203.0.113.42"),
        ("v6 2001:db8:85a3::8a2e:370:7334 ok", "2001:db8:85a3::8a2e:370:7334"),
    ],
    "MAC_ADDRESS": [("nic 00:1A:2B:3C:4D:5E up", "00:1A:2B:3C:4D:5E")],
    "URL": [
        ("see https://example.org/a/b?c=1).", "https://example.org/a/b?c=1"),
        ("visit www.example.com/path, thanks", "www.example.com/path"),
    ],
    "DATE_TIME": [
        ("born 03/14/1975 in", "03/14/1975"),
        ("on 2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z"),
        ("am 15. Januar 2024 um", "15. Januar 2024"),
        ("le 3 mars 2021", "3 mars 2021"),
        ("admitted March 3, 2021", "March 3, 2021"),
    ],
    "US_DRIVER_LICENSE": [("driver's license: D1234567", "D1234567")],
    "US_PASSPORT": [("passport no. 912345678", "912345678")],
    "US_BANK_NUMBER": [("checking account 0012345678901", "0012345678901")],
    "ABA_ROUTING_NUMBER": [("routing number 021000021", "021000021")],
    "MEDICAL_RECORD_NUMBER": [("MRN: 00123456", "00123456")],
    "AWS_ACCESS_KEY": [("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE")],
    "AWS_SECRET_KEY": [
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    ],
    "PERSON": [
        ("Patient: Maria Gonzalez, seen today", "Maria Gonzalez"),
        ("Seen by Dr. Okonkwo for follow-up", "Okonkwo"),
        ("hi my name is sarah connor", "sarah connor"),
        ("Thanks,\nWenzel Pärtzelt", "Wenzel Pärtzelt"),
    ],
    "STREET_ADDRESS": [
        ("ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500", "1600 Pennsylvania Avenue NW"),
        ("lives at 4890 Bowers View Apt. 883", "4890 Bowers View Apt. 883"),
        ("Adresse: Musterstraße 12a, 10115 Berlin", "Musterstraße 12a"),
        ("au 19, rue de la Paix", "19, rue de la Paix"),
        ("mail to PO Box 1234", "PO Box 1234"),
    ],
    "LOCATION": [("she moved to Hamburg last year", "Hamburg"), ("born in Sri Lanka", "Sri Lanka")],
    "ZIP_CODE": [("Springfield, IL 62704", "62704"), ("London SW1A 1AA", "SW1A 1AA")],
    "AGE": [("a 45-year-old woman", "45"), ("aged 7, no history", "7")],
}


def test_every_registered_type_has_a_detection_example() -> None:
    assert sorted(DETECTS) == sorted(ENTITY_TYPES)


@pytest.mark.parametrize(
    ("text", "etype", "value"), [(text, etype, value) for etype, cases in DETECTS.items() for text, value in cases]
)
def test_detects(text: str, etype: str, value: str) -> None:
    assert (etype, value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Released v1.2.3 and 10.0.19045.3693 today",
        "build 20240115123 finished; order #1234567890 shipped",
        "ts=1700000000 epoch_ms=1700000000123 pid 12345",
        "| 1234 | 5678 | 9012 | 3456 |\n| 2345 | 6789 | 0123 | 4567 |",
        "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 uuid 123e4567-e89b-12d3-a456-426614174000",
        "4111111111111112 is not a card (bad Luhn)",
        "SSN 000-12-3456 and 666-12-3456 are invalid",
        "GB82WEST12345698765433 has a bad checksum",
        "999.1.1.1 is not an address, nor is 12:30:45",
        "Random 9 digit number 021000021 without context",
        "numbers 12345678 and A1234567 alone are neither record numbers nor licences",
        "Call center KPIs: 98.6% SLA, 3.14159 pi, 2,718,281 rows",
        "60614 53237 20789 46271\n0 61326 27809 23033 96012",
    ],
)
def test_numeric_negatives(text: str) -> None:
    assert not types_of(text) & NUMERIC_TYPES


def test_numeric_types_are_the_number_family_and_ip_addresses() -> None:
    """The negatives above cover every type the number recognizers report (a new one is covered too), plus IPs."""
    assert {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_BANK_NUMBER", "US_PASSPORT"} <= NUMERIC_TYPES
    assert not NUMERIC_TYPES & {"DATE_TIME", "ZIP_CODE", "AGE", "PERSON"}


def test_free_text_negatives() -> None:
    text = "The Build Pipeline Uses New Caching. Visual Studio Code runs on Ubuntu. See Release Notes."
    assert not types_of(text) & {"PERSON", "STREET_ADDRESS"}
    assert types_of("Dear Hiring Manager, I am applying for the role.") == set()
    got = found("I went to New York with two Apple engineers on Monday.")
    assert got == {("LOCATION", "New York")}


def test_uk_address_on_one_line() -> None:
    got = found("Ship to: Jane Doe, 221B Baker Street, London NW1 6XE, United Kingdom.")
    assert {
        ("PERSON", "Jane Doe"),
        ("STREET_ADDRESS", "221B Baker Street"),
        ("LOCATION", "London"),
        ("ZIP_CODE", "NW1 6XE"),
        ("LOCATION", "United Kingdom"),
    } <= got


def test_weak_types_need_context() -> None:
    assert "US_PASSPORT" not in types_of("value 912345678 here")
    assert "US_PASSPORT" in types_of("912345678", field="passport_number")
    assert "MEDICAL_RECORD_NUMBER" in types_of("00123456", field="mrn")
    assert "PERSON" in types_of("Zyx Qwerty", field="patient_name")
    assert "PERSON" not in types_of("report.pdf", field="filename")


def test_nearest_context_wins_in_json() -> None:
    text = '{"passport_number": "912345678", "driver_license": "123456789"}'
    got = found(text)
    assert ("US_PASSPORT", "912345678") in got and (
        "US_DRIVER_LICENSE",
        "123456789",
    ) in got


def test_embedded_json_key_values() -> None:
    got = found('{"city": "Xyzzyville", "holder": "Qa Zed"}')
    assert ("LOCATION", "Xyzzyville") in got and ("PERSON", "Qa Zed") in got


# ------------------------------------------------------------------------------------------- overlaps


def test_overlap_rule_longest_then_score_then_priority() -> None:
    a, b = Span("PHONE_NUMBER", 0, 10, 0.9), Span("US_SSN", 0, 11, 0.5)
    assert resolve_overlaps([a, b]) == [b]  # longer wins despite lower score
    c, d = Span("PERSON", 5, 9, 0.6), Span("LOCATION", 5, 9, 0.8)
    assert resolve_overlaps([c, d]) == [d]  # same length: higher score
    e, f = Span("LOCATION", 5, 9, 0.8), Span("PERSON", 5, 9, 0.8)
    assert resolve_overlaps([e, f]) == [f] == resolve_overlaps([f, e])  # tie: fixed type priority
    spans = resolve_overlaps(
        [
            Span("AGE", 20, 22, 0.9),
            Span("EMAIL_ADDRESS", 0, 5, 0.9),
            Span("URL", 3, 8, 0.9),
        ]
    )
    assert [s.type for s in spans] == ["EMAIL_ADDRESS", "AGE"]


def test_detect_output_sorted_non_overlapping() -> None:
    text = "Patient: John Smith, SSN 123-45-6789, email john@example.com, https://x.example.com/john@example.com"
    spans = detect(text)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


# ------------------------------------------------------------------------------------------- modes


def test_mask_mode() -> None:
    assert redact("mail a.b@example.com now") == "mail [EMAIL_ADDRESS] now"


def test_hash_mode_consistent_and_keyed() -> None:
    k1, k2 = b"k" * 32, b"j" * 32
    a = redact("SSN 123-45-6789", mode="hash", hash_key=k1)
    b = redact("ssn: 123 45 6789", mode=Mode.HASH, hash_key=k1)
    c = redact("SSN 123-45-6789", mode="hash", hash_key=k2)
    assert a.startswith("SSN [US_SSN:") and len(a.split(":")[1]) == 17
    assert a.split(" ")[1] == b.split(" ")[1]  # same value, different formatting -> same token (joins work)
    assert a != c  # keyed
    assert redact("Mail A@Example.com", mode="hash", hash_key=k1) == redact(
        "mail a@example.com", mode="hash", hash_key=k1
    ).replace("mail", "Mail")


def test_drop_mode_and_per_type_modes() -> None:
    engine = Engine(
        EngineConfig(
            entity_modes={"US_SSN": Mode.DROP, "EMAIL_ADDRESS": Mode.HASH},
            hash_key=b"secret",
        )
    )
    r = engine.redact("SSN 123-45-6789, mail a@example.com, a@example.com")
    assert isinstance(r, Redaction) and r.drop
    assert r.text.startswith("SSN [US_SSN], mail [EMAIL_ADDRESS:")
    assert r.counts == {"US_SSN": 1, "EMAIL_ADDRESS": 2}
    assert len({s.type for s in r.spans}) == 2
    assert not engine.redact("mail a@example.com").drop
    assert engine.redact("nothing here") == Redaction("nothing here", (), False, {})


def test_placeholders_not_redetected() -> None:
    once = redact("Dr. Smith called +44 20 7946 0958 about MRN 12345678 and [PERSON]")
    assert redact(once) == once
    assert detect("[PHONE_NUMBER] [US_SSN:0123456789abcdef] [PERSON]") == []


def test_entity_subset_and_min_score() -> None:
    engine = Engine(EngineConfig(entities=frozenset({"EMAIL_ADDRESS"})))
    assert [s.type for s in engine.detect("a@example.com 123-45-6789")] == ["EMAIL_ADDRESS"]
    strict = Engine(EngineConfig(min_score=0.99))
    assert strict.detect("call (415) 555-2671") == []


# ------------------------------------------------------------------------------------------- config


def test_config_defaults() -> None:
    cfg = EngineConfig()
    assert cfg.entities == frozenset(ENTITY_TYPES)
    assert cfg.min_score == 0.5 and cfg.default_mode is Mode.MASK and cfg.second_tier is None


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"entities": frozenset({"EMAIL", "PERSON"})}, "EMAIL"),
        ({"entity_modes": {"SSN": Mode.MASK}}, "SSN"),
        ({"min_score": 1.5}, "1.5"),
        ({"min_score": "high"}, "high"),
        ({"default_mode": Mode.HASH}, "hash_key"),
        ({"entity_modes": {"PERSON": Mode.HASH}}, "hash_key"),
        ({"default_mode": "scramble"}, "scramble"),
        ({"second_tier": "nope"}, "nope"),
    ],
)
def test_config_validation(kwargs: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as exc:
        EngineConfig(**kwargs)
    if "entities" in kwargs or ("entity_modes" in kwargs and "SSN" in str(kwargs)):
        assert "EMAIL_ADDRESS" in str(exc.value)  # lists the allowed names


def test_config_and_engine_hashable_and_picklable() -> None:
    cfg = EngineConfig(entity_modes={"US_SSN": Mode.HASH}, hash_key=b"k")
    assert hash(cfg) == hash(EngineConfig(entity_modes={"US_SSN": Mode.HASH}, hash_key=b"k"))
    clone = pickle.loads(pickle.dumps(cfg))
    assert clone == cfg and clone.mode_for("US_SSN") is Mode.HASH
    engine = pickle.loads(pickle.dumps(Engine(cfg)))
    assert engine.redact("ssn 123-45-6789").text == Engine(cfg).redact("ssn 123-45-6789").text


def test_module_redact_requires_key_for_hash() -> None:
    with pytest.raises(ValueError, match="hash_key"):
        redact("a@example.com", mode="hash")


def test_empty_and_whitespace() -> None:
    assert detect("") == [] and redact("") == "" and redact("   ") == "   "


def test_number_scan_agrees_with_patterns() -> None:
    """The one-pass number scan finds exactly the positions where each of its patterns matches."""
    from pii_engine.context import Doc
    from pii_engine.recognizers import dates, network, scan

    texts = [
        "ip 10.0.0.1, card 4111 1111 1111 1111 and 4111-1111-1111-1111, ssn 123-45-6789 / 123 45 6789",
        "on 2024-03-05T10:30:00Z, 03/05/2024 at 9:15 pm, 2024/3/5, 1.2.3.4.5, v1.2.3, a1.2.3.4 x.10.0.0.1",
        "4111111111111111 4111 1111 1111 1111 1111 123-45-67890 12.05.2024 12-05-24 1/2/2024 -5 +1 (555)",
        "",
        "no digits at all",
        "９８７-６５-４３２１ ٠١٢٣٤٥٦٧٨٩٠١٢ 2024-13-45",
    ]
    pats = {"ip": network.IPV4_RE, "card": numbers.CARD_RE, "ssn": numbers.SSN_RE, "date": dates.DATE_NUM_RE}
    for text in texts:
        starts = scan.number_starts(text, Doc(text.lower(), frozenset()))
        for key, rx in pats.items():
            want = [i for i in range(len(text)) if rx.match(text, i)]
            assert starts[key] == want, (key, text)


def test_context_patterns_match_plain_alternation() -> None:
    """Context-word regexes (grouped by first letter) find the same words as the plain whole-word alternation."""
    import re

    from pii_engine import context

    texts = [
        "call me on my cell or telephone; tel: +1, fax/phone, ph. mobile, mob, whatsapp, sms, text me, reach me",
        "ssn / social security / ss# / ss # / soc sec / itin taxpayer tax id tin; routing no rt# aba rtn transit",
        "driver's license, drivers licence, driving license, dl dln dl#, führerschein fuhrerschein permis",
        "a/c acct account bank checking savings konto compte cuenta; passport no reisepass passeport pasaporte",
        "mrn medical record med rec record number chart patient id mr# mr no ehr emr hospital number",
        "zip code zipcode postal postcode post code plz c.p. cp pin pincode; secret_access_key aws_secret",
        "telephoned cellar xssn phoned recall mobiles zipped pinned tincan aba1 ssn9 téléphone móvil teléfono",
    ]
    for etype, words in context.CONTEXT_WORDS.items():
        plain = re.compile(context._CTX_LEAD + words + context._CTX_TAIL)
        for text in texts:
            assert [m.span() for m in context.CONTEXT[etype].finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ], (etype, text)
    gate = re.compile(
        context._CTX_LEAD
        + "|".join(f"(?P<{t}>{context.CONTEXT_WORDS[t]})" for t in sorted(numbers._WEAK_TYPES))
        + context._CTX_TAIL
    )
    for text in texts:
        assert [(m.span(), numbers._WEAK_GATE_TYPE[m.lastgroup]) for m in numbers._WEAK_GATE.finditer(text)] == [
            (m.span(), m.lastgroup) for m in gate.finditer(text)
        ]


def test_every_registered_type_has_a_recognizer_and_a_rank() -> None:
    """The registry is the one list of types: each can be reported by some recognizer and has a tie-break rank."""
    from pii_engine.engine import PRIORITY
    from pii_engine.recognizers import RECOGNIZERS, names
    from pii_engine.registry import REGISTRY

    reportable = set(names.TYPES).union(*(types for _, types in RECOGNIZERS.values()))
    assert reportable == set(ENTITY_TYPES)
    assert sorted(PRIORITY) == sorted(ENTITY_TYPES) and len({t.priority for t in REGISTRY}) == len(REGISTRY)
