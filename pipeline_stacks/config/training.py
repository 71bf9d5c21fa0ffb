"""``training.*``: the training pipeline, quality gate and continuous learning."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from pipeline_stacks import validation
from pipeline_stacks.config._base import (
    _SCHEDULE_EXPRESSION,
    OptionalEcrImage,
    SecurityGroupId,
    SubnetId,
    _Section,
    matching,
)

#: Training instance types: Trainium (Neuron) or NVIDIA GPU families.
TRAINIUM_TRAINING_INSTANCES: tuple[str, ...] = (
    "ml.trn1.2xlarge", "ml.trn1.32xlarge", "ml.trn1n.32xlarge", "ml.trn2.48xlarge",
)  # fmt: skip
GPU_TRAINING_INSTANCE_PATTERN = (
    r"ml\.(?:g5|g6)\.(?:xlarge|2xlarge|4xlarge|8xlarge|12xlarge|16xlarge|24xlarge|48xlarge)"
    r"|ml\.p4d\.24xlarge|ml\.p5\.48xlarge"
)
_ALLOWED_TRAINING_INSTANCES = (
    f"{', '.join(TRAINIUM_TRAINING_INSTANCES)} (Trainium), ml.g5.*, ml.g6.* (xlarge..48xlarge), "
    "ml.p4d.24xlarge, ml.p5.48xlarge (GPU)"
)
#: Any training instance type: one of the Trainium types or the GPU families.
_TRAINING_INSTANCE = "|".join(map(re.escape, TRAINIUM_TRAINING_INSTANCES)) + f"|{GPU_TRAINING_INSTANCE_PATTERN}"
_S3_PREFIX = rf"^{validation.S3_PREFIX_PATTERN.pattern}$"
_BASE_MODEL = f"tiny-llama|tiny-gpt2|{_S3_PREFIX}"
_ALLOWED_BASE_MODELS = (
    "'tiny-llama', 'tiny-gpt2' or an artifacts-bucket prefix ending in '/' (e.g. 'base-models/llama-3.2-1b/')"
)
#: A SageMaker job's time limit: ten minutes to SageMaker's 28 days.
JobSeconds = Annotated[int, Field(ge=600, le=2419200)]
#: Quality-gate metrics reported by training/evaluate.py and their natural direction.
QUALITY_GATE_DIRECTIONS: dict[str, Literal["higher_is_better", "lower_is_better"]] = {
    "rougeL": "higher_is_better",
    "perplexity": "lower_is_better",
    "eval_loss": "lower_is_better",
}
#: Hyperparameter names the pipeline sets itself (SageMaker framework-container conventions).
RESERVED_HYPERPARAMETERS = frozenset(
    {"sagemaker_program", "sagemaker_submit_directory", "sagemaker_region", "sagemaker_torch_distributed_enabled"}
)


class TrainingConfig(_Section):
    """Training pipeline settings (``training.*``)."""

    # compute --------------------------------------------------------------------------------
    instance_type: Annotated[str, matching(_TRAINING_INSTANCE, _ALLOWED_TRAINING_INSTANCES)] = Field(
        "ml.g5.2xlarge", description=f"Training instance type; allowed: {_ALLOWED_TRAINING_INSTANCES}."
    )
    instance_count: int = Field(1, ge=1, le=64, description="Training instances (>1: distributed, torchrun).")
    volume_size_gb: int = Field(100, ge=10, le=16384, description="EBS volume per training instance (GB).")
    image_uri: OptionalEcrImage = Field(
        None,
        description="Training image instead of the pinned DLC (must match the instance's accelerator family: "
        "a *-neuronx image on Trainium, a GPU image on GPU).",
    )
    use_spot: bool = Field(True, description="Managed spot training (resumes from S3 checkpoints on interruption).")
    max_runtime_seconds: JobSeconds = Field(86400, description="Training job MaxRuntimeInSeconds (compute time).")
    max_wait_seconds: JobSeconds = Field(
        172800,
        description="use_spot: MaxWaitTimeInSeconds (runtime + waiting for spot capacity); >= max_runtime_seconds.",
    )
    network_isolation: bool = Field(
        False,
        description="EnableNetworkIsolation on the training and evaluation jobs. The DLC pip-installs "
        "training/requirements.txt at start-up, so this needs image_uri with those packages baked in.",
    )
    vpc_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="Run the jobs in these private subnets (optional; no lookups)."
    )
    vpc_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="Security groups for vpc_subnet_ids."
    )

    # data and model -------------------------------------------------------------------------
    base_model: Annotated[str, matching(_BASE_MODEL, _ALLOWED_BASE_MODELS)] = Field(
        "tiny-llama",
        description="'tiny-llama' / 'tiny-gpt2' (random init, smoke test) or a prefix in the artifacts bucket "
        "holding a Hugging Face model directory, e.g. 'base-models/llama-3.2-1b/' (jobs never download models).",
    )
    train_prefix: str = Field(
        "train/", pattern=_S3_PREFIX, description="Sanitized-bucket prefix of the training split."
    )
    validation_prefix: str | None = Field(
        "validation/", pattern=_S3_PREFIX, description="Sanitized-bucket prefix of the validation split (null: none)."
    )
    test_prefix: str = Field(
        "test/", pattern=_S3_PREFIX, description="Sanitized-bucket prefix of the held-out split evaluate.py scores."
    )

    # hyperparameters (training/train.py) ----------------------------------------------------
    epochs: float = Field(1.0, gt=0, le=100, description="Training epochs.")
    max_steps: int = Field(-1, ge=-1, description="Optimizer steps; overrides epochs when > 0.")
    learning_rate: float = Field(5e-5, gt=0, le=1, description="Peak learning rate.")
    per_device_batch_size: int = Field(4, ge=1, le=1024, description="Batch size per device.")
    gradient_accumulation_steps: int = Field(1, ge=1, le=1024, description="Gradient accumulation steps.")
    seq_len: int = Field(1024, ge=32, le=131072, description="Tokens per training sequence.")
    lora: bool = Field(True, description="Parameter-efficient fine-tuning with LoRA adapters (merged on save).")
    bf16: Literal["auto", "true", "false"] = Field(
        "auto", description="bf16 training: auto = on Trainium and bf16-capable GPUs."
    )
    extra_hyperparameters: dict[str, str] = Field(
        default_factory=dict,
        description='More train.py arguments, name -> value (e.g. {"lora-r": "32"}); passed as strings.',
    )

    # evaluation and quality gate ------------------------------------------------------------
    evaluation_instance_type: str = Field(
        "ml.g5.2xlarge",
        pattern=r"^ml\.(?:g5|g6|g6e|g4dn|m5|m6i|m7i|c5|c6i|c7i)\.[a-z0-9]+$|^ml\.p4d\.24xlarge$|^ml\.p5\.48xlarge$",
        description="Instance running training/evaluate.py (GPU or CPU; generation is plain PyTorch, not Neuron).",
    )
    evaluation_max_runtime_seconds: int = Field(7200, ge=600, le=432000, description="Evaluation job time limit.")
    quality_gate_metric: Literal["rougeL", "perplexity", "eval_loss"] = Field(
        "rougeL", description="evaluate.py metric the gate compares (needs prompt/response records for rougeL)."
    )
    quality_gate_threshold: float = Field(0.2, description="Threshold the metric must reach to register the model.")
    quality_gate_direction: Literal["auto", "higher_is_better", "lower_is_better"] = Field(
        "auto", description="auto: rougeL higher is better, perplexity/eval_loss lower is better."
    )

    champion_challenger: bool = Field(
        False,
        description="Also compare the candidate with the live model (promotion.parameter_name) on the same "
        "evaluation set: it must be at least champion_min_delta better and at most champion_max_latency_ratio "
        "slower, or it is rejected (reason worse_than_champion).",
    )
    champion_min_delta: float = Field(
        0.0,
        ge=-1000,
        le=1000,
        description="champion_challenger: the least improvement of the gate metric over the live model "
        "(in its better direction); 0: at least as good.",
    )
    champion_max_latency_ratio: float = Field(
        1.25,
        gt=0,
        le=100,
        description="champion_challenger: the most candidate/live generation latency ratio accepted.",
    )

    # registry, schedule ----------------------------------------------------------------------
    model_package_group_name: str | None = Field(
        None,
        pattern=r"^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$",
        description="Model Package Group; default '<project_name>-<env_name>'.",
    )
    approval_status: Literal["PendingManualApproval", "Approved"] = Field(
        "PendingManualApproval", description="ModelApprovalStatus of newly registered model packages."
    )
    schedule: str | None = Field(
        None,
        pattern=_SCHEDULE_EXPRESSION,
        description="EventBridge schedule that starts the pipeline, e.g. 'cron(0 3 ? * SUN *)'; null: on demand only.",
    )
    sanitize_before_training: bool = Field(
        False, description="Run the data stack's sanitization Glue job as the first step of every run."
    )
    timeout_hours: int | None = Field(
        None, ge=1, le=8760, description="State machine timeout; default: max wait/runtime + evaluation + 2 h."
    )

    # continuous learning ------------------------------------------------------------------
    continuous_learning: bool = Field(
        False, description="Run the loop: new redacted interactions -> sanitization -> retraining."
    )
    continuous_learning_schedule: str | None = Field(
        "cron(0 4 ? * SUN *)",
        pattern=_SCHEDULE_EXPRESSION,
        description="When the loop runs (EventBridge cron/rate); null: on demand only.",
    )
    continuous_learning_output_prefix: str = Field(
        "train/interactions/",
        pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$",
        description="Sanitized-bucket prefix for sanitized interactions; must lie under train_prefix.",
    )

    @field_validator("extra_hyperparameters")
    @classmethod
    def _extra_hyperparameters(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = sorted(set(value) & RESERVED_HYPERPARAMETERS)
        if reserved:
            raise ValueError(f"{reserved} are set by the pipeline; remove them")
        bad = [k for k in value if not re.fullmatch(r"[a-z][a-z0-9_-]{0,255}", k)]
        if bad:
            raise ValueError(f"hyperparameter names {bad} are not train.py option names (lowercase, '-' or '_')")
        return value

    @model_validator(mode="after")
    def _training_consistency(self) -> TrainingConfig:
        validation.check_spot_wait(
            use_spot=self.use_spot,
            max_wait_seconds=self.max_wait_seconds,
            max_runtime_seconds=self.max_runtime_seconds,
            where="training",
        )
        validation.check_image_family(self.image_uri, self.instance_type, where="training")
        if self.instance_type == "ml.trn1.2xlarge" and self.instance_count > 1:
            raise ValueError(
                f"training.instance_count={self.instance_count} with ml.trn1.2xlarge: multi-node Trainium needs EFA, "
                "which trn1.2xlarge lacks; allowed: 1, or ml.trn1.32xlarge / ml.trn1n.32xlarge / ml.trn2.48xlarge"
            )
        if self.network_isolation and self.image_uri is None:
            raise ValueError(
                "training.network_isolation=true needs training.image_uri: the pinned DLCs pip-install "
                "training/requirements.txt at start-up, which a network-isolated container cannot reach; "
                "bake the requirements into an image that extends the DLC"
            )
        validation.check_vpc_pair(
            self.vpc_subnet_ids,
            self.vpc_security_group_ids,
            where="training.vpc_subnet_ids and training.vpc_security_group_ids",
        )
        return self

    @property
    def accelerator(self) -> Literal["gpu", "neuron", "cpu"]:
        """``neuron`` (Trainium) or ``gpu``, from ``instance_type``."""
        from pipeline_stacks.images import accelerator_family

        return accelerator_family(self.instance_type)

    @property
    def higher_is_better(self) -> bool:
        """Direction of the quality gate (``quality_gate_direction``, or the metric's natural one)."""
        direction = self.quality_gate_direction
        if direction == "auto":
            direction = QUALITY_GATE_DIRECTIONS[self.quality_gate_metric]
        return direction == "higher_is_better"

    def check_region(self, region: str | None) -> None:
        """Region-dependent checks (called by :class:`PipelineConfig` once ``region`` is known)."""
        if region is None or self.accelerator != "neuron":
            return
        from pipeline_stacks.images import neuron_regions

        allowed = neuron_regions(self.instance_type)
        if region not in allowed:
            raise ValueError(
                f"training.instance_type={self.instance_type!r} (Trainium) is not available in region {region!r}; "
                f"allowed regions: {', '.join(sorted(allowed))}, or a GPU instance type"
            )
