"""Post-deploy smoke test of a stage: one canary chat completion through the real auth path, then alarm states.

Run by the delivery pipeline's ``SmokeTest-<stage>`` CodeBuild step (``pipeline_stacks/constructs/delivery.py``)
after the stage's stacks deployed; exits non-zero (failing the pipeline stage) when:

* ``POST {SMOKE_API_URL}/v1/chat/completions`` does not answer 200 with an OpenAI ``chat.completion`` (``id``
  ``chatcmpl-...``, ``choices[0].message.content`` a non-empty string, ``usage``, header ``X-Conversation-Id``);
  a 503 ``no_model_deployed`` passes only with ``SMOKE_ALLOW_NO_MODEL=1`` (a stage deployed before its first
  promoted model);
* any CloudWatch metric or composite alarm whose name starts with ``SMOKE_ALARM_PREFIX`` is in ALARM.

Auth (``SMOKE_AUTH``): ``iam`` signs the request with SigV4 (service ``execute-api``) using the credentials of
``SMOKE_ROLE_ARN``; ``cognito`` reads the app client's secret (``SMOKE_USER_POOL_ID``/``SMOKE_CLIENT_ID``) and gets a
client-credentials token for ``SMOKE_SCOPE`` from ``SMOKE_TOKEN_URL``; ``none`` sends no credentials. With
``SMOKE_API_KEY_ID`` the key's value is read (``apigateway:GET``) and sent as ``X-Api-Key``. Every AWS call runs
as ``SMOKE_ROLE_ARN`` (assumed first; the stage account's ``SmokeTestAccess`` role) in ``SMOKE_REGION``.

Usage (locally, against a deployed stage): ``SMOKE_API_URL=https://... SMOKE_AUTH=iam python tools/smoke_test.py``.
Only the standard library and boto3/botocore: no other dependency to install in CodeBuild.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHAT_PATH = "v1/chat/completions"
#: The canary: short, deterministic-ish, nothing personal in it (interactions are stored, redacted).
CANARY_MESSAGES = [{"role": "user", "content": "Reply with the single word: ready"}]
NO_MODEL_CODE = "no_model_deployed"


@dataclass(frozen=True)
class Settings:
    """The smoke test's inputs, read from ``SMOKE_*`` environment variables (see the module docstring)."""

    api_url: str
    auth: str = "iam"
    region: str | None = None
    role_arn: str | None = None
    api_key_id: str | None = None
    user_pool_id: str | None = None
    client_id: str | None = None
    token_url: str | None = None
    scope: str | None = None
    alarm_prefix: str | None = None
    stage: str = "stage"
    allow_no_model: bool = False
    timeout_s: float = 60.0
    attempts: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate the ``SMOKE_*`` variables; ``ValueError`` names every missing one."""
        missing = [n for n in ("SMOKE_API_URL",) if not env.get(n)]
        auth = env.get("SMOKE_AUTH", "iam")
        if auth not in ("iam", "cognito", "none"):
            raise ValueError(f"SMOKE_AUTH={auth!r}; allowed: iam, cognito, none")
        if auth == "cognito":
            missing += [
                n for n in ("SMOKE_USER_POOL_ID", "SMOKE_CLIENT_ID", "SMOKE_TOKEN_URL", "SMOKE_SCOPE") if not env.get(n)
            ]
        if missing:
            raise ValueError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            api_url=env["SMOKE_API_URL"],
            auth=auth,
            region=env.get("SMOKE_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            role_arn=env.get("SMOKE_ROLE_ARN") or None,
            api_key_id=env.get("SMOKE_API_KEY_ID") or None,
            user_pool_id=env.get("SMOKE_USER_POOL_ID") or None,
            client_id=env.get("SMOKE_CLIENT_ID") or None,
            token_url=env.get("SMOKE_TOKEN_URL") or None,
            scope=env.get("SMOKE_SCOPE") or None,
            alarm_prefix=env.get("SMOKE_ALARM_PREFIX") or None,
            stage=env.get("SMOKE_STAGE", "stage"),
            allow_no_model=env.get("SMOKE_ALLOW_NO_MODEL") == "1",
            timeout_s=float(env.get("SMOKE_TIMEOUT_S", "60")),
            attempts=int(env.get("SMOKE_ATTEMPTS", "3")),
        )

    @property
    def chat_url(self) -> str:
        """``<api_url>/v1/chat/completions`` (an ``api_url`` already ending in ``/v1`` is accepted)."""
        base = self.api_url.rstrip("/")
        return f"{base.removesuffix('/v1')}/{CHAT_PATH}"


@dataclass
class Report:
    """What the smoke test found: failures fail the stage; notes are printed."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# ------------------------------------------------------------------ AWS session (the stage's smoke role)


