"""The entity-type registry: every type the engine can report, declared once.

Everything else derives from this table: ``ENTITY_TYPES`` (public API, CLI help, ``EngineConfig`` validation,
``pipeline_contract.ENTITY_TYPES`` and the app's ``sanitization.entities`` allowed values), the overlap tie-break
order (``PRIORITY``) and the hash normalisation (``HASH_ALNUM_TYPES``). Adding a type: one row here, its recognizer
in the family module under ``pii_engine/recognizers/`` (listed in ``RECOGNIZERS`` there), and a test.
"""

from __future__ import annotations

from typing import NamedTuple


class EntityType(NamedTuple):
    """One entity type: ``name`` (the placeholder text), ``priority`` (tie-break rank, lower wins between equally
    long, equally scored overlapping spans) and ``alnum_hash`` (hash input keeps only letters and digits, so
    ``123-45-6789`` and ``123 45 6789`` hash alike)."""

    name: str
    priority: int
    alnum_hash: bool


# Priority: validated formats first, then context-gated identifiers, then free-text types.
REGISTRY: tuple[EntityType, ...] = (
    EntityType("EMAIL_ADDRESS", 0, False),
    EntityType("PHONE_NUMBER", 11, True),
    EntityType("CREDIT_CARD", 3, True),
    EntityType("US_SSN", 5, True),
    EntityType("US_ITIN", 4, True),
    EntityType("IBAN_CODE", 2, True),
    EntityType("IP_ADDRESS", 8, False),
    EntityType("MAC_ADDRESS", 9, True),
    EntityType("URL", 1, False),
    EntityType("DATE_TIME", 16, False),
    EntityType("US_DRIVER_LICENSE", 14, True),
    EntityType("US_PASSPORT", 13, True),
    EntityType("US_BANK_NUMBER", 15, True),
    EntityType("ABA_ROUTING_NUMBER", 10, True),
    EntityType("MEDICAL_RECORD_NUMBER", 12, True),
    EntityType("AWS_ACCESS_KEY", 6, False),
    EntityType("AWS_SECRET_KEY", 7, False),
    EntityType("PERSON", 18, False),
    EntityType("STREET_ADDRESS", 17, False),
    EntityType("LOCATION", 19, False),
    EntityType("AGE", 21, False),
    EntityType("ZIP_CODE", 20, True),
)

#: Every entity type name, in declaration order.
ENTITY_TYPES: tuple[str, ...] = tuple(t.name for t in REGISTRY)
#: Tie-break order for equally long, equally scored overlapping spans (earlier wins).
PRIORITY: tuple[str, ...] = tuple(t.name for t in sorted(REGISTRY, key=lambda t: t.priority))
#: Types whose hash input keeps only letters and digits.
HASH_ALNUM_TYPES: frozenset[str] = frozenset(t.name for t in REGISTRY if t.alnum_hash)
