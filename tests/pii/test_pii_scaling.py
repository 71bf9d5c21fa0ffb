"""Overlap resolution and the placeholder filter stay O(n log n): comparisons are counted, not timed.

Before, both compared every candidate with every other (n²/2 comparisons: ~10^8 for the 100k-character ``key=value``
record below), so a 1 MiB record took minutes. ``benchmarks/pii_scaling.py`` reports the timings.
"""

from __future__ import annotations

import math
import random
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from pii_engine import ENTITY_TYPES, Engine, Span
from pii_engine import engine as engine_mod

C = 8  # comparisons per candidate per log2 level; the old algorithm needs ~n/2 per candidate


def _bound(n: int) -> float:
    return C * max(n, 2) * math.log2(max(n, 2))


def _pairwise_resolve(spans: list[Span]) -> list[Span]:
    """The pre-fix implementation (the specification): longest, then highest score, then priority, then leftmost;
    keep what overlaps nothing kept before; input sorted by start when nothing overlaps."""
    by_start = sorted(spans, key=lambda s: s.start)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start
    ordered = sorted(spans, key=lambda s: (s.start - s.end, -s.score, engine_mod._RANK[s.type], s.start))
    kept: list[Span] = []
    for cand in ordered:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda s: s.start)


def _count(fn, *args):  # type: ignore[no-untyped-def]
    before = engine_mod.STATS["comparisons"]
    result = fn(*args)
    return result, engine_mod.STATS["comparisons"] - before


def test_resolve_overlaps_comparisons_are_n_log_n() -> None:
    rng = random.Random(5)
    for n in (1_000, 30_000):
        # dense, heavily overlapping candidates of every type: the worst case for the old algorithm
        spans = []
        for _ in range(n):
            start = rng.randrange(n * 3)
            spans.append(Span(rng.choice(ENTITY_TYPES), start, start + rng.randrange(1, 12), rng.random()))
        kept, comparisons = _count(engine_mod.resolve_overlaps, spans)
        assert comparisons <= _bound(n), (n, comparisons, _bound(n))
        assert all(a.end <= b.start for a, b in pairwise(kept))
        assert len(kept) > n // 10


def test_placeholder_filter_comparisons_are_n_log_m() -> None:
    for n in (1_000, 30_000):
        holes = [(i * 10, i * 10 + 8) for i in range(n)]
        spans = [Span("PERSON", i * 10 + 3, i * 10 + 12, 0.8) for i in range(n)] + [
            Span("PERSON", i * 10 + 8, i * 10 + 10, 0.8) for i in range(n)
        ]
        out, comparisons = _count(engine_mod.drop_placeholder_overlaps, spans, holes)
        assert comparisons <= _bound(len(spans))
        assert [(s.start, s.end) for s in out] == [(i * 10 + 8, i * 10 + 10) for i in range(n)]


def test_dense_key_value_record_is_n_log_n_end_to_end() -> None:
    """The reported record: every value a candidate, every value a placeholder in the second redaction round."""
    engine = Engine()
    for k in (1_000, 5_000):
        text = "name=John Smith& " + "name=a&" * k
        before = engine_mod.STATS["comparisons"]
        result = engine.redact(text)
        comparisons = engine_mod.STATS["comparisons"] - before
        candidates = 2 * (k + 1)  # two detection rounds, about one candidate per pair in each
        assert comparisons <= 2 * _bound(candidates), (k, comparisons)
        assert result.counts["PERSON"] == k + 1
        assert result.text == "name=[PERSON]& " + "name=[PERSON]&" * k


SPAN = st.builds(
    lambda t, start, length, score: Span(t, start, start + length, score),
    st.sampled_from(ENTITY_TYPES),
    st.integers(0, 60),
    st.integers(0, 12),
    st.sampled_from([0.5, 0.8, 0.9, 0.95, 1.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SPAN, max_size=40))
def test_resolve_overlaps_equals_the_pairwise_specification(spans: list[Span]) -> None:
    assert engine_mod.resolve_overlaps(spans) == _pairwise_resolve(spans)


@settings(max_examples=300, deadline=None)
@given(st.lists(SPAN, max_size=30), st.lists(st.tuples(st.integers(0, 70), st.integers(1, 10)), max_size=8))
def test_placeholder_filter_equals_the_pairwise_specification(
    spans: list[Span], raw_holes: list[tuple[int, int]]
) -> None:
    holes, last = [], 0
    for gap, length in raw_holes:  # sorted, disjoint, non-empty, as PLACEHOLDER_RE.finditer gives them
        holes.append((last + gap, last + gap + length))
        last = last + gap + length
    want = [s for s in spans if all(s.end <= a or s.start >= b for a, b in holes)]
    assert engine_mod.drop_placeholder_overlaps(spans, holes) == want