def aws_session(settings: Settings) -> Any:
    """A boto3 session as ``settings.role_arn`` (assumed with the caller's credentials), or the caller's own."""
    import boto3

    base = boto3.Session(region_name=settings.region)
    if not settings.role_arn:
        return base
    creds = base.client("sts").assume_role(
        RoleArn=settings.role_arn, RoleSessionName=f"smoke-{settings.stage}"[:64], DurationSeconds=900
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=settings.region,
    )


def api_key_value(session: Any, key_id: str) -> str:
    """The value of API Gateway key ``key_id`` (``GetApiKey includeValue``)."""
    return str(session.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)["value"])


def client_credentials_token(session: Any, settings: Settings, opener: Any = urllib.request.urlopen) -> str:
    """An access token of the Cognito app client (client-credentials grant) for ``settings.scope``."""
    described = session.client("cognito-idp").describe_user_pool_client(
        UserPoolId=settings.user_pool_id, ClientId=settings.client_id
    )["UserPoolClient"]
    secret = described.get("ClientSecret")
    if not secret:
        raise RuntimeError(f"app client {settings.client_id} has no secret: client credentials need one")
    basic = base64.b64encode(f"{settings.client_id}:{secret}".encode()).decode()
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": settings.scope or ""}).encode()
    request = urllib.request.Request(
        str(settings.token_url),
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    with opener(request, timeout=settings.timeout_s) as response:
        token = json.loads(response.read())["access_token"]
    return str(token)


def sigv4_headers(
    session: Any, settings: Settings, url: str, body: bytes, headers: Mapping[str, str]
) -> dict[str, str]:
    """``headers`` plus the SigV4 signature (service ``execute-api``) of ``POST url`` with ``body``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign the request with")
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", settings.region or "us-east-1").add_auth(request)
    return dict(request.headers.items())


# ------------------------------------------------------------------ the canary completion


def canary_request(
    settings: Settings, session: Any | None, opener: Any = urllib.request.urlopen
) -> urllib.request.Request:
    """The signed/authorized ``POST /v1/chat/completions`` canary request."""
    body = json.dumps({"messages": CANARY_MESSAGES, "max_tokens": 16, "temperature": 0, "user": "smoke-test"}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.api_key_id:
        headers["X-Api-Key"] = api_key_value(session, settings.api_key_id)
    if settings.auth == "cognito":
        headers["Authorization"] = f"Bearer {client_credentials_token(session, settings, opener)}"
    elif settings.auth == "iam":
        headers = sigv4_headers(session, settings, settings.chat_url, body, headers)
    return urllib.request.Request(settings.chat_url, data=body, method="POST", headers=headers)


def check_completion(status: int, headers: Mapping[str, str], payload: bytes, settings: Settings) -> Report:
    """Judge one response of the chat API against the OpenAI ``chat.completion`` contract."""
    report = Report()
    try:
        document = json.loads(payload or b"null")
    except ValueError:
        document = None
    lower = {k.lower(): v for k, v in headers.items()}
    if status == 503 and isinstance(document, dict):
        code = (document.get("error") or {}).get("code")
        if code == NO_MODEL_CODE:
            if settings.allow_no_model:
                report.notes.append("503 no_model_deployed accepted (SMOKE_ALLOW_NO_MODEL=1): no model promoted yet")
            else:
                report.failures.append("503 no_model_deployed: the stage serves no model (promote one first)")
            return report
    if status != 200:
        report.failures.append(f"HTTP {status}: {payload[:500].decode(errors='replace')}")
        return report
    if not isinstance(document, dict):
        report.failures.append("the response is not a JSON object")
        return report
    if document.get("object") != "chat.completion":
        report.failures.append(f"object={document.get('object')!r}, expected 'chat.completion'")
    if not str(document.get("id", "")).startswith("chatcmpl-"):
        report.failures.append(f"id={document.get('id')!r}, expected 'chatcmpl-...'")
    choices = document.get("choices") or []
    content = choices[0].get("message", {}).get("content") if choices and isinstance(choices[0], dict) else None
    if not isinstance(content, str) or not content.strip():
        report.failures.append("choices[0].message.content is missing or empty")
    if not isinstance(document.get("usage"), dict):
        report.failures.append("usage is missing")
    if "x-conversation-id" not in lower:
        report.failures.append("header X-Conversation-Id is missing")
    if report.ok:
        report.notes.append(f"completion {document['id']} from model {document.get('model')!r}: {content!r:.80}")
    return report


def call_api(settings: Settings, session: Any | None, opener: Any = urllib.request.urlopen) -> Report:
    """Send the canary; 429/502/503 (except no_model_deployed)/504 and network errors are retried."""
    last = Report()
    for attempt in range(1, settings.attempts + 1):
        request = canary_request(settings, session, opener)
        try:
            with opener(request, timeout=settings.timeout_s) as response:
                status, headers, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, dict(error.headers or {}), error.read()
        except (urllib.error.URLError, TimeoutError) as error:
            status, headers, payload = 0, {}, str(error).encode()
        last = check_completion(status, headers, payload, settings)
        retryable = status in (0, 429, 502, 504) or (status == 503 and NO_MODEL_CODE.encode() not in payload)
        if last.ok or not retryable or attempt == settings.attempts:
            return last
        wait = min(float(headers.get("Retry-After", 2**attempt) or 2**attempt), 30.0)
        print(f"attempt {attempt}: {last.failures[0]}; retrying in {wait:.0f} s", flush=True)
        time.sleep(wait)
    return last


# ------------------------------------------------------------------ alarms


def alarms_in_alarm(cloudwatch: Any, prefix: str) -> list[str]:
    """Names of the metric and composite alarms named ``prefix*`` that are in ALARM."""
    names: list[str] = []
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(
        AlarmNamePrefix=prefix, StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    ):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            if alarm.get("StateValue") == "ALARM":  # re-checked: the server-side filter is not trusted alone
                names.append(alarm["AlarmName"])
    return sorted(names)


def check_alarms(session: Any, prefix: str) -> Report:
    """Fail when any alarm of the stage (``prefix*``) is in ALARM."""
    report = Report()
    firing = alarms_in_alarm(session.client("cloudwatch"), prefix)
    if firing:
        report.failures.append(f"alarms in ALARM: {', '.join(firing)}")
    else:
        report.notes.append(f"no alarm named {prefix}* is in ALARM")
    return report


def run(settings: Settings, session: Any | None = None, opener: Any = urllib.request.urlopen) -> Report:
    """The whole smoke test: canary completion, then alarms (both always run, so one log shows everything)."""
    needs_aws = settings.auth != "none" or settings.api_key_id or settings.alarm_prefix
    if session is None and needs_aws:
        session = aws_session(settings)
    report = Report()
    try:
        result = call_api(settings, session, opener)
    except Exception as error:  # auth failures (token endpoint, key read) fail the stage with their reason
        result = Report(failures=[f"canary request failed: {type(error).__name__}: {error}"])
    report.failures += result.failures
    report.notes += result.notes
    if settings.alarm_prefix:
        alarms = check_alarms(session, settings.alarm_prefix)
        report.failures += alarms.failures
        report.notes += alarms.notes
    return report


def main(env: Mapping[str, str] | None = None) -> int:
    """Entry point: prints what was checked; 0 when everything passed, 1 on a failure, 2 on bad settings."""
    try:
        settings = Settings.from_env(os.environ if env is None else env)
    except ValueError as error:
        print(f"smoke test: {error}", file=sys.stderr)
        return 2
    report = run(settings)
    for note in report.notes:
        print(f"ok   {note}")
    for failure in report.failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"smoke test of {settings.stage}: {'passed' if report.ok else 'FAILED'}", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
