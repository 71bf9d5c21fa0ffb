"""Conversations and feedback are scoped to the caller identity (API Gateway authorizer context, as LWA forwards it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from chat_support import interaction_records, local_settings, serve, wait_for


def as_user(sub: str) -> dict[str, str]:
    """Headers the Lambda Web Adapter adds for a Cognito-authorized request of ``sub``."""
    return {"x-amzn-request-context": json.dumps({"requestId": f"req-{sub}", "authorizer": {"claims": {"sub": sub}}})}


@pytest.fixture
def gateway(tmp_path: Path) -> Any:
    from chat_api.app import create_app

    s = local_settings(tmp_path, identity="apigateway")
    app = create_app(s)
    with serve(app) as url:
        yield url, s, app


def chat(url: str, sub: str, content: str, conversation_id: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": content}]}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=as_user(sub))


def test_no_identity_is_401(gateway: Any) -> None:
    url, _, _ = gateway
    resp = httpx.post(f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
    assert resp.status_code == 401 and resp.json()["error"]["type"] == "authentication_error"


def test_malformed_request_context_is_400_counted_apart(gateway: Any) -> None:
    url, _, app = gateway
    resp = httpx.get(f"{url}/v1/models", headers={"x-amzn-request-context": "{not json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed_event"
    assert app.state.chat.metrics.counts["MalformedEvents"] == 1
    assert app.state.chat.metrics.counts["UnhandledErrors"] == 0


def test_conversation_lifecycle_is_redacted_and_owner_only(gateway: Any) -> None:
    url, s, _ = gateway
    first = chat(url, "alice", "My email is alice@example.com, remember it")
    assert first.status_code == 200
    cid = first.json()["conversation_id"]
    wait_for(lambda: interaction_records(s))
    second = chat(url, "alice", "and again", cid)
    assert second.status_code == 200 and second.json()["conversation_id"] == cid
    wait_for(lambda: len(interaction_records(s)) == 2)

    listed = httpx.get(f"{url}/v1/conversations", headers=as_user("alice")).json()
    assert listed["object"] == "list" and [c["id"] for c in listed["data"]] == [cid]
    got = httpx.get(f"{url}/v1/conversations/{cid}", headers=as_user("alice")).json()
    assert "alice@example.com" not in json.dumps(got) and "[EMAIL_ADDRESS]" in got["title"]
    assert [m["role"] for m in got["messages"]] == ["user", "assistant"]
    assert got["messages"][-1]["completion_id"] == second.json()["id"]

    # bob can neither see, continue, rename, delete nor rate alice's things
    assert httpx.get(f"{url}/v1/conversations", headers=as_user("bob")).json()["data"] == []
    assert httpx.get(f"{url}/v1/conversations/{cid}", headers=as_user("bob")).status_code == 404
    assert chat(url, "bob", "hijack", cid).status_code == 404
    assert (
        httpx.patch(f"{url}/v1/conversations/{cid}", json={"title": "mine"}, headers=as_user("bob")).status_code == 404
    )
    assert httpx.delete(f"{url}/v1/conversations/{cid}", headers=as_user("bob")).status_code == 404
    feedback = {"completion_id": first.json()["id"], "rating": "down"}
    assert httpx.post(f"{url}/v1/feedback", json=feedback, headers=as_user("bob")).status_code == 404
    assert httpx.post(f"{url}/v1/feedback", json=feedback, headers=as_user("alice")).status_code == 200

    renamed = httpx.patch(
        f"{url}/v1/conversations/{cid}", json={"title": "Call 415-555-0100"}, headers=as_user("alice")
    )
    assert renamed.status_code == 200 and "555-0100" not in renamed.json()["title"]
    deleted = httpx.delete(f"{url}/v1/conversations/{cid}", headers=as_user("alice"))
    assert deleted.json() == {"id": cid, "object": "conversation.deleted", "deleted": True}
    assert httpx.get(f"{url}/v1/conversations/{cid}", headers=as_user("alice")).status_code == 404
    records = interaction_records(s)
    assert {r["caller"] for r in records} == {"cognito:alice"}
    assert {r["gateway_request_id"] for r in records} == {"req-alice"}


def test_iam_principal_is_an_identity(gateway: Any) -> None:
    url, s, _ = gateway
    ctx = {"requestId": "r1", "identity": {"userArn": "arn:aws:iam::111122223333:role/app"}}
    resp = httpx.post(
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "x"}]},
        headers={"x-amzn-request-context": json.dumps(ctx)},
    )
    assert resp.status_code == 200
    assert wait_for(lambda: interaction_records(s))[0]["caller"] == "iam:arn:aws:iam::111122223333:role/app"
