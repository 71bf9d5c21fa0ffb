"""Held-out PII/PHI evaluation: a corpus written without looking at the engine, scored through the documented CLI.

The corpus lives in ``benchmarks/data/pii_heldout/`` (see its README: how it was written, the 30/70 dev/heldout
split, and the rule that nobody tunes against ``heldout/``). The engine is run as a black box through
``python -m <module> detect`` (JSON lines in, ``{"entities": [...]}`` out), never imported.

Metrics per gold type:
  * recall: a gold span is found when a predicted span of the same type overlaps it;
  * full: share of gold spans whose every character is covered by some predicted span of any type (the text would
    be fully redacted);
  * strict P/R/F1 (structured types only): a prediction counts when type, start and end all equal a gold span's;
  * overlap precision: predicted spans of a type that overlap a gold span of that type.
Summary figures: "all HIPAA identifiers together" full share (gold spans except countries, states/regions and AWS
keys; reported with and without the identifiers that have no engine type), detections per 10k characters of
PII-free prose, numeric-identifier detections per 10k characters of PII-free code.

Usage:
  python benchmarks/pii_heldout.py                        # heldout split, markdown table
  python benchmarks/pii_heldout.py --split both --json out.json
  python benchmarks/pii_heldout.py --side-by-side         # + the Faker dev set (benchmarks/pii_devset.py's scorer)
  python benchmarks/pii_heldout.py --cli-module glue_jobs.pii
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "pii_heldout"

Span = tuple[str, int, int]

STRUCTURED = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "US_ITIN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "URL",
    "US_DRIVER_LICENSE",
    "US_PASSPORT",
    "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER",
    "MEDICAL_RECORD_NUMBER",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
)
# the engine docs' "numeric identifier types"; ZIP_CODE/AGE hits on code are reported next to them, not in them
NUMERIC_ID = (
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "US_ITIN",
    "IBAN_CODE",
    "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER",
    "MEDICAL_RECORD_NUMBER",
    "US_DRIVER_LICENSE",
    "US_PASSPORT",
)
NOT_HIPAA_SUBS = ("country", "region")  # LOCATION sub-types that are not HIPAA geographic identifiers
NOT_HIPAA_TYPES = ("AWS_ACCESS_KEY", "AWS_SECRET_KEY")
ORDER = (
    "PERSON",
    "STREET_ADDRESS",
    "LOCATION",
    "ZIP_CODE",
    "AGE",
    "DATE_TIME",
    *STRUCTURED,
    "NATIONAL_ID",
    "HEALTH_PLAN_ID",
    "VEHICLE_ID",
    "DEVICE_ID",
)


@dataclass
class Gold:
    """One gold span; ``sub`` refines the type for reporting (city/country/region, first_only, no_engine_type...)."""

    type: str
    start: int
    end: int
    sub: str | None = None


@dataclass
class LabelledRecord:
    """One labelled text of the corpus."""

    text: str
    gold: list[Gold]
    source: str = ""
    id: str = ""


@dataclass
class Metrics:
    """Counts collected by :func:`score_records`, :func:`score_negatives`; ratios via methods."""

    n_gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    full: Counter[str] = field(default_factory=Counter)
    n_pred: Counter[str] = field(default_factory=Counter)
    pred_overlap_ok: Counter[str] = field(default_factory=Counter)
    strict_tp: Counter[str] = field(default_factory=Counter)
    hipaa: Counter[str] = field(default_factory=Counter)
    hipaa_by_source: Counter[tuple[str, str]] = field(default_factory=Counter)
    prose_chars: int = 0
    prose_hits: Counter[str] = field(default_factory=Counter)
    code_chars: int = 0
    code_hits: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    def recall(self, key: str) -> float | None:
        return self._ratio(self.found[key], self.n_gold[key])

    def full_share(self, key: str) -> float | None:
        return self._ratio(self.full[key], self.n_gold[key])

    def overlap_precision(self, etype: str) -> float | None:
        return self._ratio(self.pred_overlap_ok[etype], self.n_pred[etype])

    def strict(self, etype: str) -> tuple[float | None, float | None, float | None]:
        p = self._ratio(self.strict_tp[etype], self.n_pred[etype])
        r = self._ratio(self.strict_tp[etype], self.n_gold[etype])
        f = (
            2 * p * r / (p + r)
            if p is not None and r is not None and p + r
            else (0.0 if p is not None and r is not None else None)
        )
        return p, r, f

    def strict_micro(self) -> tuple[float | None, float | None, float | None]:
        tp = sum(self.strict_tp[t] for t in STRUCTURED)
        p = self._ratio(tp, sum(self.n_pred[t] for t in STRUCTURED))
        r = self._ratio(tp, sum(self.n_gold[t] for t in STRUCTURED))
        f = 2 * p * r / (p + r) if p and r else None
        return p, r, f

    def per_10k(self, which: str, types: Iterable[str] | None = None) -> float | None:
        hits, chars = (self.prose_hits, self.prose_chars) if which == "prose" else (self.code_hits, self.code_chars)
        n = sum(hits.values()) if types is None else sum(hits[t] for t in types)
        return n * 10_000 / chars if chars else None

    def as_dict(self) -> dict[str, Any]:
        keys = [k for k in (*ORDER, *sorted(self.n_gold)) if self.n_gold[k]]
        types: dict[str, Any] = {}
        for k in dict.fromkeys(keys):
            row: dict[str, Any] = {"gold": self.n_gold[k], "recall": self.recall(k), "full": self.full_share(k)}
            if k in STRUCTURED:
                row["strict_p"], row["strict_r"], row["strict_f1"] = self.strict(k)
            if "(" not in k:
                row["overlap_precision"] = self.overlap_precision(k)
            types[k] = row
        sp, sr, sf = self.strict_micro()
        return {
            "types": types,
            "hipaa_full": self._ratio(self.hipaa["full"], self.hipaa["total"]),
            "hipaa_full_incl_no_engine_type": self._ratio(self.hipaa["full_all"], self.hipaa["total_all"]),
            "hipaa_gold": self.hipaa["total"],
            "hipaa_full_by_source": {
                src: self._ratio(self.hipaa_by_source[(src, "full")], n)
                for (src, kind), n in sorted(self.hipaa_by_source.items())
                if kind == "total" and src
            },
            "structured_strict_micro": {"p": sp, "r": sr, "f1": sf},
            "prose_chars": self.prose_chars,
            "prose_detections_per_10k": self.per_10k("prose"),
            "prose_detections_by_type": dict(self.prose_hits),
            "code_chars": self.code_chars,
            "code_numeric_id_per_10k": self.per_10k("code", NUMERIC_ID),
            "code_zip_or_age_per_10k": self.per_10k("code", ("ZIP_CODE", "AGE")),
            "code_detections_by_type": dict(self.code_hits),
        }


# ------------------------------------------------------------------------------------------------ data


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_split(split: str, data: Path = DATA) -> tuple[list[LabelledRecord], list[str], list[str]]:
    """Records, PII-free prose and PII-free code of ``dev`` or ``heldout``."""
    folder = data / split
    records = [
        LabelledRecord(
            text=row["text"],
            gold=[Gold(s["type"], s["start"], s["end"], s.get("sub")) for s in row["spans"]],
            source=row.get("source", ""),
            id=row.get("id", ""),
        )
        for row in load_jsonl(folder / "records.jsonl")
    ]
    prose = [row["text"] for row in load_jsonl(folder / "prose.jsonl")]
    code = [row["text"] for row in load_jsonl(folder / "code.jsonl")]
    return records, prose, code


# ------------------------------------------------------------------------------------------------ engine via CLI


def resolve_cli_module(requested: str) -> str:
    """``requested`` if importable from the repository root, else the ``glue_jobs.pii`` alias."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        if importlib.util.find_spec(requested) is not None:
            return requested
    except ModuleNotFoundError:
        pass
    return "glue_jobs.pii"


