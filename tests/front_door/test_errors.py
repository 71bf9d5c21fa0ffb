"""Error mapping: caller errors are 4xx with the JSON error body; upstream failures are 429/502/503/504."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from front_door_support import REQUEST_ID, make_event, tgi_body


def assert_error(resp: dict[str, Any], status: int, code: str) -> None:
    assert resp["statusCode"] == status, resp["body"]
    assert resp["hdr"]["content-type"] == "application/json"
    error = resp["json"]["error"]
    assert error["code"] == code
    assert error["request_id"] == REQUEST_ID
    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize(
    ("body", "b64", "code"),
    [
        ("{not json", False, "invalid_json"),
        ("", False, "invalid_json"),
        (None, False, "invalid_json"),
        ('{"prompt": NaN}', False, "invalid_json"),
        ("[" * 5000 + "]" * 5000, False, "invalid_json"),
        ("!!!not-base64!!!", True, "invalid_json"),
        (base64.b64encode(b"\xff\xfe\xfa").decode(), True, "invalid_json"),
        ('"just a string"', False, "invalid_request"),
        ("{}", False, "invalid_request"),
        ('{"prompt": ""}', False, "invalid_request"),
        ('{"prompt": 42}', False, "invalid_request"),
        ('{"prompt": "hi", "extra": 1}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"max_tokens": 0}}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"max_tokens": 4097}}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"max_tokens": true}}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"temperature": 2.5}}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"top_p": -0.1}}', False, "invalid_request"),
        ('{"prompt": "hi", "parameters": {"stop": "###"}}', False, "invalid_request"),
        ('{"prompt": "hi", "session_id": "has space"}', False, "invalid_request"),
    ],
)
def test_bad_generate_bodies_are_400(env: Any, invoke: Any, body: Any, b64: bool, code: str) -> None:
    event = make_event(body)
    if b64:
        event["isBase64Encoded"] = True
    resp = invoke(event)
    assert_error(resp, 400, code)
    assert resp["metrics"]["ClientErrors"] == [1.0]


def test_blank_prompt_is_422(env: Any, invoke: Any) -> None:
    assert_error(invoke(make_event({"prompt": " \n\t "})), 422, "unprocessable")


def test_prompt_limit_comes_from_env(env: Any, invoke: Any) -> None:
    env.setenv("PROMPT_MAX_CHARS", "10")
    from frontdoor import config

    config.settings.cache_clear()
    resp = invoke(make_event({"prompt": "x" * 11}))
    assert_error(resp, 400, "invalid_request")
    assert "10" in resp["json"]["error"]["message"]


def test_oversized_body_is_413(env: Any, invoke: Any) -> None:
    env.setenv("MAX_BODY_BYTES", "1024")
    from frontdoor import config

    config.settings.cache_clear()
    assert_error(invoke(make_event({"prompt": "x" * 2000})), 413, "payload_too_large")
    assert_error(invoke(make_event({"prompt": "x" * 2000}, b64=True)), 413, "payload_too_large")
    assert_error(invoke(make_event({"prompt": "é" * 600})), 413, "payload_too_large")  # 1200 UTF-8 bytes


def test_non_json_content_type_is_415(env: Any, invoke: Any) -> None:
    resp = invoke(make_event({"prompt": "hi"}, headers={"content-type": "text/plain"}))
    assert_error(resp, 415, "unsupported_media_type")


def test_missing_content_type_and_charset_are_accepted(s3: Any, sagemaker: Any, invoke: Any) -> None:
    sagemaker.add_response("invoke_endpoint", tgi_body())
    sagemaker.add_response("invoke_endpoint", tgi_body())
    assert invoke(make_event({"prompt": "hi"}, headers={}))["statusCode"] == 200
    assert invoke(make_event({"prompt": "hi"}, headers={"CONTENT-TYPE": "application/json; charset=utf-8"}))[
        "statusCode"] == 200


def test_unknown_route_is_404(env: Any, invoke: Any) -> None:
    assert_error(invoke(make_event({"prompt": "hi"}, path="/v1/nope")), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_wrong_method_is_405(env: Any, invoke: Any, method: str) -> None:
    resp = invoke(make_event(None, method=method))
    assert_error(resp, 405, "method_not_allowed")
    assert resp["hdr"]["allow"] == "POST"


@pytest.mark.parametrize(
    ("error_code", "http", "status", "code", "metric"),
    [
        ("ThrottlingException", 400, 429, "throttled", "UpstreamThrottled"),
        ("ModelNotReadyException", 429, 503, "model_unavailable", "UpstreamUnavailable"),
        ("ServiceUnavailable", 503, 503, "model_unavailable", "UpstreamUnavailable"),
        ("ModelError", 424, 502, "model_error", "UpstreamModelErrors"),
        ("ValidationError", 400, 502, "model_error", "UpstreamModelErrors"),
        ("InternalFailure", 500, 502, "upstream_error", "UpstreamErrors"),
    ],
)
def test_sagemaker_errors(s3: Any, sagemaker: Any, invoke: Any, error_code: str, http: int, status: int,
                          code: str, metric: str) -> None:
    sagemaker.add_client_error("invoke_endpoint", service_error_code=error_code, http_status_code=http,
                               service_message="echo of the prompt jane@example.com")
    resp = invoke(make_event({"prompt": "hi"}))
    assert_error(resp, status, code)
    assert "jane@example.com" not in resp["body"]
    assert resp["metrics"][metric] == [1.0]
    assert ("retry-after" in resp["hdr"]) == (status in (429, 503))
    assert not s3.list_objects_v2(Bucket="interactions-test").get("Contents")


NO_CAPACITY = ("Inference Component has no capacity to process this request. ApplicationAutoScaling may be "
               "in-progress (if configured) or try to increase the capacity by invoking "
               "UpdateInferenceComponentRuntimeConfig API.")


@pytest.mark.parametrize(
    ("error_code", "http", "message", "status"),
    [
        ("ValidationError", 400, NO_CAPACITY, 503),
        ("ValidationError", 400, "The inference component llm-endpoint-ic has no instances.", 503),
        ("ModelNotReadyException", 429, "Inference component is not ready; retry.", 503),
        ("ValidationError", 400, "Inference Component Name header is required for this endpoint.", 502),
        ("ModelError", 424, "Received client error (400): no capacity planning in this prompt", 502),
    ],
)
def test_inference_component_without_capacity_is_503(s3: Any, sagemaker: Any, invoke: Any, env: Any,
                                                     error_code: str, http: int, message: str, status: int) -> None:
    """Scaled to zero: SageMaker refuses the call while the NoCapacityInvocationFailures alarm scales out."""
    env.setenv("INFERENCE_COMPONENT_NAME", "llm-endpoint-ic")
    env.setenv("RETRY_AFTER_S", "5")
    from frontdoor import config

    config.settings.cache_clear()
    sagemaker.add_client_error("invoke_endpoint", service_error_code=error_code, http_status_code=http,
                               service_message=message)
    resp = invoke(make_event({"prompt": "hi"}))
    if status == 503:
        assert_error(resp, 503, "model_unavailable")
        assert resp["hdr"]["retry-after"] == "5"
        assert resp["metrics"]["UpstreamUnavailable"] == [1.0]
    else:
        assert_error(resp, 502, "model_error")
        assert "retry-after" not in resp["hdr"]
    assert message not in resp["body"]


@pytest.mark.parametrize(
    ("error_code", "http", "status", "code"),
    [
        ("ThrottlingException", 429, 429, "throttled"),
        ("ServiceQuotaExceededException", 400, 429, "throttled"),
        ("ModelNotReadyException", 429, 503, "model_unavailable"),
        ("ServiceUnavailableException", 503, 503, "model_unavailable"),
        ("ModelTimeoutException", 408, 504, "upstream_timeout"),
        ("ModelErrorException", 424, 502, "model_error"),
        ("ValidationException", 400, 502, "model_error"),
        ("AccessDeniedException", 403, 502, "upstream_error"),
    ],
)
def test_bedrock_errors(s3: Any, bedrock: Any, invoke: Any, error_code: str, http: int, status: int,
                        code: str) -> None:
    bedrock.add_client_error("converse", service_error_code=error_code, http_status_code=http)
    assert_error(invoke(make_event({"prompt": "hi"})), status, code)


class Raising:
    """Stub model client whose calls raise ``exc``."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def invoke_endpoint(self, **_: Any) -> Any:
        raise self.exc

    converse = invoke_endpoint


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ReadTimeoutError(endpoint_url="https://runtime.sagemaker"), 504, "upstream_timeout"),
        (ConnectTimeoutError(endpoint_url="https://runtime.sagemaker"), 504, "upstream_timeout"),
        (EndpointConnectionError(endpoint_url="https://runtime.sagemaker"), 502, "upstream_error"),
    ],
)
@pytest.mark.parametrize("backend", ["sagemaker", "bedrock"])
def test_transport_errors(s3: Any, env: Any, invoke: Any, exc: Exception, status: int, code: str,
                          backend: str) -> None:
    from frontdoor import clients, config

    env.setenv("BACKEND", backend)
    config.settings.cache_clear()
    env.setattr(clients, "sagemaker_runtime", lambda: Raising(exc))
    env.setattr(clients, "bedrock_runtime", lambda: Raising(exc))
    resp = invoke(make_event({"prompt": "hi"}))
    assert_error(resp, status, code)
    if status == 504:
        assert resp["metrics"]["UpstreamTimeouts"] == [1.0]


