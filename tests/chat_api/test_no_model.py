"""SageMaker backend before the first promotion: 503 ``no_model_deployed`` with Retry-After (issue 14, item 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chat_support import local_settings
from starlette.testclient import TestClient

from pipeline_contract import FrontDoorEnv

NO_MODEL_BODY = {
    "error": {
        "message": "No model has been deployed yet: approve a model package to promote it",
        "type": "service_unavailable",
        "param": None,
        "code": "no_model_deployed",
    }
}
CHAT = {"messages": [{"role": "user", "content": "hello"}]}


class FakeRuntime:
    """``sagemaker-runtime`` stand-in: raises ``error`` or streams one OpenAI chunk; counts calls."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls = 0

    def invoke_endpoint_with_response_stream(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        chunk = b'data: {"choices": [{"delta": {"content": "hi"}, "finish_reason": "stop"}]}\n\n'
        return {"Body": [{"PayloadPart": {"Bytes": chunk}}], "InvokedProductionVariant": "AllTraffic"}


def _client(tmp_path: Path, runtime: FakeRuntime, live: str | None) -> tuple[TestClient, Any]:
    from chat_api.app import create_app
    from chat_api.backends import SageMakerBackend

    s = local_settings(tmp_path).with_(
        backend="sagemaker", endpoint_name="llm-endpoint", live_model_package_arn=live, retry_after_s=7
    )
    backend = SageMakerBackend(s)
    backend.client = lambda: runtime  # type: ignore[method-assign]
    app = create_app(s, backend=backend)
    return TestClient(app, raise_server_exceptions=False), app


def _assert_no_model(resp: Any) -> None:
    assert resp.status_code == 503
    assert resp.json() == NO_MODEL_BODY
    assert resp.headers["retry-after"] == "7"


@pytest.mark.parametrize("stream", [False, True])
def test_no_promoted_model_is_503_without_calling_the_endpoint(tmp_path: Path, stream: bool) -> None:
    runtime = FakeRuntime()
    client, app = _client(tmp_path, runtime, FrontDoorEnv.NO_MODEL)
    with client:
        _assert_no_model(client.post("/v1/chat/completions", json={**CHAT, "stream": stream}))
    assert runtime.calls == 0
    assert app.state.chat.metrics.counts["NoModelDeployed"] == 1


def test_missing_endpoint_is_503_no_model_deployed(tmp_path: Path) -> None:
    missing = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Endpoint llm-endpoint of account 123456789012 not found."}},
        "InvokeEndpointWithResponseStream",
    )
    runtime = FakeRuntime(missing)
    client, _ = _client(tmp_path, runtime, "arn:aws:sagemaker:us-east-1:123456789012:model-package/llm/3")
    with client:
        _assert_no_model(client.post("/v1/chat/completions", json=CHAT))
    assert runtime.calls == 1


def test_other_validation_errors_stay_model_errors(tmp_path: Path) -> None:
    bad = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Input payload is invalid."}},
        "InvokeEndpointWithResponseStream",
    )
    client, _ = _client(tmp_path, FakeRuntime(bad), None)
    with client:
        resp = client.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "model_error"


def test_a_promoted_model_is_served(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    client, _ = _client(tmp_path, runtime, "arn:aws:sagemaker:us-east-1:123456789012:model-package/llm/3")
    with client:
        resp = client.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == 200 and resp.json()["choices"][0]["message"]["content"] == "hi"


def test_live_model_package_arn_is_read_from_the_environment() -> None:
    from chat_api.settings import ChatSettings

    none = {FrontDoorEnv.LIVE_MODEL_PACKAGE_ARN: "none"}
    assert ChatSettings.from_env({"BACKEND": "sagemaker", "ENDPOINT_NAME": "e", **none}).no_model_deployed
    assert not ChatSettings.from_env({"BACKEND": "bedrock", **none}).no_model_deployed