def cli_detect(texts: Sequence[str], module: str, extra_args: Sequence[str] = ()) -> list[list[Span]]:
    """Run ``python -m <module> detect`` once over all texts (JSON lines), return spans aligned with the input."""
    payload = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", module, "detect", *extra_args],
        input=payload.encode(),
        capture_output=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} detect exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    lines = proc.stdout.decode().splitlines()
    if len(lines) != len(texts):
        raise RuntimeError(f"{module} detect returned {len(lines)} lines for {len(texts)} inputs")
    out: list[list[Span]] = []
    for i, line in enumerate(lines):
        obj = json.loads(line)
        if "error" in obj:
            raise RuntimeError(f"line {i + 1}: {obj['error']}")
        out.append([(e["type"], int(e["start"]), int(e["end"])) for e in obj["entities"]])
    return out


# ------------------------------------------------------------------------------------------------ scoring


def _keys(g: Gold) -> list[str]:
    keys = [g.type]
    if g.type == "LOCATION" and g.sub:
        keys.append(f"LOCATION ({g.sub})")
    if g.type == "PERSON":
        keys.append(
            "PERSON (first name alone)"
            if g.sub == "first_only"
            else "PERSON (surname alone)"
            if g.sub == "last_only"
            else "PERSON (full name)"
        )
    if g.type == "STREET_ADDRESS" and g.sub == "unit":
        keys.append("STREET_ADDRESS (unit line)")
    if g.type == "AGE" and g.sub == "words":
        keys.append("AGE (in words)")
    return keys


