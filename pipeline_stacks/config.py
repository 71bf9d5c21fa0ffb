"""Typed, validated pipeline configuration.

One :class:`PipelineConfig` per deployment environment, assembled from three layers
(later layers win):

1. the defaults declared on the models below;
2. the named environment in ``cdk.json`` context (``llm-pipeline:environments`` -> ``dev`` / ``prod`` / ...),
   chosen with ``-c env=NAME`` (default ``dev``);
3. per-key overrides on the command line with dotted keys, e.g. ``-c data_lake.removal_policy=destroy``.

Everything is validated before any construct is created. A bad value raises :class:`ConfigError`
whose message names the key, the offending value and what is allowed, so a mistake fails at
``cdk synth`` and never as a CloudFormation rollback.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENVIRONMENTS_CONTEXT_KEY = "llm-pipeline:environments"
ENV_SELECTOR_KEY = "env"
DEFAULT_ENV = "dev"

#: Commercial AWS regions a pipeline may be pinned to (``region`` is optional: env-agnostic synth).
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "sa-east-1", "mx-central-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-7", "ap-east-1",
        "me-south-1", "me-central-1", "il-central-1", "af-south-1",
    }
)  # fmt: skip


class ConfigError(ValueError):
    """Raised when the pipeline configuration is invalid; the message lists every bad key."""


class _Section(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, coerce_numbers_to_str=True)


BucketRole = Literal["raw", "sanitized", "quarantine", "artifacts", "interactions", "access_logs"]
_KMS_KEY_ARN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{36}$"


class ReplicationConfig(_Section):
    """Disaster-recovery replication of lake buckets (``data_lake.replication.*``)."""

    kms_key_arn: str = Field(pattern=_KMS_KEY_ARN, description="KMS key in the destination region for replicas.")
    buckets: dict[BucketRole, str] = Field(
        min_length=1,
        description="Bucket role -> destination bucket ARN (existing, versioned), e.g. {\"raw\": \"arn:aws:s3:::dr-raw\"}.",
    )

    @field_validator("buckets")
    @classmethod
    def _bucket_arns(cls, value: dict[str, str]) -> dict[str, str]:
        for role, arn in value.items():
            if not re.fullmatch(r"arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", arn):
                raise ValueError(f"buckets.{role}={arn!r} is not an S3 bucket ARN (arn:aws:s3:::NAME)")
        return value


class DataLakeConfig(_Section):
    """S3 data lake settings (``data_lake.*``)."""

    removal_policy: Literal["retain", "destroy"] = Field(
        "retain",
        description="What happens to buckets and the KMS key when the stack is deleted. "
        "'destroy' also empties the buckets (auto-delete); refused in prod.",
    )
    existing_kms_key_arn: str | None = Field(
        None,
        description="Use an existing customer-managed KMS key instead of creating one "
        "(its policy must allow this account's S3, Glue, SageMaker, Lambda and CloudWatch Logs).",
        pattern=_KMS_KEY_ARN,
    )
    raw_tiering_days: int = Field(30, ge=0, le=3650, description="Days before raw objects move to Intelligent-Tiering.")
    sanitized_tiering_days: int = Field(
        30, ge=0, le=3650, description="Days before sanitized objects move to Intelligent-Tiering."
    )
    noncurrent_version_expiry_days: int = Field(
        90, ge=1, le=3650, description="Days after which non-current object versions are deleted (all buckets)."
    )
    quarantine_expiry_days: int = Field(
        30, ge=1, le=3650, description="Days quarantined records are kept for investigation before expiry."
    )
    interactions_expiry_days: int = Field(
        365, ge=1, le=3650, description="Days redacted prompts/responses/feedback are kept."
    )
    checkpoint_expiry_days: int = Field(
        30, ge=1, le=3650, description="Days training checkpoints (artifacts bucket, checkpoints/) are kept."
    )
    access_log_expiry_days: int = Field(
        2190, ge=90, le=3650, description="Days S3 server access logs are kept (default 6 years, the HIPAA horizon)."
    )
    replication: ReplicationConfig | None = Field(None, description="Opt-in cross-region replication (DR).")


class SanitizationConfig(_Section):
    """PII/PHI sanitization job settings (``sanitization.*``)."""


class TrainingConfig(_Section):
    """Training pipeline settings (``training.*``)."""


class ServingConfig(_Section):
    """Serving settings: endpoint or Bedrock, and the API front door (``serving.*``)."""


class MonitoringConfig(_Section):
    """Alarms, notifications, dashboard and the continuous-learning loop (``monitoring.*``)."""


class PipelineConfig(_Section):
    """The whole pipeline's configuration for one environment."""

    env_name: str = Field(pattern=r"^[a-z][a-z0-9]{1,9}$", description="Environment name (dev, prod, ...).")
    project_name: str = Field(
        "llm-pipeline",
        pattern=r"^[a-z][a-z0-9-]{2,23}$",
        description="Prefix for stack and resource names (3-24 chars, lowercase, digits, '-').",
    )
    account: str | None = Field(
        None, pattern=r"^\d{12}$", description="AWS account id; omit for an environment-agnostic synth."
    )
    region: str | None = Field(None, description="AWS region; omit for an environment-agnostic synth.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags applied to every resource.")
    data_lake: DataLakeConfig = Field(default_factory=DataLakeConfig)
    sanitization: SanitizationConfig = Field(default_factory=SanitizationConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value not in AWS_REGIONS:
            raise ValueError(f"unknown AWS region; allowed: {', '.join(sorted(AWS_REGIONS))}")
        return value

    @model_validator(mode="after")
    def _prod_keeps_data(self) -> PipelineConfig:
        if self.is_production and self.data_lake.removal_policy != "retain":
            raise ValueError(
                "data_lake.removal_policy='destroy' is not allowed when env_name='prod'; allowed: 'retain'"
            )
        return self

    @property
    def is_production(self) -> bool:
        """True for the ``prod`` environment (stricter defaults, nothing is ever destroyed)."""
        return self.env_name == "prod"

    def stack_name(self, component: str) -> str:
        """CloudFormation stack name for a pipeline component, e.g. ``llm-pipeline-dev-data``."""
        return f"{self.project_name}-{self.env_name}-{component}"


# --------------------------------------------------------------------------- loading

ContextGetter = Callable[[str], Any]


def load_config(
    get_context: ContextGetter,
    *,
    all_context: Mapping[str, Any] | None = None,
) -> PipelineConfig:
    """Build and validate the configuration from CDK context.

    ``get_context`` is ``app.node.try_get_context``; ``all_context`` (``app.node.get_all_context()``)
    is scanned for dotted per-key overrides such as ``training.instance_type``.
    """
    environments = _as_mapping(get_context(ENVIRONMENTS_CONTEXT_KEY) or {}, ENVIRONMENTS_CONTEXT_KEY)
    env_name = str(get_context(ENV_SELECTOR_KEY) or DEFAULT_ENV)
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

