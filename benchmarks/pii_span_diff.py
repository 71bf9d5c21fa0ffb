"""Span identity of this checkout's PII engine against another checkout's (e.g. main), for speed-only changes.

Both engines (this one, and the baseline's ``pii_engine`` loaded under another name as in
``pii_engine_versions.py``) run over the same inputs with each profile, and every result is compared: the spans of
``detect`` (type, start, end, exact float score) with and without a JSON field name, and the text of ``redact``.
Inputs:

* the Faker dev-set records and hard negatives (``pii_devset.py``);
* the DEV split of the held-out corpus (``benchmarks/data/pii_heldout/dev/``; the held-out split is never read);
* every string literal of the PII test files (``tests/pii/*.py``);
* variants of the above: upper/lower/title case, no-break and zero-width spaces, full-width digits, decomposed
  accents, HTML/URL escapes, and long records (dev records joined into texts of several thousand characters).

Prints the number of comparisons and the first differences; exits 1 if any.

Usage::

    git worktree add --detach /tmp/pii-main main
    python benchmarks/pii_span_diff.py --baseline /tmp/pii-main [--records 3000] [--negatives 1000]
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pii_devset
from pii_engine_versions import load_engine_module

ROOT = Path(__file__).resolve().parents[1]
DEV_SPLIT = ROOT / "benchmarks" / "data" / "pii_heldout" / "dev"
FIELDS = (None, "name", "patient_name", "address", "city", "phone", "mrn", "zip", "age", "notes")


def test_literals() -> list[str]:
    """Every string constant of at least three characters in tests/pii/*.py."""
    out: list[str] = []
    for py in sorted((ROOT / "tests" / "pii").glob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 3:
                out.append(node.value)
    return list(dict.fromkeys(out))


def variants(texts: list[str], seed: int = 99) -> Iterator[str]:
    """Case, spacing, Unicode and escaping variants of ``texts`` (reproducible)."""
    r = random.Random(seed)
    for t in texts:
        k = r.randrange(10)
        if k == 0:
            yield t.upper()
        elif k == 1:
            yield t.lower()
        elif k == 2:
            yield t.title()
        elif k == 3:
            yield t.replace(" ", "\u00a0")
        elif k == 4:
            yield "".join(c + "\u200b" if c.isdigit() and r.random() < 0.3 else c for c in t)
        elif k == 5:
            yield "".join(chr(ord(c) - 0x30 + 0xFF10) if c.isdigit() and r.random() < 0.5 else c for c in t)
        elif k == 6:
            yield unicodedata.normalize("NFD", t)
        elif k == 7:
            yield t.replace("@", "&#64;").replace(".", "%2E", 1)
        elif k == 8:
            yield t.replace(" ", "\n", 2).replace("-", "\u2013")
        else:
            yield "  " + t + " \t"
    for i in range(0, len(texts), 40):
        yield " ".join(texts[i : i + 40])
        yield "\n".join(texts[i : i + 40])


def corpus(records: int, negatives: int) -> list[str]:
    """All inputs, deduplicated, in a fixed order."""
    base = [r.text for r in pii_devset.generate(records)] + pii_devset.hard_negatives(negatives)
    for f in sorted(DEV_SPLIT.glob("*.jsonl")):
        base += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    base += test_literals()
    return list(dict.fromkeys([*base, *variants(base)]))


def results(mod: Any, profile: str, texts: list[str]) -> Iterator[tuple[Any, ...]]:
    """Everything the engine in ``mod`` says about ``texts`` with ``profile``, one tuple per (text, call)."""
    engine = mod.Engine(mod.EngineConfig(profile=profile))
    for i, t in enumerate(texts):
        for field in (None, FIELDS[1 + i % (len(FIELDS) - 1)]):
            yield ("detect", i, field, [(s.type, s.start, s.end, s.score) for s in engine.detect(t, field=field)])
        yield ("redact", i, None, engine.redact(t).text)


def batch_diffs(mod: Any, profile: str, texts: list[str], size: int = 64) -> int:
    """How many texts ``Engine.detect_many`` (batches of ``size``) gives other spans for than ``Engine.detect``."""
    engine = mod.Engine(mod.EngineConfig(profile=profile))
    fields = [FIELDS[i % len(FIELDS)] for i in range(len(texts))]
    diffs = 0
    for i in range(0, len(texts), size):
        batch, batch_fields = texts[i : i + size], fields[i : i + size]
        single = [engine.detect(t, field=f) for t, f in zip(batch, batch_fields, strict=True)]
        diffs += sum(a != b for a, b in zip(engine.detect_many(batch, batch_fields), single, strict=True))
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, required=True, help="checkout of the reference engine")
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--negatives", type=int, default=1000)
    ap.add_argument("--profiles", default="balanced,recall")
    args = ap.parse_args()

    import pii_engine

    texts = corpus(args.records, args.negatives)
    compared = diffs = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = load_engine_module("base", args.baseline, Path(tmp))
        for profile in args.profiles.split(","):
            for a, b in zip(results(pii_engine, profile, texts), results(base, profile, texts), strict=True):
                compared += 1
                if a != b:
                    diffs += 1
                    if diffs <= 10:
                        print(f"DIFF {profile} {a[0]} field={a[2]!r} text={texts[a[1]]!r}")
                        print(f"  this: {a[3]}\n  base: {b[3]}")
    print(f"{len(texts)} texts, {compared} results compared (both profiles), {diffs} differences")
    if hasattr(pii_engine.Engine, "detect_many"):
        for profile in args.profiles.split(","):
            batch = batch_diffs(pii_engine, profile, texts)
            print(f"detect_many vs detect ({profile}, batches of 64): {batch} texts differ")
            diffs += batch
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
