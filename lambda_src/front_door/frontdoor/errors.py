"""API error type and the mapping of upstream (SageMaker / Bedrock) failures to HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Upstream error codes (botocore ``ClientError`` ``Error.Code``) by outcome.
THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceQuotaExceededException"}
)
UNAVAILABLE_CODES = frozenset({"ModelNotReadyException", "ServiceUnavailable", "ServiceUnavailableException"})
TIMEOUT_CODES = frozenset({"ModelTimeoutException"})
MODEL_ERROR_CODES = frozenset({"ModelError", "ModelErrorException", "ValidationException", "ValidationError"})
# A scale-to-zero inference component without copies answers ``ValidationError`` (HTTP 400) with a message such
# as "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress
# ..." and counts the call in ``NoCapacityInvocationFailures``, the metric whose alarm scales it out from zero:
# a retry succeeds once a copy is up, so it is a 503, not a model error.
NO_CAPACITY_CODES = frozenset({"ValidationError"})
NO_CAPACITY_MESSAGES = ("no capacity", "no instance")


@dataclass
class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "request_id"}}`` with ``status``."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    metric: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def upstream_error(exc: Exception, retry_after_s: int) -> ApiError | None:
    """Translate a botocore exception raised by the model call; ``None`` when it is not an upstream error.

    Throttling -> 429, not ready / unavailable / inference component without capacity -> 503 (both with
    ``Retry-After``), model and validation errors -> 502, timeouts -> 504, any other AWS error or connection
    failure -> 502.
    """
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

    retry = {"Retry-After": str(retry_after_s)}
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ApiError(504, "upstream_timeout", "The model did not answer in time.", metric="UpstreamTimeouts")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in THROTTLE_CODES:
            return ApiError(429, "throttled", "The model is busy; retry later.", retry, "UpstreamThrottled")
        if code in UNAVAILABLE_CODES:
            return ApiError(
                503, "model_unavailable", "The model is not available; retry later.", retry, "UpstreamUnavailable"
            )
        if code in NO_CAPACITY_CODES and _no_capacity(exc.response):
            return ApiError(
                503, "model_unavailable", "The model is scaling out; retry later.", retry, "UpstreamUnavailable"
            )
        if code in TIMEOUT_CODES:
            return ApiError(504, "upstream_timeout", "The model did not answer in time.", metric="UpstreamTimeouts")
        if code in MODEL_ERROR_CODES:
            return ApiError(
                502, "model_error", "The model failed to process the request.", metric="UpstreamModelErrors"
            )
        return ApiError(502, "upstream_error", "The model backend returned an error.", metric="UpstreamErrors")
    if isinstance(exc, BotoCoreError):
        return ApiError(502, "upstream_error", "The model backend could not be reached.", metric="UpstreamErrors")
    return None


def _no_capacity(response: dict[str, Any]) -> bool:
    """Whether an error response says the inference component has no capacity (used for the status only)."""
    message = response.get("Error", {}).get("Message")
    return isinstance(message, str) and any(m in message.lower() for m in NO_CAPACITY_MESSAGES)
