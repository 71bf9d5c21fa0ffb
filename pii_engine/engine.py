"""The detection/redaction engine: runs recognizers, resolves overlaps, applies redaction modes."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import pairwise
from operator import attrgetter

from pii_engine import context
from pii_engine.model import EngineConfig, Mode, Redaction, Span
from pii_engine.normalize import normalize
from pii_engine.recognizers import RECOGNIZERS
from pii_engine.registry import ENTITY_TYPES, HASH_ALNUM_TYPES, PRIORITY

_RANK = {t: i for i, t in enumerate(PRIORITY)}
_START = attrgetter("start")

PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(ENTITY_TYPES) + r")(?::[0-9a-f]{16})?\]")
_ALNUM_TYPES = HASH_ALNUM_TYPES
_NON_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_FIELD_WHOLE_VALUE = context.FREE_TEXT_TYPES


def _blank(m: re.Match[str]) -> str:
    """Placeholders must not act as context words ("[PHONE_NUMBER]" contains "phone")."""
    return " " * (m.end() - m.start())


#: Instrumentation for the complexity test (tests/pii/test_pii_scaling.py): running count of the span/interval
#: comparisons made by :func:`resolve_overlaps` and :func:`drop_placeholder_overlaps` (tree steps and binary-search
#: probes; the sorts are not counted). Updated once per call, so it costs nothing measurable.
STATS: dict[str, int] = {"comparisons": 0}


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep a non-overlapping subset, sorted by start.

    Candidates are considered longest first, then highest score, then by :data:`PRIORITY`, then leftmost;
    a candidate is kept if it does not overlap any span kept before it. Identical input gives identical output.

    O(n log n): a candidate ``[s, e)`` overlaps a kept span iff the largest end among kept spans starting before
    ``e`` exceeds ``s``; that prefix maximum lives in a Fenwick tree indexed by the rank of the start, so each
    candidate costs one binary search and two O(log n) tree walks instead of a scan of every kept span.
    """
    by_start = sorted(spans, key=_START)
    n = len(by_start)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        STATS["comparisons"] += n
        return by_start  # nothing overlaps (the common case)
    ordered = sorted(spans, key=lambda s: (s.start - s.end, -s.score, _RANK[s.type], s.start))
    starts = [s.start for s in by_start]
    tree = [-1] * (n + 1)  # 1-based Fenwick tree of prefix maxima of kept ends (-1: none; offsets are >= 0)
    kept: list[Span] = []
    steps = n + n * n.bit_length()  # the pairwise scan + one binary search per candidate
    for cand in ordered:
        lo, i = cand.start, bisect_left(starts, cand.end)  # i = number of candidates starting before cand.end
        while i > 0:
            steps += 1
            if tree[i] > lo:
                break  # a kept span starts before cand.end and ends after cand.start
            i &= i - 1
        else:
            kept.append(cand)
            end, i = cand.end, bisect_left(starts, lo) + 1
            while i <= n:
                steps += 1
                tree[i] = max(tree[i], end)
                i += i & -i
    STATS["comparisons"] += steps
    kept.sort(key=_START)
    return kept


def drop_placeholder_overlaps(spans: list[Span], holes: list[tuple[int, int]]) -> list[Span]:
    """``spans`` without those overlapping any of ``holes`` (placeholders: sorted, disjoint, non-empty).

    O(n log m): hole ends increase with their starts, so the only hole that can overlap ``[s, e)`` is the first
    one ending after ``s`` (a binary search), and it does iff it starts before ``e``.
    """
    if not holes:
        return spans
    h_starts = [a for a, _ in holes]
    h_ends = [b for _, b in holes]
    m = len(holes)
    out = []
    for s in spans:
        i = bisect_right(h_ends, s.start)
        if i == m or h_starts[i] >= s.end:
            out.append(s)
    STATS["comparisons"] += len(spans) * (m.bit_length() + 1)
    return out


def normalise_value(entity_type: str, value: str) -> str:
    """Canonical form of a value for hashing (case/spacing/separator-insensitive)."""
    if entity_type in _ALNUM_TYPES:
        return _NON_ALNUM.sub("", value).upper()
    return _SPACES.sub(" ", value.strip()).casefold()


