"""Dates and ages: DATE_TIME, AGE."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pii_engine.context import Doc, Recognizer
from pii_engine.model import Span
from pii_engine.patterns import lazy_re, literal_alternation
from pii_engine.recognizers.scan import (
    _DASH_SLASH,
    _DATE_SEPS,
    _FOUR_DIGITS,
    _TIME,
    _rescan,
    number_starts,
)

# --------------------------------------------------------------------------------------------- dates, ages, zip codes

_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|sept?(?:ember|\.)?|"
    r"oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|"
    r"janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
DATE_NUM_RE = lazy_re(
    r"(?=\d)(?<![\w.:/-])(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<num>\d{1,2}(?P<sep>[/.-])\d{1,2}(?P=sep)\d{2,4})"
    r"|(?P<ymd>\d{4}/\d{1,2}/\d{1,2}))" + _TIME
)

# Textual dates are matched from the month name (found with str.find on its stem), then extended left to a day.
DATE_TXT_RE = lazy_re(
    r"(?:" + _MONTHS + r")(?:\s+\d{1,2}(?:st|nd|rd|th)?(?![\d:]))?(?:,?\s+(?:de\s+)?\d{4})?" + _TIME,
    re.IGNORECASE,
)
_DAY_BEFORE = lazy_re(r"(?<![\w.:/-])\d{1,2}(?:st|nd|rd|th|er|\.|º)?\s+(?:de\s+)?$", re.IGNORECASE)
# Three-letter stems of the month names above (lower-cased); a text without any has no textual date.
_MONTH_STEMS = (
    "jan",
    "feb",
    "fév",
    "fev",
    "mar",
    "mär",
    "apr",
    "avr",
    "abr",
    "may",
    "mai",
    "jun",
    "jui",
    "jul",
    "aug",
    "aoû",
    "aou",
    "ago",
    "sep",
    "set",
    "oct",
    "okt",
    "nov",
    "dec",
    "déc",
    "dez",
    "dic",
    "ene",
)

assert {len(stem) for stem in _MONTH_STEMS} == {3}
_MONTH_STEM_RE = lazy_re(literal_alternation(_MONTH_STEMS))


def _valid_ymd(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= 31 and 1000 <= y <= 2999


def find_date(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    for m in _rescan(DATE_NUM_RE, text, number_starts(text, doc)["date"]):
        if m.group("iso") or m.group("ymd"):
            y, mo, d = (int(x) for x in _DASH_SLASH.split(m.group("iso") or m.group("ymd")))
            if not _valid_ymd(y, mo, d):
                continue
            yield Span("DATE_TIME", m.start(), m.end(), 0.9)
            continue
        a, b, c = _DATE_SEPS.split(m.group("num"))
        if (m.group("sep") != "/" and len(c) != 4) or len(c) == 3:
            continue
        a_i, b_i = int(a), int(b)
        if not (1 <= a_i <= 31 and 1 <= b_i <= 31 and min(a_i, b_i) <= 12):
            continue
        if len(c) == 4 and not 1000 <= int(c) <= 2999:
            continue
        yield Span("DATE_TIME", m.start(), m.end(), 0.85)
    lower = doc.lower
    # Stems are distinct 3-character strings, so each position holds at most one; an occurrence hidden by an
    # overlapping earlier one starts after a letter of it and would be rejected anyway.
    for sm in _MONTH_STEM_RE.finditer(lower):
        pos = sm.start()
        if pos == 0 or not lower[pos - 1].isalpha():
            m = DATE_TXT_RE.match(text, pos)
            if m:
                day = _DAY_BEFORE.search(text, max(0, pos - 12), pos)
                start = day.start() if day else pos
                t = text[start : m.end()]
                # A bare "May"/"Mar 3" in prose is ambiguous: need a digit, and a capital or a year.
                if (
                    any(ch.isdigit() for ch in t)
                    and (_FOUR_DIGITS.search(t) or any(ch.isupper() for ch in t if ch.isalpha()))
                    and not (t[:3].lower() == "may" and not any(ch.isdigit() for ch in t[3:]))
                ):
                    yield Span("DATE_TIME", start, m.end(), 0.85)


AGE_NUM_RE = lazy_re(  # (the group starts with its first digit: the regex engine skips to digits in C)
    r"(?P<n>\d(?<![\w.]\d)\d{0,2})(?i:\s*(?:-|\s)\s*(?:years?|yrs?|year)(?:-|\s)old|\s*(?:y/o|y\.o\.|yo|yrs? old)"
    r"|\s+years?\s+of\s+age|\s+jahre\s+alt|-jährige[rn]?|\s+ans(?:\s|$|[,.])|\s+años(?:\s|$|[,.]))"
)
AGE_KEY_RE = lazy_re(
    r"(?:aged?|age[\"']?\s*[:=]|alter\s*:?|âge\s*:?|edad\s*:?)\s*(?P<n>\d{1,3})(?![\w]|\.\d)",
    re.IGNORECASE,
)
_AGE_WORDS = ("age", "alter", "âge", "edad")


_AGE_KEYS = (
    "year",
    "yr",
    "y/o",
    "y.o",
    "yo",
    "age",
    "jahre",
    "jährig",
    "alter",
    "ans",
    "años",
    "âge",
    "edad",
)

_AGE_KEY_RE = lazy_re(literal_alternation(_AGE_KEYS))


def find_age(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit or _AGE_KEY_RE.search(doc.lower) is None:
        return
    matches = list(AGE_NUM_RE.finditer(text))
    lower = doc.lower
    for word in _AGE_WORDS:
        pos = lower.find(word)
        while pos != -1:
            if pos == 0 or not lower[pos - 1].isalnum():
                m = AGE_KEY_RE.match(text, pos)
                if m:
                    matches.append(m)
            pos = lower.find(word, pos + 1)
    for m in matches:
        if 0 < int(m.group("n")) <= 125:
            yield Span("AGE", m.start("n"), m.end("n"), 0.85)
    if "AGE" in doc.hints and text.strip().isdigit() and 0 < int(text.strip()) <= 125:
        s = text.index(text.strip())
        yield Span("AGE", s, s + len(text.strip()), 0.8)


_NUM_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|"
    r"nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|(?:a|one)[- ]hundred(?:[- ](?:and[- ])?\w+)?)"
)
# Ages in words ("seventy-two-year-old", "aged sixty-two", "turned forty-eight", "you're 71", "lat 31", "anni 34") and
# in other layouts/languages after the number: ", 36 years,", "56 J.", "85 éves", "59 ετών", "50 tuổi", "88 år",
# "80 let", "93 yaşında", "26-vuotias", "96M".
AGE_WORDS_RE = lazy_re(
    rf"(?i:(?<![\w-])(?P<w>{_NUM_WORD})(?=[- ]years?[- ]old|[- ]year[- ]old|[- ]yrs?[- ]old|[- ]years?\b(?![ ]ago))"
    rf"|(?:aged|turned|turns|turning|age(?:d)? of|you're|you are|is now|lat|anni|edad|idade|åldern?)[ \t:]+"
    rf"(?P<w2>{_NUM_WORD}|\d{{1,3}})(?![\w-]|[.,]\d))"
)
_AGE_WORDS_GATE = ("year", "aged", "turn", "you're", "you are", "is now", "age of", "lat ", "anni ", "edad", "idade",
                   "ålder")  # fmt: skip
_AGE_WORDS_GATE_RE = lazy_re(literal_alternation(_AGE_WORDS_GATE))  # one scan instead of 12 substring tests
# The same pattern without (?i:...), run on the lower-cased text when the text is ASCII: there case-insensitive
# matching on the text and case-sensitive matching of the (lower-case) pattern on its lower-case form agree, with the
# same offsets, and the regex engine can reject a branch on its first literal (3x faster on texts past the gate).
assert AGE_WORDS_RE.source.startswith("(?i:") and AGE_WORDS_RE.source.endswith(")")
assert AGE_WORDS_RE.source == AGE_WORDS_RE.source.lower().replace("(?p<", "(?P<")
_AGE_WORDS_LOWER_RE = lazy_re(AGE_WORDS_RE.source[4:-1])
# What every match of AGE_SUFFIX_RE leaves in the lower-cased text: a digit, then blanks and a suffix word, "-vuotias"
# or "m"/"f". The scan stops at digits only.
_AGE_SUFFIX_GATE = lazy_re(
    r"\d(?:[ \t]+(?:"
    + literal_alternation(
        ("years", "yrs", "j.", "jahre", "éves", "ετών", "tuổi", "år", "let", "anos", "años", "ans", "jaar", "vuotta",
         "yaşında", "yo")
    )
    + r")|-vuotias|[mf])"
)  # fmt: skip
AGE_SUFFIX_RE = lazy_re(
    r"\d(?<![\w.,/:-]\d)(?P<n>\d{0,2})(?:(?P<years>[ \t]+(?:years|yrs)(?=[,;)]))|[ \t]+(?:J\.|Jahre|éves|ετών|tuổi|år|let|"
    r"anos|años|ans|jaar|vuotta|yaşında|yo)(?![\w])|-vuotias|[MF](?=[,;. ]))"
)
# Recall profile: a bare number next to a name: "Irina (50) and ...", "Fatima Al-Masri, 24, of TRONDHEIM",
# "Rhiannon, ninety-six, and".
# (the first character, a blank or a comma, is consumed before the look-behinds: the regex engine then skips to
# candidate positions in C instead of trying every position; same matches as with a leading look-behind)
AGE_APPOSITION_RE = lazy_re(
    rf"[ \t,](?<=[^\W\d_][ \t,])(?:(?<=[ \t])\((?P<p>\d{{1,3}})\)|(?<=,)[ \t](?P<c>\d{{1,3}}|{_NUM_WORD}),[ \t]"
    rf"(?=of\b|and\b|from\b|who\b|a\b|an\b|the\b|still\b|lives\b|[a-z]+ed\b))"
)


def find_age_more(text: str, doc: Doc) -> Iterator[Span]:
    """Ages in words and in the layouts :func:`find_age` does not know (:data:`AGE_WORDS_RE`, :data:`AGE_SUFFIX_RE`)."""
    lower = doc.lower
    if _AGE_WORDS_GATE_RE.search(lower) is not None:
        fast = text.isascii() and "[" not in text  # ``lower`` is text.lower() (no placeholder blanked)
        for m in _AGE_WORDS_LOWER_RE.finditer(lower) if fast else AGE_WORDS_RE.finditer(text):
            key = m.lastgroup
            if key is None:
                continue
            value = m.group(key)
            if value.isdigit() and not 0 < int(value) <= 125:
                continue
            yield Span("AGE", m.start(key), m.end(key), 0.8)
    if doc.has_digit and _AGE_SUFFIX_GATE.search(lower) is not None:
        for m in AGE_SUFFIX_RE.finditer(text):
            start = m.start()
            if m.group("years") and text[max(0, start - 2) : start] != ", ":
                continue  # "36 years" only as an apposition: ", 36 years," (not "for 10 years")
            if 0 < int(text[start : m.end("n")]) <= 125:
                yield Span("AGE", start, m.end("n"), 0.8)
    # (a match holds a "(" or two commas: most texts with a ", " have one comma and no parenthesis)
    if doc.recall and (" (" in text or ", " in text) and ("(" in text or text.count(",") > 1):
        for m in AGE_APPOSITION_RE.finditer(text):
            key = "p" if m.group("p") else "c"
            value = m.group(key)
            if value.isdigit() and not 0 < int(value) <= 125:
                continue
            yield Span("AGE", m.start(key), m.end(key), 0.6)


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "date": (find_date, frozenset({"DATE_TIME"})),
    "age": (find_age, frozenset({"AGE"})),
    "age_more": (find_age_more, frozenset({"AGE"})),
}
