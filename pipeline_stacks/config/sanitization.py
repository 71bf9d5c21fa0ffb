"""``sanitization.*``: the PII/PHI sanitization job."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from pipeline_stacks.config._base import _FIELD_PATH, PII_ENTITY_TYPES, LogRetentionDays, WaitSeconds, _Section, arn

#: Workers of a Glue job run: one driver + at least one executor, at most Glue's 299.
GlueWorkers = Annotated[int, Field(ge=2, le=299)]


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
    number_of_workers: GlueWorkers = Field(
        2,
        description="Workers of a run when auto_scaling is false (the minimum, 2, is one driver + one executor).",
    )
    max_workers: GlueWorkers = Field(
        10,
        description="Upper bound of workers when auto_scaling is true (Glue scales between 2 and this).",
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
    batch_window_seconds: WaitSeconds = Field(
        300,
        description="How long an upload-triggered execution waits for the rest of a burst before starting a run.",
    )
    raw_prefix: str = Field(
        "incoming/",
        pattern=r"^([A-Za-z0-9!_.*'()=-]+/)*$",
        description="Key prefix of the raw objects the job reads and that trigger runs "
        "('' = whole bucket; ends with '/').",
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
        description="Dotted JSON paths to sanitize, e.g. ['messages[].content', 'notes'] "
        "(ignored with scan_all_strings).",
    )
    scan_all_strings: bool = Field(True, description="Sanitize every string value of every record.")
    required_fields: list[str] = Field(
        default_factory=list,
        description="Dotted paths that must be present and non-null, else the record is quarantined.",
    )
    output_format: Literal["parquet", "jsonl"] = Field("parquet", description="Format of the sanitized output.")
    entities: list[str] = Field(
        default_factory=list, description=f"Entity types to detect (empty: all {len(PII_ENTITY_TYPES)})."
    )
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="Minimum detection confidence for a span to be redacted.")
    pii_profile: Literal["balanced", "recall"] = Field(
        "recall",
        description="PII engine profile (the job's --pii_profile): 'recall' (default; training data: also lone "
        "unknown capitalised names, lower-case places) or 'balanced' (fewer false positives). "
        "See docs/pii-engine.md 'Profiles'.",
    )
    default_mode: Literal["mask", "hash", "drop"] = Field(
        "mask",
        description="How detected entities are redacted: mask (<TYPE>), hash (HMAC pseudonym), "
        "drop (quarantine record).",
    )
    entity_modes: dict[str, Literal["mask", "hash", "drop"]] = Field(
        default_factory=dict, description='Per-entity override of default_mode, e.g. {"US_SSN": "drop"}.'
    )
    max_record_bytes: int = Field(
        1_048_576, ge=1, le=67_108_864, description="Raw lines longer than this (UTF-8 bytes) are quarantined."
    )
    log_retention_days: LogRetentionDays = Field(
        365, description="Retention of the job and state-machine log groups (a CloudWatch value)."
    )
    existing_hash_key_secret_arn: str | None = Field(
        None,
        pattern=arn("secretsmanager", "secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}"),
        description="Use this Secrets Manager secret (complete ARN) as the HMAC key for hash mode "
        "instead of creating one.",
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
            raise ValueError(
                "G.025X workers are only for Glue streaming jobs; allowed for this batch job: G.1X, G.2X, G.4X, G.8X"
            )
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
            raise ValueError(
                f"unknown entity type(s) {unknown} in entity_modes; allowed: {', '.join(PII_ENTITY_TYPES)}"
            )
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
