"""Handler settings read from environment variables (once per execution environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

BACKENDS = ("sagemaker", "bedrock")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _opt(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration; see docs/front-door.md for every variable."""

    backend: str
    endpoint_name: str | None
    inference_component_name: str | None
    model_id: str | None
    model_version: str | None
    guardrail_id: str | None
    guardrail_version: str | None
    interactions_bucket: str | None
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
    backend = (os.environ.get("BACKEND") or "sagemaker").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"BACKEND must be one of {BACKENDS}, got {backend!r}")
    return Settings(
        backend=backend,
        endpoint_name=_opt("ENDPOINT_NAME"),
        inference_component_name=_opt("INFERENCE_COMPONENT_NAME"),
        model_id=_opt("MODEL_ID"),
        model_version=_opt("MODEL_VERSION"),
        guardrail_id=_opt("GUARDRAIL_ID"),
        guardrail_version=_opt("GUARDRAIL_VERSION") or ("DRAFT" if _opt("GUARDRAIL_ID") else None),
        interactions_bucket=_opt("INTERACTIONS_BUCKET"),
        kms_key_id=_opt("KMS_KEY_ID"),
        prompt_max_chars=_int("PROMPT_MAX_CHARS", 8000),
        max_body_bytes=_int("MAX_BODY_BYTES", 131072),
        model_connect_timeout_s=_float("MODEL_CONNECT_TIMEOUT_S", 2.0),
        model_read_timeout_s=_float("MODEL_READ_TIMEOUT_S", 25.0),
        model_max_attempts=_int("MODEL_MAX_ATTEMPTS", 2),
        storage_timeout_s=_float("STORAGE_TIMEOUT_S", 3.0),
        retry_after_s=_int("RETRY_AFTER_S", 2),
    )


def cors_allowed_origins() -> tuple[str, ...]:
    """``CORS_ALLOWED_ORIGINS``: comma-separated browser origins; empty or unset turns CORS off.

    Read once, when ``frontdoor.app`` builds its resolver (Powertools fixes CORS at construction).
    """
    return tuple(o.strip() for o in (os.environ.get("CORS_ALLOWED_ORIGINS") or "").split(",") if o.strip())
