"""The Lambda path: ``run.sh`` (the function's handler under the Lambda Web Adapter) started as a process with the
Lambda environment, fed API Gateway REST proxy events exactly as the adapter forwards them."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from chat_support import LAMBDA_DIR, ROOT, free_port
from lwa_emulator import forward, rest_event, split


@pytest.fixture(scope="module")
def lambda_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("lambda")
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "AWS_LAMBDA_FUNCTION_NAME": "chat",
        "BACKEND": "stub",
        "MODEL_ID": "stub-model",
        "STORAGE": "local",
        "LOCAL_LAKE_DIR": str(home / "lake"),
        "CONVERSATIONS_STORE": "sqlite",
        "CONVERSATIONS_SQLITE": str(home / "c.sqlite3"),
        "EMF_METRICS": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(LAMBDA_DIR)]),
        "PATH": f"{Path(os.sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = (home / "run.log").open("wb")
    proc = subprocess.Popen([str(LAMBDA_DIR / "run.sh")], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # the adapter's readiness check
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError((home / "run.log").read_text(errors="replace") or "run.sh did not start")
        time.sleep(0.1)
    try:
        yield url, home
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_streaming_completion_through_the_adapter(lambda_app: tuple[str, Path]) -> None:
    url, home = lambda_app
    event = rest_event(
        "POST",
        "/v1/chat/completions",
        {
            "messages": [{"role": "user", "content": "hi from 415-555-0100"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    prelude, chunks = split(forward(event, url))
    assert prelude["statusCode"] == 200
    assert prelude["headers"]["content-type"].startswith("text/event-stream")
    events = [line for line in b"".join(chunks).decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    data = [json.loads(e[6:]) for e in events[:-1]]
    assert sum(1 for d in data if d["choices"] and d["choices"][0]["delta"].get("content")) >= 2
    assert data[-1]["usage"]["completion_tokens"] == 11
    deadline = time.monotonic() + 10
    files: list[Path] = []
    while not files and time.monotonic() < deadline:
        files = list((home / "lake" / "interactions" / "interactions").rglob("*.json"))
        time.sleep(0.05)
    record = json.loads(files[0].read_text(encoding="utf-8"))
    # identity from the event's requestContext, never from the client's spoofed header
    assert record["caller"] == "cognito:user-1"
    assert record["gateway_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert "555-0100" not in json.dumps(record)


def test_errors_through_the_adapter(lambda_app: tuple[str, Path]) -> None:
    url, _ = lambda_app
    prelude, chunks = split(forward(rest_event("POST", "/v1/chat/completions", {"messages": []}), url))
    assert prelude["statusCode"] == 400
    assert json.loads(b"".join(chunks))["error"]["param"] == "messages"
    no_auth = rest_event("GET", "/v1/models", None)
    no_auth["requestContext"].pop("authorizer")
    prelude, _ = split(forward(no_auth, url))
    assert prelude["statusCode"] == 401


def test_models_through_the_adapter(lambda_app: tuple[str, Path]) -> None:
    url, _ = lambda_app
    prelude, chunks = split(forward(rest_event("GET", "/v1/models", None), url))
    assert prelude["statusCode"] == 200
    assert json.loads(b"".join(chunks))["data"][0]["id"] == "stub-model"


def test_run_sh_is_executable() -> None:
    assert os.access(LAMBDA_DIR / "run.sh", os.X_OK)
    assert "chat_api.app:app" in (LAMBDA_DIR / "run.sh").read_text()
