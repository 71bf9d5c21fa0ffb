"""How the PII engine's time grows with record length: seconds per 100k characters from 10k to 1M characters.

Inputs (each cut to exactly N characters):
  * ``kv``      — dense ``key=value`` text, ``"name=John Smith& " + "name=a&" * k`` (one free-text candidate
    every 7 characters; every value becomes a placeholder that the second redaction round must skip);
  * ``digits``  — dense card / SSN / phone-shaped digit groups;
  * ``caps``    — a long run of capitalised words (names, places, street words);
  * ``emails``  — many e-mail addresses;
  * ``devset``  — realistic: dev-set records (``pii_devset.generate`` + hard negatives) concatenated.

Each input is redacted (``Engine.redact``: detection, overlap resolution, placeholder filter, fixed point) by the
current engine ("new") and, side by side in the same run, by the same engine with the pre-fix pairwise overlap
resolution and placeholder filter patched in ("old"), until the old one exceeds ``--cap`` seconds on an input
(larger sizes of that input are then skipped for it). Time is CPU time of this process (one thread). Flat
seconds-per-100k across sizes means linear time.

Usage: python benchmarks/pii_scaling.py [--sizes 10000,30000,...] [--inputs kv,digits,...] [--cap SECONDS]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from operator import attrgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pii_engine import Engine, Span
from pii_engine import engine as engine_mod

SIZES = (10_000, 30_000, 100_000, 200_000, 400_000, 1_000_000)
_START = attrgetter("start")


# ------------------------------------------------------------------------------------------ the old algorithm


def old_resolve_overlaps(spans: list[Span]) -> list[Span]:
    """The pre-fix overlap resolution (every candidate against every kept span): the reference for equality."""
    by_start = sorted(spans, key=_START)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start
    rank = engine_mod._RANK
    ordered = sorted(spans, key=lambda s: (s.start - s.end, -s.score, rank[s.type], s.start))
    kept: list[Span] = []
    for cand in ordered:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    kept.sort(key=_START)
    return kept


def old_drop_placeholder_overlaps(spans: list[Span], holes: list[tuple[int, int]]) -> list[Span]:
    """The pre-fix placeholder filter (every candidate against every placeholder)."""
    if not holes:
        return spans
    return [s for s in spans if all(s.end <= a or s.start >= b for a, b in holes)]


@contextmanager
def old_algorithm() -> Iterator[None]:
    """Run the engine with the pre-fix pairwise algorithms patched in."""
    saved = engine_mod.resolve_overlaps, engine_mod.drop_placeholder_overlaps
    engine_mod.resolve_overlaps = old_resolve_overlaps
    engine_mod.drop_placeholder_overlaps = old_drop_placeholder_overlaps
    try:
        yield
    finally:
        engine_mod.resolve_overlaps, engine_mod.drop_placeholder_overlaps = saved


# ------------------------------------------------------------------------------------------------ inputs


def _repeat(unit: str, n: int, prefix: str = "") -> str:
    return (prefix + unit * (n // len(unit) + 1))[:n]


def _devset_text(n: int) -> str:
    import pii_devset

    texts = [r.text for r in pii_devset.generate(3000)] + pii_devset.hard_negatives(1500)
    random.Random(0).shuffle(texts)  # records and hard negatives mixed, as in a real run
    out, size, i = [], 0, 0
    while size < n:
        t = texts[i % len(texts)]
        out.append(t)
        size += len(t) + 1
        i += 1
    return "\n".join(out)[:n]


INPUTS: dict[str, Callable[[int], str]] = {
    "kv": lambda n: _repeat("name=a&", n, "name=John Smith& "),
    "digits": lambda n: _repeat("4111 1111 1111 1111, 123-45-6789; (555) 010-0199 x12 ", n),
    "caps": lambda n: _repeat("Dr John Smith And Mary Jones Of Paris Main Street Springfield ", n),
    "emails": lambda n: _repeat("john.smith@example.com, m.jones+x@mail.example.org; ", n),
    "devset": _devset_text,
}


def seconds(engine: Engine, text: str) -> float:
    """CPU seconds of one ``engine.redact(text)``."""
    t0 = time.process_time()
    engine.redact(text)
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--inputs", default=",".join(INPUTS))
    ap.add_argument("--cap", type=float, default=20.0, help="stop timing the old algorithm past this many seconds")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engine = Engine()
    engine.redact("warm up: John Smith, 4111 1111 1111 1111, a@example.com")
    print("seconds per 100k characters of Engine.redact (CPU time, one thread); old = pre-fix pairwise algorithms")
    print(f"{'input':8} {'chars':>9} {'spans':>7} {'new s/100k':>11} {'old s/100k':>11} {'old/new':>8}")
    for name in args.inputs.split(","):
        old_done = False
        full = INPUTS[name](max(sizes))
        for n in sizes:
            text = full[:n]
            spans = len(engine.redact(text).spans)
            new = seconds(engine, text)
            old_cell, ratio = "skipped", ""
            if not old_done:
                with old_algorithm():
                    old = seconds(engine, text)
                old_cell, ratio = f"{old / n * 1e5:11.3f}", f"{old / new:7.1f}x"
                old_done = old > args.cap
            print(f"{name:8} {n:9d} {spans:7d} {new / n * 1e5:11.3f} {old_cell:>11} {ratio:>8}", flush=True)


if __name__ == "__main__":
    main()
