"""Property: no caller input (body, headers, content type, base64 flag, method, path) yields a 5xx or raises.

The model and S3 are healthy stubs here, so any status >= 500 would be a handler bug reachable by callers.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from front_door_support import FakeContext, make_event, response_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
PARAMETERS = st.fixed_dictionaries(
    {},
    optional={
        "max_tokens": st.integers(-2, 5000) | JSON_VALUES,
        "temperature": st.floats(-1, 3) | JSON_VALUES,
        "top_p": st.floats(-0.5, 1.5) | JSON_VALUES,
        "stop": st.lists(st.text(max_size=70), max_size=6) | JSON_VALUES,
        "other": JSON_VALUES,
    },
)
GENERATE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.text(max_size=120) | JSON_VALUES,
        "parameters": PARAMETERS | JSON_VALUES,
        "session_id": st.from_regex(r"[A-Za-z0-9._:-]{1,20}", fullmatch=True) | JSON_VALUES,
    },
)
FEEDBACK_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "request_id": st.uuids().map(str) | st.text(max_size=70) | JSON_VALUES,
        "rating": st.sampled_from(["up", "down", -1, 0, 1, 2, 1.0, True]) | JSON_VALUES,
        "comment": st.text(max_size=300) | JSON_VALUES,
    },
)
GENERATE_VALIDISH = st.fixed_dictionaries(
    {"prompt": st.text(min_size=1, max_size=80)},
    optional={"parameters": PARAMETERS, "session_id": st.from_regex(r"[A-Za-z0-9._:-]{1,20}", fullmatch=True)},
)
FEEDBACK_VALIDISH = st.fixed_dictionaries(
    {"request_id": st.uuids().map(str), "rating": st.sampled_from(["up", "down", -1, 0, 1])},
    optional={"comment": st.text(max_size=300)},
)
BODIES = st.one_of(
    GENERATE_VALIDISH.map(json.dumps),
    FEEDBACK_VALIDISH.map(json.dumps),
    GENERATE_VALIDISH.map(json.dumps),
    FEEDBACK_VALIDISH.map(json.dumps),
    st.none(),
    st.text(max_size=300),
    JSON_VALUES.map(json.dumps),
    GENERATE_LIKE.map(json.dumps),
    FEEDBACK_LIKE.map(json.dumps),
    st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/problem+json",
     "text/plain", "multipart/form-data; boundary=x", "", ";", "application/x-www-form-urlencoded"]
) | st.text(max_size=40)
HEADERS = st.one_of(
    st.just({"Content-Type": "application/json"}),
    st.just({"content-type": "application/json"}),
    st.none(),
    st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
    st.tuples(st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE"]), CONTENT_TYPES).map(
        lambda kv: {kv[0]: kv[1]}
    ),
)
METHODS = st.one_of(
    st.just("POST"), st.just("POST"), st.just("POST"),
    st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "post"]), st.text(max_size=8),
)
PATHS = st.one_of(
    st.just("/v1/generate"), st.just("/v1/feedback"), st.just("/v1/generate"), st.just("/v1/feedback"),
    st.sampled_from(["/", "/v1", "/v1/generate/", "/V1/GENERATE", "/v1/feedback/x"]), st.text(max_size=30),
)


class HealthyModel:
    """Upstream stub that always answers."""

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        from io import BytesIO

        raw = b'[{"generated_text": "ok", "details": {"generated_tokens": 1}}]'
        return {"Body": BytesIO(raw)}

    def converse(self, **_: Any) -> dict[str, Any]:
        return {"output": {"message": {"content": [{"text": "ok"}]}}, "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 1}}


class MemoryS3:
    """S3 stub keeping records in memory."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        self.objects[Key] = Body
        return {}


@pytest.fixture(params=["sagemaker", "bedrock"])
def healthy_backend(request: pytest.FixtureRequest, env: pytest.MonkeyPatch) -> MemoryS3:
    from frontdoor import clients, config

    env.setenv("BACKEND", request.param)
    env.setenv("PROMPT_MAX_CHARS", "60")
    env.setenv("MAX_BODY_BYTES", "600")
    config.settings.cache_clear()
    store = MemoryS3()
    env.setattr(clients, "sagemaker_runtime", HealthyModel)
    env.setattr(clients, "bedrock_runtime", HealthyModel)
    env.setattr(clients, "s3", lambda: store)
    return store


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, headers=HEADERS, b64=st.sampled_from([False, False, False, True, None, "true", 1]), method=METHODS,
       path=PATHS, encode=st.booleans())
def test_caller_input_never_causes_5xx(healthy_backend: MemoryS3, capsys: pytest.CaptureFixture[str],
                                       body: Any, headers: Any, b64: Any, method: str, path: str,
                                       encode: bool) -> None:
    from frontdoor.app import lambda_handler

    event = make_event(None, path=path, method=method)
    if encode and isinstance(body, str):
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    event.update(body=body, headers=headers, isBase64Encoded=b64)

    response = lambda_handler(event, FakeContext())
    capsys.readouterr()

    event_label = f"status={response['statusCode']}"
    hypothesis_event(event_label)
    assert response["statusCode"] < 500, response["body"]
    payload = json.loads(response["body"])
    if response["statusCode"] >= 400:
        assert set(payload["error"]) == {"code", "message", "request_id"}
    assert response_headers(response)["content-type"] == "application/json"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.text(min_size=1, max_size=60).filter(str.strip))
def test_valid_prompts_always_answer_and_are_stored(healthy_backend: MemoryS3,
                                                    capsys: pytest.CaptureFixture[str], prompt: str) -> None:
    from frontdoor.app import lambda_handler

    before = len(healthy_backend.objects)
    response = lambda_handler(make_event({"prompt": prompt}, request_id=f"{len(healthy_backend.objects):08d}-id"),
                              FakeContext())
    capsys.readouterr()
    assert response["statusCode"] == 200, response["body"]
    assert len(healthy_backend.objects) == before + 1
