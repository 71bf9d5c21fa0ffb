"""Regex recognizers for structured and context-dependent entity types.

Each recognizer is ``(text, doc) -> Iterable[Span]``; ``doc`` carries per-call shared state (lower-cased text,
field-name hints). Every pattern is written so that it cannot backtrack catastrophically (separators are
mandatory between repeated digit runs) and most recognizers have a cheap substring prefilter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pii_engine import validators as v
from pii_engine.model import Span


class LazyPattern:
    """A regex compiled on first use (keeps ``import pii_engine`` cheap for Lambda cold starts).

    After the first attribute access the bound methods of the compiled pattern are cached on the instance,
    so later calls cost the same as on a plain ``re.Pattern``. Concurrent first use compiles twice at worst.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.source, self.source_flags = pattern, flags

    def __getattr__(self, name: str) -> Any:
        value = getattr(re.compile(self.source, self.source_flags), name)
        setattr(self, name, value)
        return value


def lazy_re(pattern: str, flags: int = 0) -> LazyPattern:
    """Lazily compiled regex (see :class:`LazyPattern`)."""
    return LazyPattern(pattern, flags)


def literal_alternation(words: Iterable[str]) -> str:
    """A regex matching exactly the given literal strings, factored by common prefixes ("jan|jun|jul" ->
    "j(?:an|u(?:n|l))"): the regex engine tries one branch per first character instead of every word.

    Only for existence tests or for words of one length (where at most one can match at a position).
    """
    heads: dict[str, list[str]] = {}
    for w in dict.fromkeys(words):
        heads.setdefault(w[:1], []).append(w[1:])
    alts = []
    for head, rests in heads.items():
        if not head:
            continue
        tails = [r for r in rests if r]
        if not tails:
            alts.append(re.escape(head))
        else:
            opt = "?" if "" in rests else ""
            alts.append(f"{re.escape(head)}(?:{literal_alternation(tails)}){opt}")
    return "|".join(alts)


# Patterns that must not start right after some characters consume their first character and then look
# behind over two characters ("\d(?<![\w.]\d)" rather than "(?=\d)(?<![\w.])"): a pattern that starts with a
# character class lets the regex engine skip to candidate positions in C instead of trying every position.

# --------------------------------------------------------------------------------------------- context


def _ctx(*words: str) -> str:
    return "|".join(words)


# Context words (regex alternatives over lower-cased text, matched as whole words) per entity type.
CONTEXT_WORDS: dict[str, str] = {
    "PHONE_NUMBER": _ctx(
        r"phone",
        r"tel",
        r"telephone",
        r"mobile",
        r"cell",
        r"fax",
        r"call(?:ed)?",
        r"contact",
        r"text me",
        r"whatsapp",
        r"sms",
        r"ph",
        r"mob",
        r"telefon",
        r"handy",
        r"t[ée]l[ée]phone",
        r"t[ée]l",
        r"portable",
        r"m[óo]vil",
        r"tel[ée]fono",
        r"reach me",
        r"reach",
        r"ring",
    ),
    "CREDIT_CARD": _ctx(
        r"card",
        r"visa",
        r"mastercard",
        r"amex",
        r"cc",
        r"credit",
        r"debit",
        r"kreditkarte",
        r"carte",
        r"tarjeta",
        r"pan",
    ),
    "US_SSN": _ctx(r"ssn", r"social security", r"ss#", r"ss #", r"soc sec"),
    "US_ITIN": _ctx(r"itin", r"taxpayer", r"tax id", r"tin"),
    "ABA_ROUTING_NUMBER": _ctx(
        r"routing", r"aba", r"rtn", r"transit", r"routing no", r"rt#"
    ),
    "US_BANK_NUMBER": _ctx(
        r"account",
        r"acct",
        r"acc",
        r"a/c",
        r"bank",
        r"checking",
        r"savings",
        r"konto",
        r"compte",
        r"cuenta",
    ),
    "US_DRIVER_LICENSE": _ctx(
        r"driver'?s? licen[cs]e",
        r"driving licen[cs]e",
        r"licen[cs]e",
        r"dl",
        r"dln",
        r"dl#",
        r"f[üu]hrerschein",
        r"permis",
    ),
    "US_PASSPORT": _ctx(
        r"passport", r"passport no", r"reisepass", r"passeport", r"pasaporte"
    ),
    "MEDICAL_RECORD_NUMBER": _ctx(
        r"mrn",
        r"medical record",
        r"med rec",
        r"record no",
        r"record number",
        r"chart",
        r"patient id",
        r"patient number",
        r"mr#",
        r"mr no",
        r"health record",
        r"ehr",
        r"emr",
        r"hospital number",
    ),
    "AWS_SECRET_KEY": _ctx(
        r"secret",
        r"aws_secret_access_key",
        r"secret_access_key",
        r"secretaccesskey",
        r"secret key",
        r"aws_secret",
    ),
    "ZIP_CODE": _ctx(
        r"zip",
        r"zip code",
        r"zipcode",
        r"postal",
        r"postcode",
        r"post code",
        r"plz",
        r"code postal",
        r"cp",
        r"pin",
        r"pincode",
        r"c\.p\.",
    ),
}
_CTX_LEAD, _CTX_TAIL = r"(?=[a-z/])(?<![a-z])(?:", r")(?![a-z])"


