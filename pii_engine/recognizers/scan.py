"""One pass over the digit runs of a text, shared by the network, number and date recognizers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pii_engine.context import Doc
from pii_engine.patterns import LazyPattern, ascii_twin, lazy_re

_TIME = (
    r"(?:(?:,\s*|\s+|\s*(?:at|um|à|a las)\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?i:\s?[ap]\.?m\.?)?"
    r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?(?![\w/]|[.:-]\d)"
)

# One pass over the digits that do not follow a word character: which of IPV4_RE, CARD_RE, SSN_RE and
# DATE_NUM_RE match there. Each group is that pattern after its first digit (kept in sync by
# tests/pii/test_pii_engine.py::test_number_scan_agrees_with_patterns); groups inside the look-aheads record
# which matched.
NUMBER_SCAN_GROUPS = ("ip", "card", "ssn", "date")
NUMBER_SCAN = lazy_re(
    r"\d(?<!\w\d)"
    r"(?:(?=(?P<ip>(?<!\.\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d))))?"
    r"(?:(?=(?P<card>(?<![.+/-]\d)(?:[\s_/-]{0,2}\d){11,18}(?![\w/-]|[.,]\d))))?"
    r"(?:(?=(?P<ssn>(?<![.+/:-]\d)\d\d(?P<ssn_sep>[- ]?)\d{2}(?P=ssn_sep)\d{4}(?![\w/:-]|[.,]\d))))?"
    r"(?:(?=(?P<date>(?<![.:/-]\d)(?:\d{3}-\d{2}-\d{2}|\d{0,1}(?P<date_sep>[/.-])\d{1,2}(?P=date_sep)\d{2,4}"
    r"|\d{3}/\d{1,2}/\d{1,2})" + _TIME + r")))?"
    r"(?(ip)|(?(card)|(?(ssn)|(?(date)|(?!)))))"
)
_NUMBER_SCAN_ASCII = ascii_twin(NUMBER_SCAN)


def number_starts(text: str, doc: Doc) -> dict[str, list[int]]:
    """Start offsets of the matches of :data:`IPV4_RE`, :data:`CARD_RE`, :data:`SSN_RE` and :data:`DATE_NUM_RE`
    at every position of ``text`` (computed once per call, on first use, in one pass of :data:`NUMBER_SCAN`).

    Each of those patterns starts with a digit that must not follow a word character; the scan tries each such
    position once for all four (instead of each pattern trying every digit) and records which of them match there.
    """
    starts = doc.number_starts
    if starts is None:
        ips: list[int] = []
        cards: list[int] = []
        ssns: list[int] = []
        dates: list[int] = []
        for m in (_NUMBER_SCAN_ASCII if doc.ascii else NUMBER_SCAN).finditer(text):
            ip, card, ssn, date = m.group(*NUMBER_SCAN_GROUPS)  # one call; None: the group did not match
            start = m.start()
            if ip is not None:
                ips.append(start)
            if card is not None:
                cards.append(start)
            if ssn is not None:
                ssns.append(start)
            if date is not None:
                dates.append(start)
        starts = doc.number_starts = {"ip": ips, "card": cards, "ssn": ssns, "date": dates}
    return starts


def _rescan(rx: LazyPattern, text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """The matches ``rx.finditer(text)`` gives, given every position where ``rx`` matches (sorted): a match
    starting inside the previous one is skipped, as ``finditer`` resumes at the previous match's end."""
    last = 0
    for start in starts:
        if start >= last:
            m = rx.match(text, start)
            assert m is not None
            last = m.end()
            yield m


# Separator and digit-run regexes precompiled once (no re-module cache lookups per candidate).
_SPACE_DASH = lazy_re(r"[ -]")
_DASH_SLASH = lazy_re(r"[-/]")
_DATE_SEPS = lazy_re(r"[/.-]")
_FOUR_DIGITS = lazy_re(r"\d{4}")
