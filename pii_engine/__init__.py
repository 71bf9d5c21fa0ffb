"""PII/PHI detection and redaction engine (rules + gazetteers, optional second tier).

Public API::

    from pii_engine import Engine, EngineConfig, Mode, Span, Redaction, ENTITY_TYPES, detect, redact
"""

from __future__ import annotations

import functools

from pii_engine.engine import Engine
from pii_engine.model import ENTITY_TYPES, EngineConfig, Mode, Redaction, Span

__all__ = [
    "ENTITY_TYPES",
    "Engine",
    "EngineConfig",
    "Mode",
    "Redaction",
    "Span",
    "detect",
    "redact",
]


@functools.lru_cache(maxsize=8)
def _engine(mode: Mode = Mode.MASK, hash_key: bytes | None = None) -> Engine:
    return Engine(EngineConfig(default_mode=mode, hash_key=hash_key))


def detect(text: str, *, field: str | None = None) -> list[Span]:
    """Detect entities with a lazily built default :class:`Engine`."""
    return _engine().detect(text, field=field)


def redact(
    text: str,
    *,
    mode: str | Mode = "mask",
    hash_key: bytes | None = None,
    field: str | None = None,
) -> str:
    """Redacted text (``mode`` mask/hash/drop; drop masks here, use ``Engine.redact().drop`` to drop records)."""
    return _engine(Mode(mode), hash_key).redact(text, field=field).text
