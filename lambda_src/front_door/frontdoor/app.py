"""API Gateway (REST, proxy integration) resolver for ``POST /v1/generate`` and ``POST /v1/feedback``.

Status codes: 400 malformed JSON / schema violation, 413 body too large, 415 non-JSON content type,
422 schema-valid but unusable (blank prompt), 404 unknown route, 405 wrong method, 429/503 upstream
throttled/unavailable (``Retry-After``), 502 model error, 504 model timeout, 500 only for bugs.
Raw prompts, outputs and comments are never logged; stored copies are redacted by the shared PII engine.
The caller receives the model output unredacted. With ``CORS_ALLOWED_ORIGINS`` (read when this module is
imported) responses to a listed ``Origin`` carry ``Access-Control-Allow-Origin``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from frontdoor import backends, clients, schemas, storage
from frontdoor.config import Settings, cors_allowed_origins, settings
from frontdoor.errors import ApiError, upstream_error
from frontdoor.observability import logger, metrics, tracer
from frontdoor.schemas import RequestInvalid
from pipeline_contract import FrontDoorEnv
from pipeline_contract import FrontDoorMetric as Metric

ROUTES: dict[str, str] = {"/v1/generate": "POST", "/v1/feedback": "POST"}
ID_RE = re.compile(r"[A-Za-z0-9-]{8,64}")
RATINGS: dict[str, int] = {"up": 1, "down": -1}
CORS_ALLOW_HEADERS = ["Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"]
CORS_EXPOSE_HEADERS = ["X-Request-Id", "Retry-After"]
CORS_MAX_AGE_S = 600
CORS_ORIGINS = cors_allowed_origins()
BASE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                **({"Vary": "Origin"} if CORS_ORIGINS else {})}


def cors_config(origins: tuple[str, ...]) -> CORSConfig | None:
    """Powertools CORS for the handler's responses (API Gateway answers preflights); ``None`` turns it off.

    Every response (routes, exception handlers, 404/405) to a request whose ``Origin`` is listed carries
    ``Access-Control-Allow-Origin: <that origin>``; other origins get no CORS headers.
    """
    if not origins:
        return None
    return CORSConfig(allow_origin=origins[0], extra_origins=list(origins[1:]), allow_headers=CORS_ALLOW_HEADERS,
                      expose_headers=CORS_EXPOSE_HEADERS, max_age=CORS_MAX_AGE_S, allow_credentials=False)


app = APIGatewayRestResolver(cors=cors_config(CORS_ORIGINS))


def _count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    metrics.add_metric(name=name, unit=unit, value=value)


def _request_id() -> str:
    return str(app.context.get("request_id", ""))


def _json_response(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(payload, ensure_ascii=False),
        headers={**BASE_HEADERS, "X-Request-Id": _request_id(), **(headers or {})},
    )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "request_id": _request_id()}}
    return _json_response(status, body, headers)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _header(headers: Any, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None


def read_json_body(schema_name: str, s: Settings) -> dict[str, Any]:
    """Decode, size-check, parse and validate the request body of the current event."""
    raw = app.current_event.raw_event
    content_type = (_header(raw.get("headers"), "content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json.")
    body = raw.get("body")
    if not isinstance(body, str) or not body:
        raise ApiError(400, "invalid_json", "A JSON request body is required.")
    is_base64 = raw.get("isBase64Encoded") is True
    too_large = ApiError(413, "payload_too_large", f"The request body exceeds {s.max_body_bytes} bytes.")
    if len(body) > (s.max_body_bytes * 4 // 3 + 4 if is_base64 else s.max_body_bytes):
        raise too_large  # cheap check before decoding; the exact one follows
    try:
        if is_base64:
            data: bytes | str = base64.b64decode(body, validate=True)
            size = len(data)
        else:
            data = body
            size = len(body.encode("utf-8", "surrogatepass"))
        if size > s.max_body_bytes:
            raise too_large
        parsed = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, binascii.Error, RecursionError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    schemas.validate(schema_name, parsed)
    return parsed


@app.post("/v1/generate")
def generate() -> Response:
    """Validate, call the model, store the redacted interaction, answer with the raw model output."""
    _count(Metric.GENERATE_REQUESTS)
    s = settings()
    body = read_json_body("generate_request", s)
    prompt: str = body["prompt"]
    if not prompt.strip():
        raise ApiError(422, "unprocessable", "prompt must contain non-whitespace characters.")
    params: dict[str, Any] = body.get("parameters") or {}
    prompt_redaction = storage.redact_in_background(prompt)
    try:
        gen = backends.generate(prompt, params, s)
    except Exception as exc:
        mapped = upstream_error(exc, s.retry_after_s)
        if mapped is None:
            raise
        logger.warning("model call failed", extra={"error_type": type(exc).__name__,
                                                   "upstream_code": _client_error_code(exc)})
        raise mapped from None
    _count(Metric.MODEL_LATENCY, gen.latency_ms, MetricUnit.Milliseconds)
    if gen.input_tokens is not None:
        _count(Metric.INPUT_TOKENS, gen.input_tokens)
    if gen.output_tokens is not None:
        _count(Metric.OUTPUT_TOKENS, gen.output_tokens)
    if gen.stop_reason == "guardrail_intervened":
        _count(Metric.GUARDRAIL_INTERVENTIONS)
    payload = {
        "request_id": _request_id(),
        "output": gen.output,
        "model": gen.model,
        "stop_reason": gen.stop_reason,
        "usage": gen.usage(),
        "latency_ms": round(gen.latency_ms, 1),
    }
    pii = _store_interaction(s, body, params, gen, prompt_redaction)
    logger.info("generate ok", extra={
        "backend": s.backend, "model": gen.model, "latency_ms": payload["latency_ms"], **gen.usage(),
        "prompt_chars": len(prompt), "output_chars": len(gen.output), "pii_entities": pii,
    })
    return _json_response(200, payload)


def _client_error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _store_interaction(s: Settings, body: dict[str, Any], params: dict[str, Any], gen: backends.Generation,
                       prompt_redaction: Future[tuple[str | None, dict[str, int]]]) -> int | None:
    """Redact and store the interaction; failures are logged (type only) and counted, never raised."""
    try:
        prompt, prompt_counts = prompt_redaction.result(timeout=s.storage_timeout_s)
        output, output_counts = storage.redact(gen.output)
        stored_params = {k: v for k, v in params.items() if k != "stop"}
        if params.get("stop"):
            stored_params["stop"] = [storage.redact(x)[0] for x in params["stop"]]
        counts = {"prompt": prompt_counts, "output": output_counts}
        now = app.context["started"]
        record = {
            "schema_version": storage.SCHEMA_VERSION,
            "type": "interaction",
            "request_id": _request_id(),
            "timestamp": now.isoformat(timespec="milliseconds"),
            "backend": s.backend,
            "model": gen.model,
            "model_version": gen.model_version,
            "latency_ms": round(gen.latency_ms, 1),
            "usage": gen.usage(),
            "stop_reason": gen.stop_reason,
            "parameters": stored_params,
            "session_id": body.get("session_id"),
            "prompt": prompt,
            "output": output,
            "prompt_chars": len(body["prompt"]),
            "output_chars": len(gen.output),
            "pii_counts": counts,
        }
        storage.put_record(storage.interaction_key(_request_id(), now, s.interactions_prefix), record, s)
    except Exception as exc:
        _count(Metric.INTERACTION_LOG_FAILURES)
        logger.warning("interaction not stored", extra={"error_type": type(exc).__name__})
        return None
    total = storage.pii_total(counts)
    _count(Metric.PII_ENTITIES_REDACTED, total)
    return total


@app.post("/v1/feedback")
def feedback() -> Response:
    """Store a redacted rating/comment linked to a previous ``request_id``; 503 if it cannot be stored."""
    _count(Metric.FEEDBACK_REQUESTS)
    s = settings()
    body = read_json_body("feedback_request", s)
    rating = body["rating"]
    score = RATINGS[rating] if isinstance(rating, str) else int(rating)
    feedback_id = str(uuid.uuid4())
    now: datetime = app.context["started"]
    try:
        comment, counts = storage.redact(body["comment"]) if body.get("comment") else (None, {})
        record = {
            "schema_version": storage.SCHEMA_VERSION,
            "type": "feedback",
            "feedback_id": feedback_id,
            "request_id": body["request_id"],
            "feedback_request_id": _request_id(),
            "timestamp": now.isoformat(timespec="milliseconds"),
            "rating": score,
            "comment": comment,
            "pii_counts": {"comment": counts},
        }
        storage.put_record(storage.feedback_key(body["request_id"], feedback_id, now, s.feedback_prefix), record, s)
    except Exception as exc:
        _count(Metric.FEEDBACK_LOG_FAILURES)
        logger.warning("feedback not stored", extra={"error_type": type(exc).__name__})
        raise ApiError(503, "storage_unavailable", "Feedback could not be stored; retry later.",
                       {"Retry-After": str(s.retry_after_s)}) from None
    logger.info("feedback ok", extra={"rating": score, "comment_chars": len(body.get("comment") or "")})
    return _json_response(202, {"request_id": body["request_id"], "feedback_id": feedback_id, "status": "accepted"})


@app.not_found
def not_found(_: NotFoundError) -> Response:
    """404 for unknown paths, 405 (with ``Allow``) for a known path with another method."""
    _count(Metric.CLIENT_ERRORS)
    path = app.current_event.raw_event.get("path")
    allowed = ROUTES.get(path) if isinstance(path, str) else None
    if allowed:
        return _error(405, "method_not_allowed", f"Use {allowed}.", {"Allow": allowed})
    return _error(404, "not_found", "No such route.")


@app.exception_handler(RequestInvalid)
def on_invalid(exc: RequestInvalid) -> Response:
    """Schema violation -> 400; logs only the field path and the violated rule."""
    _count(Metric.CLIENT_ERRORS)
    logger.info("request rejected", extra={"status": 400, "field": exc.field, "rule": exc.rule})
    return _error(400, "invalid_request", str(exc))


@app.exception_handler(ApiError)
def on_api_error(exc: ApiError) -> Response:
    """Mapped errors (client errors and upstream failures)."""
    _count(exc.metric or ("ClientErrors" if exc.status < 500 else "ServerErrors"))
    logger.info("request failed", extra={"status": exc.status, "code": exc.code})
    return _error(exc.status, exc.code, exc.message, exc.headers)


@app.exception_handler(Exception)
def on_unexpected(exc: Exception) -> Response:
    """A bug: generic 500, ``UnhandledErrors`` metric, traceback frames logged without the message."""
    _log_unexpected(exc)
    return _error(500, "internal_error", "Internal error.")


def _log_unexpected(exc: Exception) -> None:
    _count(Metric.UNHANDLED_ERRORS)
    logger.error("unhandled error", extra={
        "error_type": type(exc).__name__, "frames": traceback.format_tb(exc.__traceback__)})


def request_id_of(event: Any, context: Any) -> str:
    """API Gateway ``requestContext.requestId`` if well-formed, else the Lambda request id, else a UUID."""
    ctx = event.get("requestContext") if isinstance(event, dict) else None
    for candidate in (ctx.get("requestId") if isinstance(ctx, dict) else None,
                      getattr(context, "aws_request_id", None)):
        if isinstance(candidate, str) and ID_RE.fullmatch(candidate):
            return candidate
    return str(uuid.uuid4())


def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_id = request_id_of(event, context)
    logger.set_correlation_id(request_id)
    tracer().put_annotation(key="request_id", value=request_id)
    app.append_context(request_id=request_id, started=datetime.now(UTC))
    try:
        return app.resolve(event, context)
    except Exception as exc:  # the event itself could not be routed (not an API Gateway proxy event)
        _log_unexpected(exc)
        app.clear_context()
        body = {"error": {"code": "internal_error", "message": "Internal error.", "request_id": request_id}}
        return {"statusCode": 500, "headers": {"Content-Type": "application/json", **BASE_HEADERS},
                "body": json.dumps(body), "isBase64Encoded": False}


@cache
def _instrumented() -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """``_handle`` wrapped by Logger (no event logging), Tracer (no response capture) and Metrics."""
    traced = tracer().capture_lambda_handler(metrics.log_metrics(_handle, capture_cold_start_metric=True),
                                             capture_response=False)
    return logger.inject_lambda_context(traced, log_event=False, clear_state=True)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``handler.lambda_handler``); instrumentation is assembled on the first call."""
    return _instrumented()(event, context)


def warm() -> None:
    """Run the lazy initialisation now: tracer, schemas, PII engine, boto3 clients."""
    s = settings()
    _instrumented()
    for name in ("generate_request", "feedback_request"):
        schemas.compiled(name)
    storage.redact_in_background("warm-up jane.doe@example.com").result()
    clients.s3()
    (clients.bedrock_runtime if s.backend == "bedrock" else clients.sagemaker_runtime)()


if os.environ.get(FrontDoorEnv.WARM_ON_INIT, "").lower() == "true":  # SnapStart / provisioned concurrency
    warm()
