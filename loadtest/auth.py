"""Request authentication for a deployed API: API key header, bearer token (Cognito), SigV4 (IAM).

The deployed front door wants an API key *and* either a Cognito token or a SigV4 signature, so the key combines with
either. Secrets come from the environment, never from the command line (where they would land in shell history and
in the report's config block):

- ``LOADTEST_API_KEY``: the API key (header ``x-api-key`` unless ``--api-key-header``).
- ``LOADTEST_BEARER_TOKEN``: a ready token (e.g. a Cognito ID token).
- ``LOADTEST_CLIENT_ID`` / ``LOADTEST_CLIENT_SECRET`` (+ ``--token-url``, ``--scope``): OAuth 2.0 client-credentials
  flow (a Cognito app client with a secret and a resource-server scope; yields an *access* token).
- ``LOADTEST_REFRESH_TOKEN`` / ``LOADTEST_CLIENT_ID`` (+ ``LOADTEST_CLIENT_SECRET`` when the client has one,
  ``--token-url``): refresh-token flow (yields an ID token and an access token; ``--token-use`` picks).
- SigV4: the default botocore credential chain (profile, env, SSO, instance role) for ``--region``/``--service``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Auth(Protocol):
    """Produces the headers that authenticate one request."""

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """Headers to add to the request ``method url`` with ``body``."""
        ...


class NoAuth:
    """No authentication (the local server)."""

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """No headers."""
        return {}


@dataclass
class ApiKeyAuth:
    """A static API key header (API Gateway usage-plan keys: ``x-api-key``)."""

    key: str
    header: str = "x-api-key"

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """``{header: key}``."""
        return {self.header: self.key}


TokenFetcher = Callable[[str, bytes, dict[str, str]], dict[str, Any]]


def _post_form(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """POST a form to a token endpoint and parse its JSON answer."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
    if not isinstance(payload, dict):
        raise ValueError(f"token endpoint {url} answered {type(payload).__name__}, not an object")
    return payload


@dataclass
class OAuthTokenProvider:
    """Fetches and caches a token from an OAuth 2.0 token endpoint (Cognito: ``https://<domain>/oauth2/token``).

    ``grant``: ``client_credentials`` (needs ``client_secret``; answers an access token) or ``refresh_token``
    (answers ``id_token`` and ``access_token``). ``token_use``: ``id`` or ``access``. The token is refreshed
    ``refresh_margin_s`` before ``expires_in`` runs out; concurrent users share one fetch.
    """

    token_url: str
    client_id: str
    grant: str = "client_credentials"
    client_secret: str | None = None
    refresh_token: str | None = None
    scope: str | None = None
    token_use: str = "access"
    refresh_margin_s: float = 60.0
    fetch: TokenFetcher = _post_form
    clock: Callable[[], float] = time.time
    _token: str | None = field(default=None, init=False, repr=False)
    _expires_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.grant not in ("client_credentials", "refresh_token"):
            raise ValueError(f"grant={self.grant!r}; allowed: client_credentials, refresh_token")
        if self.grant == "client_credentials" and not self.client_secret:
            raise ValueError("the client-credentials flow needs a client secret (LOADTEST_CLIENT_SECRET)")
        if self.grant == "refresh_token" and not self.refresh_token:
            raise ValueError("the refresh-token flow needs a refresh token (LOADTEST_REFRESH_TOKEN)")
        if self.token_use not in ("id", "access"):
            raise ValueError(f"token_use={self.token_use!r}; allowed: id, access")
        if self.grant == "client_credentials" and self.token_use == "id":
            raise ValueError("the client-credentials flow issues access tokens only (token_use='access')")

    def _request(self) -> tuple[bytes, dict[str, str]]:
        form: dict[str, str] = {"grant_type": self.grant, "client_id": self.client_id}
        if self.grant == "refresh_token" and self.refresh_token:
            form["refresh_token"] = self.refresh_token
        if self.scope:
            form["scope"] = self.scope
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.client_secret:
            basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        return urllib.parse.urlencode(form).encode(), headers

    def token(self) -> str:
        """A valid token, fetched when there is none or it is about to expire."""
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at - self.refresh_margin_s:
                body, headers = self._request()
                payload = self.fetch(self.token_url, body, headers)
                key = f"{self.token_use}_token"
                token = payload.get(key)
                if not isinstance(token, str) or not token:
                    raise ValueError(f"token endpoint answered no {key!r} (keys: {sorted(payload)})")
                self._token = token
                self._expires_at = self.clock() + float(payload.get("expires_in", 3600))
            return self._token


