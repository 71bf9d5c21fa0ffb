"""JSON Schema (draft-04..07) -> API Gateway (draft-04) request models, and the handler's schema files.

Hand-written: no maintained library converts JSON Schema into CDK's ``apigateway.JsonSchema``; the
conversion is small, exhaustive over the keywords (unknown ones fail at synth) and unit-tested in
``tests/cdk/test_front_door.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import aws_apigateway as apigateway

from pipeline_stacks import bundling

__all__ = ["SCHEMA_DIR", "load_request_schema", "to_api_gateway_schema"]

#: Where the request/response JSON schemas shared with the handler live.
SCHEMA_DIR = bundling.RUNTIME_ROOT / "lambda_src" / "front_door" / "schemas"

_TYPES = {t.name.lower(): t for t in apigateway.JsonSchemaType}

#: Keywords carried over 1:1 (JSON name -> JsonSchema keyword argument).
_SCALARS = {
    "title": "title",
    "description": "description",
    "format": "format",
    "multipleOf": "multiple_of",
    "maxLength": "max_length",
    "minLength": "min_length",
    "pattern": "pattern",
    "maxItems": "max_items",
    "minItems": "min_items",
    "uniqueItems": "unique_items",
    "maxProperties": "max_properties",
    "minProperties": "min_properties",
    "required": "required",
    "enum": "enum",
    "default": "default",
}
_SUBSCHEMA_LISTS = {"allOf": "all_of", "anyOf": "any_of", "oneOf": "one_of"}
_SUBSCHEMA_MAPS = {
    "properties": "properties",
    "patternProperties": "pattern_properties",
}
#: Annotations without validation effect that draft-04 does not know: dropped.
_DROPPED = {"$schema", "$id", "id", "$comment", "examples", "readOnly", "writeOnly", "contentMediaType",
            "contentEncoding"}  # fmt: skip
#: Draft-06+ keywords with no draft-04 equivalent: refused, so the gateway never validates less than the handler.
_UNSUPPORTED = {"if", "then", "else", "contains", "propertyNames", "unevaluatedProperties", "dependentSchemas",
                "dependentRequired", "$anchor", "$dynamicRef"}  # fmt: skip


def to_api_gateway_schema(schema: Mapping[str, Any] | bool, *, path: str = "#") -> apigateway.JsonSchema:
    """Convert a draft-04..07 JSON Schema document into API Gateway's (draft-04) ``JsonSchema``.

    Draft-06/07 differences are translated: numeric ``exclusiveMinimum``/``exclusiveMaximum`` become
    ``minimum``/``maximum`` + the draft-04 boolean, ``const`` becomes a one-value ``enum``, ``$defs``
    become ``definitions`` (and ``$ref`` s are rewritten), annotations are dropped. Keywords draft-04
    cannot express (``if``/``then``, ``contains``, ...) raise ``ValueError`` naming the location, so
    a schema change fails at synth instead of silently validating less at the gateway.
    """
    if isinstance(schema, bool):  # draft-06 boolean schemas
        return apigateway.JsonSchema() if schema else apigateway.JsonSchema(not_=apigateway.JsonSchema())
    if not isinstance(schema, Mapping):
        raise TypeError(f"{path}: a JSON schema must be an object or a boolean, got {schema!r}")
    kwargs: dict[str, Any] = {}
    if path == "#":
        kwargs["schema"] = apigateway.JsonSchemaVersion.DRAFT4
    for key, value in schema.items():
        where = f"{path}/{key}"
        if key in _DROPPED:
            continue
        if key in _UNSUPPORTED:
            raise ValueError(f"{where}: JSON Schema keyword {key!r} has no draft-04 equivalent (API Gateway models)")
        if key in _SCALARS:
            kwargs[_SCALARS[key]] = list(value) if isinstance(value, list) else value
        elif key == "type":
            kwargs["type"] = [_type(v, where) for v in value] if isinstance(value, list) else _type(value, where)
        elif key in ("minimum", "maximum"):
            _set_bound(kwargs, key, value, where)
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if isinstance(value, bool):  # draft-04 form
                kwargs[f"exclusive_{bound}"] = value
            else:  # draft-06+: the exclusive bound itself
                _set_bound(kwargs, bound, value, where)
                kwargs[f"exclusive_{bound}"] = True
        elif key == "const":
            kwargs["enum"] = [value]
        elif key in _SUBSCHEMA_LISTS:
            kwargs[_SUBSCHEMA_LISTS[key]] = [to_api_gateway_schema(s, path=f"{where}/{i}") for i, s in enumerate(value)]
        elif key in _SUBSCHEMA_MAPS:
            kwargs[_SUBSCHEMA_MAPS[key]] = {k: to_api_gateway_schema(s, path=f"{where}/{k}") for k, s in value.items()}
        elif key in ("definitions", "$defs"):
            defs = {k: to_api_gateway_schema(s, path=f"{where}/{k}") for k, s in value.items()}
            kwargs["definitions"] = {**kwargs.get("definitions", {}), **defs}
        elif key in ("additionalProperties", "additionalItems"):
            target = "additional_properties" if key == "additionalProperties" else "additional_items"
            kwargs[target] = value if isinstance(value, bool) else to_api_gateway_schema(value, path=where)
        elif key == "items":
            kwargs["items"] = (
                [to_api_gateway_schema(s, path=f"{where}/{i}") for i, s in enumerate(value)]
                if isinstance(value, list)
                else to_api_gateway_schema(value, path=where)
            )
        elif key == "not":
            kwargs["not_"] = to_api_gateway_schema(value, path=where)
        elif key == "dependencies":
            kwargs["dependencies"] = {
                k: list(v) if isinstance(v, list) else to_api_gateway_schema(v, path=f"{where}/{k}")
                for k, v in value.items()
            }
        elif key == "$ref":
            kwargs["ref"] = str(value).replace("#/$defs/", "#/definitions/")
        else:
            raise ValueError(f"{where}: unknown JSON Schema keyword {key!r}")
    return apigateway.JsonSchema(**kwargs)


def _type(name: Any, where: str) -> apigateway.JsonSchemaType:
    try:
        return _TYPES[str(name)]
    except KeyError:
        raise ValueError(f"{where}: unknown JSON Schema type {name!r}; allowed: {sorted(_TYPES)}") from None


def _set_bound(kwargs: dict[str, Any], bound: str, value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}: {bound} must be a number, got {value!r}")
    previous = kwargs.get(bound)
    if previous is None:
        kwargs[bound] = value
    else:  # both "minimum" and a draft-06 "exclusiveMinimum": keep the stricter one
        kwargs[bound] = max(previous, value) if bound == "minimum" else min(previous, value)


def load_request_schema(name: str, *, schema_dir: Path = SCHEMA_DIR, prompt_max_chars: int | None = None) -> dict:
    """Load ``<schema_dir>/<name>.json``; ``prompt_max_chars`` overrides ``properties.prompt.maxLength``."""
    with (schema_dir / f"{name}.json").open(encoding="utf-8") as fh:
        schema = json.load(fh)
    if prompt_max_chars is not None:
        try:
            prompt = schema["properties"]["prompt"]
        except (KeyError, TypeError):
            raise ValueError(f"{name}.json has no properties.prompt to apply max_prompt_chars to") from None
        prompt["maxLength"] = prompt_max_chars
    return schema