def _letter_first(alts: list[tuple[str, str]]) -> str:
    """Whole-word alternation of context-word regexes, given as (group name or "", regex) pairs.

    The alternatives are grouped by their first letter, which is consumed before one look-behind
    ("p(?<![a-z]p)(?:hone|h|ortable)|t(?<![a-z]t)(?:el|...)"), so the regex engine skips to candidate letters in
    C and checks the word start once per candidate. At a position only the alternatives starting with its letter
    can match, and they keep their order, so the matches are those of ``_CTX_LEAD + "|".join(...) + _CTX_TAIL``.
    """
    by_letter: dict[str, list[str]] = {}
    for name, w in alts:
        assert (
            w[:1].isascii()
            and w[:1].isalpha()
            and w[1:2] not in ("", "?", "*", "+", "{")
        ), w
        rest = f"(?P<{name}>{w[1:]})" if name else w[1:]
        by_letter.setdefault(w[0], []).append(rest)
    return (
        "(?:"
        + "|".join(
            f"{c}(?<![a-z]{c})(?:{'|'.join(rests)})" for c, rests in by_letter.items()
        )
        + _CTX_TAIL
    )


CONTEXT: dict[str, LazyPattern] = {
    t: lazy_re(_letter_first([("", w) for w in words.split("|")]))
    for t, words in CONTEXT_WORDS.items()
}

# Words right before a number that make it something other than a phone number / identifier.
NEGATIVE_WORDS = frozenset(
    """version ver v build release order invoice inv ticket issue pr commit ref reference id sku
        serial port pid uid gid bytes ms qty quantity tracking txn transaction job run step line row
        item page count total size epoch timestamp ts seq offset no
    """.split()  # noqa: SIM905
)
_TAIL_STRIP = " \t\r\n:,;#=-\u2013\u2014"
_WORD_STRIP = "\"'([{<*"


def tail_words(window: str, k: int = 3) -> tuple[list[str], str]:
    """The last ``k`` words of ``window`` (outer quotes/brackets removed) and the punctuation trailing them."""
    body = window.rstrip(_TAIL_STRIP)
    # rsplit(None, k)[-k:] == split()[-k:], without splitting the whole window
    return [w.strip(_WORD_STRIP) for w in body.rsplit(None, k)[-k:]], window[
        len(body) :
    ]


# phrases set -> last words of its multi-word phrases (a two/three-word match must end with one of them)
_PHRASE_TAILS: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def ends_with(words: list[str], phrases: frozenset[str]) -> bool:
    """True if the last one, two or three of ``words`` form one of ``phrases``."""
    n = len(words)
    if not n:
        return False
    last = words[-1]
    if last in phrases:
        return True
    if n == 1:
        return False
    entry = _PHRASE_TAILS.get(id(phrases))
    if entry is None or entry[0] is not phrases:
        tails = frozenset(p.rsplit(" ", 1)[1] for p in phrases if " " in p)
        _PHRASE_TAILS[id(phrases)] = entry = (phrases, tails)
    if last not in entry[1]:
        return False
    return f"{words[-2]} {last}" in phrases or (
        n > 2 and f"{words[-3]} {words[-2]} {last}" in phrases
    )