@dataclass
class BearerAuth:
    """``Authorization: <scheme> <token>`` from a static token or a :class:`OAuthTokenProvider`.

    ``scheme`` ``""`` sends the bare token (what some API Gateway Cognito authorizers expect).
    """

    token: str | None = None
    provider: OAuthTokenProvider | None = None
    scheme: str = "Bearer"

    def __post_init__(self) -> None:
        if (self.token is None) == (self.provider is None):
            raise ValueError("BearerAuth needs exactly one of a token or a token provider")

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """The ``Authorization`` header."""
        token = self.token if self.token is not None else self.provider.token()  # type: ignore[union-attr]
        return {"Authorization": f"{self.scheme} {token}" if self.scheme else token}


class SigV4Auth:
    """AWS Signature Version 4 (IAM-authorized API Gateway: service ``execute-api``), signed per request.

    Credentials come from botocore's default chain and are re-read per request, so refreshing credentials (SSO,
    instance roles) keep working through a long endurance run.
    """

    def __init__(self, region: str, service: str = "execute-api", session: Any = None) -> None:
        import botocore.session

        self.region = region
        self.service = service
        self._session = session or botocore.session.get_session()
        if self._session.get_credentials() is None:
            raise ValueError("SigV4 auth: no AWS credentials found in botocore's default chain")

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """``Authorization``, ``X-Amz-Date`` (and ``X-Amz-Security-Token`` for temporary credentials)."""
        from botocore.auth import SigV4Auth as BotocoreSigV4
        from botocore.awsrequest import AWSRequest

        credentials = self._session.get_credentials().get_frozen_credentials()
        request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
        BotocoreSigV4(credentials, self.service, self.region).add_auth(request)
        return {k: v for k, v in request.headers.items() if k.lower() != "content-type"}


@dataclass
class CombinedAuth:
    """Several auths at once (API key + bearer or SigV4); later headers win on a clash."""

    parts: list[Any]

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """The union of every part's headers."""
        out: dict[str, str] = {}
        for part in self.parts:
            out.update(part.headers(method, url, body))
        return out


def build_auth(
    mode: str,
    env: Mapping[str, str],
    *,
    api_key_header: str = "x-api-key",
    token_url: str | None = None,
    scope: str | None = None,
    token_use: str | None = None,
    scheme: str = "Bearer",
    region: str | None = None,
    service: str = "execute-api",
) -> Any:
    """An :class:`Auth` for ``mode`` (``none``, ``api-key``, ``bearer``, ``sigv4``) with secrets from ``env``.

    An API key in ``LOADTEST_API_KEY`` is added to any mode (the deployed front door needs key + token/signature).
    """
    parts: list[Any] = []
    api_key = env.get("LOADTEST_API_KEY")
    if mode == "api-key" and not api_key:
        raise ValueError("--auth api-key needs LOADTEST_API_KEY in the environment")
    if api_key and mode != "none":
        parts.append(ApiKeyAuth(api_key, api_key_header))
    if mode == "bearer":
        if env.get("LOADTEST_BEARER_TOKEN"):
            parts.append(BearerAuth(token=env["LOADTEST_BEARER_TOKEN"], scheme=scheme))
        elif token_url and env.get("LOADTEST_CLIENT_ID"):
            refresh = env.get("LOADTEST_REFRESH_TOKEN")
            grant = "refresh_token" if refresh else "client_credentials"
            provider = OAuthTokenProvider(
                token_url=token_url,
                client_id=env["LOADTEST_CLIENT_ID"],
                client_secret=env.get("LOADTEST_CLIENT_SECRET") or None,
                refresh_token=refresh,
                grant=grant,
                scope=scope,
                token_use=token_use or ("id" if grant == "refresh_token" else "access"),
            )
            parts.append(BearerAuth(provider=provider, scheme=scheme))
        else:
            raise ValueError(
                "--auth bearer needs LOADTEST_BEARER_TOKEN, or --token-url with LOADTEST_CLIENT_ID and "
                "LOADTEST_CLIENT_SECRET (client credentials) or LOADTEST_REFRESH_TOKEN (refresh token)"
            )
    elif mode == "sigv4":
        if not region:
            raise ValueError("--auth sigv4 needs --region")
        parts.append(SigV4Auth(region, service))
    elif mode not in ("none", "api-key"):
        raise ValueError(f"auth={mode!r}; allowed: none, api-key, bearer, sigv4")
    if not parts:
        return NoAuth()
    return parts[0] if len(parts) == 1 else CombinedAuth(parts)
