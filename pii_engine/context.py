"""Context tables and per-call state: context words per entity type, negative words, JSON field-name hints,
the :class:`Doc` every recognizer receives, and the key/value recognizer driven by field names.

Each recognizer is ``(text, doc) -> Iterable[Span]``; ``doc`` carries per-call shared state (lower-cased text,
field-name hints).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pii_engine.model import Span
from pii_engine.patterns import LazyPattern, lazy_re

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
    "ABA_ROUTING_NUMBER": _ctx(r"routing", r"aba", r"rtn", r"transit", r"routing no", r"rt#"),
    "US_BANK_NUMBER": _ctx(
        r"account",
        r"acct",
        r"acc(?=\.?[ \t]*[n#:])",  # "acc no", "acc#", "acc:"; not the variable "acc = ..."
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
    "US_PASSPORT": _ctx(r"passport", r"passport no", r"reisepass", r"passeport", r"pasaporte"),
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
        assert w[:1].isascii() and w[:1].isalpha() and w[1:2] not in ("", "?", "*", "+", "{"), w
        rest = f"(?P<{name}>{w[1:]})" if name else w[1:]
        by_letter.setdefault(w[0], []).append(rest)
    return "(?:" + "|".join(f"{c}(?<![a-z]{c})(?:{'|'.join(rests)})" for c, rests in by_letter.items()) + _CTX_TAIL


CONTEXT: dict[str, LazyPattern] = {
    t: lazy_re(_letter_first([("", w) for w in words.split("|")])) for t, words in CONTEXT_WORDS.items()
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
    return [w.strip(_WORD_STRIP) for w in body.rsplit(None, k)[-k:]], window[len(body) :]


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
    recall: bool = False  # the recall-first profile is on
    # The text is ASCII without the separators \x1c-\x1f (the only ASCII characters Unicode's \s has and ASCII's
    # lacks): \w, \d and \s mean the same with and without re.ASCII, so patterns may use their ASCII twins.
    ascii: bool = False

    def negated(self, start: int) -> bool:
        """True if the word right before ``start`` marks a number as a version, order id, count, etc."""
        body = self.lower[max(0, start - 24) : start].rstrip(_TAIL_STRIP)
        last = body.rsplit(None, 1)  # as tail_words(window, 1), inlined (called for most number candidates)
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
        window = self.lower[max(0, start - width) : start] + " " + self.lower[end : end + 16]
        return CONTEXT[etype].search(window) is not None


Recognizer = Callable[[str, Doc], Iterable[Span]]

JSON_KV_RE = lazy_re(r"(?=[\"'])[\"']([A-Za-z_][\w -]{0,40})[\"']\s*:\s*[\"']([^\"'\n]{1,120})[\"']")
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


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "kv": (find_key_values, frozenset(FREE_TEXT_TYPES)),
}
