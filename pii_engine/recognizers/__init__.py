"""Recognizers by family. Each family module lists its own in ``RECOGNIZERS`` (name -> (recognizer, entity types
it can report)); this table is their union, in a fixed order: adding a recognizer to a family touches that module
only."""

from __future__ import annotations

from pii_engine import context
from pii_engine.context import Recognizer
from pii_engine.recognizers import addresses, dates, intl, names, network, numbers

RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    **context.RECOGNIZERS,
    **network.RECOGNIZERS,
    **numbers.RECOGNIZERS,
    **dates.RECOGNIZERS,
    **addresses.RECOGNIZERS,
    **intl.RECOGNIZERS,
    **names.RECOGNIZERS,
}

__all__ = ["RECOGNIZERS", "Recognizer", "names"]
