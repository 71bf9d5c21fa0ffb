"""Numeric identifiers: CREDIT_CARD, US_SSN, US_ITIN, IBAN_CODE, PHONE_NUMBER and the context-gated weak types
(US_DRIVER_LICENSE, US_PASSPORT, US_BANK_NUMBER, ABA_ROUTING_NUMBER, MEDICAL_RECORD_NUMBER)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pii_engine import validators as v
from pii_engine.context import CONTEXT_WORDS, Doc, Recognizer, _letter_first
from pii_engine.model import Span
from pii_engine.patterns import LazyPattern, ascii_twin, lazy_re
from pii_engine.recognizers.scan import _SPACE_DASH, _rescan, number_starts

# --------------------------------------------------------------------------------------------- numbers


# Digit-group separators of a card number: up to two whitespace, dash, underscore or slash characters (double spaces,
# line breaks, "_", "/"); the group-shape check below rejects odd groupings. No-break spaces and dash variants reach
# here as " " and "-" (pii_engine.normalize).
CARD_RE = lazy_re(r"\d(?<![\w.+/-]\d)(?:[\s_/-]{0,2}\d){11,18}(?![\w/-]|[.,]\d)")
_CARD_SEPS = lazy_re(r"[\s_/-]+")
_CARD_GROUPS = {
    (4, 4, 4, 4),
    (4, 4, 4, 4, 3),
    (4, 6, 5),
    (4, 6, 4),
    (4, 4, 4, 1),
    (4, 4, 4, 2),
    (4, 4, 4, 3),
    (4, 4, 5),
    (4, 4, 4, 4, 2),
}


def find_card(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    for m in _rescan(CARD_RE, text, number_starts(text, doc)["card"]):
        s = m.group()
        parts = _CARD_SEPS.split(s)
        groups = tuple(map(len, parts))
        if len(groups) > 1 and groups not in _CARD_GROUPS:
            continue
        digits = "".join(parts)
        if v.card_ok(digits):
            if doc.has_context("CREDIT_CARD", m.start(), m.end()):
                yield Span("CREDIT_CARD", m.start(), m.end(), 1.0)
            elif len(digits) >= 15 and not doc.negated(m.start()):
                yield Span("CREDIT_CARD", m.start(), m.end(), 0.9)


SSN_RE = lazy_re(r"(\d(?<![\w.+/:-]\d)\d\d)([- ]?)(\d{2})\2(\d{4})(?![\w/:-]|[.,]\d)")


def find_ssn_itin(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    for m in _rescan(SSN_RE, text, number_starts(text, doc)["ssn"]):
        area, sep, group, serial = m.groups()
        if not sep:
            continue  # bare 9-digit numbers are context-gated in find_weak
        start, end = m.start(), m.end()
        if v.itin_ok(area, group, serial):
            etype, ok = "US_ITIN", True
        else:
            etype, ok = "US_SSN", v.ssn_ok(area, group, serial)
        if not ok:
            continue
        if doc.has_context(etype, start, end):
            yield Span(etype, start, end, 0.95)
        elif sep == "-" and not doc.negated(start):
            yield Span(etype, start, end, 0.85)
        elif sep == " " and not doc.negated(start):
            yield Span(etype, start, end, 0.55)


IBAN_RE = lazy_re(r"([A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2})((?:[ -]?[A-Z0-9]){11,30})", re.ASCII)


def find_iban(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    for m in IBAN_RE.finditer(text):
        need = v.IBAN_LENGTHS.get(m.group(1)[:2])
        if need is None:
            continue
        # Walk to exactly `need` alphanumerics so a following word/number is not swallowed.
        count, pos = 0, m.start()
        while pos < m.end() and count < need:
            if text[pos].isalnum():
                count += 1
            pos += 1
        if count != need or (pos < len(text) and text[pos].isalnum()):
            continue
        compact = _SPACE_DASH.sub("", text[m.start() : pos])
        if v.iban_ok(compact):
            yield Span("IBAN_CODE", m.start(), pos, 1.0)


# Phone candidates: optional international prefix / (area code), then digit runs with mandatory separators.
PHONE_RE = lazy_re(
    r"(?=[+(\d])(?<![\w+/.:,-])(?=(?:[+(]?\d[ .\-/\u00a0()]{0,3}){7})"  # >= 7 digits, checked in C
    r"(?P<intl>(?:\+|00)\d{1,3}[ .-]?(?:\(0\)[ .-]?)?)?"
    r"(?P<paren>\(\d{1,5}\)[ .-]?)?"
    r"(?P<body>\d+(?:(?:[ .\-/]|\u00a0)\d+)*)"
    r"(?P<ext>[ ]?(?:x|ext\.?|extn\.?)[ ]?\d{1,6})?"
    r"(?![\w/-]|[.:,]\d)"
)
_PHONE_RE_ASCII = ascii_twin(PHONE_RE)
_PHONE_SEP = lazy_re(r"[ .\-/\u00a0]")
NANP_RE = lazy_re(r"(?:1[ .-]?)?(?:\([2-9]\d\d\)[ .-]?|[2-9]\d\d[ .-])[2-9]\d\d[ .-]\d{4}")
DATE_SHAPE_RE = lazy_re(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


_PHONE_PUNCT = str.maketrans("", "", " .-/()+\u00a0")
_PHONE_SEPS = str.maketrans("", "", " .-/\u00a0")


def _phone_score(s: str, intl: bool, has_paren: bool, ctx: Any, check_shape: bool = True) -> float:
    """Score a candidate phone string (without extension); 0.0 if it does not look like a phone number.

    ``ctx`` is truthy when a phone context word is nearby (evaluated only by the shapes that need it).
    """
    digits = s.translate(_PHONE_PUNCT)
    n = len(digits)
    seps = len(s) - len(s.translate(_PHONE_SEPS)) + has_paren
    if (check_shape and DATE_SHAPE_RE.fullmatch(s)) or len(set(digits)) == 1:
        return 0.0
    if intl:
        body = digits[2:] if s.startswith("00") else digits
        if body[:1] == "0" or not 8 <= len(body) <= 15:
            return 0.0
        return 0.9 if seps or s.startswith("+") else 0.6
    if NANP_RE.fullmatch(s):
        return 0.85 if "." not in s or ctx else 0.7
    if not 7 <= n <= 13:
        return 0.0
    if digits[0] == "0" and digits[1] != "0" and 9 <= n <= 12 and seps:
        if "." in s and not ctx and s.count(".") < 3:
            return 0.0
        return 0.8
    if ctx:
        return 0.75 if seps or n >= 9 else 0.6
    return 0.0


def find_phone(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    for m in (_PHONE_RE_ASCII if doc.ascii else PHONE_RE).finditer(text):
        intl_s, paren_s, body_s, ext_s = m.group("intl", "paren", "body", "ext")
        plain = intl_s is None and paren_s is None  # the match is the body (and extension)
        if plain and len(body_s) < 7:
            continue
        # (pure checks, cheapest first)
        if len(m.group().translate(_PHONE_PUNCT)) < 7:
            continue
        if plain and DATE_SHAPE_RE.fullmatch(body_s):
            continue  # a date, not a number with a glued neighbour
        start = m.start()
        if doc.negated(start):
            continue
        intl, paren, body_end = intl_s is not None, paren_s is not None, m.end("body")
        ctx = _LazyContext(doc, "PHONE_NUMBER", start, m.end())
        # a plain candidate is its body, just checked not to be date-shaped
        score = _phone_score(text[start:body_end], intl, paren, ctx, not plain)
        if score:
            yield Span("PHONE_NUMBER", start, m.end() if ext_s else body_end, score)
            continue
        # A neighbouring number may be glued on: drop trailing digit groups, then (NANP only) leading ones.
        # Without a +prefix, (area) or a context word, a number followed by more numbers is a table row.
        if not (intl or paren or ctx):
            continue
        body_start = m.start("body")
        cuts = [body_start + g.end() for g in _PHONE_SEP.finditer(body_s)]
        for end in reversed(cuts):
            score = _phone_score(text[start : end - 1], intl, paren, ctx)
            if score:
                yield Span("PHONE_NUMBER", start, end - 1, score)
                break
        else:
            if intl or paren:
                continue
            for cut in cuts[:2]:
                s = text[cut:body_end]
                score = _phone_score(s, False, False, ctx)
                if score and NANP_RE.fullmatch(s):
                    yield Span("PHONE_NUMBER", cut, body_end, score)
                    break


class _LazyContext:
    """``bool()`` of it says whether a context word is near the span; computed once, only when asked."""

    __slots__ = ("_args", "_value")

    def __init__(self, doc: Doc, etype: str, start: int, end: int) -> None:
        self._args: tuple[Doc, str, int, int] | None = (doc, etype, start, end)
        self._value = False

    def __bool__(self) -> bool:
        if self._args is not None:
            doc, etype, start, end = self._args
            self._value, self._args = doc.has_context(etype, start, end, 40), None
        return self._value


# Weak identifier types: only fire with a context word nearby or a hinting JSON field name.
_WEAK: tuple[tuple[str, LazyPattern, float], ...] = (
    ("ABA_ROUTING_NUMBER", lazy_re(r"(?=\d)(?<![\w-])\d{9}(?![\w-])"), 0.9),
    (
        "US_PASSPORT",
        lazy_re(r"(?=[A-Z\d])(?<![\w-])(?:[A-Z]\d{8}|\d{9}|[A-Z]{2}\d{7})(?![\w-])"),
        0.85,
    ),
    (
        "MEDICAL_RECORD_NUMBER",
        lazy_re(r"(?=[A-Z\d])(?<![\w-])(?:[A-Z]{1,4}-?)?\d{3,12}(?:-\d{1,8})?(?![\w-])"),
        0.85,
    ),
    (
        "US_DRIVER_LICENSE",
        lazy_re(
            r"(?=[A-Z\d])(?<![\w-])(?:[A-Z]{1,2}[- ]?\d{3,14}(?:[- ]\d{2,6}){0,4}|\d{7,13}|\d{3}-\d{3}-\d{3})(?![\w-])"
        ),
        0.8,
    ),
    ("US_BANK_NUMBER", lazy_re(r"(?=\d)(?<![\w-])\d{8,17}(?![\w-])"), 0.8),
    ("US_SSN", lazy_re(r"(?=\d)(?<![\w-])\d{9}(?![\w-])"), 0.9),
    ("US_ITIN", lazy_re(r"(?=9)(?<![\w-])9\d{8}(?![\w-])"), 0.9),
)


_WEAK_TYPES = frozenset(t for t, _, _ in _WEAK)
# As CONTEXT, one group per (type, word) in that order; _WEAK_GATE_TYPE maps the group back to its type.
_WEAK_GATE_WORDS = [(f"{t}__{i}", w) for t in sorted(_WEAK_TYPES) for i, w in enumerate(CONTEXT_WORDS[t].split("|"))]
_WEAK_GATE_TYPE = {name: name.rsplit("__", 1)[0] for name, _ in _WEAK_GATE_WORDS}
_WEAK_GATE = lazy_re(_letter_first(_WEAK_GATE_WORDS))
# The same words without the groups: whether any occurs (one group per word makes the scan twice as slow; most texts
# have none).
_WEAK_GATE_ANY = lazy_re(_letter_first([("", w) for _, w in _WEAK_GATE_WORDS]))


# Every weak candidate needs six digits (checked below) and its digit groups are joined by single "-" or " ",
# so a text without six such digits has none.
_WEAK_DIGITS = lazy_re(r"\d(?:[- ]?\d){5}")
_WEAK_DIGITS_ASCII = ascii_twin(_WEAK_DIGITS)


def find_weak(text: str, doc: Doc) -> Iterator[Span]:
    """Context-gated identifiers; when several types' patterns match the same token, the type whose context
    word is closest before it wins (``"passport": "...", "driver_license": "123456789"`` -> licence)."""
    if not doc.has_digit or (_WEAK_DIGITS_ASCII if doc.ascii else _WEAK_DIGITS).search(text) is None:
        return
    present = set(doc.hints & _WEAK_TYPES)
    if _WEAK_GATE_ANY.search(doc.lower) is not None:
        present.update(_WEAK_GATE_TYPE[m.lastgroup] for m in _WEAK_GATE.finditer(doc.lower) if m.lastgroup)
    if not present:
        return
    best: dict[tuple[int, int], tuple[int, float, str]] = {}
    for etype, rx, score in _WEAK:
        if etype not in present:
            continue
        for m in rx.finditer(text):
            s = m.group()
            if sum(map(str.isdigit, s)) < 6 or doc.negated(m.start()):
                continue
            if etype == "ABA_ROUTING_NUMBER" and not v.aba_ok(s):
                continue
            if etype in ("US_SSN", "US_ITIN"):
                ok = v.itin_ok(s[:3], s[3:5], s[5:]) if etype == "US_ITIN" else v.ssn_ok(s[:3], s[3:5], s[5:])
                if not ok:
                    continue
            pos = doc.context_pos(etype, m.start())
            key = (m.start(), m.end())
            if pos >= 0 and (key not in best or (pos, score) > best[key][:2]):
                best[key] = (pos, score, etype)
    for (start, end), (_, score, etype) in best.items():
        yield Span(etype, start, end, score)


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "card": (find_card, frozenset({"CREDIT_CARD"})),
    "ssn": (find_ssn_itin, frozenset({"US_SSN", "US_ITIN"})),
    "iban": (find_iban, frozenset({"IBAN_CODE"})),
    "phone": (find_phone, frozenset({"PHONE_NUMBER"})),
    "weak": (
        find_weak,
        frozenset(
            {
                "ABA_ROUTING_NUMBER",
                "US_PASSPORT",
                "MEDICAL_RECORD_NUMBER",
                "US_DRIVER_LICENSE",
                "US_BANK_NUMBER",
                "US_SSN",
                "US_ITIN",
            }
        ),
    ),
}
