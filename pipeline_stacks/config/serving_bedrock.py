"""``serving.*`` keys of the Bedrock backend (``serving.backend: bedrock``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from pipeline_stacks.config._base import AWS_REGIONS, matching
from pipeline_stacks.config.serving_base import ServingBase
from pipeline_stacks.validation import BEDROCK_MODEL_ID_PATTERN

_ALLOWED_MODEL_IDS = (
    "a Bedrock model id 'provider.model[:version]' (e.g. 'anthropic.claude-3-haiku-20240307-v1:0') "
    "or an inference profile id with a geography prefix (e.g. 'us.amazon.nova-lite-v1:0'); no ARNs, no wildcards"
)


class BedrockServing(ServingBase):
    """``serving.*`` keys of the Bedrock backend."""

    bedrock_model_id: Annotated[str, matching(BEDROCK_MODEL_ID_PATTERN, _ALLOWED_MODEL_IDS)] = Field(
        "amazon.nova-micro-v1:0",
        description="backend=bedrock: foundation model id (provider.model[:version]) or a cross-region "
        "inference profile id (us./eu./apac./jp./au./global. prefix).",
    )
    bedrock_guardrail: bool = Field(
        True,
        description="backend=bedrock: create a Bedrock Guardrail (PII anonymized, content filters) and apply it "
        "to every Converse call.",
    )
    bedrock_profile_regions: list[str] = Field(
        default_factory=list,
        description="backend=bedrock, inference profile: destination regions the profile routes to (IAM is "
        "scoped to them); default: the documented regions of the profile's geography.",
    )

    @field_validator("bedrock_profile_regions")
    @classmethod
    def _profile_regions(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - AWS_REGIONS)
        if unknown:
            raise ValueError(f"unknown AWS regions {unknown}; allowed: {', '.join(sorted(AWS_REGIONS))}")
        return value