# JSON field names (normalised: lower-case alphanumerics; substring match) that act as context for a type.
FIELD_HINTS: dict[str, tuple[str, ...]] = {
    "PHONE_NUMBER": ("phone", "tel", "mobile", "cell", "fax", "msisdn"),
    "CREDIT_CARD": ("card", "ccnumber", "pan", "creditcard"),
    "US_SSN": ("ssn", "socialsecurity"),
    "US_ITIN": ("itin", "taxpayer"),
    "ABA_ROUTING_NUMBER": ("routing", "aba", "rtn"),
    "US_BANK_NUMBER": ("account", "acct", "bankaccount", "accountnumber"),
    "US_DRIVER_LICENSE": (
        "driverlicense",
        "driverslicense",
        "driverlicence",
        "drivinglicence",
        "dl",
        "dln",
        "license",
        "licence",
    ),
    "US_PASSPORT": ("passport",),
    "MEDICAL_RECORD_NUMBER": (
        "mrn",
        "medicalrecord",
        "patientid",
        "chart",
        "recordnumber",
    ),
    "AWS_SECRET_KEY": ("secret", "secretkey", "secretaccesskey"),
    "ZIP_CODE": ("zip", "postal", "postcode", "plz", "pincode"),
    "AGE": ("age",),
}
# Free-text types: the key must match exactly (a "filename" or "hostname" value is not a person).
FIELD_EXACT: dict[str, frozenset[str]] = {
    "PERSON": frozenset(
        """name fullname firstname lastname surname givenname familyname middlename patient
            patientname contactname customername displayname author physician doctor nurse holder
            accountholder cardholder recipient sender owner emergencycontact nextofkin mother father
            spouse guardian
        """.split()  # noqa: SIM905
    ),
    "LOCATION": frozenset(
        """city town country state region province county birthplace placeofbirth location
            residence
        """.split()  # noqa: SIM905
    ),
    "STREET_ADDRESS": frozenset(
        """address street streetaddress addressline addressline1 addressline2 addr homeaddress
            mailingaddress shippingaddress billingaddress
        """.split()  # noqa: SIM905
    ),
}
_FIELD_NORMALISE = lazy_re(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=1024)
def field_types(field: str | None) -> frozenset[str]:
    """Entity types hinted by a JSON field name (``"patient_name"`` -> PERSON, ``"mrn"`` -> MRN ...)."""
    if not field:
        return frozenset()
    key = _FIELD_NORMALISE.sub("", field.lower())
    if not key:
        return frozenset()
    hits = {etype for etype, keys in FIELD_EXACT.items() if key in keys}
    for etype, hints in FIELD_HINTS.items():
        if any(key == hint or (len(hint) > 3 and hint in key) for hint in hints):
            hits.add(etype)
    return frozenset(hits)


@dataclass(slots=True)
class Doc:
    """Per-call state shared by recognizers (the text itself is passed alongside)."""

    lower: str
    hints: frozenset[str]
    has_digit: bool = True
    number_starts: dict[str, list[int]] | None = None  # see :func:`number_starts`

    def negated(self, start: int) -> bool:
        """True if the word right before ``start`` marks a number as a version, order id, count, etc."""
        body = self.lower[max(0, start - 24) : start].rstrip(_TAIL_STRIP)
        last = body.rsplit(
            None, 1
        )  # as tail_words(window, 1), inlined (called for most number candidates)
        if not last:
            return False
        w = last[-1].strip(_WORD_STRIP)
        if w == "no":
            return body.endswith("build no")
        return w in NEGATIVE_WORDS

    def context_pos(self, etype: str, start: int, width: int = 32) -> int:
        """How close the nearest context word for ``etype`` before ``start`` is (larger is closer).

        -1 if none; 0 if only the JSON field name hints the type.
        """
        lo = max(0, start - width)
        last = -1
        for m in CONTEXT[etype].finditer(self.lower, lo, start):
            last = m.end() - lo + 1
        return last if last > 0 else (0 if etype in self.hints else -1)

    def has_context(self, etype: str, start: int, end: int, width: int = 48) -> bool:
        """True if a context word for ``etype`` is near the span (mostly before it) or the field hints it."""
        if etype in self.hints:
            return True
        window = (
            self.lower[max(0, start - width) : start] + " " + self.lower[end : end + 16]
        )
        return CONTEXT[etype].search(window) is not None


