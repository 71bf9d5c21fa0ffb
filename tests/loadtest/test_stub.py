"""The stub OpenAI-compatible server the load tests run against (threads, no gevent)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from loadtest.sse import consume_stream
from loadtest.stub import StubConfig, parse_inject, start_in_thread


@pytest.fixture
def stub() -> Iterator[str]:
    server = start_in_thread(StubConfig(token_rate=1000, prefill_ms=1, tokens=6, inject=parse_inject("429:3,stream:4")))
    yield server.base_url
    server.shutdown()
    server.server_close()


def _post(url: str, body: dict[str, object]) -> urllib.request.Request:
    return urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )


def test_stub_streams_injects_faults_and_counts(stub: str) -> None:
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "max_tokens": 5,
        "stream_options": {"include_usage": True},
    }
    with urllib.request.urlopen(_post(stub, body)) as response:  # request 1: ok
        assert response.headers["Content-Type"] == "text/event-stream"
        outcome = consume_stream(iter(lambda: response.read1(4096), b""), lambda: 0.0)
    assert (outcome.content_chunks, outcome.usage_tokens, outcome.done) == (5, 5, True)
    with urllib.request.urlopen(_post(stub, {**body, "stream_options": None})) as response:  # request 2
        outcome = consume_stream(iter(lambda: response.read1(4096), b""), lambda: 0.0)
    assert (outcome.usage_tokens, outcome.output_tokens) == (None, 5)
    with pytest.raises(urllib.error.HTTPError) as raised:  # request 3: 429
        urllib.request.urlopen(_post(stub, body))
    assert raised.value.code == 429 and raised.value.headers["Retry-After"] == "1"
    assert json.loads(raised.value.read())["error"]["code"] == "rate_limited"
    with urllib.request.urlopen(_post(stub, body)) as response:  # request 4: fails mid-stream
        outcome = consume_stream(iter(lambda: response.read1(4096), b""), lambda: 0.0)
    assert outcome.error is not None and outcome.content_chunks == 2
    with urllib.request.urlopen(stub.removesuffix("/v1") + "/stats") as response:
        stats = json.loads(response.read())
    assert stats == {
        "requests": 4,
        "by_status": {"200": 3, "429": 1},
        "stream_errors": 1,
        "tokens_sent": 12,
        "tokens_completed": 10,
        "completed_streams": 2,
    }


def test_stub_rejects_bad_bodies_and_lists_models(stub: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(_post(stub, {"messages": []}))
    assert raised.value.code == 400
    with urllib.request.urlopen(stub + "/models") as response:
        assert json.loads(response.read())["data"][0]["id"] == "stub-model"


@pytest.mark.parametrize("text", ["200:2", "429", "429:0", "abc:1"])
def test_inject_spec_is_validated(text: str) -> None:
    with pytest.raises(ValueError, match="--inject"):
        parse_inject(text)
