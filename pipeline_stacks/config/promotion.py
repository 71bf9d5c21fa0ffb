"""``promotion.*``: model promotion by approval (SageMaker backend) and the live-model parameter."""

from __future__ import annotations

from pydantic import Field

from pipeline_stacks.config._base import _Section


class PromotionConfig(_Section):
    """Approving a model package deploys it (``promotion.*``); the serving stack reads the live package."""

    enabled: bool = Field(
        False,
        description="serving.backend=sagemaker: approving a package of the group deploys it through the endpoint's "
        "blue/green canary and records it in the live-model parameter, which the serving stack reads at deploy time "
        "(serving.model_package_arn / model_data_prefix are then not set; the first deploy has no model: 503).",
    )
    parameter_name: str | None = Field(
        None,
        pattern=r"^/[A-Za-z0-9_.\-/]{1,1010}[A-Za-z0-9_.-]$",
        description="SSM parameter holding the live model package ARN; default '/<project_name>/<env_name>/"
        "live-model-package'.",
    )