Recognizer = Callable[[str, Doc], Iterable[Span]]

# --------------------------------------------------------------------------------------------- email / url / ip / mac

EMAIL_RE = lazy_re(
    r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
URL_RE = lazy_re(
    r"(?<![\w@])(?:(?:https?|ftp|sftp|s3)://|www\.)[^\s<>\"'`{}|\\^\[\]]+",
    re.IGNORECASE,
)
_URL_TRAIL = ".,;:!?)'\"*"
IPV4_RE = lazy_re(r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
IPV6_RE = lazy_re(
    r"(?=[0-9A-Fa-f:])(?<![\w:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])"
)
MAC_RE = lazy_re(
    r"[0-9A-Fa-f](?<![\w:-][0-9A-Fa-f])(?:[0-9A-Fa-f]([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-])"
)


def number_starts(text: str, doc: Doc) -> dict[str, list[int]]:
    """Start offsets of the matches of :data:`IPV4_RE`, :data:`CARD_RE`, :data:`SSN_RE` and :data:`DATE_NUM_RE`
    at every position of ``text`` (computed once per call, on first use, in one pass of :data:`NUMBER_SCAN`).

    Each of those patterns starts with a digit that must not follow a word character; the scan tries each such
    position once for all four (instead of each pattern trying every digit) and records which of them match there.
    """
    starts = doc.number_starts
    if starts is None:
        starts = {"ip": [], "card": [], "ssn": [], "date": []}
        for m in NUMBER_SCAN.finditer(text):
            for key in NUMBER_SCAN_GROUPS:
                if m.start(key) >= 0:
                    starts[key].append(m.start())
        doc.number_starts = starts
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


def find_email(text: str, doc: Doc) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in EMAIL_RE.finditer(text):
        local = m.group().split("@", 1)[0]
        if local.startswith(".") or local.endswith(".") or ".." in local:
            continue
        yield Span("EMAIL_ADDRESS", m.start(), m.end(), 0.95)


def find_url(text: str, doc: Doc) -> Iterator[Span]:
    if "://" not in text and "www." not in doc.lower:
        return
    for m in URL_RE.finditer(text):
        s = m.group()
        end = m.end()
        while s and s[-1] in _URL_TRAIL:
            if s[-1] == ")" and s.count("(") >= s.count(")"):
                break
            s = s[:-1]
            end -= 1
        if len(s) > 8:
            yield Span("URL", m.start(), end, 0.9)


def find_ip(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    if "." in text:
        for m in _rescan(IPV4_RE, text, number_starts(text, doc)["ip"]):
            if v.ipv4_ok(m.group()) and not doc.negated(m.start()):
                yield Span("IP_ADDRESS", m.start(), m.end(), 0.9)
    if "::" in text or text.count(":") >= 7:
        for m in IPV6_RE.finditer(text):
            s = m.group()
            if any(c.isdigit() for c in s) and v.ipv6_ok(s):
                yield Span("IP_ADDRESS", m.start(), m.end(), 0.9)


def find_mac(text: str, doc: Doc) -> Iterator[Span]:
    if text.count(":") < 5 and text.count("-") < 5 and text.count(".") < 2:
        return
    for m in MAC_RE.finditer(text):
        yield Span("MAC_ADDRESS", m.start(), m.end(), 0.9)


# --------------------------------------------------------------------------------------------- aws

AWS_ACCESS_RE = lazy_re(
    r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|ROA|IDA|GPA|NPA|NVA|IPA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])"
)
AWS_SECRET_RE = lazy_re(
    r"[A-Za-z0-9/+](?<![A-Za-z0-9/+=][A-Za-z0-9/+])[A-Za-z0-9/+]{39}(?![A-Za-z0-9/+=])"
)


def find_aws(text: str, doc: Doc) -> Iterator[Span]:
    for m in AWS_ACCESS_RE.finditer(text):
        yield Span("AWS_ACCESS_KEY", m.start(), m.end(), 0.95)
    # a secret is 40 non-space characters, so it lies in one whitespace-separated chunk of at least 40
    if len(text) < 40 or max(map(len, text.split()), default=0) < 40:
        return
    for m in AWS_SECRET_RE.finditer(text):
        s = m.group()
        if not (
            any(c.isupper() for c in s)
            and any(c.islower() for c in s)
            and any(c.isdigit() for c in s)
        ):
            continue
        if doc.has_context("AWS_SECRET_KEY", m.start(), m.end(), 60):
            yield Span("AWS_SECRET_KEY", m.start(), m.end(), 0.95)
        elif "/" in s or "+" in s:
            yield Span("AWS_SECRET_KEY", m.start(), m.end(), 0.6)


# --------------------------------------------------------------------------------------------- numbers

_SPACE_DASH = lazy_re(r"[ -]")
_DASH_SLASH = lazy_re(r"[-/]")
_DATE_SEPS = lazy_re(r"[/.-]")
_FOUR_DIGITS = lazy_re(r"\d{4}")

CARD_RE = lazy_re(r"\d(?<![\w.+/-]\d)(?:[ -]?\d){11,18}(?![\w/-]|[.,]\d)")
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
        groups = tuple(map(len, _SPACE_DASH.split(s)))
        if len(groups) > 1 and groups not in _CARD_GROUPS:
            continue
        digits = s.replace(" ", "").replace("-", "")
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


IBAN_RE = lazy_re(
    r"([A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2})((?:[ -]?[A-Z0-9]){11,30})", re.ASCII
)


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
_PHONE_SEP = lazy_re(r"[ .\-/\u00a0]")
NANP_RE = lazy_re(
    r"(?:1[ .-]?)?(?:\([2-9]\d\d\)[ .-]?|[2-9]\d\d[ .-])[2-9]\d\d[ .-]\d{4}"
)
DATE_SHAPE_RE = lazy_re(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}"
)


