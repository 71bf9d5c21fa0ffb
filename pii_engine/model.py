"""Public value types of the PII engine: spans, modes, configuration and results."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pii_engine.registry import ENTITY_TYPES


@dataclass(frozen=True, slots=True)
class Span:
    """A detected entity: ``text[start:end]`` (Python str offsets, end exclusive)."""

    type: str
    start: int
    end: int
    score: float


_SET_TYPE, _SET_START, _SET_END, _SET_SCORE = (
    Span.type.__set__,  # type: ignore[attr-defined,misc]
    Span.start.__set__,  # type: ignore[attr-defined,misc]
    Span.end.__set__,  # type: ignore[attr-defined,misc]
    Span.score.__set__,  # type: ignore[attr-defined,misc]
)


def _span_init(self: Span, type: str, start: int, end: int, score: float) -> None:
    """Same as the generated ``__init__`` of the frozen dataclass, which sets each field through
    ``object.__setattr__``; the slot descriptors do it in about 60% of the time (spans are made in hot loops)."""
    _SET_TYPE(self, type)
    _SET_START(self, start)
    _SET_END(self, end)
    _SET_SCORE(self, score)


Span.__init__ = _span_init  # type: ignore[method-assign]


class Mode(str, enum.Enum):  # noqa: UP042 -- str() and format() of members are part of the CLI/job output
    """What happens to a detected span when redacting."""

    MASK = "mask"
    HASH = "hash"
    DROP = "drop"


def _check_entities(names: frozenset[str] | set[str] | Mapping[str, Mode], what: str) -> None:
    unknown = sorted(set(names) - set(ENTITY_TYPES))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; allowed: {', '.join(ENTITY_TYPES)}")


#: Detection profiles: ``balanced`` (precision and recall; interactive paths) and ``recall`` (recall-first for
#: PHI: capitalised words that are neither ordinary words nor known safe terms become name/place candidates).
PROFILES: tuple[str, ...] = ("balanced", "recall")


@dataclass(frozen=True)
class EngineConfig:
    """Engine settings. Invalid values raise ``ValueError`` at construction."""

    entities: frozenset[str] = frozenset(ENTITY_TYPES)
    min_score: float = 0.5
    default_mode: Mode = Mode.MASK
    entity_modes: Mapping[str, Mode] = field(default_factory=dict, hash=False)
    hash_key: bytes | None = None
    second_tier: str | None = None
    #: ``"balanced"`` (default) or ``"recall"``: recall-first for PHI (training data), see docs/pii-engine.md.
    profile: str = "balanced"

    def __post_init__(self) -> None:
        object.__setattr__(self, "entities", frozenset(self.entities))
        _check_entities(self.entities, "entity type(s)")
        _check_entities(self.entity_modes, "entity type(s) in entity_modes")
        if (
            isinstance(self.min_score, bool)
            or not isinstance(self.min_score, (int, float))
            or not 0.0 <= self.min_score <= 1.0
        ):
            raise ValueError(f"min_score must be a number in [0.0, 1.0], got {self.min_score!r}")
        allowed_modes = ", ".join(m.value for m in Mode)
        try:
            default_mode = Mode(self.default_mode)
            modes = {name: Mode(mode) for name, mode in self.entity_modes.items()}
        except ValueError as exc:
            raise ValueError(f"{exc}; allowed modes: {allowed_modes}") from None
        object.__setattr__(self, "default_mode", default_mode)
        object.__setattr__(self, "entity_modes", MappingProxyType(modes))
        if self.hash_key is not None and (not isinstance(self.hash_key, bytes) or not self.hash_key):
            raise ValueError("hash_key must be non-empty bytes")
        if self.hash_key is None and Mode.HASH in {default_mode, *modes.values()}:
            raise ValueError("hash mode requires hash_key (load it from Secrets Manager; never hard-code it)")
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; allowed: {', '.join(PROFILES)}")
        if self.second_tier is not None:
            from pii_engine.second_tier import registered

            if self.second_tier not in registered():
                raise ValueError(
                    f"unknown second_tier {self.second_tier!r}; allowed: {', '.join(sorted(registered()))}"
                )

    def __reduce__(self) -> tuple[type[EngineConfig], tuple[object, ...]]:
        """Pickle support (the read-only ``entity_modes`` view itself is not picklable)."""
        return (
            EngineConfig,
            (
                self.entities,
                self.min_score,
                self.default_mode,
                dict(self.entity_modes),
                self.hash_key,
                self.second_tier,
                self.profile,
            ),
        )

    def mode_for(self, entity_type: str) -> Mode:
        """Redaction mode for one entity type."""
        return self.entity_modes.get(entity_type, self.default_mode)


@dataclass(frozen=True)
class Redaction:
    """Result of :meth:`Engine.redact`.

    ``spans`` are offsets in the *input* text; ``drop`` is True when any detected span's mode is DROP
    (the caller should discard the record); ``counts`` counts detections per entity type.
    """

    text: str
    spans: tuple[Span, ...]
    drop: bool
    counts: Mapping[str, int]
