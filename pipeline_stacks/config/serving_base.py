"""The ``serving.backend`` switch every serving group reads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline_stacks.config._base import _Section


class ServingBase(_Section):
    """``serving.backend``: shared by the SageMaker, Bedrock and front-door groups of ``serving.*``."""

    # backend ---------------------------------------------------------------------------------
    backend: Literal["sagemaker", "bedrock"] = Field(
        "bedrock",
        description="What serves the model: 'sagemaker' (your fine-tuned model on a real-time endpoint) or "
        "'bedrock' (a Bedrock foundation model, on-demand: no idle cost).",
    )