_PHONE_PUNCT = str.maketrans("", "", " .-/()+\u00a0")
_PHONE_SEPS = str.maketrans("", "", " .-/\u00a0")


def _phone_score(
    s: str, intl: bool, has_paren: bool, ctx: Any, check_shape: bool = True
) -> float:
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
    for m in PHONE_RE.finditer(text):
        intl_s, paren_s, body_s, ext_s = m.group("intl", "paren", "body", "ext")
        plain = (
            intl_s is None and paren_s is None
        )  # the match is the body (and extension)
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
        lazy_re(
            r"(?=[A-Z\d])(?<![\w-])(?:[A-Z]{1,4}-?)?\d{3,12}(?:-\d{1,8})?(?![\w-])"
        ),
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
_WEAK_GATE_WORDS = [
    (f"{t}__{i}", w)
    for t in sorted(_WEAK_TYPES)
    for i, w in enumerate(CONTEXT_WORDS[t].split("|"))
]
_WEAK_GATE_TYPE = {name: name.rsplit("__", 1)[0] for name, _ in _WEAK_GATE_WORDS}
_WEAK_GATE = lazy_re(_letter_first(_WEAK_GATE_WORDS))


# Every weak candidate needs six digits (checked below) and its digit groups are joined by single "-" or " ",
# so a text without six such digits has none.
_WEAK_DIGITS = lazy_re(r"\d(?:[- ]?\d){5}")


def find_weak(text: str, doc: Doc) -> Iterator[Span]:
    """Context-gated identifiers; when several types' patterns match the same token, the type whose context
    word is closest before it wins (``"passport": "...", "driver_license": "123456789"`` -> licence)."""
    if not doc.has_digit or _WEAK_DIGITS.search(text) is None:
        return
    present = set(doc.hints & _WEAK_TYPES)
    present.update(
        _WEAK_GATE_TYPE[m.lastgroup]
        for m in _WEAK_GATE.finditer(doc.lower)
        if m.lastgroup
    )
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
                ok = (
                    v.itin_ok(s[:3], s[3:5], s[5:])
                    if etype == "US_ITIN"
                    else v.ssn_ok(s[:3], s[3:5], s[5:])
                )
                if not ok:
                    continue
            pos = doc.context_pos(etype, m.start())
            key = (m.start(), m.end())
            if pos >= 0 and (key not in best or (pos, score) > best[key][:2]):
                best[key] = (pos, score, etype)
    for (start, end), (_, score, etype) in best.items():
        yield Span(etype, start, end, score)


# --------------------------------------------------------------------------------------------- dates, ages, zip codes

