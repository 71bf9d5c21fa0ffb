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
from pii_engine.patterns import lazy_re
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
_ROMAN = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())  # noqa: SIM905

_NUM = r"\d{1,4}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
# a letter (or "No:" / "nº") right before a house number
NAME_NUMBER_RE = lazy_re(
    rf"(?<=[^\W\d_]|\.)(?P<no>[ \t]+(?:No[:.]?|Nr\.?|n[º°o]\.?|č\.)?)[ \t]*(?P<num>{_NUM})(?![\w/-]|[.,:]\d)"
)
_WORD_BACK = lazy_re(r"[^\W\d_][\w'’.-]*$")
# number-first forms: "37a rue des Lilas", "230 place Bellecour", "170 Lê Lợi, Quận 1", "222B Phố Hàng Bạc"
NUMBER_FIRST_RE = lazy_re(
    rf"(?<![\w/.-])(?P<num>{_NUM})(?:[ ]?(?:bis|ter))?,?[ \t]+(?:"
    rf"(?i:rue|place|avenue|av\.|boulevard|bd|allée|impasse|quai|chemin|route|cours|square|voie|phố|đường)"
    rf"(?:[ \t]+(?:de[ ]la|de[ ]l'|des|du|de|d'|la|le|les|l')[ \t]*|[ \t]+)"
    rf"{U}[\w'’-]*(?:[ \t]+(?:(?:de|des|du|la|le|les)[ \t]+)?{U}[\w'’-]*){{0,3}}"
    rf"|{U}[\w'’-]*(?:[ \t]+{U}[\w'’-]*){{0,3}},[ \t]*(?:Quận|Phường|Huyện|Q\.)[ \t]*[\w]+)"
)
# unit lines: "Apt. 12", "Apartment 11", "Flat 2", "Suite 9", "Unit 10", "Floor 4", at a line start or after a comma
UNIT_RE = lazy_re(
    r"(?:^|(?<=,)|(?<=, )|(?<=,\t))[ \t]*(?P<unit>(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.|"
    r"Room|Rm\.?|Bldg\.?|Building|Piso|Etage|Étage|Lgh|Leilighet|lejl\.|Wohnung|Whg\.?)[ \t]*(?:No\.?[ \t]*)?#?"
    r"\d{1,4}[A-Za-z]?)(?![\w-])",
    re.MULTILINE,
)
# Postcode formats (SE/CZ/SK/GR "114 55", PL "00-950", PT "3610-114", NL "1012 AB", 4-6 digits, IE Eircode),
# followed by a place ("Praha 1", "København N", "BUDAPEST").
_PLACE = rf"(?P<city>{U}[^\W\d_]+(?:[ \t-]+{U}[^\W\d_]+){{0,2}}(?:[ \t]+(?:\d{{1,2}}|[NSCØVK])(?![\w]))?)"
POSTCODE_PLACE_RE = lazy_re(
    r"(?:^|(?<=,)|(?<=, )|(?<=[A-Z]-))[ \t]*(?P<pc>(?P<split>\d{3}[ ]\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|"
    r"\d{4}[ ]?[A-Z]{2}(?![\w]))|(?P<digits>\d{4,6}))[ \t]+" + _PLACE,
    re.MULTILINE,
)
EIRCODE_RE = lazy_re(r"(?<![\w-])(?=[A-Z]\d[\dW])[ACDEFHKNPRTVWXY]\d[\dW][ ](?=[\w]*\d)(?=[\w]*[A-Z])[A-Z\d]{4}(?![\w-])")


def _street_start(text: str, end: int, line_start: int) -> int | None:
    """Start of a street name that ends at ``end`` (right before its house number), or None."""
    words: list[tuple[int, str]] = []  # (start, word) going backwards
    pos = end
    while len(words) < 6:
        m = _WORD_BACK.search(text, line_start, pos)
        if m is None:
            break
        words.append((m.start(), m.group()))
        pos = m.start()
        while pos > line_start and text[pos - 1] in " \t":
            pos -= 1
        if pos == m.start():
            break
    if not words:
        return None
    last = words[0][1]
    low = last.lower()
    marked = low in STREET_SUFFIXES or (len(low) > 5 and low.endswith(STREET_ENDINGS) and last[0].isupper())
    start = None
    for i, (s, w) in enumerate(words):
        lw = w.lower()
        if i and lw in STREET_PREFIXES:  # "Via dei Mille", "Rua de Santa Catarina", "ul. Floriańska"
            start = s
            break
        if not i and lw in STREET_PREFIXES:
            return None
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
        line_start = text.rfind("\n", 0, m.start()) + 1
        start = _street_start(text, m.start(), line_start)
        if start is not None:
            yield Span("STREET_ADDRESS", start, m.end(), 0.8)
        elif m.group("no").strip() == "":
            # unmarked "Karlova 80a" / "Ermou 124" right before a postcode + place
            nxt = POSTCODE_PLACE_RE.match(text, _skip_unit(text, m.end()))
            if nxt is not None and text[m.end() : m.end() + 1] == ",":
                w = _WORD_BACK.search(text, line_start, m.start())
                if w is not None and w.group()[0].isupper():
                    yield Span("STREET_ADDRESS", w.start(), m.end(), 0.7)
    for m in NUMBER_FIRST_RE.finditer(text):
        yield Span("STREET_ADDRESS", m.start(), m.end(), 0.8)
    if any(k in text for k in ("Apt", "Apartment", "Suite", "Ste", "Unit", "Flat", "Floor", "Fl.", "Room", "Rm",
                               "Bldg", "Building", "Piso", "tage", "Lgh", "Leil", "lejl", "Wohnung", "Whg")):
        for m in UNIT_RE.finditer(text):
            yield Span("STREET_ADDRESS", m.start("unit"), m.end("unit"), 0.75)
    for m in POSTCODE_PLACE_RE.finditer(text):
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
    for m in EIRCODE_RE.finditer(text):
        yield Span("ZIP_CODE", m.start(), m.end(), 0.7)


def _skip_unit(text: str, pos: int) -> int:
    """Position after ", <unit line>" at ``pos`` (or after the comma), so "Karlova 80a, Flat 2, 602 00 Brno" works."""
    if text.startswith(",", pos):
        pos += 1
    u = UNIT_RE.match(text, pos)
    if u is not None:
        pos = u.end()
        if text.startswith(",", pos):
            pos += 1
    return pos


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "intl_address": (find_intl_addresses, frozenset({"STREET_ADDRESS", "ZIP_CODE", "LOCATION"})),
}
