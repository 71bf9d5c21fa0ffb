"""API error type and the mapping of upstream (SageMaker / Bedrock) failures to HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field

# Upstream error codes (botocore ``ClientError`` ``Error.Code``) by outcome.
THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceQuotaExceededException"}
)
UNAVAILABLE_CODES = frozenset({"ModelNotReadyException", "ServiceUnavailable", "ServiceUnavailableException"})
TIMEOUT_CODES = frozenset({"ModelTimeoutException"})
MODEL_ERROR_CODES = frozenset({"ModelError", "ModelErrorException", "ValidationException", "ValidationError"})


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

    Throttling -> 429, not ready / unavailable -> 503 (both with ``Retry-After``), model and validation
    errors -> 502, timeouts -> 504, any other AWS error or connection failure -> 502.
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
            return ApiError(503, "model_unavailable", "The model is not available; retry later.", retry,
                            "UpstreamUnavailable")
        if code in TIMEOUT_CODES:
            return ApiError(504, "upstream_timeout", "The model did not answer in time.", metric="UpstreamTimeouts")
        if code in MODEL_ERROR_CODES:
            return ApiError(502, "model_error", "The model failed to process the request.",
                            metric="UpstreamModelErrors")
        return ApiError(502, "upstream_error", "The model backend returned an error.", metric="UpstreamErrors")
    if isinstance(exc, BotoCoreError):
        return ApiError(502, "upstream_error", "The model backend could not be reached.", metric="UpstreamErrors")
    return None
