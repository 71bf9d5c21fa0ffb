"""Pluggable second-tier detectors (e.g. Amazon Comprehend) merged with the rule-based first tier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from glue_jobs.pii.model import Span


class SecondTier(Protocol):
    """A detector run after the rules; its spans join the same overlap resolution."""

    def detect(self, text: str) -> list[Span]: ...


_REGISTRY: dict[str, Callable[[], SecondTier]] = {}


def register(name: str, factory: Callable[[], SecondTier]) -> None:
    """Register a second-tier factory under ``name`` (selected with ``EngineConfig(second_tier=name)``)."""
    _REGISTRY[name] = factory


def registered() -> frozenset[str]:
    """Names of registered second-tier detectors."""
    return frozenset(_REGISTRY)


def create(name: str) -> SecondTier:
    """Instantiate a registered second tier."""
    return _REGISTRY[name]()
