"""``serving.*``: what serves the model (SageMaker endpoint or Bedrock) and the API front door.

:class:`ServingConfig` is one flat section (``serving.<key>``) assembled from three groups, each in its own
module: :class:`~pipeline_stacks.config.serving_sagemaker.SageMakerServing`,
:class:`~pipeline_stacks.config.serving_bedrock.BedrockServing` and
:class:`~pipeline_stacks.config.front_door.FrontDoorSettings`.
"""

from __future__ import annotations

from pipeline_stacks.config.front_door import FrontDoorSettings
from pipeline_stacks.config.serving_bedrock import BedrockServing
from pipeline_stacks.config.serving_sagemaker import SageMakerServing
from pipeline_stacks.validation import BEDROCK_PROFILE_SOURCE_PREFIXES


class ServingConfig(FrontDoorSettings, BedrockServing, SageMakerServing):
    """Serving settings: endpoint or Bedrock, and the API front door (``serving.*``)."""

    def check_region(self, region: str | None) -> None:
        """Region-dependent checks (called by :class:`PipelineConfig` once ``region`` is known)."""
        if region is None:
            return
        if self.backend == "sagemaker" and self.instance_type.startswith("ml.inf2."):
            from pipeline_stacks.images import INFERENTIA2_REGIONS

            if region not in INFERENTIA2_REGIONS:
                raise ValueError(
                    f"serving.instance_type={self.instance_type!r} (Inferentia2) is not available in region "
                    f"{region!r}; allowed regions: {', '.join(sorted(INFERENTIA2_REGIONS))}, or a GPU instance type"
                )
        if self.backend == "bedrock":
            geo = self.bedrock_model_id.split(".", 1)[0]
            sources = BEDROCK_PROFILE_SOURCE_PREFIXES.get(geo)
            if sources is not None and not region.startswith(sources):
                raise ValueError(
                    f"serving.bedrock_model_id={self.bedrock_model_id!r} is a {geo!r} cross-region inference "
                    f"profile, callable only from regions starting with {' / '.join(sources)}; region is "
                    f"{region!r}: use the matching geography prefix or the plain model id"
                )
