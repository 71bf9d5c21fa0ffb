"""Behaviour the previous (Powertools) front-door handler was tested for, now asserted on the chat API: upstream error
mapping with Retry-After, redaction of stored text, CORS, logs that never carry caller text, and the platform's
request context (issue 10, defect 11) and storage deadline (defect 6)."""

from __future__ import annotations

import json
import logging
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from chat_support import interaction_records, local_settings, wait_for
from starlette.testclient import TestClient

SECRET_EMAIL = "jane.doe@example.com"
SECRET_PHONE = "415-555-0132"
PROMPT = f"Write to {SECRET_EMAIL} or call {SECRET_PHONE} about the invoice"
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def _client_error(code: str, message: str = "echo of the prompt jane.doe@example.com", http: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": http}}, "Invoke"
    )


class Raising:
    """A ``sagemaker-runtime`` / ``bedrock-runtime`` stand-in whose streaming calls raise ``exc``."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def invoke_endpoint_with_response_stream(self, **_: Any) -> Any:
        raise self.exc

    converse_stream = invoke_endpoint_with_response_stream


def _app(tmp_path: Path, backend: str, exc: Exception, **changes: Any) -> tuple[TestClient, Any]:
    from chat_api.app import create_app
    from chat_api.backends import BedrockBackend, SageMakerBackend

    s = local_settings(tmp_path).with_(
        backend=backend, endpoint_name="llm-endpoint", model_id="m", retry_after_s=5, **changes
    )
    model = SageMakerBackend(s) if backend == "sagemaker" else BedrockBackend(s)
    model.client = lambda: Raising(exc)  # type: ignore[method-assign]
    app = create_app(s, backend=model)
    return TestClient(app, raise_server_exceptions=False), app


# --------------------------------------------------------------------------- upstream error mapping


# What the caller sees for each kind of upstream failure, (status, error code, metric counted), and the error codes
# of each backend's runtime API that are that kind.
UPSTREAM_FAILURES = {
    (429, "throttled", "UpstreamThrottled"): {
        "sagemaker": ["ThrottlingException"],
        "bedrock": ["ThrottlingException", "ServiceQuotaExceededException"],
    },
    (503, "model_unavailable", "UpstreamUnavailable"): {
        "sagemaker": ["ModelNotReadyException", "ServiceUnavailable"],
        "bedrock": ["ServiceUnavailableException"],
    },
    (504, "upstream_timeout", "UpstreamTimeouts"): {"bedrock": ["ModelTimeoutException"]},
    (502, "model_error", "UpstreamModelErrors"): {
        "sagemaker": ["ModelError", "ValidationError"],
        "bedrock": ["ModelErrorException"],
    },
    (502, "upstream_error", "UpstreamErrors"): {"sagemaker": ["InternalFailure"], "bedrock": ["AccessDeniedException"]},
}


@pytest.mark.parametrize(
    ("backend", "error_code", "status", "code", "metric"),
    [
        (backend, error_code, *outcome)
        for outcome, by_backend in UPSTREAM_FAILURES.items()
        for backend, error_codes in by_backend.items()
        for error_code in error_codes
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_errors_map_to_statuses_with_retry_after(
    tmp_path: Path, backend: str, error_code: str, status: int, code: str, metric: str, stream: bool
) -> None:
    client, app = _app(tmp_path, backend, _client_error(error_code))
    with client:
        resp = client.post("/v1/chat/completions", json={**CHAT, "stream": stream})
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == code
    assert set(resp.json()["error"]) == {"message", "type", "param", "code"}
    assert SECRET_EMAIL not in resp.text  # the upstream's message (which may echo the prompt) is never passed on
    assert (resp.headers.get("retry-after") == "5") == (status in (429, 503))
    assert app.state.chat.metrics.counts[metric] == 1


NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be "
    "in-progress (if configured) or try to increase the capacity by invoking "
    "UpdateInferenceComponentRuntimeConfig API."
)


@pytest.mark.parametrize(
    ("message", "status"),
    [
        (NO_CAPACITY, 503),
        ("The inference component llm-endpoint-ic has no instances.", 503),
        ("Inference Component Name header is required for this endpoint.", 502),
    ],
)
def test_inference_component_without_capacity_is_503(tmp_path: Path, message: str, status: int) -> None:
    client, _ = _app(
        tmp_path, "sagemaker", _client_error("ValidationError", message), inference_component_name="llm-endpoint-ic"
    )
    with client:
        resp = client.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == status
    assert ("retry-after" in resp.headers) == (status == 503)
    assert message not in resp.text


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ReadTimeoutError(endpoint_url="https://runtime.sagemaker"), 504, "upstream_timeout"),
        (ConnectTimeoutError(endpoint_url="https://runtime.sagemaker"), 504, "upstream_timeout"),
        (EndpointConnectionError(endpoint_url="https://runtime.sagemaker"), 502, "upstream_error"),
    ],
)
@pytest.mark.parametrize("backend", ["sagemaker", "bedrock"])
def test_transport_errors(tmp_path: Path, backend: str, exc: Exception, status: int, code: str) -> None:
    client, _ = _app(tmp_path, backend, exc)
    with client:
        resp = client.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == status and resp.json()["error"]["code"] == code


def test_a_bug_in_the_backend_is_a_generic_502_with_the_metric(tmp_path: Path) -> None:
    client, app = _app(tmp_path, "sagemaker", KeyError(SECRET_EMAIL))
    with client:
        resp = client.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == 502 and SECRET_EMAIL not in resp.text
    assert app.state.chat.metrics.counts["UnhandledErrors"] == 1


# --------------------------------------------------------------------------- redaction


def test_stored_interaction_and_feedback_are_redacted(tmp_path: Path) -> None:
    from chat_api.app import create_app

    s = local_settings(tmp_path)
    with TestClient(create_app(s)) as c:
        echo = {"messages": [{"role": "user", "content": f"[[stub:echo]] {PROMPT}"}]}
        resp = c.post("/v1/chat/completions", json=echo)
        assert resp.status_code == 200
        assert SECRET_EMAIL in resp.json()["choices"][0]["message"]["content"]  # the caller gets the real answer
        records = wait_for(lambda: interaction_records(s))
        fb = c.post(
            "/v1/feedback",
            json={"completion_id": resp.json()["id"], "rating": "down", "comment": f"wrong, mail {SECRET_EMAIL}"},
        )
        assert fb.status_code == 200
    stored = json.dumps(records)
    assert SECRET_EMAIL not in stored and SECRET_PHONE not in stored
    assert records[0]["pii_counts"]["messages"] and records[0]["pii_counts"]["output"]
    feedback = [json.loads(p.read_text()) for p in (s.local_bucket_dir / "feedback").rglob("*.json")]
    assert len(feedback) == 1 and SECRET_EMAIL not in json.dumps(feedback)
    assert feedback[0]["rating"] == -1 and feedback[0]["caller"] == "local"


# --------------------------------------------------------------------------- CORS


@pytest.fixture
def cors_client(tmp_path: Path) -> Any:
    from chat_api.app import create_app

    s = local_settings(tmp_path, cors_allowed_origins=("https://app.example.com",))
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (CHAT, 200),
        ({"messages": []}, 400),
        ({"messages": [{"role": "user", "content": "[[stub:unavailable]]"}]}, 503),
    ],
)
def test_allowed_origin_is_echoed_on_answers_and_errors(cors_client: TestClient, body: Any, status: int) -> None:
    resp = cors_client.post("/v1/chat/completions", json=body, headers={"Origin": "https://app.example.com"})
    assert resp.status_code == status
    assert resp.headers["access-control-allow-origin"] == "https://app.example.com"
    if status == 503:  # the browser may read Retry-After
        assert "retry-after" in resp.headers["access-control-expose-headers"].lower()


def test_other_origins_get_no_cors_headers(cors_client: TestClient) -> None:
    resp = cors_client.post("/v1/chat/completions", json=CHAT, headers={"Origin": "https://evil.example.net"})
    assert resp.status_code == 200 and "access-control-allow-origin" not in resp.headers


def test_preflight_reaching_the_app_is_answered(cors_client: TestClient) -> None:
    resp = cors_client.options(
        "/v1/chat/completions",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "POST" in resp.headers["access-control-allow-methods"]


def test_cors_off_when_unset(tmp_path: Path) -> None:
    from chat_api.app import create_app

    with TestClient(create_app(local_settings(tmp_path))) as c:
        resp = c.post("/v1/chat/completions", json=CHAT, headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in resp.headers


# --------------------------------------------------------------------------- logs never carry caller text


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.args!r} {record.__dict__!r}")


def test_logs_never_contain_prompts_outputs_or_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chat_api.app import create_app
    from chat_api.records import LocalRecordStore

    class Failing(LocalRecordStore):
        def put(self, key: str, record: dict[str, Any]) -> None:
            raise OSError(f"cannot write {record}")  # an exception text that embeds the record

    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        s = local_settings(tmp_path)
        with TestClient(create_app(s, records=Failing(s.local_bucket_dir)), raise_server_exceptions=False) as c:
            echo = {"messages": [{"role": "user", "content": f"[[stub:echo]] {PROMPT}"}]}
            assert c.post("/v1/chat/completions", json=echo).status_code == 200
            assert c.post("/v1/chat/completions", json={**echo, "stream": True}).status_code == 200
            bad = {"messages": [{"role": "user", "content": PROMPT}], SECRET_EMAIL: 1}
            assert c.post("/v1/chat/completions", json=bad).status_code == 400
            fb = c.post("/v1/feedback", json={"completion_id": "chatcmpl-" + "a" * 24, "rating": 1, "comment": PROMPT})
            assert fb.status_code == 404
        client, _ = _app(tmp_path / "up", "sagemaker", _client_error("ModelError", f"container failed on {PROMPT}"))
        with client:
            assert (
                client.post(
                    "/v1/chat/completions", json={"messages": [{"role": "user", "content": PROMPT}]}
                ).status_code
                == 502
            )
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
    out = capsys.readouterr()
    text = "\n".join(capture.lines) + out.out + out.err
    assert capture.lines, "nothing was logged: the test would pass vacuously"
    assert "InteractionLog failed" in text
    for secret in (SECRET_EMAIL, SECRET_PHONE, "invoice"):
        assert secret not in text


# --------------------------------------------------------------------------- platform request context (defect 11)


def _context_headers(request_context: str, lambda_context: str | None = None) -> dict[str, str]:
    headers = {"x-amzn-request-context": request_context}
    if lambda_context is not None:
        headers["x-amzn-lambda-context"] = lambda_context
    return headers


GOOD_CONTEXT = json.dumps({"requestId": "r1", "authorizer": {"claims": {"sub": "u1"}}})


@pytest.mark.parametrize(
    "headers",
    [
        _context_headers("{not json"),
        _context_headers("[1, 2]"),
        _context_headers('"a string"'),
        _context_headers("null"),
        {"x-amzn-request-context": b"\xff{\xfe"},  # not UTF-8
        _context_headers(GOOD_CONTEXT, "{not json"),
        _context_headers(GOOD_CONTEXT, "[]"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/models", "/v1/conversations", "/v1/feedback"])
def test_malformed_platform_context_is_400_counted_apart(tmp_path: Path, headers: dict[str, Any], path: str) -> None:
    """With the Lambda Web Adapter the "platform event" the app sees is the API Gateway ``requestContext`` and the
    invocation context, forwarded as JSON headers: anything but a JSON object there is a misconfigured integration
    (API Gateway never sends it), answered 400 ``malformed_event`` and counted in ``MalformedEvents``, not as an
    unhandled error (the previous handler answered 500 for a non-string ``path`` or non-dict ``headers``)."""
    from chat_api.app import create_app

    app = create_app(local_settings(tmp_path, identity="apigateway"))
    method = "GET" if path in ("/v1/models", "/v1/conversations") else "POST"
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.request(method, path, headers=headers, json=CHAT if method == "POST" else None)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed_event"
    counts = app.state.chat.metrics.counts
    assert counts["MalformedEvents"] == 1 and counts["UnhandledErrors"] == 0 and counts["ServerErrors"] == 0


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"authorizer": None},
        {"authorizer": "x"},
        {"authorizer": {"claims": "x"}},
        {"authorizer": {"claims": {}}},
        {"authorizer": {"claims": {"sub": 7}}},
        {"identity": []},
        {"identity": {"userArn": None}},
        {"requestId": 5},
    ],
)
def test_request_context_without_a_caller_is_401_never_5xx(tmp_path: Path, context: dict[str, Any]) -> None:
    from chat_api.app import create_app

    app = create_app(local_settings(tmp_path, identity="apigateway"))
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.get("/v1/models", headers=_context_headers(json.dumps(context)))
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "missing_identity"


@pytest.mark.parametrize(
    ("context", "caller"),
    [
        ({"authorizer": {"claims": {"sub": "abc"}}}, "cognito:abc"),
        ({"authorizer": {"principalId": "p-1"}}, "authorizer:p-1"),
        ({"identity": {"userArn": "arn:aws:iam::123456789012:user/x"}}, "iam:arn:aws:iam::123456789012:user/x"),
        ({"identity": {"caller": "AROAEXAMPLE:session"}}, "iam:AROAEXAMPLE:session"),
    ],
)
def test_request_context_parsing(context: dict[str, Any], caller: str) -> None:
    from chat_api.identity import apigateway_caller

    assert apigateway_caller(context) == caller


# --------------------------------------------------------------------------- storage deadline (defect 6)


class SlowModel:
    """A backend whose answer takes ``seconds`` on the fake clock (instantly in real time)."""

    model_id = "slow-model"

    def __init__(self, clock: list[float], seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds

    async def stream(self, request: Any) -> Any:
        from chat_api.backends import Final

        self.clock[0] += self.seconds
        yield "an answer"
        yield Final()


@pytest.mark.parametrize(
    ("model_s", "storage_timeout_s", "stream"),
    [
        (19.5, 1.0, False),  # issue 10's case: the model answers just under its 20 s read timeout
        (28.2, 30.0, False),  # 0.8 s left: the deadline, not the storage timeout, bounds the write
        (28.2, 30.0, True),
    ],
)
def test_hung_storage_finishes_before_the_lambda_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_s: float, storage_timeout_s: float, stream: bool
) -> None:
    """S3 accepts but never answers, after a slow model: the failure metric is emitted (and the response ends)
    before the invocation deadline, with the margin to spare. Time is a fake clock that the model advances."""
    from chat_api import identity
    from chat_api.app import create_app
    from chat_api.records import LocalRecordStore

    offset = [0.0]
    now = lambda: time.time() + offset[0]  # noqa: E731
    monkeypatch.setattr(identity, "time", types.SimpleNamespace(time=now))
    hang = threading.Event()

    class HangingS3(LocalRecordStore):
        def put(self, key: str, record: dict[str, Any]) -> None:
            hang.wait(60)

    lambda_timeout_s = 29.0
    s = local_settings(tmp_path, identity="apigateway", storage_timeout_s=storage_timeout_s, deadline_margin_s=0.5)
    app = create_app(s, backend=SlowModel(offset, model_s), records=HangingS3(s.local_bucket_dir))  # type: ignore[arg-type]
    emitted: dict[str, float] = {}
    metrics = app.state.chat.metrics
    original_add = metrics.add

    def add(name: str, value: float = 1, unit: str = "Count") -> None:
        if name.endswith("Failures"):
            emitted.setdefault(name, now())
        original_add(name, value, unit)

    metrics.add = add  # type: ignore[method-assign]
    start = now()
    deadline_ms = int((start + lambda_timeout_s) * 1000)
    deadline = deadline_ms / 1000
    headers = _context_headers(GOOD_CONTEXT, json.dumps({"deadline": deadline_ms}))
    try:
        with TestClient(app) as c:
            resp = c.post("/v1/chat/completions", json={**CHAT, "stream": stream}, headers=headers)
            ended = now()
        assert resp.status_code == 200 and "an answer" in resp.text
        assert "InteractionLogFailures" in emitted
        # the metric goes out when the budget (remaining time - margin) runs out: well before the deadline
        assert emitted["InteractionLogFailures"] < deadline - s.deadline_margin_s / 2
        assert ended < deadline
        assert metrics.counts["ConversationWriteFailures"] == 0  # the conversation store did not hang
    finally:
        hang.set()
