"""The detection/redaction engine: runs recognizers, resolves overlaps, applies redaction modes."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from operator import attrgetter

from pii_engine import context
from pii_engine.model import EngineConfig, Mode, Redaction, Span
from pii_engine.recognizers import RECOGNIZERS
from pii_engine.registry import ENTITY_TYPES, HASH_ALNUM_TYPES, PRIORITY

_RANK = {t: i for i, t in enumerate(PRIORITY)}
_START = attrgetter("start")

PLACEHOLDER_RE = re.compile(
    r"\[(?:" + "|".join(ENTITY_TYPES) + r")(?::[0-9a-f]{16})?\]"
)
_ALNUM_TYPES = HASH_ALNUM_TYPES
_NON_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_FIELD_WHOLE_VALUE = context.FREE_TEXT_TYPES


def _blank(m: re.Match[str]) -> str:
    """Placeholders must not act as context words ("[PHONE_NUMBER]" contains "phone")."""
    return " " * (m.end() - m.start())


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep a non-overlapping subset, sorted by start.

    Candidates are considered longest first, then highest score, then by :data:`PRIORITY`, then leftmost;
    a candidate is kept if it does not overlap any span kept before it. Identical input gives identical output.
    """
    by_start = sorted(spans, key=_START)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start  # nothing overlaps (the common case)
    ordered = sorted(
        spans, key=lambda s: (s.start - s.end, -s.score, _RANK[s.type], s.start)
    )
    kept: list[Span] = []
    for cand in ordered:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    kept.sort(key=_START)
    return kept


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
        self._recognizers = [
            rec for rec, types in RECOGNIZERS.values() if types & wanted
        ]
        self._recall = self.config.profile == "recall"
        self._second = None
        if self.config.second_tier:
            from pii_engine.second_tier import create

            self._second = create(self.config.second_tier)

    def detect(self, text: str, *, field: str | None = None) -> list[Span]:
        """Entities in ``text`` (sorted, non-overlapping, score >= ``min_score``); ``field`` is the JSON key."""
        if not text:
            return []
        lower = (
            PLACEHOLDER_RE.sub(_blank, text).lower() if "[" in text else text.lower()
        )
        doc = context.Doc(
            lower, context.field_types(field), _DIGIT.search(text) is not None, None, self._recall
        )
        wanted, min_score = self.config.entities, self.config.min_score
        if self._all_types:
            cands = [
                span
                for rec in self._recognizers
                for span in rec(text, doc)
                if span.score >= min_score
            ]
        else:
            cands = [
                span
                for rec in self._recognizers
                for span in rec(text, doc)
                if span.type in wanted and span.score >= min_score
            ]
        if self._second is not None:
            cands.extend(
                s
                for s in self._second.detect(text)
                if s.type in wanted and s.score >= min_score
            )
        for etype in _FIELD_WHOLE_VALUE:
            if etype in doc.hints and etype in wanted:
                stripped = text.strip()
                if 0 < len(stripped) <= 120 and any(c.isalpha() for c in stripped):
                    start = text.index(stripped)
                    cands.append(Span(etype, start, start + len(stripped), 0.8))
                break
        if "[" in text and cands:
            holes = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
            if holes:
                cands = [
                    s
                    for s in cands
                    if all(s.end <= a or s.start >= b for a, b in holes)
                ]
        return resolve_overlaps(cands)

    def _placeholder(self, span: Span, value: str) -> str:
        if self.config.mode_for(span.type) is Mode.HASH:
            import hashlib  # lazy: mask mode (the default) never needs it
            import hmac

            assert (
                self.config.hash_key is not None
            )  # guaranteed by EngineConfig validation
            msg = f"{span.type}:{normalise_value(span.type, value)}".encode()
            digest = hmac.new(self.config.hash_key, msg, hashlib.sha256).hexdigest()[
                :16
            ]
            return f"[{span.type}:{digest}]"
        return f"[{span.type}]"

    def _apply(self, text: str, spans: list[Span]) -> str:
        parts, pos = [], 0
        for s in spans:
            parts.append(text[pos : s.start])
            parts.append(self._placeholder(s, text[s.start : s.end]))
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
        spans = self.detect(text, field=field)
        if not spans:
            return Redaction(text, (), False, {})
        counts = Counter(s.type for s in spans)
        modes = {self.config.mode_for(s.type) for s in spans}
        out = self._apply(text, spans)
        while more := self.detect(out, field=field):
            counts.update(s.type for s in more)
            modes.update(self.config.mode_for(s.type) for s in more)
            out = self._apply(out, more)
        return Redaction(out, tuple(spans), Mode.DROP in modes, dict(counts))
