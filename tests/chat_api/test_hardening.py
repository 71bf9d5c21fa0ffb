"""Caller input never gives a 5xx; limits; lone surrogates; storage bounded by the invocation deadline."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from chat_support import interaction_records, local_settings, wait_for
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.testclient import TestClient

PATHS = ["/v1/chat/completions", "/v1/feedback", "/v1/generate", "/v1/conversations/conv_" + "1" * 32]


@pytest.fixture(scope="module")
def test_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from chat_api.app import create_app

    s = local_settings(tmp_path_factory.mktemp("home"), max_body_bytes=65536, max_messages=50, max_prompt_chars=4000)
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c


def post(c: TestClient, path: str, body: bytes, ctype: str = "application/json") -> Any:
    method = "PATCH" if path.startswith("/v1/conversations/") else "POST"
    return c.request(method, path, content=body, headers={"content-type": ctype})


# text including lone surrogates, NUL, RTL and astral characters
TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(TEXT, kids, max_size=4)), max_leaves=20
)
ROLE = st.one_of(st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", ""]), JSON)
CONTENT = st.one_of(
    TEXT,
    JSON,
    st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]), "text": st.one_of(TEXT, JSON)})),
)
MESSAGE = st.one_of(st.fixed_dictionaries({"role": ROLE, "content": CONTENT}), JSON)
CHAT = st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(MESSAGE, max_size=6), JSON)},
    optional={
        "model": JSON,
        "stream": st.one_of(st.booleans(), JSON),
        "max_tokens": st.one_of(st.integers(), JSON),
        "temperature": JSON,
        "top_p": JSON,
        "stop": JSON,
        "n": JSON,
        "tools": JSON,
        "user": JSON,
        "stream_options": JSON,
        "conversation_id": st.one_of(TEXT, JSON),
        "retrieval": JSON,
        "completion_id": JSON,
        "rating": JSON,
        "comment": JSON,
        "title": JSON,
        "prompt": JSON,
    },
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), body=CHAT)
def test_no_json_input_gives_a_5xx(test_client: TestClient, path: str, body: dict[str, Any]) -> None:
    resp = post(test_client, path, json.dumps(body).encode())  # ensure_ascii: lone surrogates travel as escapes
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert set(resp.json()["error"]) == {"message", "type", "param", "code"}


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(PATHS),
    body=st.binary(max_size=300),
    ctype=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]),
)
def test_no_bytes_give_a_5xx(test_client: TestClient, path: str, body: bytes, ctype: str) -> None:
    resp = post(test_client, path, body, ctype)
    assert resp.status_code < 500, resp.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [{"role": "user", "content": "caf\xe9"}]}',
        b'\xef\xbb\xbf{"messages": []}',
        b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN}',
        b"[" * 60_000,
    ],
)
def test_invalid_bodies_are_400(test_client: TestClient, body: bytes) -> None:
    resp = post(test_client, "/v1/chat/completions", body)
    assert resp.status_code == 400


def test_lone_surrogate_is_400_naming_the_field(test_client: TestClient) -> None:
    body = b'{"messages": [{"role": "user", "content": "hi \\ud800"}]}'
    resp = post(test_client, "/v1/chat/completions", body)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "messages[0].content"
    assert resp.json()["error"]["code"] == "invalid_unicode"
    fb = post(test_client, "/v1/feedback", b'{"completion_id": "chatcmpl-x", "rating": 1, "comment": "\\udfff"}')
    assert fb.status_code == 400 and fb.json()["error"]["param"] == "comment"


def test_limits(test_client: TestClient) -> None:
    huge = {"messages": [{"role": "user", "content": "x"}] * 10_000}
    resp = post(test_client, "/v1/chat/completions", json.dumps(huge).encode())
    assert resp.status_code == 413
    many = {"messages": [{"role": "user", "content": "x"}] * 51}
    resp = post(test_client, "/v1/chat/completions", json.dumps(many).encode())
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "too_many_messages"
    long = {"messages": [{"role": "user", "content": "x" * 4001}]}
    resp = post(test_client, "/v1/chat/completions", json.dumps(long).encode())
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "context_length_exceeded"
    capped = {"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 4097}
    resp = post(test_client, "/v1/chat/completions", json.dumps(capped).encode())
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "max_completion_tokens"


def test_hung_storage_is_bounded_and_counted(tmp_path: Path) -> None:
    """S3 accepting but never answering: the answer still arrives, the failure metric is emitted at the deadline."""
    from chat_api.app import create_app
    from chat_api.records import LocalRecordStore

    hang = threading.Event()

    class HangingStore(LocalRecordStore):
        def put(self, key: str, record: dict[str, Any]) -> None:
            hang.wait(30)

    s = local_settings(tmp_path, storage_timeout_s=0.3, deadline_margin_s=0.0)
    app = create_app(s, records=HangingStore(s.local_bucket_dir))
    try:
        with TestClient(app) as c:
            resp = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
        assert resp.status_code == 200
        assert app.state.chat.metrics.counts["InteractionLogFailures"] == 1
        assert app.state.chat.metrics.counts["ConversationWriteFailures"] == 0
    finally:
        hang.set()


def test_no_time_left_in_the_invocation_skips_storage_with_the_metric(tmp_path: Path) -> None:
    from chat_api.app import create_app

    s = local_settings(tmp_path, identity="apigateway")
    app = create_app(s)
    headers = {
        "x-amzn-request-context": json.dumps({"requestId": "r", "authorizer": {"claims": {"sub": "u"}}}),
        "x-amzn-lambda-context": json.dumps({"request_id": "l", "deadline": int(time.time() * 1000) + 100}),
    }
    with TestClient(app) as c:
        resp = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}, headers=headers)
    assert resp.status_code == 200
    counts = app.state.chat.metrics.counts
    assert counts["InteractionLogFailures"] == 1 and counts["ConversationWriteFailures"] == 1
    assert interaction_records(s) == []


def test_feedback_storage_failure_is_503_with_retry_after(tmp_path: Path) -> None:
    from chat_api.app import create_app
    from chat_api.records import LocalRecordStore

    class FailingFeedback(LocalRecordStore):
        def put(self, key: str, record: dict[str, Any]) -> None:
            if key.startswith("feedback/"):
                raise OSError("disk full")
            super().put(key, record)

    s = local_settings(tmp_path)
    app = create_app(s, records=FailingFeedback(s.local_bucket_dir))
    with TestClient(app) as c:
        cid = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}).json()["id"]
        wait_for(lambda: interaction_records(s))
        resp = c.post("/v1/feedback", json={"completion_id": cid, "rating": "up"})
    assert resp.status_code == 503 and resp.headers["retry-after"] == "2"
    assert app.state.chat.metrics.counts["FeedbackLogFailures"] == 1


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "DELETE", "PATCH", "POST", "PUT"]), segment=st.text(min_size=1, max_size=60))
def test_no_conversation_path_gives_a_5xx(test_client: TestClient, method: str, segment: str) -> None:
    from urllib.parse import quote

    encoded = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    resp = test_client.request(method, f"/v1/conversations/{encoded}", json={"title": "t"})
    assert resp.status_code < 500
    assert resp.status_code in (400, 404, 405)


@pytest.mark.parametrize("rating", [[], {}, [1], {"up": 1}])
def test_unhashable_rating_is_400(test_client: TestClient, rating: Any) -> None:
    """Found by the property above: a list or object rating is a 400 naming ``rating`` (was a TypeError, 500)."""
    body = json.dumps({"completion_id": "chatcmpl-" + "0" * 32, "rating": rating}).encode()
    resp = post(test_client, "/v1/feedback", body)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "rating"
