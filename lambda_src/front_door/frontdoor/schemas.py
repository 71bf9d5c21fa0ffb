"""Request JSON schemas (``schemas/*.json``, shared with the API Gateway request models) and validation.

Validation uses fastjsonschema, the provider behind ``aws_lambda_powertools.utilities.validation``; the
schemas are compiled once per execution environment because Powertools' ``validate()`` recompiles the
schema on every call (milliseconds per request).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from frontdoor.config import settings

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


class RequestInvalid(ValueError):
    """The body does not satisfy the request schema.

    ``str(exc)`` is for the caller (it may quote the caller's own property names); ``field`` and ``rule``
    never contain request content and are what gets logged.
    """

    def __init__(self, message: str, field: str, rule: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


def load_schema(name: str, prompt_max_chars: int | None = None) -> dict[str, Any]:
    """Load ``schemas/<name>.json``; for ``generate_request`` optionally override ``prompt.maxLength``."""
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if prompt_max_chars is not None and name == "generate_request":
        schema = copy.deepcopy(schema)
        schema["properties"]["prompt"]["maxLength"] = prompt_max_chars
    return schema


@cache
def compiled(name: str) -> Callable[[Any], Any]:
    """The compiled validator of a request schema, with the configured prompt limit."""
    import fastjsonschema  # deferred: ~50 ms of import kept out of the cold start

    return fastjsonschema.compile(load_schema(name, settings().prompt_max_chars))


def validate(name: str, data: Any) -> None:
    """Validate ``data`` against the named request schema or raise :class:`RequestInvalid`."""
    from fastjsonschema import JsonSchemaValueException

    try:
        compiled(name)(data)
    except JsonSchemaValueException as exc:
        raise RequestInvalid(exc.message, str(exc.name), str(exc.rule)) from None
