"""The held-out harness scores correctly on toy cases (harness behaviour, not engine quality)."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


h = _load("pii_heldout", _ROOT / "benchmarks" / "pii_heldout.py")
build = _load("pii_heldout_build", _ROOT / "benchmarks" / "data" / "pii_heldout" / "build.py")

TEXT = "Thanks, Ingrid. Call +46 8 123 456 78 or visit Storgatan 12, 114 55 Stockholm, Sweden."


def _record() -> object:
    def g(t: str, s: str, sub: str | None = None) -> object:
        i = TEXT.index(s)
        return h.Gold(t, i, i + len(s), sub)

    return h.LabelledRecord(
        TEXT,
        [
            g("PERSON", "Ingrid", "first_only"),
            g("PHONE_NUMBER", "+46 8 123 456 78"),
            g("STREET_ADDRESS", "Storgatan 12"),
            g("ZIP_CODE", "114 55"),
            g("LOCATION", "Stockholm", "city"),
            g("LOCATION", "Sweden", "country"),
        ],
    )


def _at(s: str, t: str, trim: int = 0) -> tuple[str, int, int]:
    i = TEXT.index(s)
    return (t, i, i + len(s) - trim)


def test_recall_full_and_strict_on_a_toy_record() -> None:
    pred = [
        _at("+46 8 123 456 78", "PHONE_NUMBER", trim=3),  # overlaps, but leaves " 78" uncovered
        _at("Storgatan 12", "LOCATION"),  # wrong type: covers the text but is not a STREET_ADDRESS hit
        _at("114 55", "ZIP_CODE"),
        _at("Stockholm", "LOCATION"),
        _at("Thanks", "PERSON"),  # a false positive that does not touch the name
    ]
    m = h.score_records([_record()], [pred])
    assert (m.recall("PERSON"), m.full_share("PERSON")) == (0.0, 0.0)
    assert (m.recall("PHONE_NUMBER"), m.full_share("PHONE_NUMBER")) == (1.0, 0.0)
    assert m.strict("PHONE_NUMBER") == (0.0, 0.0, 0.0)
    assert (m.recall("STREET_ADDRESS"), m.full_share("STREET_ADDRESS")) == (0.0, 1.0)
    assert m.recall("LOCATION (city)") == 1.0 and m.recall("LOCATION (country)") == 0.0
    assert m.overlap_precision("LOCATION") == 0.5 and m.overlap_precision("PERSON") == 0.0
    # HIPAA together: country excluded -> 5 spans, fully covered: street, zip, city
    d = m.as_dict()
    assert d["hipaa_gold"] == 5 and d["hipaa_full"] == pytest.approx(3 / 5)


def test_negatives_rates_per_10k_chars() -> None:
    m = h.Metrics()
    h.score_negatives(["x" * 5000, "y" * 5000], [[("PERSON", 0, 1)], []], "prose", m)
    h.score_negatives(["z" * 20000], [[("US_BANK_NUMBER", 0, 9), ("ZIP_CODE", 10, 15), ("DATE_TIME", 1, 2)]], "code", m)
    assert m.per_10k("prose") == 1.0
    assert m.per_10k("code", h.NUMERIC_ID) == 0.5
    assert m.as_dict()["code_zip_or_age_per_10k"] == 0.5


def test_cli_detect_speaks_the_documented_jsonl_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "fakepii"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text(
        textwrap.dedent("""
        import json, sys
        assert sys.argv[1:] == ["detect"]
        for line in sys.stdin:
            t = json.loads(line)["text"]
            i = t.find("@")
            ents = [] if i < 0 else [{"type": "EMAIL_ADDRESS", "start": i - 1, "end": i + 2, "score": 0.9}]
            print(json.dumps({"entities": ents}))
    """)
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    out = h.cli_detect(["no pii\nsecond line", "mail a@b now", "ünïcode"], "fakepii")
    assert out == [[], [("EMAIL_ADDRESS", 5, 8)], []]


def test_cli_module_falls_back_to_the_alias() -> None:
    assert h.resolve_cli_module("no_such_module_xyz") == "glue_jobs.pii"
    assert h.resolve_cli_module("glue_jobs.pii") == "glue_jobs.pii"


def test_corpus_split_is_deterministic_and_disjoint() -> None:
    rows = [{"id": str(i), "text": str(i)} for i in range(100)]
    dev, held = build.split(rows)
    assert (len(dev), len(held)) == (30, 70)
    assert {r["id"] for r in dev}.isdisjoint(r["id"] for r in held)
    assert build.split(rows) == (dev, held)


def test_rendered_gold_offsets_point_at_the_slot_values() -> None:
    for rec in build.build_records(120, seed=5):
        for s in rec["spans"]:
            value = rec["text"][s["start"] : s["end"]]
            assert value and value == value.strip(), (s, rec["text"])


def test_shipped_corpus_spans_are_in_bounds() -> None:
    for split in ("dev", "heldout"):
        for line in (_ROOT / "benchmarks" / "data" / "pii_heldout" / split / "records.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            assert all(0 <= s["start"] < s["end"] <= len(row["text"]) for s in row["spans"])