_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|sept?(?:ember|\.)?|"
    r"oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|"
    r"janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_TIME = (
    r"(?:(?:,\s*|\s+|\s*(?:at|um|à|a las)\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?i:\s?[ap]\.?m\.?)?"
    r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?(?![\w/]|[.:-]\d)"
)
DATE_NUM_RE = lazy_re(
    r"(?=\d)(?<![\w.:/-])(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<num>\d{1,2}(?P<sep>[/.-])\d{1,2}(?P=sep)\d{2,4})"
    r"|(?P<ymd>\d{4}/\d{1,2}/\d{1,2}))" + _TIME
)
# One pass over the digits that do not follow a word character: which of IPV4_RE, CARD_RE, SSN_RE and
# DATE_NUM_RE match there. Each group is that pattern after its first digit (kept in sync by
# tests/pii/test_pii_engine.py::test_number_scan_agrees_with_patterns); groups inside the look-aheads record
# which matched.
NUMBER_SCAN_GROUPS = ("ip", "card", "ssn", "date")
NUMBER_SCAN = lazy_re(
    r"\d(?<!\w\d)"
    r"(?:(?=(?P<ip>(?<!\.\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d))))?"
    r"(?:(?=(?P<card>(?<![.+/-]\d)(?:[ -]?\d){11,18}(?![\w/-]|[.,]\d))))?"
    r"(?:(?=(?P<ssn>(?<![.+/:-]\d)\d\d(?P<ssn_sep>[- ]?)\d{2}(?P=ssn_sep)\d{4}(?![\w/:-]|[.,]\d))))?"
    r"(?:(?=(?P<date>(?<![.:/-]\d)(?:\d{3}-\d{2}-\d{2}|\d{0,1}(?P<date_sep>[/.-])\d{1,2}(?P=date_sep)\d{2,4}"
    r"|\d{3}/\d{1,2}/\d{1,2})" + _TIME + r")))?"
    r"(?(ip)|(?(card)|(?(ssn)|(?(date)|(?!)))))"
)
# Textual dates are matched from the month name (found with str.find on its stem), then extended left to a day.
DATE_TXT_RE = lazy_re(
    r"(?:"
    + _MONTHS
    + r")(?:\s+\d{1,2}(?:st|nd|rd|th)?(?![\d:]))?(?:,?\s+(?:de\s+)?\d{4})?"
    + _TIME,
    re.IGNORECASE,
)
_DAY_BEFORE = lazy_re(
    r"(?<![\w.:/-])\d{1,2}(?:st|nd|rd|th|er|\.|º)?\s+(?:de\s+)?$", re.IGNORECASE
)
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
            y, mo, d = (
                int(x) for x in _DASH_SLASH.split(m.group("iso") or m.group("ymd"))
            )
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
                    and (
                        _FOUR_DIGITS.search(t)
                        or any(ch.isupper() for ch in t if ch.isalpha())
                    )
                    and not (
                        t[:3].lower() == "may" and not any(ch.isdigit() for ch in t[3:])
                    )
                ):
                    yield Span("DATE_TIME", start, m.end(), 0.85)


AGE_NUM_RE = lazy_re(
    r"(?=\d)(?<![\w.])(?P<n>\d{1,3})(?i:\s*(?:-|\s)\s*(?:years?|yrs?|year)(?:-|\s)old|\s*(?:y/o|y\.o\.|yo|yrs? old)"
    r"|\s+years?\s+of\s+age|\s+jahre\s+alt|-jährige[rn]?|\s+ans(?:\s|$|[,.])|\s+años(?:\s|$|[,.]))"
)
AGE_KEY_RE = lazy_re(
    r"(?:aged?|age[\"']?\s*[:=]|alter\s*:?|âge\s*:?|edad\s*:?)\s*(?P<n>\d{1,3})(?![\w.])",
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


_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|"
    "OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AS|GU|MP|PR|VI|UM|AA|AE|AP"
)
US_STATE_ABBR = frozenset(_US_STATES.split("|"))
US_STATE_ALT = literal_alternation(
    sorted(US_STATE_ABBR)
)  # two letters each: one can match at a position
ZIP_RE = lazy_re(
    r"(?=[A-Z\d])(?<![\w-])(?:(?:" + US_STATE_ALT + r")\.?,?\s+(?P<us>\d{5}(?:-\d{4})?)"
    r"|(?P<uk>(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?) ?\d[ABD-HJLNP-UW-Z]{2}))"
    r"|(?P<zip4>\d{5}-\d{4})|(?P<d5>\d{5})|(?P<d6>\d{6}))(?![\w-])"
)
_CITY_AFTER_ZIP = lazy_re(r"[ \t]+[A-ZÄÖÜÉÈ][\w'-]+")
_PIN_BEFORE = lazy_re(r"[a-z] ?[-–,] ?$")
ZIP_CTX_RE = lazy_re(r"(?=\d)(?<![\w-])(?:\d{5}(?:-\d{4})?|\d{6}|\d{4})(?![\w-])")
_ZIP_KEYS = ("zip", "postal", "postcode", "post code", "plz", "cp", "pin", "c.p.")
_ZIP_KEY_RE = lazy_re(literal_alternation(_ZIP_KEYS))