def is_hipaa(g: Gold) -> bool:
    """Gold spans counted in "all HIPAA identifiers together"."""
    return g.type not in NOT_HIPAA_TYPES and not (g.type == "LOCATION" and g.sub in NOT_HIPAA_SUBS)


def score_records(
    records: Sequence[LabelledRecord], preds: Sequence[Sequence[Span]], m: Metrics | None = None
) -> Metrics:
    """Add per-type counts for ``records`` given the aligned predicted spans."""
    m = m or Metrics()
    for rec, pred in zip(records, preds, strict=True):
        covered = bytearray(len(rec.text))
        for _, s, e in pred:
            covered[s:e] = b"\x01" * (e - s)
        exact = {(t, s, e) for t, s, e in pred}
        for g in rec.gold:
            found = any(pt == g.type and ps < g.end and g.start < pe for pt, ps, pe in pred)
            full = all(covered[g.start : g.end])
            for k in _keys(g):
                m.n_gold[k] += 1
                m.found[k] += found
                m.full[k] += full
            if (g.type, g.start, g.end) in exact:
                m.strict_tp[g.type] += 1
            if not full:
                m.misses.setdefault(g.type, []).append(f"{rec.text[g.start : g.end]!r}  <-  {rec.text!r}")
            if is_hipaa(g):
                no_engine = g.sub == "no_engine_type"
                m.hipaa["total_all"] += 1
                m.hipaa["full_all"] += full
                if not no_engine:
                    m.hipaa["total"] += 1
                    m.hipaa["full"] += full
                    m.hipaa_by_source[(rec.source, "total")] += 1
                    m.hipaa_by_source[(rec.source, "full")] += full
        for pt, ps, pe in pred:
            m.n_pred[pt] += 1
            m.pred_overlap_ok[pt] += any(g.type == pt and ps < g.end and g.start < pe for g in rec.gold)
    return m


def score_negatives(texts: Sequence[str], preds: Sequence[Sequence[Span]], kind: str, m: Metrics) -> Metrics:
    """Count detections on PII-free ``prose`` or ``code``."""
    hits = m.prose_hits if kind == "prose" else m.code_hits
    for text, pred in zip(texts, preds, strict=True):
        if kind == "prose":
            m.prose_chars += len(text)
        else:
            m.code_chars += len(text)
        for t, s, e in pred:
            hits[t] += 1
            # shown by --show-misses FP_prose / FP_code (dev split only, like every miss)
            m.misses.setdefault(f"FP_{kind}", []).append(f"{t} {text[s:e]!r}  <-  {text[max(0, s - 60) : e + 30]!r}")
    return m


def evaluate_split(split: str, module: str, data: Path = DATA, extra_args: Sequence[str] = ()) -> Metrics:
    """Score one split of the corpus through the CLI (``extra_args`` are passed to it, e.g. ``--profile recall``)."""
    records, prose, code = load_split(split, data)
    preds = cli_detect([r.text for r in records] + prose + code, module, extra_args)
    n1, n2 = len(records), len(records) + len(prose)
    m = score_records(records, preds[:n1])
    score_negatives(prose, preds[n1:n2], "prose", m)
    score_negatives(code, preds[n2:], "code", m)
    return m


