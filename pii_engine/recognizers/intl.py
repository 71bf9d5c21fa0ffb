"""International addresses: street lines in the number-after-name form of 20 languages, unit lines, and postcodes
of 25 countries next to a place (STREET_ADDRESS, ZIP_CODE, LOCATION).

The US/UK/IN number-first grammar, the DE/FR/ES grammar anchored on capitalised runs and PO boxes stay in
:mod:`pii_engine.recognizers.addresses`; overlapping candidates are resolved by the engine (longest first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pii_engine.context import Doc, Recognizer
from pii_engine.model import Span
from pii_engine.patterns import LazyPattern, lazy_re, literal_alternation
from pii_engine.recognizers.tokens import U

# Words that start a street name ("Via Roma 12", "Rua das Flores 8", "ul. Floriańska 5", "οδός Αθηνάς 3").
STREET_PREFIXES = frozenset(
    """via viale vicolo piazza piazzale corso largo lungomare strada contrada borgo rua avenida av av. avda avda.
    travessa praça praca alameda estrada rodovia calle carrer passeig avinguda plaça paseo plaza camino ronda
    rambla gran ul ul. ulica al al. aleja aleje os os. osiedle pl pl. plac odos leoforos οδός οδ. λεωφόρος λεωφ.
    bulevardul bd bd. b-dul strada str str. calea piața piata șoseaua soseaua rue place chaussée avenue boulevard
    allée quai chemin route impasse cours square phố pho đường duong ngõ hẻm
    """.split()  # noqa: SIM905
)
# Words that end a street name, standing alone ("Andrássy út 5", "Thereses gate 62", "Savska cesta 71",
# "İstiklal Caddesi No: 121", "Václavské náměstí 2", "Bygdøy allé 48").
STREET_SUFFIXES = frozenset(
    """út utca u. tér körút köz sor fasor rakpart gate gata gatan gade vej veien vegen vei veg väg vägen allé alle
    allee straße strasse str. weg gasse platz ring damm ufer cesta ulica ulice třída trida náměstí namesti nábřeží
    nabrezi caddesi cad. cd. cd sokak sokağı sk. sk bulvarı bulvari blv. bulvar mahallesi straat laan gracht kade
    plein singel dijk steeg markt katu tie kuja polku väylä tori aukio street st. road rd. avenue ave. lane ln.
    drive dr. way boulevard blvd. place square close crescent terrace row
    """.split()  # noqa: SIM905
)
# Endings of one-word street names ("Drottninggatan", "Kalevankatu", "Hauptstraße", "Dorpsstraat", "Vesterbrogade").
STREET_ENDINGS = (
    "straße", "strasse", "str.", "gasse", "weg", "allee", "platz", "ring", "damm", "ufer", "gatan", "gata", "gaten",
    "vägen", "väg", "gränd", "torget", "torg", "veien", "vegen", "veg", "vei", "gate", "gade", "vej", "stræde",
    "plads", "torv", "straat", "laan", "gracht", "kade", "plein", "singel", "dijk", "steeg", "katu", "tie", "kuja",
    "polku", "väylä", "kaari", "tori", "aukio", "utca", "boulevard", "bulevard", "allé",
)  # fmt: skip
_PARTICLES = frozenset(
    """de da do das dos del della delle dei degli di du des la le les l' d' van der den het ter te y e i a
    am an im zu zur zum von
    """.split()  # noqa: SIM905
)
# Capitalised words often followed by a number that are not street names (months, labels).
_NOT_STREET = frozenset(
    """january february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec januar februar märz juni juli oktober dezember janvier février mars avril mai juin
    juillet août septembre octobre novembre décembre enero febrero marzo abril mayo junio julio agosto septiembre
    octubre noviembre diciembre mrn dob tel phone fax room bed ward page table figure fig version v step level grade
    stage type class section chapter item line no nr apt suite unit flat floor age ref id order invoice ticket
    """.split()  # noqa: SIM905
)
_ROMAN = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())  # noqa: SIM905

_NUM = r"\d{1,4}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
# a house number (group 1) after a blank (the word before it, and an optional "No:" / "nº", are checked in Python).
# The blank is consumed first: the regex engine skips to blanks in C, and tries the look-behind only before a digit.
# (A match ends with an alphanumeric, so a blank before a number is never inside the previous match: the numbers
# found are those of the pattern that starts at the digit.)
NAME_NUMBER_RE = lazy_re(
    r"[ \t](?=\d)(?<=(?:[^\W\d_]|[.:º°])[ \t])(\d{1,4}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?)(?![\w/-]|[.,:]\d)"
)
_NO_TOKENS = ("No:", "No.", "No", "Nr.", "Nr", "nº", "n°", "no.", "č.")
_WORD_BACK = lazy_re(r"[^\W\d_][\w'’.-]*$")
_WORDS = lazy_re(r"[^\W\d_][\w'’.-]*")
# number-first forms: "37a rue des Lilas", "230 place Bellecour", "170 Lê Lợi, Quận 1", "222B Phố Hàng Bạc"
_NUMBER_FIRST_GATE = ("rue ", "place ", "avenue ", "av. ", "boulevard ", "bd ", "allée ", "impasse ", "quai ",
                      "chemin ", "route ", "cours ", "square ", "voie ", "phố ", "đường ", "quận", "phường", "huyện",
                      "q.")  # fmt: skip
_NUMBER_FIRST_GATE_RE = lazy_re(literal_alternation(_NUMBER_FIRST_GATE))
NUMBER_FIRST_RE = lazy_re(
    rf"\d(?<![\w/.-]\d)(?P<num>\d{{0,3}}[A-Za-z]?(?:[-/]\d{{1,4}}[A-Za-z]?)?)(?:[ ]?(?:bis|ter))?,?[ \t]+(?:"
    rf"(?i:rue|place|avenue|av\.|boulevard|bd|allée|impasse|quai|chemin|route|cours|square|voie|phố|đường)"
    rf"(?:[ \t]+(?:de[ ]la|de[ ]l'|des|du|de|d'|la|le|les|l')[ \t]*|[ \t]+)"
    rf"{U}[\w'’-]*(?:[ \t]+(?:(?:de|des|du|la|le|les)[ \t]+)?{U}[\w'’-]*){{0,3}}"
    rf"|{U}[\w'’-]*(?:[ \t]+{U}[\w'’-]*){{0,3}},[ \t]*(?:Quận|Phường|Huyện|Q\.)[ \t]*[\w]+)"
)
# unit lines: "Apt. 12", "Apartment 11", "Flat 2", "Suite 9", "Unit 10", "Floor 4", at a line start or after a comma
# (checked in Python)
_UNIT = (
    r"(?P<unit>(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.|Room|Rm\.?|Bldg\.?|Building|Piso|Etage|Étage|"
    r"Lgh|Leilighet|lejl\.|Wohnung|Whg\.?)[ \t]*(?:No\.?[ \t]*)?#?\d{1,4}[A-Za-z]?)(?![\w-])"
)
UNIT_RE = lazy_re(_UNIT)
# Postcode formats (SE/CZ/SK/GR "114 55", PL "00-950", PT "3610-114", NL "1012 AB", 4-6 digits, IE Eircode),
# followed by a place ("Praha 1", "København N", "BUDAPEST").
_PLACE = rf"(?P<city>{U}[^\W\d_]+(?:[ \t-]+{U}[^\W\d_]+){{0,2}}(?:[ \t]+(?:\d{{1,2}}|[NSCØVK])(?![\w]))?)"
_POSTCODE_PLACE = (
    r"(?P<pc>\d(?:(?P<split>\d{2}[ ]\d{2}|\d-\d{3}|\d{3}-\d{3}|\d{3}[ ]?[A-Z]{2}(?![\w]))"
    r"|(?P<digits>\d{3,5})))[ \t]+" + _PLACE
)
POSTCODE_PLACE_RE = lazy_re(_POSTCODE_PLACE)
# unit lines and postcodes + places stand at a line start or after a comma: one scan stops only there (a text's
# first line is matched separately)
_LINE_ITEM = rf"(?:{_UNIT}|{_POSTCODE_PLACE})"
LINE_ITEM_RE = lazy_re(_LINE_ITEM)
LINE_ITEM_SCAN_RE = lazy_re(r"[,\n][ \t]*(?:[A-Z]{1,2}-)?" + _LINE_ITEM)  # "LV-1050 Riga", "CH-8001 Zürich"
_IE_HINTS = ("ireland", "éire", "eire", "dublin", "cork", "galway", "limerick", "eircode", "co. ")
_IE_HINTS_RE = lazy_re(literal_alternation(_IE_HINTS))
EIRCODE_RE = lazy_re(r"[ACDEFHKNPRTVWXY](?<![\w-][A-Z])\d[\dW][ ](?=[\w]*\d)(?=[\w]*[A-Z])[A-Z\d]{4}(?![\w-])")


def _street_start(text: str, end: int, line_start: int) -> int | None:
    """Start of a street name that ends at ``end`` (right before its house number), or None."""
    words = [(m.start(), m.group()) for m in _WORDS.finditer(text, max(line_start, end - 80), end)][-6:]
    if not words or words[-1][0] + len(words[-1][1]) < end - 1:
        return None
    words.reverse()  # nearest first
    last = words[0][1]
    low = last.lower()
    marked = low in STREET_SUFFIXES or (len(low) > 5 and last[0].isupper() and low.endswith(STREET_ENDINGS))
    if not marked and not last[0].isupper():
        return None  # "phone 555 ...", "room 12": a lower-case word that is no street word
    start = None
    prev_end = end
    for i, (s, w) in enumerate(words):
        if text[s + len(w) : prev_end].strip(" \t"):
            break  # punctuation between the words: not one name
        prev_end = s
        lw = w.lower()
        if lw in STREET_PREFIXES:
            return s if i else None  # "Via dei Mille", "Rua de Santa Catarina", "ul. Floriańska"
        if not (w[0].isupper() or lw in _PARTICLES or lw in _ROMAN or (i == 0 and marked)):
            break
        if marked and (w[0].isupper() or lw in _ROMAN):
            start = s
    return start


def find_intl_addresses(text: str, doc: Doc) -> Iterator[Span]:
    """Street lines of other countries, unit lines, postcodes next to a place (and that place)."""
    if not doc.has_digit:
        return
    for m in NAME_NUMBER_RE.finditer(text):
        j = m.start(1)
        while j and text[j - 1] in " \t":
            j -= 1
        if not j or not (text[j - 1].isalpha() or text[j - 1] in ".:º°"):
            continue  # "555 1234", "(12)", "= 5": no word before the number
        no = next((t for t in _NO_TOKENS if text.endswith(t, 0, j)), None) if text[j - 1] in ":.ºoOr°" else None
        if no is not None:
            j -= len(no)
            while j and text[j - 1] in " \t":
                j -= 1
        if not j or not (text[j - 1].isalpha() or text[j - 1] == "."):
            continue
        k = j - 1
        while k > 0 and (text[k - 1].isalnum() or text[k - 1] in "'’.-"):
            k -= 1
        word = text[k:j]
        low = word.lower()
        if (word[:1].islower() and low not in STREET_SUFFIXES and word not in STREET_PREFIXES) or low in _NOT_STREET:
            continue  # "phone 555", "room 12", "March 15", "MRN 1234": no street word, no street name
        line_start = text.rfind("\n", 0, j) + 1
        start = _street_start(text, j, line_start)
        if start is not None:
            yield Span("STREET_ADDRESS", start, m.end(), 0.8)
        elif (  # unmarked "Karlova 80a" / "Ermou 124" right before a postcode + place
            no is None
            and text.startswith(",", m.end())
            and word[:1].isupper()
            and POSTCODE_PLACE_RE.match(text, _skip_unit(text, m.end())) is not None
        ):
            yield Span("STREET_ADDRESS", k, m.end(), 0.7)
    # (two gates: the regex engine scans for one alternation of all their words more slowly than for each apart)
    if _NUMBER_FIRST_GATE_RE.search(doc.lower) is not None:
        for m in NUMBER_FIRST_RE.finditer(text):
            yield Span("STREET_ADDRESS", m.start(), m.end(), 0.8)
    for m in _anchored(LINE_ITEM_RE, LINE_ITEM_SCAN_RE, text):
        if m.group("unit"):
            yield Span("STREET_ADDRESS", m.start("unit"), m.end("unit"), 0.75)
            continue
        city = m.group("city")
        if m.group("digits"):
            # plain digits: the place must be a known place or written in capitals ("1061 BUDAPEST")
            from pii_engine.recognizers.names import gazetteers

            g = gazetteers()
            key = city.lower()
            base = key.rsplit(" ", 1)[0] if key[-1:].isdigit() or key[-2:-1] == " " else key
            if not (key in g.cities or base in g.cities or key in g.regions or city.isupper()):
                continue
        yield Span("ZIP_CODE", m.start("pc"), m.end("pc"), 0.8)
        yield Span("LOCATION", m.start("city"), m.end("city"), 0.75)
    if _IE_HINTS_RE.search(doc.lower) is not None:
        for m in EIRCODE_RE.finditer(text):
            yield Span("ZIP_CODE", m.start(), m.end(), 0.7)


def _anchored(rx: LazyPattern, scan: LazyPattern, text: str) -> Iterator[re.Match[str]]:
    """Matches of ``rx`` at the text's start (after blanks) and of ``scan`` (``rx`` after a comma or line break)."""
    pos = 0
    while text[pos : pos + 1] in (" ", "\t"):
        pos += 1
    first = rx.match(text, pos)
    if first is not None:
        yield first
    yield from scan.finditer(text, first.end() if first is not None else 0)


def _skip_unit(text: str, pos: int) -> int:
    """Position after ", <unit line>" at ``pos`` (or after the comma), so "Karlova 80a, Flat 2, 602 00 Brno" works."""
    if text.startswith(",", pos):
        pos += 1
    while text[pos : pos + 1] in (" ", "\t"):
        pos += 1
    u = UNIT_RE.match(text, pos)
    if u is not None:
        pos = u.end()
        if text.startswith(",", pos):
            pos += 1
    while text[pos : pos + 1] in (" ", "\t"):
        pos += 1
    return pos


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "intl_address": (find_intl_addresses, frozenset({"STREET_ADDRESS", "ZIP_CODE", "LOCATION"})),
}
