"""tools/smoke_test.py against a local HTTP server playing the chat API (and token endpoint), with moto for
STS (the assumed smoke role), API Gateway (the key value) and CloudWatch (alarm states)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import smoke_test
from botocore.stub import Stubber
from moto import mock_aws

REGION = "us-east-1"
COMPLETION = {
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1,
    "model": "llm",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ready"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}


class FakeApi(BaseHTTPRequestHandler):
    """Answers what ``server.reply`` says and records every request."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: Any = self.server
        server.requests.append((self.path, dict(self.headers), body))
        if self.path == "/oauth2/token":
            status, headers, payload = 200, {}, {"access_token": "tok-123", "token_type": "Bearer"}
        else:
            status, headers, payload = server.reply
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    server.requests = []
    server.reply = (200, {"X-Conversation-Id": "conv-1"}, COMPLETION)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/prod/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def settings(api: Any, **env: str) -> smoke_test.Settings:
    base = {"SMOKE_API_URL": api.url, "SMOKE_AUTH": "iam", "SMOKE_REGION": REGION, "SMOKE_ATTEMPTS": "1"}
    return smoke_test.Settings.from_env({**base, **env})


def put_alarm(name: str, state: str) -> None:
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(
        AlarmName=name, MetricName="Errors", Namespace="X", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def test_iam_canary_is_sigv4_signed_with_the_api_key_and_passes(
    api: Any, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # API Gateway is stubbed (moto's needs openapi-spec-validator); STS and the rest run on moto.
    gateway = boto3.client("apigateway", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(gateway)
    key = {"id": "key123", "value": "v4lue-of-the-key-000000"}
    stub.add_response(
        "get_api_key", {"id": key["id"], "value": key["value"]}, {"apiKey": "key123", "includeValue": True}
    )
    stub.activate()
    real_client = boto3.Session.client

    def client(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        return gateway if name == "apigateway" else real_client(self, name, *args, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", client)
    role = boto3.client("iam").create_role(RoleName="smoke", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    report = smoke_test.run(settings(api, SMOKE_API_KEY_ID=key["id"], SMOKE_ROLE_ARN=role))
    assert report.ok, report.failures
    path, headers, body = api.requests[-1]
    assert path == "/prod/v1/chat/completions"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert f"/{REGION}/execute-api/aws4_request" in headers["Authorization"]
    assert "X-Amz-Security-Token" in headers  # signed with the assumed role's session credentials
    assert headers["X-Api-Key"] == key["value"]
    assert json.loads(body)["messages"][0]["role"] == "user"
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ((500, {}, {"error": {"message": "boom", "type": "server_error", "code": None}}), "HTTP 500"),
        ((403, {}, {"message": "Forbidden"}), "HTTP 403"),
        ((200, {"X-Conversation-Id": "c"}, {**COMPLETION, "choices": []}), "content is missing"),
        ((200, {}, COMPLETION), "X-Conversation-Id"),
        ((200, {"X-Conversation-Id": "c"}, {**COMPLETION, "object": "text_completion"}), "chat.completion"),
        ((200, {"X-Conversation-Id": "c"}, b"<html>not json</html>"), "not a JSON object"),
    ],
)
def test_a_bad_answer_fails_the_stage(api: Any, aws: None, reply: tuple[int, dict, Any], reason: str) -> None:
    api.reply = reply
    report = smoke_test.run(settings(api))
    assert not report.ok
    assert any(reason in failure for failure in report.failures), report.failures


def test_no_model_deployed_fails_unless_allowed(api: Any, aws: None) -> None:
    api.reply = (
        503,
        {"Retry-After": "30"},
        {"error": {"message": "no model", "type": "x", "code": "no_model_deployed"}},
    )
    assert not smoke_test.run(settings(api)).ok
    assert smoke_test.run(settings(api, SMOKE_ALLOW_NO_MODEL="1")).ok


def test_a_warming_model_is_retried(api: Any, aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smoke_test.time, "sleep", lambda _s: None)
    replies = iter([(503, {"Retry-After": "1"}, {"error": {"code": "model_warming_up"}}),
                    (200, {"X-Conversation-Id": "c"}, COMPLETION)])  # fmt: skip

    class Sequenced(FakeApi):
        def do_POST(self) -> None:
            self.server.reply = next(replies)  # type: ignore[attr-defined]
            super().do_POST()

    api.RequestHandlerClass = Sequenced
    assert smoke_test.run(settings(api, SMOKE_ATTEMPTS="3")).ok
    assert len(api.requests) == 2


def test_an_alarm_of_the_stage_in_alarm_fails_it_and_others_are_ignored(api: Any, aws: None) -> None:
    put_alarm("llm-pipeline-prod-latency", "ALARM")  # another stage's alarm
    put_alarm("llm-pipeline-dev-latency", "OK")
    assert smoke_test.run(settings(api, SMOKE_ALARM_PREFIX="llm-pipeline-dev")).ok
    put_alarm("llm-pipeline-dev-invocation-5xx", "ALARM")
    report = smoke_test.run(settings(api, SMOKE_ALARM_PREFIX="llm-pipeline-dev"))
    assert report.failures == ["alarms in ALARM: llm-pipeline-dev-invocation-5xx"]


class StubSession:
    """A session whose cognito-idp client is stubbed (moto's Cognito needs extra packages)."""

    def __init__(self, cognito: Any) -> None:
        self.cognito = cognito

    def client(self, name: str) -> Any:
        assert name == "cognito-idp", name
        return self.cognito


def test_cognito_canary_uses_a_client_credentials_token(api: Any) -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(cognito) as stub:
        stub.add_response(
            "describe_user_pool_client",
            {"UserPoolClient": {"ClientId": "client1", "ClientSecret": "s3cr3t-s3cr3t-s3cr3t-s3cr3t"}},
            {"UserPoolId": "us-east-1_pool", "ClientId": "client1"},
        )
        report = smoke_test.run(
            settings(
                api,
                SMOKE_AUTH="cognito",
                SMOKE_USER_POOL_ID="us-east-1_pool",
                SMOKE_CLIENT_ID="client1",
                SMOKE_TOKEN_URL=api.url.replace("/prod/", "/oauth2/token"),
                SMOKE_SCOPE="llm/chat",
            ),
            session=StubSession(cognito),
        )
    assert report.ok, report.failures
    (token_path, token_headers, token_body), (_, chat_headers, _) = api.requests
    assert token_path == "/oauth2/token"
    assert (
        token_headers["Authorization"] == "Basic " + base64.b64encode(b"client1:s3cr3t-s3cr3t-s3cr3t-s3cr3t").decode()
    )
    assert urllib.parse.parse_qs(token_body.decode()) == {"grant_type": ["client_credentials"], "scope": ["llm/chat"]}
    assert chat_headers["Authorization"] == "Bearer tok-123"


def test_settings_name_every_missing_variable() -> None:
    with pytest.raises(ValueError, match="SMOKE_USER_POOL_ID, SMOKE_CLIENT_ID, SMOKE_TOKEN_URL, SMOKE_SCOPE"):
        smoke_test.Settings.from_env({"SMOKE_API_URL": "https://x", "SMOKE_AUTH": "cognito"})
    assert smoke_test.main({"SMOKE_AUTH": "iam"}) == 2
    assert smoke_test.Settings.from_env({"SMOKE_API_URL": "https://x/prod/v1/"}).chat_url == (
        "https://x/prod/v1/chat/completions"
    )
