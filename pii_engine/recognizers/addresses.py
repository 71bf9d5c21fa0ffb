"""Addresses: STREET_ADDRESS (street grammar: US, UK, IN, DE, FR, ES, PO boxes) and ZIP_CODE."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pii_engine.context import Doc, Recognizer, tail_words
from pii_engine.model import Span
from pii_engine.patterns import ascii_twin, lazy_re, literal_alternation
from pii_engine.recognizers.tokens import CAP, L, U, _Tok

_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|"
    "OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AS|GU|MP|PR|VI|UM|AA|AE|AP"
)
US_STATE_ABBR = frozenset(_US_STATES.split("|"))
US_STATE_ALT = literal_alternation(sorted(US_STATE_ABBR))  # two letters each: one can match at a position
ZIP_RE = lazy_re(
    r"(?=[A-Z\d])(?<![\w-])(?:(?:" + US_STATE_ALT + r")\.?,?\s+(?P<us>\d{5}(?:-\d{4})?)"
    r"|(?P<uk>(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?) ?\d[ABD-HJLNP-UW-Z]{2}))"
    r"|(?P<zip4>\d{5}-\d{4})|(?P<d5>\d{5})|(?P<d6>\d{6}))(?![\w-])"
)
_ZIP_RE_ASCII = ascii_twin(ZIP_RE)
_CITY_AFTER_ZIP = lazy_re(r"[ \t]+[A-ZÄÖÜÉÈ][\w'-]+")
_PIN_BEFORE = lazy_re(r"[a-z] ?[-–,] ?$")
ZIP_CTX_RE = lazy_re(r"(?=\d)(?<![\w-])(?:\d{5}(?:-\d{4})?|\d{6}|\d{4})(?![\w-])")
_ZIP_KEYS = ("zip", "postal", "postcode", "post code", "plz", "cp", "pin", "c.p.")
_ZIP_KEY_RE = lazy_re(literal_alternation(_ZIP_KEYS))


def find_zip(text: str, doc: Doc) -> Iterator[Span]:
    """US ZIP after a state, UK postcodes, ZIP+4, and 5/6-digit codes in address position or with context."""
    if not doc.has_digit:
        return
    for m in (_ZIP_RE_ASCII if doc.ascii else ZIP_RE).finditer(text):
        if m.group("us"):
            yield Span("ZIP_CODE", m.start("us"), m.end("us"), 0.9)
        elif m.group("uk") or m.group("zip4"):
            yield Span("ZIP_CODE", m.start(), m.end(), 0.8 if m.group("uk") else 0.7)
        elif m.group("d5"):
            j = m.start()
            while j and text[j - 1] in " \t":
                j -= 1
            if (j == 0 or text[j - 1] in ",\n") and _CITY_AFTER_ZIP.match(text, m.end()):
                yield Span("ZIP_CODE", m.start(), m.end(), 0.7)  # "10115 Berlin" (DE/FR/ES order)
            elif text[max(0, m.start() - 2) : m.start()] == ", " and text[max(0, m.start() - 3)].isalpha():
                yield Span("ZIP_CODE", m.start(), m.end(), 0.55)  # "Jaén, 28761"
        elif _PIN_BEFORE.search(text, max(0, m.start() - 4), m.start()):
            yield Span("ZIP_CODE", m.start(), m.end(), 0.6)  # "Gangtok - 737101"
    if "ZIP_CODE" in doc.hints or _ZIP_KEY_RE.search(doc.lower) is not None:
        for m in ZIP_CTX_RE.finditer(text):
            if doc.has_context("ZIP_CODE", m.start(), m.end(), 24):
                yield Span("ZIP_CODE", m.start(), m.end(), 0.85)


# ------------------------------------------------------------------------------------------------ addresses

USPS_SUFFIXES = """Alley Aly Annex Arcade Avenue Ave Av Bayou Beach Bend Bluffs? Bottom Boulevard Blvd Branch
    Bridge Brooks? Burgs? Bypass Camp Canyon Cape Causeway Centers? Ctr Circles? Cir Cliffs? Club
    Commons? Corners? Course Courts? Ct Coves? Creek Crescent Cres Crest Crossing Crossroads? Curve
    Dale Dam Divide Drives? Dr Estates? Expressway Expy Extensions? Falls? Ferry Fields? Flats?
    Fords? Forest Forges? Forks? Fort Freeway Fwy Gardens? Gateway Glens? Greens? Groves? Harbors?
    Haven Heights Hts Highway Hwy Hills? Hollow Inlet Islands? Isle Junctions? Keys? Knolls? Lakes?
    Landing Lane Ln Lights? Loaf Locks? Lodge Loop Mall Manors? Meadows? Mews Mills? Mission
    Motorway Mount Mountains? Neck Orchard Oval Overpass Parks? Parkways? Pkwy Pass Passage Path
    Pike Pines? Place Pl Plains? Plaza Points? Ports? Prairie Radial Ramp Ranch Rapids? Rest Ridges?
    River Roads? Rd Route Rte Row Rue Run Shoals? Shores? Skyway Springs? Spurs? Squares? Sq Station
    Stravenue Stream Streets? St Summit Terrace Ter Throughway Trace Track Trafficway Trail Trl
    Trailer Tunnel Turnpike Underpass Unions? Valleys? Viaduct Views? Villages? Ville Vista Walks?
    Wall Ways? Wells? Close Gardens Rise Wharf Yard Parade Esplanade Embankment Approach Drove Grove
    Marg Nagar Chowk Ganj Colony Layout Puram Vihar Enclave Bagh Zila
