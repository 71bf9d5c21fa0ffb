"""``serving.*`` keys of the SageMaker endpoint backend (``serving.backend: sagemaker``)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from pipeline_stacks import validation
from pipeline_stacks.config._base import (
    OptionalEcrImage,
    SecurityGroupId,
    SubnetId,
    WaitSeconds,
    matching,
)
from pipeline_stacks.config.serving_base import ServingBase

#: Instance types the serving endpoint accepts (NVIDIA GPU families with LMI/TGI images, or Inferentia2).
SERVING_INSTANCE_PATTERN = (
    r"ml\.(?:g5|g6|g6e)\.(?:xlarge|2xlarge|4xlarge|8xlarge|12xlarge|16xlarge|24xlarge|48xlarge)"
    r"|ml\.p4d\.24xlarge|ml\.p5\.48xlarge|ml\.inf2\.(?:xlarge|8xlarge|24xlarge|48xlarge)"
)
_PACKAGE_GROUP = r"[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}"
#: A versioned model package: full ARN, or ``GROUP/VERSION`` in the pipeline's own account and region.
MODEL_PACKAGE_PATTERN = (
    validation.arn_pattern("sagemaker", rf"model-package/{_PACKAGE_GROUP}/\d+") + rf"|{_PACKAGE_GROUP}/\d+"
)
_ALLOWED_SERVING_INSTANCES = (
    "ml.g5.*, ml.g6.*, ml.g6e.* (e.g. ml.g5.2xlarge), ml.p4d.24xlarge, ml.p5.48xlarge, "
    "ml.inf2.{xlarge,8xlarge,24xlarge,48xlarge}"
)
_ALLOWED_MODEL_PACKAGES = (
    "a versioned model package ARN 'arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/N' "
    "or 'GROUP/N' (a package group of this pipeline's account and region, version N)"
)
#: Instances of a real-time endpoint (initial count, autoscaling floor and ceiling).
InstanceCount = Annotated[int, Field(ge=1, le=50)]


class SageMakerServing(ServingBase):
    """``serving.*`` keys of the SageMaker endpoint backend."""

    instance_type: Annotated[str, matching(SERVING_INSTANCE_PATTERN, _ALLOWED_SERVING_INSTANCES)] = Field(
        "ml.g5.2xlarge",
        description="backend=sagemaker: endpoint instance type; ml.g5.*, ml.g6.*, ml.g6e.*, ml.p4d.24xlarge, "
        "ml.p5.48xlarge (NVIDIA GPU) or ml.inf2.* (Inferentia2, Neuron image).",
    )
    initial_instance_count: InstanceCount = Field(1, description="backend=sagemaker: instances at creation.")
    min_instance_count: InstanceCount = Field(
        1, description="backend=sagemaker: autoscaling floor (ignored with scale_to_zero, which is 0)."
    )
    max_instance_count: InstanceCount = Field(2, description="backend=sagemaker: autoscaling ceiling.")
    model_package_arn: Annotated[str | None, matching(MODEL_PACKAGE_PATTERN, _ALLOWED_MODEL_PACKAGES)] = Field(
        None,
        description="backend=sagemaker: the model package to deploy, a versioned model package ARN "
        "(arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION) or GROUP/VERSION in this "
        "pipeline's account and region. Exactly one of model_package_arn / model_data_prefix, or neither with "
        "promotion.enabled.",
    )
    model_data_prefix: str | None = Field(
        None,
        pattern=r"^models/[A-Za-z0-9][A-Za-z0-9._-]*/(?:[A-Za-z0-9._-]+/)*(?:model\.tar\.gz)?$",
        description="backend=sagemaker: model artifacts in the lake's artifacts bucket: "
        "'models/NAME/model.tar.gz' (compressed) or 'models/NAME/' (uncompressed files, faster to load). "
        "Exactly one of model_package_arn / model_data_prefix, or neither with promotion.enabled.",
    )
    server: Literal["lmi", "tgi"] = Field(
        "lmi", description="backend=sagemaker: serving container, DJL LMI (vLLM / transformers-neuronx) or HF TGI."
    )
    image_uri: OptionalEcrImage = Field(
        None,
        description="backend=sagemaker: use this ECR image instead of the pinned LMI/TGI image "
        "(required with serverless_memory_mb: serverless has no GPU, bring a small CPU image).",
    )
    tensor_parallel_degree: int | None = Field(
        None,
        ge=1,
        le=64,
        description="backend=sagemaker: GPUs (or NeuronCores on inf2) to shard the model over; default: all of "
        "the instance's.",
    )
    max_sequence_length: int = Field(
        4096, ge=256, le=131072, description="backend=sagemaker: max tokens (prompt + answer) per request."
    )
    max_batch_size: int = Field(
        8, ge=1, le=256, description="backend=sagemaker: max concurrent requests batched per model copy."
    )
    network_isolation: bool = Field(
        True, description="backend=sagemaker: no network access from the model container (not with serverless)."
    )
    vpc_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="backend=sagemaker: run the model in these private subnets (optional)."
    )
    vpc_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="backend=sagemaker: security groups for vpc_subnet_ids."
    )
    data_capture_percent: int = Field(
        10,
        ge=0,
        le=100,
        description="backend=sagemaker: % of requests/responses captured to the interactions bucket under "
        "data-capture/ (raw, NOT redacted: keep low); 0 disables. Only with serving.phi_workload=false (otherwise "
        "capture is off). Not on serverless or scale_to_zero endpoints.",
    )
    phi_workload: bool = Field(
        True,
        description="The deployment handles PHI/PII: nothing unredacted is persisted, so SageMaker data capture "
        "(raw payloads) is off and setting serving.data_capture_percent > 0 is an error. Set false only for "
        "data without personal information.",
    )
    deployment_strategy: Literal["canary", "linear", "all_at_once"] = Field(
        "canary",
        description="backend=sagemaker: blue/green traffic shifting on model updates, rolled back automatically "
        "when the latency or 5xx alarm fires.",
    )
    deployment_step_percent: int = Field(
        10, ge=1, le=50, description="backend=sagemaker: canary size, or linear step, in % of capacity."
    )
    deployment_wait_seconds: WaitSeconds = Field(
        600, description="backend=sagemaker: bake time after each traffic shift before the next."
    )
    rollback_latency_p99_ms: int = Field(
        20000, ge=100, le=600000, description="backend=sagemaker: p99 model latency that rolls a deployment back."
    )
    rollback_5xx_per_minute: int = Field(
        5, ge=1, le=100000, description="backend=sagemaker: 5xx errors per minute that roll a deployment back."
    )
    target_invocations_per_instance: int = Field(
        20,
        ge=1,
        le=100000,
        description="backend=sagemaker: target tracking value, invocations per instance per minute "
        "(or concurrent requests per model copy with scale_to_zero).",
    )
    scale_to_zero: bool = Field(
        False,
        description="backend=sagemaker: host the model as an inference component on an endpoint with "
        "MinInstanceCount 0; idle endpoints release every instance and scale out again on the first request "
        "(which fails while an instance starts, minutes).",
    )
    serverless_memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] | None = Field(
        None,
        description="backend=sagemaker: use a serverless variant with this memory instead of instances. "
        "Serverless has NO GPU: only for small CPU models (with image_uri); no VPC, isolation or data capture.",
    )
    serverless_max_concurrency: int = Field(
        5, ge=1, le=200, description="backend=sagemaker, serverless: max concurrent invocations."
    )

    @model_validator(mode="after")
    def _backend_consistency(self) -> Self:
        if self.min_instance_count > self.max_instance_count:
            raise ValueError(
                f"serving.min_instance_count={self.min_instance_count} must be <= "
                f"serving.max_instance_count={self.max_instance_count}"
            )
        if not self.min_instance_count <= self.initial_instance_count <= self.max_instance_count:
            raise ValueError(
                f"serving.initial_instance_count={self.initial_instance_count} must be between "
                f"serving.min_instance_count={self.min_instance_count} and "
                f"serving.max_instance_count={self.max_instance_count}"
            )
        validation.check_vpc_pair(
            self.vpc_subnet_ids,
            self.vpc_security_group_ids,
            where="serving.vpc_subnet_ids and serving.vpc_security_group_ids",
        )
        if self.backend != "sagemaker":
            return self
        # none at all is checked with promotion.enabled (PipelineConfig): the live model then comes from the registry
        sources = [k for k in ("model_package_arn", "model_data_prefix") if getattr(self, k) is not None]
        if len(sources) > 1:
            raise ValueError(
                "serving.backend='sagemaker' needs exactly one of serving.model_package_arn "
                "(e.g. 'llm-pipeline-prod/3') or serving.model_data_prefix (e.g. 'models/NAME/'); "
                f"got {sources}"
            )
        if self.scale_to_zero and self.serverless_memory_mb is not None:
            raise ValueError(
                "serving.scale_to_zero=true and serving.serverless_memory_mb are alternatives; choose one "
                "(serverless already costs nothing when idle but has no GPU)"
            )
        if self.serverless_memory_mb is not None:
            if self.image_uri is None:
                raise ValueError(
                    f"serving.serverless_memory_mb={self.serverless_memory_mb} needs serving.image_uri: serverless "
                    "endpoints have no GPU/Inferentia, so the pinned LMI/TGI images do not apply; bring a CPU image"
                )
            if self.vpc_subnet_ids:
                raise ValueError(
                    "serving.vpc_subnet_ids is not supported with serverless_memory_mb (serverless has no VPC)"
                )
        capture_unsupported = self.scale_to_zero or self.serverless_memory_mb is not None
        if capture_unsupported and "data_capture_percent" in self.model_fields_set and self.data_capture_percent:
            mode = "scale_to_zero" if self.scale_to_zero else "serverless_memory_mb"
            raise ValueError(
                f"serving.data_capture_percent={self.data_capture_percent} is not supported with serving.{mode}; "
                "allowed: 0 (the front door still logs every redacted interaction)"
            )
        if self.phi_workload and "data_capture_percent" in self.model_fields_set and self.data_capture_percent:
            raise ValueError(
                f"serving.data_capture_percent={self.data_capture_percent} with serving.phi_workload=true would "
                "persist raw (unredacted) prompts and outputs; allowed: 0, or set serving.phi_workload=false "
                "for data without personal information"
            )
        return self