class Engine:
    """Detects and redacts PII/PHI. Build once and reuse; safe to share between threads."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        wanted = self.config.entities
        self._all_types = wanted == frozenset(ENTITY_TYPES)
        self._recognizers = [rec for rec, types in RECOGNIZERS.values() if types & wanted]
        self._recall = self.config.profile == "recall"
        self._second = None
        if self.config.second_tier:
            from pii_engine.second_tier import create

            self._second = create(self.config.second_tier)

    def detect(self, text: str, *, field: str | None = None) -> list[Span]:
        """Entities in ``text`` (sorted, non-overlapping, score >= ``min_score``); ``field`` is the JSON key.

        Detection runs on the normalised text (:mod:`pii_engine.normalize`: NFKC, format characters removed,
        HTML/URL escapes decoded, spelled-out e-mails); the spans are offsets in ``text`` itself.
        """
        norm = normalize(text) if text else None
        if norm is None:
            return self._detect(text, field)
        return norm.map_spans(self._detect(norm.text, field))[0]

    def _find(self, text: str, field: str | None) -> tuple[list[Span], list[str] | None]:
        """Spans in ``text`` and, when ``text`` was normalised, the normalised value of each (for hashing)."""
        norm = normalize(text) if text else None
        if norm is None:
            return self._detect(text, field), None
        return norm.map_spans(self._detect(norm.text, field))

    def _doc(self, text: str, field: str | None) -> context.Doc:
        """The per-call state of the recognizers for already normalised, non-empty ``text``."""
        lower = PLACEHOLDER_RE.sub(_blank, text).lower() if "[" in text else text.lower()
        plain = text.isascii() and not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)
        digit = _DIGIT.search(text) is not None
        return context.Doc(lower, context.field_types(field), digit, None, self._recall, plain)

    def _detect(self, text: str, field: str | None) -> list[Span]:
        """Entities in already normalised ``text``."""
        if not text:
            return []
        doc = self._doc(text, field)
        min_score = self.config.min_score
        if self._all_types:
            cands = [span for rec in self._recognizers for span in rec(text, doc) if span.score >= min_score]
        else:
            wanted = self.config.entities
            cands = [
                span
                for rec in self._recognizers
                for span in rec(text, doc)
                if span.type in wanted and span.score >= min_score
            ]
        return self._finish(text, doc, cands)

    def _detect_many(self, texts: list[str], fields: list[str | None]) -> list[list[Span]]:
        """``[self._detect(t, f) for t, f in zip(texts, fields)]``, run recognizer by recognizer over the batch."""
        jobs: list[tuple[str, context.Doc, list[Span]]] = [
            (text, self._doc(text, field), []) for text, field in zip(texts, fields, strict=True) if text
        ]
        for rec in self._recognizers:
            for text, doc, cands in jobs:
                cands.extend(rec(text, doc))
        min_score, wanted = self.config.min_score, self.config.entities
        if self._all_types:
            kept = [[s for s in cands if s.score >= min_score] for _, _, cands in jobs]
        else:
            kept = [[s for s in cands if s.type in wanted and s.score >= min_score] for _, _, cands in jobs]
        done = iter([self._finish(text, doc, cands) for (text, doc, _), cands in zip(jobs, kept, strict=True)])
        return [next(done) if text else [] for text in texts]

    def detect_many(self, texts: list[str], fields: list[str | None] | None = None) -> list[list[Span]]:
        """``[self.detect(t, field=f) for t, f in zip(texts, fields)]`` (same spans), faster on batches of short
        texts: each recognizer runs over the whole batch before the next one starts, so its patterns and code stay
        in the processor's caches instead of being evicted by the ~20 others between two texts."""
        return [spans for spans, _ in self._find_many(texts, fields)]

    def _find_many(
        self, texts: list[str], fields: list[str | None] | None
    ) -> list[tuple[list[Span], list[str] | None]]:
        """``[self._find(t, f) for t, f in zip(texts, fields)]``, detection batched by :meth:`_detect_many`."""
        fields = fields if fields is not None else [None] * len(texts)
        norms = [normalize(t) if t else None for t in texts]
        found = self._detect_many([t if n is None else n.text for t, n in zip(texts, norms, strict=True)], fields)
        return [(spans, None) if n is None else n.map_spans(spans) for spans, n in zip(found, norms, strict=True)]

    def _finish(self, text: str, doc: context.Doc, cands: list[Span]) -> list[Span]:
        """The engine's spans from the recognizers' candidates ``cands`` for ``text``."""
        wanted, min_score = self.config.entities, self.config.min_score
        if self._second is not None:
            cands.extend(s for s in self._second.detect(text) if s.type in wanted and s.score >= min_score)
        for etype in _FIELD_WHOLE_VALUE:
            if etype in doc.hints and etype in wanted:
                stripped = text.strip()
                if 0 < len(stripped) <= 120 and any(c.isalpha() for c in stripped):
                    start = text.index(stripped)
                    cands.append(Span(etype, start, start + len(stripped), 0.8))
                break
        if "[" in text and cands:
            cands = drop_placeholder_overlaps(cands, [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)])
        return resolve_overlaps(cands)

    def _placeholder(self, span: Span, value: str) -> str:
        if self.config.mode_for(span.type) is Mode.HASH:
            import hashlib  # lazy: mask mode (the default) never needs it
            import hmac

            assert self.config.hash_key is not None  # guaranteed by EngineConfig validation
            msg = f"{span.type}:{normalise_value(span.type, value)}".encode()
            digest = hmac.new(self.config.hash_key, msg, hashlib.sha256).hexdigest()[:16]
            return f"[{span.type}:{digest}]"
        return f"[{span.type}]"

    def _apply(self, text: str, spans: list[Span], values: list[str] | None = None) -> str:
        parts, pos = [], 0
        for i, s in enumerate(spans):
            parts.append(text[pos : s.start])
            parts.append(self._placeholder(s, text[s.start : s.end] if values is None else values[i]))
            pos = s.end
        parts.append(text[pos:])
        return "".join(parts)

    def redact(self, text: str, *, field: str | None = None) -> Redaction:
        """Replace every detected span by its placeholder.

        The result is a fixed point: redaction is repeated on its own output until nothing new is found (each
        round replaces at least one non-placeholder character, so this terminates), hence
        ``redact(redact(x).text).text == redact(x).text``. ``spans`` are the first-round spans (input offsets);
        ``counts`` include all rounds.
        """
        spans, values = self._find(text, field)
        if not spans:
            return Redaction(text, (), False, {})
        counts: Counter[str] = Counter()
        modes: set[Mode] = set()
        out = self._absorb(text, spans, values, counts, modes)
        while (found := self._find(out, field))[0]:
            out = self._absorb(out, *found, counts, modes)
        return Redaction(out, tuple(spans), Mode.DROP in modes, dict(counts))

    def redact_many(self, texts: list[str], fields: list[str | None] | None = None) -> list[Redaction]:
        """``[self.redact(t, field=f) for t, f in zip(texts, fields)]`` (the same redactions), with each round of
        detection batched like :meth:`detect_many`: round 1 over all ``texts``, every further round over the
        texts the previous round changed, until a round finds nothing in any of them."""
        fields = fields if fields is not None else [None] * len(texts)
        first = self._find_many(texts, fields)
        outs = list(texts)
        counts: list[Counter[str]] = [Counter() for _ in texts]
        modes: list[set[Mode]] = [set() for _ in texts]
        todo = [(i, spans, values) for i, (spans, values) in enumerate(first)]
        while todo := [job for job in todo if job[1]]:  # the texts the last round found something in
            for i, spans, values in todo:
                outs[i] = self._absorb(outs[i], spans, values, counts[i], modes[i])
            found = self._find_many([outs[i] for i, _, _ in todo], [fields[i] for i, _, _ in todo])
            todo = [(i, spans, values) for (i, _, _), (spans, values) in zip(todo, found, strict=True)]
        return [
            Redaction(out, tuple(spans), Mode.DROP in mode, dict(count))
            for out, (spans, _), count, mode in zip(outs, first, counts, modes, strict=True)
        ]

    def _absorb(
        self, text: str, spans: list[Span], values: list[str] | None, counts: Counter[str], modes: set[Mode]
    ) -> str:
        """``text`` with one round's ``spans`` replaced by their placeholders, tallied into ``counts`` and ``modes``."""
        counts.update(s.type for s in spans)
        modes.update(self.config.mode_for(s.type) for s in spans)
        return self._apply(text, spans, values)