""".split()  # noqa: SIM905
_UNIT = r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.?|Rm\.?|Room|Bldg\.?|Building|Studio|#)[ \t]*#?[A-Za-z0-9-]{1,6}"
_DIR = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
_NUM = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?"
_HS = r"[ \t]+"
_SEP = r"(?:[ \t]+|[ \t]*\n[ \t]*)"
_LEAD = r"(?=[\dASUFRBH#])(?<![\w-])"  # first-character lookahead lets the regex engine skip other positions fast
# Number-first / unit-first addresses (US, UK, IN) and PO boxes are found by regex over the whole text; the
# name-first forms (DE/ES/FR streets, cities next to postal codes) are checked around capitalised runs.
# [unit line] number [direction] Name(s) Suffix [direction] [unit]: the regex takes the head and up to five
# capitalised words; the street suffix (USPS list) is then located with a set lookup, which is far cheaper
# than a 250-way alternation inside the regex, and the tail (direction, unit) is matched after it.
_EN_HEAD = lazy_re(
    rf"{_LEAD}(?:(?:{_UNIT}|H\.?[ ]?No\.?[ ]?{_NUM}),?{_SEP}(?:{_NUM},?{_SEP})?|{_NUM},?{_SEP})(?:{_DIR}{_HS})?"
    rf"(?P<words>(?:{CAP}|\d{{1,3}}(?:st|nd|rd|th))(?:{_HS}{CAP}){{1,4}})"
)
_EN_WORD = lazy_re(CAP)
_EN_TAIL = lazy_re(rf"\.?(?:{_HS}{_DIR}(?![\w-]))?(?:,?{_HS}{_UNIT}(?![\w-]))?")
_PO_BOX = lazy_re(
    r"(?=[PpAaBb])(?<![\w-])(?:P\.?[ ]?O\.?[ ]?Box|Post[ ]Office[ ]Box|Postfach|Apartado(?:[ ]de[ ]correos)?|"
    r"Bo[îi]te[ ]postale)[ \t]+\d{1,6}(?![\w-])",
    re.IGNORECASE,
)
_PO_GATE = ("box", "postfach", "apartado", "postale")
_DE_SUFFIXES = (
    "straße",
    "strasse",
    "str",
    "weg",
    "allee",
    "platz",
    "gasse",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "steig",
    "pfad",
    "markt",
)
_DE_NUMBER = lazy_re(r"(?P<dot>\.)?[ \t]+\d{1,4}[ ]?[a-z]?(?:[ ]?[-/][ ]?\d{1,4}[a-z]?)?(?![\w-])")
_ES_WAYS = frozenset(
    """calle vial avenida avda paseo plaza camino carretera ronda rambla pasaje pasadizo travesía
        glorieta callejón cañada cuesta urbanización vía via acceso alameda bajada calleja senda
        sector partida polígono
    """.split()  # noqa: SIM905
)
_ES_ABBR_BEFORE = lazy_re(r"(?:C\.|C/)[ \t]*(?:(?:de[ ]la|de[ ]los|de[ ]las|del|de)[ \t]+)?$")
_ES_REST = lazy_re(
    rf"(?:C\.|C/|{U}{L}+\.?)[ \t]*(?:(?:de[ ]la|de[ ]los|de[ ]las|del|de)[ \t]+)?{CAP}(?:{_HS}(?:(?:de|del|la|y)[ \t]+)?{CAP}){{0,3}}"
    rf",?[ \t]*(?:n[º°o]\.?[ ]?)?\d{{1,4}}(?:{_HS}(?:Puerta|Piso|Esc\.?|Portal|Bajo|Apto?\.?){_HS}\d{{1,3}}){{0,3}}"
)
_FR_WAYS = frozenset(
    """rue avenue av. boulevard bd place chemin allée impasse quai route cours passage square voie
        faubourg
    """.split()  # noqa: SIM905
)
_FR_WAY_HINTS = (
    "rue ",
    "avenue ",
    "av. ",
    "boulevard ",
    "bd ",
    "place ",
    "chemin ",
    "allée ",
    "impasse ",
    "quai ",
    "route ",
    "cours ",
    "passage ",
    "square ",
    "voie ",
    "faubourg ",
)
_FR_WAY_HINT_RE = lazy_re(literal_alternation(_FR_WAY_HINTS))
_FR_BEFORE = lazy_re(
    r"(?:(?<![\w-])\d{1,4}(?:[ ]?(?:bis|ter))?,?[ \t]+)?(?<![\w-])(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|"
    r"quai|route|cours|passage|square|voie|faubourg)[ \t]+(?:(?:de[ ]la|de[ ]l'|des|du|de|d'|la|le|les|l')[ \t]*)?$",
    re.IGNORECASE,
)
# What may follow a city name: ", ST 12345" / "\nSW1A 1AA" / " - 123456" / ", 28001" (not "28001 City").
_CODE_AFTER_CITY = lazy_re(
    rf",?[ \t]+(?P<state>{US_STATE_ALT})\.?[ \t]+\d{{5}}(?:-\d{{4}})?(?![\w-])"
    rf"|(?:[ \t]*\n[ \t]*|[ \t]+)[A-Z]{{1,2}}\d[A-Z\d]?[ ]\d[A-Z]{{2}}(?![\w])"
    rf"|[ \t]*[-–,]?[ \t]*(?P<pin>\d{{6}})(?![\w-])"
    rf"|,[ \t]*(?=\d{{5}}(?![\w-])(?![ \t]+{U}))"
)


_SUFFIX_WORDS = frozenset(w.rstrip("?") for w in USPS_SUFFIXES) | frozenset(
    w[:-2] for w in USPS_SUFFIXES if w.endswith("s?")
)
_PUNCT_TO_SPACE = str.maketrans(".,;:()\"'", "        ")


def _suffix_word_re() -> str:
    """A regex that finds a street-suffix word standing alone, i.e. one of the words of
    ``text.translate(_PUNCT_TO_SPACE).split()``: bounded by whitespace, ``.,;:()"'`` or the text's ends.

    Each first letter (all suffixes are capitalised) is consumed before the look-behind, so the regex engine only
    stops at capitals; that is several times cheaper than translating and splitting the text.
    """
    inner = r"[^\s.,;:()\"']"
    by_first: dict[str, list[str]] = {}
    for w in sorted(_SUFFIX_WORDS):
        assert len(w) > 1 and w[0].isascii() and w[0].isupper(), w
        by_first.setdefault(w[0], []).append(w[1:])
    alts = (f"{c}(?<!{inner}{c})(?:{literal_alternation(rests)})" for c, rests in by_first.items())
    return f"(?:{'|'.join(alts)})(?!{inner})"


_SUFFIX_WORD_RE = lazy_re(_suffix_word_re())


def _find_addresses(text: str, lower: str) -> Iterator[Span]:
    """Number-first street addresses (US/UK/IN) and PO boxes."""
    if _SUFFIX_WORD_RE.search(text) is not None:  # a suffix word somewhere
        for m in _EN_HEAD.finditer(text):
            suffix_end = None
            for i, w in enumerate(_EN_WORD.finditer(text, m.start("words"), m.end("words"))):
                if i and w.group() in _SUFFIX_WORDS:
                    suffix_end = w.end()
            if suffix_end is not None:
                tail = _EN_TAIL.match(text, suffix_end)
                yield Span(
                    "STREET_ADDRESS",
                    m.start(),
                    tail.end() if tail else suffix_end,
                    0.85,
                )
    if any(map(lower.__contains__, _PO_GATE)):
        for m in _PO_BOX.finditer(text):
            yield Span("STREET_ADDRESS", m.start(), m.end(), 0.85)


def _code_before(text: str, start: int) -> bool:
    """True if ``text[:start]`` ends with a 5-digit postal code at line start or after a comma ("10115 ")."""
    k = start
    while k and text[k - 1] in " \t":
        k -= 1
    if k == start or k < 5 or not text[k - 5 : k].isdigit() or (k > 5 and text[k - 6].isalnum()):
        return False
    j = k - 5
    while j and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] in ",\n"


def _run_addresses(
    text: str,
    lower: str,
    toks: list[_Tok],
    has_digit: bool,
    french: bool,
    es_abbr: bool = True,
) -> Iterator[Span]:
    """Addresses and cities anchored on one capitalised run (DE/ES/FR streets, cities next to postal codes).

    ``french`` says whether the text contains any French street word at all, ``es_abbr`` whether it contains
    "C." or "C/" (both checked once per text).
    """
    rs, re_ = toks[0].start, toks[-1].end
    first = toks[0].word
    if first in _FR_WAYS:  # "Rue Victor Hugo"
        yield Span("STREET_ADDRESS", rs, re_, 0.8)
    elif french:
        words, _ = tail_words(lower[max(0, rs - 24) : rs])
        if _FR_WAYS.intersection(words):
            m = _FR_BEFORE.search(text, max(0, rs - 40), rs)
            if m:
                yield Span("STREET_ADDRESS", m.start(), re_, 0.85)
    if not has_digit:
        return
    code = _CODE_AFTER_CITY.match(text, re_)
    if code:
        names = [t for t in toks if not t.is_particle][-4:]
        yield Span("LOCATION", names[0].start, re_, 0.85 if code.group("state") else 0.7)
        if code.group("state"):
            yield Span("LOCATION", code.start("state"), code.end("state"), 0.8)
        elif code.group("pin"):
            yield Span("ZIP_CODE", code.start("pin"), code.end("pin"), 0.7)
    elif (  # _code_before needs a digit before the blanks in front of the run
        rs > 1
        and text[rs - 1] in " \t"
        and (text[rs - 2].isdigit() or text[rs - 2] in " \t")
        and _code_before(text, rs)
    ):
        yield Span("LOCATION", rs, re_, 0.75)
    for i, t in enumerate(toks):  # DE: Musterstraße 12a, Hauptstr. 5, Müller Straße 3
        if t.word.endswith(_DE_SUFFIXES):
            num = _DE_NUMBER.match(text, t.end)
            if num and (num.group("dot") is not None) == t.word.endswith("str"):
                begin = toks[i - 1].start if t.word in _DE_SUFFIXES and i else t.start
                yield Span("STREET_ADDRESS", begin, num.end(), 0.85)
                break
    es_start = rs if first in _ES_WAYS else None
    if es_start is None and es_abbr and ("C." in text[max(0, rs - 14) : rs] or "C/" in text[max(0, rs - 14) : rs]):
        abbr = _ES_ABBR_BEFORE.search(text, max(0, rs - 14), rs)
        es_start = abbr.start() if abbr else None
    if es_start is not None:
        m = _ES_REST.match(text, es_start)
        if m:
            yield Span("STREET_ADDRESS", es_start, m.end(), 0.85)


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "zip": (find_zip, frozenset({"ZIP_CODE"})),
}
