"""Deprecated alias of :mod:`pii_engine` (the PII engine moved to its own top-level package).

``from glue_jobs.pii import ...``, ``import glue_jobs.pii.<module>`` and ``python -m glue_jobs.pii`` keep working
for one release and emit a ``DeprecationWarning``; use ``pii_engine`` instead.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import pii_engine
from pii_engine import ENTITY_TYPES, Engine, EngineConfig, Mode, Redaction, Span, detect, redact

warnings.warn(
    "glue_jobs.pii is deprecated and will be removed in the next release; import pii_engine instead",
    DeprecationWarning,
    stacklevel=2,
)

# ``import glue_jobs.pii.names`` etc. resolve to the engine's own modules (one module object, shared state).
_MOVED = {
    "engine": "pii_engine.engine",
    "model": "pii_engine.model",
    "names": "pii_engine.recognizers.names",
    "patterns": "pii_engine.patterns",
    "registry": "pii_engine.registry",
    "second_tier": "pii_engine.second_tier",
    "validators": "pii_engine.validators",
}
for _name, _target in _MOVED.items():
    sys.modules[f"{__name__}.{_name}"] = importlib.import_module(_target)
    globals()[_name] = sys.modules[f"{__name__}.{_name}"]

__all__ = ["ENTITY_TYPES", "Engine", "EngineConfig", "Mode", "Redaction", "Span", "detect", "pii_engine", "redact"]
