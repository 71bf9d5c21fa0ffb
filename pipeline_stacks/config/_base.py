"""Shared pieces of the configuration: constants, the section base class, common field types."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from pipeline_contract import ENTITY_TYPES
from pipeline_stacks import validation

P = TypeVar("P")

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


#: API Gateway REST API default (and, without a quota increase, maximum) integration timeout.
API_GATEWAY_INTEGRATION_TIMEOUT_S = 29
#: Longest integration timeout of a REST API integration with response transfer mode STREAM (15 minutes; AWS API
#: Gateway developer guide, "Set up an HTTP proxy integration with payload response streaming").
API_GATEWAY_STREAM_TIMEOUT_S = 900
#: Default AWS Lambda Web Adapter layer version (``LambdaAdapterLayerX86:<n>``; the construct's default is the same:
#: ``pipeline_stacks.constructs.front_door.WEB_ADAPTER_LAYER_VERSION``, a test keeps them equal). 30 is the newest
#: version published in the commercial regions that we found referenced (Dec 2026; the adapter's README listed 27
#: for v1.0.0 and 28 for v1.0.1); check the adapter's README (github.com/aws/aws-lambda-web-adapter) before raising it.
WEB_ADAPTER_LAYER_VERSION = 30

#: The retention values CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


#: The PII engine's entity types (declared once, in ``pii_engine/registry.py``; re-exported by the contract).
PII_ENTITY_TYPES: tuple[str, ...] = ENTITY_TYPES

#: A sanitization field path: JSON keys joined by '.', '[]' after a key for "each array element".
_FIELD_PATH = r"[^.\[\],]+(\[\])?(\.[^.\[\],]+(\[\])?)*"


class ConfigError(ValueError):
    """Raised when the pipeline configuration is invalid; the message lists every bad key."""


class _Section(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, coerce_numbers_to_str=True)

    def to_props(self, props_cls: type[P], /, **explicit: Any) -> P:
        """Build the construct props ``props_cls`` from this section: every key whose name is also a props
        field is copied (lists become tuples, dicts are copied), ``explicit`` sets the rest or overrides.

        This is how a setting is written once: a config key and the props field of the same name need no
        mapping line in the stack. Keys whose type or meaning differs from the props field (``mfa`` ->
        ``cognito.Mfa``, days -> ``RetentionDays``) are passed in ``explicit``.
        """
        names = {f.name for f in dataclasses.fields(props_cls)}  # type: ignore[arg-type]
        copied: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name in names and name not in explicit:
                value = getattr(self, name)
                copied[name] = (
                    tuple(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
                )
        return props_cls(**copied, **explicit)


def matching(pattern: str, allowed: str) -> AfterValidator:
    """A field check: the value (unless ``None``) fully matches ``pattern``, else the error says what is ``allowed``.

    For values whose regex is unreadable in an error (instance types, model ids): annotate the field with
    ``Annotated[str, matching(PATTERN, "ml.g5.*, ...")]``.
    """

    def check(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return AfterValidator(check)


def arn(service: str, resource: str, *, region: str = r"[a-z0-9-]+") -> str:
    """``pattern=`` of an ARN setting: :func:`pipeline_stacks.validation.arn_pattern`, anchored."""
    return f"^{validation.arn_pattern(service, resource, region=region)}$"


BucketRole = Literal["raw", "sanitized", "quarantine", "artifacts", "interactions", "access_logs"]
_KMS_KEY_ARN = arn("kms", "key/[0-9a-fA-F-]{36}")
#: A DNS hostname (e.g. ``chat.example.com``), lowercase; at most 253 characters in all.
HOSTNAME_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
_ECR_IMAGE = (
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9][a-z0-9._/-]*(?::[\w.-]+|@sha256:[0-9a-f]{64})$"
)
_SCHEDULE_EXPRESSION = r"^(?:cron\([^)]+\)|rate\(\d+ (?:minute|minutes|hour|hours|day|days)\))$"

# Constrained types of the settings that recur across sections: each constraint is declared once here.
#: Existing network resources are referenced by id (no lookups at synth); the format is checked.
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
#: Days of a CloudWatch Logs retention setting (one of :data:`LOG_RETENTION_DAYS`).
LogRetentionDays = Annotated[int, AfterValidator(lambda days: validation.check_log_retention(days, LOG_RETENTION_DAYS))]
#: How long something is kept, in days: one day to ten years.
Days = Annotated[int, Field(ge=1, le=3650)]
#: A wait before acting (batching a burst, baking a deployment), in seconds: none to one hour.
WaitSeconds = Annotated[int, Field(ge=0, le=3600)]
#: An AWS account id, where the setting is optional (``None``: the pipeline's own account / env-agnostic).
OptionalAccountId = Annotated[str | None, Field(pattern=r"^\d{12}$")]
#: A private ECR image (tag or digest) replacing a pinned image, where the setting is optional.
OptionalEcrImage = Annotated[str | None, Field(pattern=_ECR_IMAGE)]