def evaluate_faker_devset(
    module: str, n_records: int, n_negatives: int, seed: int, extra_args: Sequence[str] = ()
) -> dict[str, Any]:
    """The existing Faker dev set, scored by ``benchmarks/pii_devset.py``'s own ``evaluate``, detections via the CLI."""
    spec = importlib.util.spec_from_file_location("pii_devset", ROOT / "benchmarks" / "pii_devset.py")
    assert spec and spec.loader
    devset = importlib.util.module_from_spec(spec)
    sys.modules["pii_devset"] = devset
    spec.loader.exec_module(devset)
    records = devset.generate(n_records, seed)
    negatives = devset.hard_negatives(n_negatives, seed + 1)
    texts = [r.text for r in records] + list(negatives)
    cache = dict(zip(texts, cli_detect(texts, module, extra_args), strict=True))
    rep = devset.evaluate(records, negatives, lambda t: cache[t])
    types = {}
    for t in ORDER:
        if rep.n_gold[t]:
            p, r, _ = rep.prf(t)
            types[t] = {"gold": rep.n_gold[t], "recall": r, "full": rep.full_share(t), "overlap_precision": p}
    tg, tf = sum(rep.n_gold.values()), sum(rep.full.values())
    # the same detections through this module's scorer, for the summary rows (the Faker set's LOCATION spans carry
    # no city/state/country sub-type, so every LOCATION counts as a HIPAA identifier there)
    preds = [cache[r.text] for r in records]
    m = score_records([LabelledRecord(r.text, [Gold(t, s, e) for t, s, e in r.gold]) for r in records], preds)
    score_negatives(list(negatives), [cache[t] for t in negatives], "code", m)
    mine = m.as_dict()
    return {
        "types": types,
        "all_gold_full": tf / tg if tg else None,
        "hard_negative_spans": sum(rep.neg_fp.values()),
        "hipaa_full": mine["hipaa_full"],
        "structured_strict_micro": mine["structured_strict_micro"],
        "hard_negative_chars": mine["code_chars"],
        "hard_negative_detections_per_10k": m.per_10k("code"),
        "hard_negative_numeric_id_per_10k": mine["code_numeric_id_per_10k"],
        "n_records": n_records,
        "seed": seed,
    }