def test_unusable_model_answer_is_502(s3: Any, sagemaker: Any, invoke: Any) -> None:
    from io import BytesIO

    from botocore.response import StreamingBody

    sagemaker.add_response("invoke_endpoint", {"Body": StreamingBody(BytesIO(b"<html>"), 6)})
    assert_error(invoke(make_event({"prompt": "hi"})), 502, "model_error")


def test_bug_is_generic_500_with_metric(s3: Any, env: Any, invoke: Any, log_lines: Any) -> None:
    from frontdoor import backends

    detail = "-".join(("secret", "detail"))  # not a literal: tracebacks show source lines

    def broken(*_: Any) -> Any:
        raise KeyError(detail)

    env.setattr(backends, "generate", broken)
    resp = invoke(make_event({"prompt": "hi"}))
    assert_error(resp, 500, "internal_error")
    assert "secret-detail" not in resp["body"]
    assert resp["metrics"]["UnhandledErrors"] == [1.0]
    assert "KeyError" in log_lines.getvalue() and "secret-detail" not in log_lines.getvalue()


def test_event_without_routing_fields_is_500_not_a_crash(env: Any, invoke: Any) -> None:
    resp = invoke({"requestContext": {"requestId": REQUEST_ID}})
    assert_error(resp, 500, "internal_error")


def test_misconfiguration_is_500_not_blamed_on_the_caller(env: Any, invoke: Any) -> None:
    env.setenv("BACKEND", "openai")
    from frontdoor import config

    config.settings.cache_clear()
    resp = invoke(make_event({"prompt": "hi"}))
    assert_error(resp, 500, "internal_error")
    assert resp["metrics"]["UnhandledErrors"] == [1.0]
