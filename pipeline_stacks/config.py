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
from typing import Annotated, Any, Literal

from pipeline_contract import ENTITY_TYPES
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

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


BucketRole = Literal["raw", "sanitized", "quarantine", "artifacts", "interactions", "access_logs"]
_KMS_KEY_ARN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-fA-F-]{36}$"
#: Existing network resources are referenced by id (no lookups at synth); the format is checked.
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
_SCHEDULE_EXPRESSION = r"^(?:cron\([^)]+\)|rate\(\d+ (?:minute|minutes|hour|hours|day|days)\))$"


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

    glue_version: Literal["5.0", "5.1", "6.0"] = Field(
        "5.0",
        description="Pinned AWS Glue version: 5.0/5.1 (Spark 3.5, Python 3.11) or 6.0 (Spark 4.1, Python 3.13). "
        "The PII engine needs Python >= 3.10 and does not use Glue's Detect-PII (awsglueml, Glue 3.0/4.0 only).",
    )
    worker_type: Literal["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] = Field(
        "G.1X", description="Glue worker type (G.1X: 4 vCPU/16 GB; G.2X: 8/32; G.4X: 16/64; G.8X: 32/128)."
    )
    number_of_workers: int = Field(
        2, ge=2, le=299, description="Workers of a run when auto_scaling is false (the minimum, 2, is one driver + one executor)."
    )
    max_workers: int = Field(
        10, ge=2, le=299, description="Upper bound of workers when auto_scaling is true (Glue scales between 2 and this)."
    )
    auto_scaling: bool = Field(True, description="Glue auto scaling (--enable-auto-scaling): workers follow the load.")
    timeout_minutes: int = Field(120, ge=1, le=1440, description="Timeout of one job run, in minutes.")
    max_retries: int = Field(
        1,
        ge=0,
        le=10,
        description="Retries of a failed run, done by the state machine (the Glue job itself has MaxRetries 0 so "
        "the .sync task tracks one run).",
    )
    max_concurrent_runs: int = Field(
        1,
        ge=1,
        le=10,
        description="Concurrent runs of the job; must be 1 with trigger='object_created' (the single-flight "
        "batching and job bookmarks rely on it).",
    )
    trigger: Literal["object_created", "on_demand"] = Field(
        "object_created",
        description="'object_created': new raw objects (EventBridge) start the state machine, batched; "
        "'on_demand': only manual / continuous-learning starts.",
    )
    batch_window_seconds: int = Field(
        300,
        ge=0,
        le=3600,
        description="How long an upload-triggered execution waits for the rest of a burst before starting a run.",
    )
    raw_prefix: str = Field(
        "incoming/",
        pattern=r"^([A-Za-z0-9!_.*'()=-]+/)*$",
        description="Key prefix of the raw objects the job reads and that trigger runs ('' = whole bucket; ends with '/').",
    )
    interactions_prefix: str = Field(
        "interactions/",
        pattern=r"^([A-Za-z0-9!_.*'()=-]+/)+$",
        description="Interactions-bucket prefix the job may read for continuous-learning runs.",
    )
    feedback_prefix: str = Field(
        "feedback/",
        pattern=r"^([A-Za-z0-9!_.*'()=-]+/)+$",
        description="Interactions-bucket prefix of front-door feedback the job may read (continuous learning).",
    )
    text_fields: list[str] = Field(
        default_factory=list,
        description="Dotted JSON paths to sanitize, e.g. ['messages[].content', 'notes'] (ignored with scan_all_strings).",
    )
    scan_all_strings: bool = Field(True, description="Sanitize every string value of every record.")
    required_fields: list[str] = Field(
        default_factory=list, description="Dotted paths that must be present and non-null, else the record is quarantined."
    )
    output_format: Literal["parquet", "jsonl"] = Field("parquet", description="Format of the sanitized output.")
    entities: list[str] = Field(default_factory=list, description=f"Entity types to detect (empty: all {len(ENTITY_TYPES)}).")
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="Minimum detection confidence for a span to be redacted.")
    default_mode: Literal["mask", "hash", "drop"] = Field(
        "mask",
        description="How detected entities are redacted: mask (<TYPE>), hash (HMAC pseudonym), drop (quarantine record).",
    )
    entity_modes: dict[str, Literal["mask", "hash", "drop"]] = Field(
        default_factory=dict, description="Per-entity override of default_mode, e.g. {\"US_SSN\": \"drop\"}."
    )
    max_record_bytes: int = Field(
        1_048_576, ge=1, le=67_108_864, description="Raw lines longer than this (UTF-8 bytes) are quarantined."
    )
    log_retention_days: int = Field(365, description="Retention of the job and state-machine log groups (a CloudWatch value).")
    existing_hash_key_secret_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$",
        description="Use this Secrets Manager secret (complete ARN) as the HMAC key for hash mode instead of creating one.",
    )

    @field_validator("glue_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # `-c sanitization.glue_version=5.0` arrives as the JSON number 5.0
        return f"{value:.1f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("worker_type")
    @classmethod
    def _batch_worker(cls, value: str) -> str:
        if value == "G.025X":
            raise ValueError("G.025X workers are only for Glue streaming jobs; allowed for this batch job: G.1X, G.2X, G.4X, G.8X")
        return value

    @field_validator("text_fields", "required_fields")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not re.fullmatch(_FIELD_PATH, path):
                raise ValueError(
                    f"{path!r} is not a field path; allowed: dot-separated JSON keys, '[]' after a key for "
                    "each array element (e.g. 'messages[].content'); no ',', '.', '[' or ']' inside keys"
                )
        return value

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PII_ENTITY_TYPES))
        if unknown:
            raise ValueError(f"unknown entity type(s) {unknown}; allowed: {', '.join(PII_ENTITY_TYPES)}")
        return value

    @field_validator("entity_modes")
    @classmethod
    def _entity_modes(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(PII_ENTITY_TYPES))
        if unknown:
            raise ValueError(f"unknown entity type(s) {unknown} in entity_modes; allowed: {', '.join(PII_ENTITY_TYPES)}")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"allowed: {', '.join(map(str, LOG_RETENTION_DAYS))} (CloudWatch Logs retention values)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SanitizationConfig:
        if not self.text_fields and not self.scan_all_strings:
            raise ValueError(
                "sanitization.text_fields is empty and sanitization.scan_all_strings=false: nothing would be "
                "sanitized; allowed: list field paths in text_fields or set scan_all_strings=true"
            )
        if self.max_workers < self.number_of_workers:
            raise ValueError(
                f"sanitization.max_workers={self.max_workers} is below sanitization.number_of_workers="
                f"{self.number_of_workers}; allowed: max_workers >= number_of_workers"
            )
        if self.trigger == "object_created" and self.max_concurrent_runs != 1:
            raise ValueError(
                f"sanitization.max_concurrent_runs={self.max_concurrent_runs} is not allowed with "
                "sanitization.trigger='object_created'; allowed: 1 (upload batching and job bookmarks rely on one "
                "run at a time) or trigger='on_demand'"
            )
        return self


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
_ECR_IMAGE = r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9][a-z0-9._/-]*(?::[\w.-]+|@sha256:[0-9a-f]{64})$"
_S3_PREFIX = r"^(?:[A-Za-z0-9!_.*'()-]+/)+$"
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
    instance_type: str = Field(
        "ml.g5.2xlarge", description=f"Training instance type; allowed: {_ALLOWED_TRAINING_INSTANCES}."
    )
    instance_count: int = Field(1, ge=1, le=64, description="Training instances (>1: distributed, torchrun).")
    volume_size_gb: int = Field(100, ge=10, le=16384, description="EBS volume per training instance (GB).")
    image_uri: str | None = Field(
        None,
        pattern=_ECR_IMAGE,
        description="Training image instead of the pinned DLC (must match the instance's accelerator family: "
        "a *-neuronx image on Trainium, a GPU image on GPU).",
    )
    use_spot: bool = Field(True, description="Managed spot training (resumes from S3 checkpoints on interruption).")
    max_runtime_seconds: int = Field(
        86400, ge=600, le=2419200, description="Training job MaxRuntimeInSeconds (compute time)."
    )
    max_wait_seconds: int = Field(
        172800,
        ge=600,
        le=2419200,
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
    base_model: str = Field(
        "tiny-llama",
        description="'tiny-llama' / 'tiny-gpt2' (random init, smoke test) or a prefix in the artifacts bucket "
        "holding a Hugging Face model directory, e.g. 'base-models/llama-3.2-1b/' (jobs never download models).",
    )
    train_prefix: str = Field("train/", pattern=_S3_PREFIX, description="Sanitized-bucket prefix of the training split.")
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
        description="More train.py arguments, name -> value (e.g. {\"lora-r\": \"32\"}); passed as strings.",
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

    @field_validator("instance_type")
    @classmethod
    def _training_instance(cls, value: str) -> str:
        if value not in TRAINIUM_TRAINING_INSTANCES and not re.fullmatch(GPU_TRAINING_INSTANCE_PATTERN, value):
            raise ValueError(f"allowed: {_ALLOWED_TRAINING_INSTANCES}")
        return value

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str) -> str:
        if value not in ("tiny-llama", "tiny-gpt2") and not re.fullmatch(_S3_PREFIX, value):
            raise ValueError(
                "allowed: 'tiny-llama', 'tiny-gpt2' or an artifacts-bucket prefix ending in '/' "
                "(e.g. 'base-models/llama-3.2-1b/')"
            )
        return value

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
        from pipeline_stacks.images import accelerator_family, image_accelerator_family

        if self.use_spot and self.max_wait_seconds < self.max_runtime_seconds:
            raise ValueError(
                f"training.max_wait_seconds={self.max_wait_seconds} must be >= training.max_runtime_seconds="
                f"{self.max_runtime_seconds} with use_spot=true (SageMaker's MaxWaitTimeInSeconds includes the runtime)"
            )
        family = accelerator_family(self.instance_type)
        if self.image_uri is not None:
            image_family = image_accelerator_family(self.image_uri)
            if image_family is not None and image_family != family:
                raise ValueError(
                    f"training.image_uri={self.image_uri!r} is a {image_family} image but training.instance_type="
                    f"{self.instance_type!r} is {family}; allowed: a "
                    + ("*-neuronx* (Neuron SDK) image" if family == "neuron" else "GPU (CUDA) image")
                )
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
        if bool(self.vpc_subnet_ids) != bool(self.vpc_security_group_ids):
            raise ValueError(
                "training.vpc_subnet_ids and training.vpc_security_group_ids go together; "
                f"got subnets={self.vpc_subnet_ids} security groups={self.vpc_security_group_ids}"
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


#: Instance types the serving endpoint accepts (NVIDIA GPU families with LMI/TGI images, or Inferentia2).
SERVING_INSTANCE_PATTERN = (
    r"ml\.(?:g5|g6|g6e)\.(?:xlarge|2xlarge|4xlarge|8xlarge|12xlarge|16xlarge|24xlarge|48xlarge)"
    r"|ml\.p4d\.24xlarge|ml\.p5\.48xlarge|ml\.inf2\.(?:xlarge|8xlarge|24xlarge|48xlarge)"
)
_PACKAGE_GROUP = r"[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}"
#: A versioned model package: full ARN, or ``GROUP/VERSION`` in the pipeline's own account and region.
MODEL_PACKAGE_PATTERN = (
    rf"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{{12}}:model-package/{_PACKAGE_GROUP}/\d+|{_PACKAGE_GROUP}/\d+"
)
#: Geography prefix of a Bedrock cross-region inference profile id -> source regions allowed to call it
#: (``None``: any region that offers the profile).
BEDROCK_PROFILE_SOURCE_PREFIXES: dict[str, tuple[str, ...] | None] = {
    "us": ("us-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "global": None,
}
#: ``[geo.]provider.model[:version[:variant]]``, e.g. ``anthropic.claude-3-haiku-20240307-v1:0``.
BEDROCK_MODEL_ID_PATTERN = (
    r"(?:(?:" + "|".join(BEDROCK_PROFILE_SOURCE_PREFIXES) + r")\.)?"
    r"(?!(?:" + "|".join(BEDROCK_PROFILE_SOURCE_PREFIXES) + r")\.)"  # a provider, not a second geography
    r"[a-z][a-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9._-]*(?::[0-9A-Za-z]+){0,2}"
)


class ServingConfig(_Section):
    """Serving settings: endpoint or Bedrock, and the API front door (``serving.*``)."""

    # backend ---------------------------------------------------------------------------------
    backend: Literal["sagemaker", "bedrock"] = Field(
        "bedrock",
        description="What serves the model: 'sagemaker' (your fine-tuned model on a real-time endpoint) or "
        "'bedrock' (a Bedrock foundation model, on-demand: no idle cost).",
    )
    instance_type: str = Field(
        "ml.g5.2xlarge",
        description="backend=sagemaker: endpoint instance type; ml.g5.*, ml.g6.*, ml.g6e.*, ml.p4d.24xlarge, "
        "ml.p5.48xlarge (NVIDIA GPU) or ml.inf2.* (Inferentia2, Neuron image).",
    )
    initial_instance_count: int = Field(1, ge=1, le=50, description="backend=sagemaker: instances at creation.")
    min_instance_count: int = Field(
        1, ge=1, le=50, description="backend=sagemaker: autoscaling floor (ignored with scale_to_zero, which is 0)."
    )
    max_instance_count: int = Field(2, ge=1, le=50, description="backend=sagemaker: autoscaling ceiling.")
    model_package_arn: str | None = Field(
        None,
        description="backend=sagemaker: the model package to deploy, a versioned model package ARN "
        "(arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION) or GROUP/VERSION in this "
        "pipeline's account and region. Exactly one of model_package_arn / model_data_prefix.",
    )
    model_data_prefix: str | None = Field(
        None,
        pattern=r"^models/[A-Za-z0-9][A-Za-z0-9._-]*/(?:[A-Za-z0-9._-]+/)*(?:model\.tar\.gz)?$",
        description="backend=sagemaker: model artifacts in the lake's artifacts bucket: "
        "'models/NAME/model.tar.gz' (compressed) or 'models/NAME/' (uncompressed files, faster to load). "
        "Exactly one of model_package_arn / model_data_prefix.",
    )
    server: Literal["lmi", "tgi"] = Field(
        "lmi", description="backend=sagemaker: serving container, DJL LMI (vLLM / transformers-neuronx) or HF TGI."
    )
    image_uri: str | None = Field(
        None,
        pattern=r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9][a-z0-9._/-]*(?::[\w.-]+|@sha256:[0-9a-f]{64})$",
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
    deployment_wait_seconds: int = Field(
        600, ge=0, le=3600, description="backend=sagemaker: bake time after each traffic shift before the next."
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
    bedrock_model_id: str = Field(
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

    @field_validator("instance_type")
    @classmethod
    def _serving_instance(cls, value: str) -> str:
        if not re.fullmatch(SERVING_INSTANCE_PATTERN, value):
            raise ValueError(
                "allowed: ml.g5.*, ml.g6.*, ml.g6e.* (e.g. ml.g5.2xlarge), ml.p4d.24xlarge, ml.p5.48xlarge, "
                "ml.inf2.{xlarge,8xlarge,24xlarge,48xlarge}"
            )
        return value

    @field_validator("model_package_arn")
    @classmethod
    def _model_package(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(MODEL_PACKAGE_PATTERN, value):
            raise ValueError(
                "allowed: a versioned model package ARN 'arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/N' "
                "or 'GROUP/N' (a package group of this pipeline's account and region, version N)"
            )
        return value

    @field_validator("bedrock_model_id")
    @classmethod
    def _bedrock_model_id(cls, value: str) -> str:
        if not re.fullmatch(BEDROCK_MODEL_ID_PATTERN, value):
            raise ValueError(
                "allowed: a Bedrock model id 'provider.model[:version]' (e.g. 'anthropic.claude-3-haiku-20240307-v1:0') "
                "or an inference profile id with a geography prefix (e.g. 'us.amazon.nova-lite-v1:0'); "
                "no ARNs, no wildcards"
            )
        return value

    @field_validator("bedrock_profile_regions")
    @classmethod
    def _profile_regions(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - AWS_REGIONS)
        if unknown:
            raise ValueError(f"unknown AWS regions {unknown}; allowed: {', '.join(sorted(AWS_REGIONS))}")
        return value

    @model_validator(mode="after")
    def _backend_consistency(self) -> ServingConfig:
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
        if bool(self.vpc_subnet_ids) != bool(self.vpc_security_group_ids):
            raise ValueError(
                "serving.vpc_subnet_ids and serving.vpc_security_group_ids go together; "
                f"got subnets={self.vpc_subnet_ids} security groups={self.vpc_security_group_ids}"
            )
        if self.backend != "sagemaker":
            return self
        sources = [k for k in ("model_package_arn", "model_data_prefix") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError(
                "serving.backend='sagemaker' needs exactly one of serving.model_package_arn "
                f"(e.g. 'llm-pipeline-prod/3') or serving.model_data_prefix (e.g. 'models/NAME/'); got {sources or 'none'}"
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
                raise ValueError("serving.vpc_subnet_ids is not supported with serverless_memory_mb (serverless has no VPC)")
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


    # front door ------------------------------------------------------------------------------
    auth: Literal["cognito", "iam"] = Field(
        "cognito",
        description="How API callers authenticate: 'cognito' (user pool JWT in the Authorization header) "
        "or 'iam' (SigV4-signed requests). An API key (x-api-key) is required on top of either.",
    )
    existing_user_pool_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$",
        description="auth=cognito: authorize against this existing user pool instead of creating one.",
    )
    mfa: Literal["optional", "required"] = Field(
        "required", description="auth=cognito, created pool: MFA (TOTP) for users; 'required' in prod."
    )
    throttle_rate: float = Field(
        50, ge=1, le=10000, description="Steady-state requests/second per API key (usage plan) and for the stage."
    )
    throttle_burst: int = Field(100, ge=1, le=5000, description="Burst requests per API key and for the stage.")
    quota_per_day: int = Field(10000, ge=1, le=100_000_000, description="Requests per API key per day.")
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed by CORS (e.g. https://app.example.com); empty: no CORS. "
        "'*' is refused in prod.",
    )
    waf_rate_limit: int = Field(
        1000, ge=10, le=2_000_000_000, description="WAF: requests per client IP per evaluation window before blocking."
    )
    waf_rate_window_seconds: Literal[60, 120, 300, 600] = Field(
        300, description="WAF rate-based rule evaluation window in seconds."
    )
    lambda_memory_mb: int = Field(1024, ge=128, le=10240, description="Front-door Lambda memory (MB).")
    lambda_timeout_seconds: int = Field(
        29, ge=5, description="Front-door Lambda timeout; at most 29 s, the API Gateway REST integration timeout."
    )
    model_read_timeout_seconds: float = Field(
        20,
        ge=1,
        le=28,
        description="How long the handler waits for the model (read timeout, one attempt); must leave "
        "5 s of lambda_timeout_seconds for connecting and storing the interaction.",
    )
    reserved_concurrency: int | None = Field(
        20,
        ge=1,
        le=10000,
        description="Reserved concurrency of the front-door Lambda (caps model load); null: unreserved.",
    )
    max_prompt_chars: int = Field(
        8000,
        ge=1,
        le=20000,
        description="Longest accepted prompt; enforced by the API Gateway request model and the handler.",
    )
    log_retention_days: int = Field(
        365, description="Retention of the API access/execution, WAF and Lambda log groups (a CloudWatch value)."
    )
    manage_api_gateway_account_role: bool = Field(
        True,
        description="Set this account+region's API Gateway CloudWatch Logs role (needed for execution logs; an "
        "account-wide setting: turn off if your platform already manages it).",
    )
    custom_domain_name: str | None = Field(
        None,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        max_length=253,
        description="Serve the API on this hostname (regional custom domain, TLS 1.2) and disable the default "
        "execute-api endpoint; point a DNS alias at the domain's regional target after deploy.",
    )
    custom_domain_certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$",
        description="custom_domain_name: ACM certificate covering it, in the pipeline's region.",
    )
    lambda_vpc_id: str | None = Field(
        None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="Run the front-door Lambda in this VPC (existing)."
    )
    lambda_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="lambda_vpc_id: private subnets of the Lambda (subnet-...)."
    )
    lambda_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="lambda_vpc_id: security groups of the Lambda (sg-...)."
    )

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
                raise ValueError(
                    f"cors_allowed_origins entry {origin!r} is not an origin; allowed: "
                    "'https://host[:port]' (no path, no trailing slash) or '*' outside prod"
                )
        return value

    @field_validator("lambda_timeout_seconds")
    @classmethod
    def _api_timeout(cls, value: int) -> int:
        if value > API_GATEWAY_INTEGRATION_TIMEOUT_S:
            raise ValueError(
                f"allowed: 5-{API_GATEWAY_INTEGRATION_TIMEOUT_S} seconds; API Gateway REST answers 504 after "
                f"{API_GATEWAY_INTEGRATION_TIMEOUT_S} s, so a longer Lambda would run on with nobody waiting"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"allowed: {', '.join(map(str, LOG_RETENTION_DAYS))} (CloudWatch Logs retention values)")
        return value

    @model_validator(mode="after")
    def _front_door_consistency(self) -> ServingConfig:
        if self.auth == "iam" and self.existing_user_pool_arn:
            raise ValueError(
                f"serving.existing_user_pool_arn={self.existing_user_pool_arn!r} is only used with "
                "serving.auth='cognito' (got 'iam'); remove it or set auth='cognito'"
            )
        if bool(self.custom_domain_name) != bool(self.custom_domain_certificate_arn):
            raise ValueError(
                f"serving.custom_domain_name={self.custom_domain_name!r} and serving.custom_domain_certificate_arn="
                f"{self.custom_domain_certificate_arn!r} must be set together (or both left unset)"
            )
        vpc = (self.lambda_vpc_id, self.lambda_subnet_ids, self.lambda_security_group_ids)
        if any(vpc) and not all(vpc):
            raise ValueError(
                f"serving.lambda_vpc_id={self.lambda_vpc_id!r}, lambda_subnet_ids={self.lambda_subnet_ids!r} and "
                f"lambda_security_group_ids={self.lambda_security_group_ids!r} must be set together (or all left empty)"
            )
        for key, ids, prefix in (("lambda_subnet_ids", self.lambda_subnet_ids, "subnet"),
                                 ("lambda_security_group_ids", self.lambda_security_group_ids, "sg")):
            bad = [i for i in ids if not re.fullmatch(rf"{prefix}-[0-9a-f]{{8,17}}", i)]
            if bad:
                raise ValueError(f"serving.{key} has invalid ids {bad!r}; allowed: '{prefix}-' + 8-17 hex digits")
        if self.model_read_timeout_seconds + 5 > self.lambda_timeout_seconds:
            raise ValueError(
                f"serving.model_read_timeout_seconds={self.model_read_timeout_seconds} must be at least 5 s "
                f"below serving.lambda_timeout_seconds={self.lambda_timeout_seconds} (connect + interaction log)"
            )
        return self


class AlarmThresholdsConfig(_Section):
    """Alarm thresholds (``monitoring.thresholds.*``); each alarm evaluates ``period_minutes`` windows."""

    period_minutes: int = Field(5, ge=1, le=60, description="Alarm evaluation period.")
    lambda_errors: int = Field(5, ge=1, description="Front-door Lambda errors per period.")
    lambda_throttles: int = Field(1, ge=1, description="Front-door Lambda throttles per period.")
    lambda_duration_p99_ms: int = Field(20_000, ge=100, le=900_000, description="Front-door Lambda p99 duration.")
    api_5xx_rate_percent: float = Field(1.0, gt=0, le=100, description="API 5XX share of requests.")
    api_4xx_rate_percent: float = Field(25.0, gt=0, le=100, description="API 4XX share of requests.")
    api_latency_p99_ms: int = Field(15_000, ge=100, le=30_000, description="API Gateway p99 latency.")
    waf_blocked: int = Field(500, ge=1, description="WAF-blocked requests per period.")
    endpoint_latency_p99_ms: int = Field(10_000, ge=10, description="SageMaker ModelLatency p99.")
    endpoint_5xx: int = Field(5, ge=1, description="Endpoint Invocation5XXErrors per period.")
    endpoint_4xx: int = Field(50, ge=1, description="Endpoint Invocation4XXErrors (or Bedrock client errors) per period.")
    utilization_percent: float = Field(90.0, gt=0, le=100, description="Endpoint host memory utilisation.")
    gpu_memory_percent: float = Field(
        98.0, gt=0, le=100, description="Endpoint GPU memory (servers pre-allocate ~90%, so alarm near exhaustion)."
    )
    bedrock_server_errors: int = Field(5, ge=1, description="Bedrock InvocationServerErrors per period.")
    bedrock_throttles: int = Field(20, ge=1, description="Bedrock InvocationThrottles per period.")
    quarantine_share_percent: float = Field(5.0, gt=0, le=100, description="Quarantined share of sanitization input.")
    interaction_log_failures: int = Field(1, ge=1, description="Interactions the front door failed to store, per period.")
    anomaly_band_std_devs: float = Field(3.0, gt=0, le=10, description="Width of the anomaly-detection bands.")


class MonitoringConfig(_Section):
    """Alarms, notifications, dashboard and the continuous-learning loop (``monitoring.*``)."""

    alarm_email: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Email subscribed to the alarm topic (confirm the subscription after deploy).",
    )
    thresholds: AlarmThresholdsConfig = Field(default_factory=AlarmThresholdsConfig)


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

    @model_validator(mode="after")
    def _prod_front_door(self) -> PipelineConfig:
        if self.is_production and "*" in self.serving.cors_allowed_origins:
            raise ValueError(
                f"serving.cors_allowed_origins={self.serving.cors_allowed_origins!r} contains '*', which is not "
                "allowed when env_name='prod'; allowed: explicit origins such as 'https://app.example.com'"
            )
        pool = self.serving.existing_user_pool_arn
        if pool and self.region and pool.split(":")[3] != self.region:
            raise ValueError(
                f"serving.existing_user_pool_arn={pool!r} is in region {pool.split(':')[3]!r}; a Cognito "
                f"authorizer needs a user pool in the pipeline's region {self.region!r}"
            )
        cert = self.serving.custom_domain_certificate_arn
        if cert and self.region and cert.split(":")[3] != self.region:
            raise ValueError(
                f"serving.custom_domain_certificate_arn={cert!r} is in region {cert.split(':')[3]!r}; a regional "
                f"API custom domain needs a certificate in the pipeline's region {self.region!r}"
            )
        plain = [o for o in self.serving.cors_allowed_origins if o.startswith("http://")]
        if self.is_production and plain:
            raise ValueError(
                f"serving.cors_allowed_origins has non-TLS origins {plain!r}, which are not allowed when "
                "env_name='prod'; allowed: https:// origins"
            )
        return self

    @model_validator(mode="after")
    def _training_region(self) -> PipelineConfig:
        self.training.check_region(self.region)
        return self

    @model_validator(mode="after")
    def _serving_region(self) -> PipelineConfig:
        self.serving.check_region(self.region)
        return self

    @model_validator(mode="after")
    def _loop_feeds_training(self) -> PipelineConfig:
        out, train = self.training.continuous_learning_output_prefix, self.training.train_prefix
        if self.training.continuous_learning and not out.startswith(train):
            raise ValueError(
                f"training.continuous_learning_output_prefix={out!r} must lie under training.train_prefix={train!r} "
                "so retraining sees the sanitized interactions"
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

