"""Assemble a :class:`PipelineConfig` from defaults, ``cdk.json`` environments and ``-c key=value`` overrides."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline_stacks.config._base import DEFAULT_ENV, ENV_SELECTOR_KEY, ENVIRONMENTS_CONTEXT_KEY, ConfigError
from pipeline_stacks.config.pipeline import PipelineConfig

ContextGetter = Callable[[str], Any]


def load_config(
    get_context: ContextGetter,
    *,
    all_context: Mapping[str, Any] | None = None,
    env_name: str | None = None,
) -> PipelineConfig:
    """Build and validate the configuration from CDK context.

    ``get_context`` is ``app.node.try_get_context``; ``all_context`` (``app.node.get_all_context()``)
    is scanned for dotted per-key overrides such as ``training.instance_type``. ``env_name``: load this
    environment instead of the one ``-c env=NAME`` selects (the delivery pipeline's other stages).
    """
    environments = _as_mapping(get_context(ENVIRONMENTS_CONTEXT_KEY) or {}, ENVIRONMENTS_CONTEXT_KEY)
    env_name = env_name or str(get_context(ENV_SELECTOR_KEY) or DEFAULT_ENV)
    if env_name not in environments:
        allowed = ", ".join(sorted(environments)) or "(none defined)"
        raise ConfigError(
            f"Invalid configuration: key 'env' = {env_name!r} is not a defined environment; "
            f"allowed: {allowed} (defined under context '{ENVIRONMENTS_CONTEXT_KEY}' in cdk.json)"
        )
    raw: dict[str, Any] = json.loads(json.dumps(_as_mapping(environments[env_name], env_name)))
    raw["env_name"] = env_name
    for key, value in _cli_overrides(all_context or {}).items():
        _set_dotted(raw, key, _parse_cli_value(value))
    return validate_config(raw)


def validate_config(raw: Mapping[str, Any]) -> PipelineConfig:
    """Validate a plain mapping into a :class:`PipelineConfig`, raising :class:`ConfigError`."""
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        env = raw.get("env_name", "?")
        lines = [_describe(err, raw) for err in exc.errors()]
        raise ConfigError(f"Invalid configuration for env {env!r}:\n  - " + "\n  - ".join(lines)) from None


def _describe(err: Mapping[str, Any], raw: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(_model_at(err["loc"][:-1]).model_fields))
        return f"{loc}: unknown key; allowed keys here: {allowed}"
    if not loc:  # model-level validator: the message already names the key and value
        return message
    return f"{loc} = {err.get('input')!r}: {message}"


def _model_at(path: tuple[Any, ...]) -> type[BaseModel]:
    model: type[BaseModel] = PipelineConfig
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None:
            break
        for candidate in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
    return model


def _section_names() -> set[str]:
    return {
        name
        for name, field in PipelineConfig.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }


_TOP_LEVEL_OVERRIDES = {"project_name", "account", "region"}


def _cli_overrides(all_context: Mapping[str, Any]) -> dict[str, Any]:
    """Context keys that override config: top-level scalars and ``section.key`` dotted keys."""
    sections = _section_names()
    out: dict[str, Any] = {}
    for key, value in all_context.items():
        head = key.split(".", 1)[0]
        if key in _TOP_LEVEL_OVERRIDES or ("." in key and head in sections):
            out[key] = value
    return out


def _parse_cli_value(value: Any) -> Any:
    """``-c`` values arrive as strings; accept JSON literals (numbers, booleans, null, lists)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"Invalid configuration: context {where!r} must be an object, got {value!r}")
    return value
