"""Handler settings read from environment variables (once per execution environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from pipeline_contract import FrontDoorEnv as Env
from pipeline_contract import Layout

BACKENDS = ("sagemaker", "bedrock")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _opt(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True, slots=True)
class Settings:
    """S3/model client settings of the shared modules; see docs/chat-api.md for the environment."""

    backend: str
    endpoint_name: str | None
    inference_component_name: str | None
    model_id: str | None
    model_version: str | None
    guardrail_id: str | None
    guardrail_version: str | None
    interactions_bucket: str | None
    interactions_prefix: str
    feedback_prefix: str
    kms_key_id: str | None
    prompt_max_chars: int
    max_body_bytes: int
    model_connect_timeout_s: float
    model_read_timeout_s: float
    model_max_attempts: int
    storage_timeout_s: float
    retry_after_s: int


@cache
def settings() -> Settings:
    """Parse the environment; invalid values raise ``ValueError`` (a deployment error, not a caller error)."""
    backend = (os.environ.get(Env.BACKEND) or "sagemaker").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"{Env.BACKEND} must be one of {BACKENDS}, got {backend!r}")
    return Settings(
        backend=backend,
        endpoint_name=_opt(Env.ENDPOINT_NAME),
        inference_component_name=_opt(Env.INFERENCE_COMPONENT_NAME),
        model_id=_opt(Env.MODEL_ID),
        model_version=_opt(Env.MODEL_VERSION),
        guardrail_id=_opt(Env.GUARDRAIL_ID),
        guardrail_version=_opt(Env.GUARDRAIL_VERSION) or ("DRAFT" if _opt(Env.GUARDRAIL_ID) else None),
        interactions_bucket=_opt(Env.INTERACTIONS_BUCKET),
        interactions_prefix=_opt(Env.INTERACTIONS_PREFIX) or Layout.INTERACTIONS,
        feedback_prefix=_opt(Env.FEEDBACK_PREFIX) or Layout.FEEDBACK,
        kms_key_id=_opt(Env.KMS_KEY_ID),
        prompt_max_chars=_int(Env.PROMPT_MAX_CHARS, 8000),
        max_body_bytes=_int(Env.MAX_BODY_BYTES, 131072),
        model_connect_timeout_s=_float(Env.MODEL_CONNECT_TIMEOUT_S, 2.0),
        model_read_timeout_s=_float(Env.MODEL_READ_TIMEOUT_S, 25.0),
        model_max_attempts=_int(Env.MODEL_MAX_ATTEMPTS, 2),
        storage_timeout_s=_float(Env.STORAGE_TIMEOUT_S, 3.0),
        retry_after_s=_int(Env.RETRY_AFTER_S, 2),
    )