# ------------------------------------------------------------------------------------------------ output


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def markdown_single(name: str, d: dict[str, Any]) -> str:
    lines = [
        f"### {name}",
        "",
        "| type | gold | recall | full | strict P | strict R | strict F1 | overlap P |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t, row in d["types"].items():
        note = " (no engine type)" if t in ("NATIONAL_ID", "HEALTH_PLAN_ID", "VEHICLE_ID", "DEVICE_ID") else ""
        lines.append(
            f"| {t}{note} | {row['gold']} | {_f(row['recall'])} | {_f(row['full'])} | {_f(row.get('strict_p'))} | "
            f"{_f(row.get('strict_r'))} | {_f(row.get('strict_f1'))} | {_f(row.get('overlap_precision'))} |"
        )
    s = d["structured_strict_micro"]
    lines += [
        "",
        f"- all HIPAA identifiers together, fully redacted: **{_f(d['hipaa_full'])}** of {d['hipaa_gold']} "
        f"(including identifiers with no engine type: {_f(d['hipaa_full_incl_no_engine_type'])})",
        "- all HIPAA identifiers together, fully redacted, by source: "
        + ", ".join(f"{k} {_f(v)}" for k, v in d["hipaa_full_by_source"].items()),
        f"- structured types, strict micro P/R/F1: {_f(s['p'])} / {_f(s['r'])} / {_f(s['f1'])}",
        f"- PII-free prose ({d['prose_chars']} chars): {_f(d['prose_detections_per_10k'])} detections per 10k chars "
        f"{d['prose_detections_by_type'] or ''}",
        f"- PII-free code ({d['code_chars']} chars): {_f(d['code_numeric_id_per_10k'])} numeric-ID detections per "
        f"10k chars (ZIP_CODE/AGE: {_f(d['code_zip_or_age_per_10k'])}); all detections "
        f"{d['code_detections_by_type'] or '{}'}",
    ]
    return "\n".join(lines)


def markdown_side_by_side(cols: dict[str, dict[str, Any]]) -> str:
    names = list(cols)
    keys = list(dict.fromkeys(k for c in cols.values() for k in c["types"]))
    head = "| type | " + " | ".join(f"{n}: gold / recall / full" for n in names) + " |"
    lines = [head, "|---|" + "---:|" * len(names)]
    for k in keys:
        cells = []
        for n in names:
            row = cols[n]["types"].get(k)
            cells.append("-" if row is None else f"{row['gold']} / {_f(row['recall'])} / {_f(row['full'])}")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    summary = {
        "all HIPAA identifiers together, full": lambda c: _f(c.get("hipaa_full")),
        "all gold spans, full": lambda c: _f(c.get("all_gold_full")),
        "structured strict F1 (micro)": lambda c: _f(c.get("structured_strict_micro", {}).get("f1")),
        "prose detections / 10k chars": lambda c: _f(c.get("prose_detections_per_10k")),
        "code numeric-ID detections / 10k chars": lambda c: _f(c.get("code_numeric_id_per_10k")),
        "code ZIP_CODE/AGE detections / 10k chars": lambda c: _f(c.get("code_zip_or_age_per_10k")),
        "Faker hard negatives: detections / 10k chars": lambda c: _f(c.get("hard_negative_detections_per_10k")),
        "Faker hard negatives: numeric-ID detections / 10k chars": lambda c: _f(
            c.get("hard_negative_numeric_id_per_10k")
        ),
    }
    for label, fn in summary.items():
        lines.append(f"| *{label}* | " + " | ".join(fn(cols[n]) for n in names) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--cli-module",
        default="pii_engine",
        help="module whose `python -m MODULE detect` is run (falls back to glue_jobs.pii)",
    )
    ap.add_argument("--split", choices=("heldout", "dev", "both"), default="heldout")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None, help="write all figures here as JSON")
    ap.add_argument(
        "--side-by-side",
        action="store_true",
        help="also score the Faker dev set (benchmarks/pii_devset.py) and print the columns side by side",
    )
    ap.add_argument("--devset-records", type=int, default=2000)
    ap.add_argument("--devset-negatives", type=int, default=1000)
    ap.add_argument("--devset-seed", type=int, default=1234)
    ap.add_argument("--max-misses", type=int, default=40, help="how many misses --show-misses prints")
    ap.add_argument("--profile", default=None, help="engine profile passed to the CLI (balanced/recall)")
    ap.add_argument(
        "--show-misses", default=None, metavar="TYPE", help="print up to 40 misses of TYPE (dev split only)"
    )
    args = ap.parse_args(argv)

    module = resolve_cli_module(args.cli_module)
    extra = ["--profile", args.profile] if args.profile else []
    print(f"engine CLI: python -m {module} detect {' '.join(extra)}".rstrip())
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    results: dict[str, dict[str, Any]] = {}
    for split in splits:
        m = evaluate_split(split, module, args.data, extra)
        results[f"corpus {split}"] = m.as_dict()
        print()
        print(markdown_single(f"held-out corpus, {split} split", results[f"corpus {split}"]))
        if args.show_misses and split == "dev":
            print(f"\n--- misses ({args.show_misses}, dev split)")
            print("\n".join(m.misses.get(args.show_misses, [])[: args.max_misses]))
    if args.side_by_side:
        results["Faker dev set"] = evaluate_faker_devset(
            module, args.devset_records, args.devset_negatives, args.devset_seed, extra
        )
        print("\n### side by side\n")
        print(
            markdown_side_by_side(
                {
                    "Faker dev set": results["Faker dev set"],
                    **{k: v for k, v in results.items() if k != "Faker dev set"},
                }
            )
        )
    if args.json:
        args.json.write_text(json.dumps({"cli_module": module, "results": results}, indent=2, ensure_ascii=False))
        print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
