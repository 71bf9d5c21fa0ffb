"""The official ``openai`` SDK against the chat API served by uvicorn (stub backend, local lake, SQLite)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from chat_support import interaction_records, local_settings, serve, wait_for
from openai import OpenAI


def client(url: str, **kwargs: Any) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="local", max_retries=0, **kwargs)


def test_non_streaming_completion(server: tuple[str, Any]) -> None:
    url, _ = server
    raw = client(url).chat.completions.with_raw_response.create(
        model="stub-model",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}]},
        ],
    )
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "This is a deterministic stub answer from the secure LLM pipeline."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == 11
    conversation_id = completion.model_extra["conversation_id"]  # type: ignore[index]
    assert conversation_id.startswith("conv_")
    assert raw.headers["x-conversation-id"] == conversation_id


def test_streaming_completion_chunks_usage_and_done(server: tuple[str, Any]) -> None:
    url, _ = server
    stream = client(url).chat.completions.create(
        model="stub-model",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(contents) >= 2
    assert "".join(contents) == "This is a deterministic stub answer from the secure LLM pipeline."
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens
    assert len({c.id for c in chunks}) == 1
    assert len({c.model_extra["conversation_id"] for c in chunks}) == 1  # type: ignore[index]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]


def test_stream_wire_format_ends_with_done(server: tuple[str, Any]) -> None:
    url, _ = server
    with httpx.stream(
        "POST", f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "stream": True}
    ) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in resp.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)
    assert all(json.loads(line[6:])["object"] == "chat.completion.chunk" for line in lines[:-1])


@pytest.mark.parametrize(
    ("kwargs", "error", "param"),
    [
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
            openai.BadRequestError,
            "tools",
        ),
        ({"n": 2}, openai.BadRequestError, "n"),
        ({"logprobs": True}, openai.BadRequestError, "logprobs"),
        ({"max_tokens": 10**6}, openai.BadRequestError, "max_tokens"),
        (
            {"messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]},
            openai.BadRequestError,
            "messages[0].role",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            openai.BadRequestError,
            "messages[0].content[0].type",
        ),
        ({"extra_body": {"conversation_id": "conv_" + "0" * 32}}, openai.NotFoundError, "conversation_id"),
        ({"messages": [{"role": "user", "content": "[[stub:throttle]]"}]}, openai.RateLimitError, None),
        ({"messages": [{"role": "user", "content": "[[stub:unavailable]]"}]}, openai.InternalServerError, None),
    ],
)
def test_errors_are_typed_sdk_exceptions(
    server: tuple[str, Any], kwargs: dict[str, Any], error: type[Exception], param: str | None
) -> None:
    url, _ = server
    request: dict[str, Any] = {"model": "stub-model", "messages": [{"role": "user", "content": "hi"}], **kwargs}
    with pytest.raises(error) as info:
        client(url).chat.completions.create(**request)
    exc = info.value
    assert isinstance(exc, openai.APIStatusError)
    body = exc.response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"}
    assert body["param"] == param
    if exc.status_code in (429, 503):
        assert exc.response.headers["retry-after"] == "2"


def test_streaming_upstream_error_before_first_token_is_an_http_error(server: tuple[str, Any]) -> None:
    url, _ = server
    with pytest.raises(openai.RateLimitError):
        list(
            client(url).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "[[stub:throttle]]"}], stream=True
            )
        )


def test_mid_stream_error_is_an_error_event(server: tuple[str, Any], settings: Any) -> None:
    url, _ = server
    with httpx.stream(
        "POST",
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "[[stub:fail-midstream]]"}], "stream": True},
    ) as resp:
        lines = [line for line in resp.iter_lines() if line]
    assert resp.status_code == 200
    assert json.loads(lines[-1][6:])["error"]["code"] == "model_error"
    assert "data: [DONE]" not in lines
    records = wait_for(lambda: interaction_records(settings))
    assert records[0]["status"] == "error"
    assert records[0]["output"] == "This is"


def test_dev_token_mode_rejects_other_tokens(tmp_path: Path) -> None:
    from chat_api.app import create_app

    app = create_app(local_settings(tmp_path, identity="dev-token", dev_token="s3cret"))
    with serve(app) as url:
        with pytest.raises(openai.AuthenticationError):
            client(url).models.list()
        assert [m.id for m in OpenAI(base_url=f"{url}/v1", api_key="s3cret").models.list()] == ["stub-model"]


def test_prompt_with_email_and_phone_is_stored_redacted(server: tuple[str, Any], settings: Any) -> None:
    url, _ = server
    prompt = "I am jane.doe@example.com and my phone is +1 415 555 0100; what is my balance?"
    completion = client(url).chat.completions.create(model="stub-model", messages=[{"role": "user", "content": prompt}])
    records = wait_for(lambda: interaction_records(settings))
    assert len(records) == 1
    record = records[0]
    path = next((Path(settings.lake_dir) / "interactions" / "interactions").rglob("*.json"))
    raw = path.read_text(encoding="utf-8")
    assert "jane.doe@example.com" not in raw and "555 0100" not in raw
    assert record["messages"][0]["content"].count("[EMAIL_ADDRESS]") == 1
    assert "[PHONE_NUMBER]" in record["messages"][0]["content"]
    assert record["model"] == "stub-model"
    assert record["latency_ms"] >= 0
    assert record["usage"]["completion_tokens"] == completion.usage.completion_tokens  # type: ignore[union-attr]
    assert record["conversation_id"] == completion.model_extra["conversation_id"]  # type: ignore[index]
    assert record["completion_id"] == completion.id and record["caller"] == "local"
    assert path.name == f"{completion.id}.json" and path.parent.name.startswith("hour=")
    assert path.parent.parent.name.startswith("dt=")


@dataclass
class BlockedStorage:
    """A running server whose record store holds every write until ``release`` is set; ``stored`` lists the keys
    written since."""

    url: str
    release: threading.Event
    stored: list[str]


@pytest.fixture
def blocked_storage(tmp_path: Path) -> Iterator[BlockedStorage]:
    from chat_api.app import create_app
    from chat_api.records import LocalRecordStore

    release = threading.Event()
    stored: list[str] = []

    class BlockingStore(LocalRecordStore):
        def put(self, key: str, record: dict[str, Any]) -> None:
            release.wait(10)
            stored.append(key)
            super().put(key, record)

    s = local_settings(tmp_path, storage_timeout_s=30.0)
    with serve(create_app(s, records=BlockingStore(s.local_bucket_dir))) as url:
        try:
            yield BlockedStorage(url, release, stored)
        finally:
            release.set()


def test_first_token_is_not_delayed_by_storage(blocked_storage: BlockedStorage) -> None:
    """The whole answer, [DONE] included, reaches the client while the record store is still blocked."""
    with httpx.stream(
        "POST",
        f"{blocked_storage.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}], "stream": True},
    ) as resp:
        lines = []
        for line in resp.iter_lines():
            if line:
                lines.append(line)
            if line == "data: [DONE]":
                break
        assert blocked_storage.stored == []
        blocked_storage.release.set()
    assert lines[-1] == "data: [DONE]" and len(lines) >= 4
    assert wait_for(lambda: blocked_storage.stored)


def test_client_disconnect_stores_partial_answer(tmp_path: Path) -> None:
    from chat_api.app import create_app

    s = local_settings(tmp_path, stub_tokens_per_s=20.0)
    app = create_app(s)
    with serve(app) as url:
        with httpx.stream(
            "POST", f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "stream": True}
        ) as resp:
            seen = 0
            for line in resp.iter_lines():
                if line and '"content":"' in line and '"content":""' not in line:
                    seen += 1
                if seen == 2:
                    break
        records = wait_for(lambda: interaction_records(s))
    assert records and records[0]["status"] == "client_disconnected"
    assert records[0]["output"].startswith("This is")
    assert records[0]["output"] != s.stub_reply
    assert app.state.chat.metrics.counts["ClientDisconnects"] == 1


def test_feedback_roundtrip(server: tuple[str, Any], settings: Any) -> None:
    url, _ = server
    completion = client(url).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    wait_for(lambda: interaction_records(settings))
    resp = httpx.post(
        f"{url}/v1/feedback",
        json={"completion_id": completion.id, "rating": "down", "comment": "wrong, mail me at bob@example.org"},
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "recorded" and resp.json()["completion_id"] == completion.id
    files = list((settings.local_bucket_dir / "feedback").rglob("*.json"))
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert files[0].name.startswith(completion.id + "-")
    assert record["rating"] == -1 and record["request_id"] == completion.id
    assert "bob@example.org" not in record["comment"]
    from glue_jobs.feedback import parse_feedback_record

    assert parse_feedback_record(record) == (completion.id, -1)
    unknown = httpx.post(f"{url}/v1/feedback", json={"completion_id": "chatcmpl-" + "a" * 32, "rating": 1})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "completion_not_found"


def test_models_lists_the_backend_model(server: tuple[str, Any]) -> None:
    url, _ = server
    models = client(url).models.list()
    assert [m.id for m in models] == ["stub-model"]
    assert models.data[0].object == "model" and models.data[0].owned_by


def test_generate_alias_keeps_the_old_shape(server: tuple[str, Any]) -> None:
    url, _ = server
    resp = httpx.post(f"{url}/v1/generate", json={"prompt": "hi", "parameters": {"max_tokens": 3}})
    assert resp.status_code == 200
    body = resp.json()
    assert body["output"] == "This is a" and body["stop_reason"] == "length"
    assert body["usage"]["output_tokens"] == 3 and body["request_id"].startswith("chatcmpl-")


def test_buffered_answer_is_not_delayed_by_storage(blocked_storage: BlockedStorage) -> None:
    """The whole JSON answer reaches the SDK while the record store is still blocked."""
    completion = client(blocked_storage.url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content and blocked_storage.stored == []
    blocked_storage.release.set()
    assert wait_for(lambda: blocked_storage.stored)
