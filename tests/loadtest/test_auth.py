"""Auth headers: API key, bearer (static and OAuth flows), SigV4, and how the CLI's env builds them."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

import botocore.session
import pytest

from loadtest.auth import (
    ApiKeyAuth,
    BearerAuth,
    CombinedAuth,
    NoAuth,
    OAuthTokenProvider,
    SigV4Auth,
    build_auth,
)


class FakeTokenEndpoint:
    """Records token requests and answers tokens numbered by call."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.calls: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.expires_in = expires_in

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        self.calls.append((url, form, headers))
        n = len(self.calls)
        return {"access_token": f"access-{n}", "id_token": f"id-{n}", "expires_in": self.expires_in}


def test_client_credentials_token_is_cached_until_near_expiry() -> None:
    endpoint = FakeTokenEndpoint(expires_in=300)
    now = [1000.0]
    provider = OAuthTokenProvider(
        token_url="https://d.auth.eu-west-1.amazoncognito.com/oauth2/token",
        client_id="cid",
        client_secret="sec",
        scope="api/invoke",
        fetch=endpoint,
        clock=lambda: now[0],
    )
    auth = BearerAuth(provider=provider)
    assert auth.headers("POST", "https://x/v1/chat/completions", b"{}") == {"Authorization": "Bearer access-1"}
    now[0] += 200  # still 100 s before expiry, margin 60 s
    assert auth.headers("POST", "u", b"")["Authorization"] == "Bearer access-1"
    now[0] += 50  # inside the refresh margin
    assert auth.headers("POST", "u", b"")["Authorization"] == "Bearer access-2"
    url, form, headers = endpoint.calls[0]
    assert url.endswith("/oauth2/token")
    assert form == {"grant_type": "client_credentials", "client_id": "cid", "scope": "api/invoke"}
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"cid:sec").decode()


def test_refresh_token_flow_sends_the_id_token_bare_when_asked() -> None:
    endpoint = FakeTokenEndpoint()
    provider = OAuthTokenProvider(
        token_url="https://t",
        client_id="cid",
        grant="refresh_token",
        refresh_token="r-1",
        token_use="id",
        fetch=endpoint,
    )
    assert BearerAuth(provider=provider, scheme="").headers("POST", "u", b"") == {"Authorization": "id-1"}
    _, form, headers = endpoint.calls[0]
    assert form == {"grant_type": "refresh_token", "client_id": "cid", "refresh_token": "r-1"}
    assert "Authorization" not in headers  # public client: no secret


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grant": "client_credentials"}, "client secret"),
        ({"grant": "refresh_token"}, "refresh token"),
        ({"grant": "password", "client_secret": "s"}, "grant="),
        ({"client_secret": "s", "token_use": "id"}, "access tokens only"),
    ],
)
def test_oauth_provider_rejects_incomplete_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OAuthTokenProvider(token_url="https://t", client_id="c", **kwargs)


def test_token_endpoint_without_the_token_is_an_error() -> None:
    provider = OAuthTokenProvider(
        token_url="https://t", client_id="c", client_secret="s", fetch=lambda *_: {"error": "invalid_client"}
    )
    with pytest.raises(ValueError, match="access_token"):
        provider.token()


def test_sigv4_signs_each_request_for_execute_api() -> None:
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", "secret", "session-token")
    auth = SigV4Auth("eu-west-1", session=session)
    headers = auth.headers(
        "POST", "https://abc.execute-api.eu-west-1.amazonaws.com/live/v1/chat/completions", b'{"messages": []}'
    )
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "session-token"
    other = auth.headers(
        "POST", "https://abc.execute-api.eu-west-1.amazonaws.com/live/v1/chat/completions", b'{"messages": [1]}'
    )
    assert other["Authorization"] != headers["Authorization"]  # the body is signed


def test_build_auth_from_environment() -> None:
    assert isinstance(build_auth("none", {"LOADTEST_API_KEY": "k"}), NoAuth)
    assert build_auth("api-key", {"LOADTEST_API_KEY": "k"}).headers("GET", "u", b"") == {"x-api-key": "k"}
    combined = build_auth("bearer", {"LOADTEST_API_KEY": "k", "LOADTEST_BEARER_TOKEN": "t"}, api_key_header="X-Key")
    assert isinstance(combined, CombinedAuth)
    assert combined.headers("POST", "u", b"") == {"X-Key": "k", "Authorization": "Bearer t"}
    refresh = build_auth("bearer", {"LOADTEST_CLIENT_ID": "c", "LOADTEST_REFRESH_TOKEN": "r"}, token_url="https://t")
    assert isinstance(refresh, BearerAuth) and refresh.provider is not None
    assert refresh.provider.grant == "refresh_token" and refresh.provider.token_use == "id"
    assert isinstance(build_auth("api-key", {"LOADTEST_API_KEY": "k"}), ApiKeyAuth)


@pytest.mark.parametrize(
    ("mode", "env", "message"),
    [
        ("api-key", {}, "LOADTEST_API_KEY"),
        ("bearer", {}, "LOADTEST_BEARER_TOKEN"),
        ("sigv4", {}, "--region"),
        ("basic", {}, "allowed"),
    ],
)
def test_build_auth_errors_say_what_is_missing(mode: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_auth(mode, env)