def find_zip(text: str, doc: Doc) -> Iterator[Span]:
    """US ZIP after a state, UK postcodes, ZIP+4, and 5/6-digit codes in address position or with context."""
    if not doc.has_digit:
        return
    for m in ZIP_RE.finditer(text):
        if m.group("us"):
            yield Span("ZIP_CODE", m.start("us"), m.end("us"), 0.9)
        elif m.group("uk") or m.group("zip4"):
            yield Span("ZIP_CODE", m.start(), m.end(), 0.8 if m.group("uk") else 0.7)
        elif m.group("d5"):
            j = m.start()
            while j and text[j - 1] in " \t":
                j -= 1
            if (j == 0 or text[j - 1] in ",\n") and _CITY_AFTER_ZIP.match(
                text, m.end()
            ):
                yield Span(
                    "ZIP_CODE", m.start(), m.end(), 0.7
                )  # "10115 Berlin" (DE/FR/ES order)
            elif text[max(0, m.start() - 2) : m.start()] == ", ":
                yield Span("ZIP_CODE", m.start(), m.end(), 0.55)  # "Jaén, 28761"
        elif _PIN_BEFORE.search(text, max(0, m.start() - 4), m.start()):
            yield Span("ZIP_CODE", m.start(), m.end(), 0.6)  # "Gangtok - 737101"
    if "ZIP_CODE" in doc.hints or _ZIP_KEY_RE.search(doc.lower) is not None:
        for m in ZIP_CTX_RE.finditer(text):
            if doc.has_context("ZIP_CODE", m.start(), m.end(), 24):
                yield Span("ZIP_CODE", m.start(), m.end(), 0.85)


JSON_KV_RE = lazy_re(
    r"(?=[\"'])[\"']([A-Za-z_][\w -]{0,40})[\"']\s*:\s*[\"']([^\"'\n]{1,120})[\"']"
)
EQ_KV_RE = lazy_re(r"([A-Za-z_](?<!\w[A-Za-z_])\w{0,40})=([^;&,\s][^;&,\n]{0,119})")
FREE_TEXT_TYPES = ("PERSON", "LOCATION", "STREET_ADDRESS")


def find_key_values(text: str, doc: Doc) -> Iterator[Span]:
    """Values of JSON-ish / key=value pairs embedded in text whose key names a free-text type."""
    matches = []
    if '":' in text or "':" in text:
        matches = list(JSON_KV_RE.finditer(text))
    if "=" in text:
        matches += EQ_KV_RE.finditer(text)
    for m in matches:
        hints = field_types(m.group(1))
        for etype in FREE_TEXT_TYPES:
            if etype in hints:
                value = m.group(2).rstrip()
                if any(c.isalpha() for c in value):
                    yield Span(etype, m.start(2), m.start(2) + len(value), 0.8)
                break


RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "kv": (find_key_values, frozenset(FREE_TEXT_TYPES)),
    "email": (find_email, frozenset({"EMAIL_ADDRESS"})),
    "url": (find_url, frozenset({"URL"})),
    "ip": (find_ip, frozenset({"IP_ADDRESS"})),
    "mac": (find_mac, frozenset({"MAC_ADDRESS"})),
    "aws": (find_aws, frozenset({"AWS_ACCESS_KEY", "AWS_SECRET_KEY"})),
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
    "date": (find_date, frozenset({"DATE_TIME"})),
    "age": (find_age, frozenset({"AGE"})),
    "zip": (find_zip, frozenset({"ZIP_CODE"})),
}
