"""Lazily created, process-wide boto3 clients with explicit timeouts and bounded retries.

boto3 is imported on first use, not at module import, to keep the Lambda cold import small.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Protocol

from frontdoor.config import settings


@cache
def _session() -> Any:
    """One boto3 session so the clients share its loaded service models and credentials."""
    import boto3

    return boto3.session.Session()


def _client(service: str, connect_s: float, read_s: float, attempts: int) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_s,
        read_timeout=read_s,
        retries={"mode": "standard", "max_attempts": attempts},
        tcp_keepalive=True,
    )
    return _session().client(service, config=config)


@cache
def sagemaker_runtime() -> Any:
    """``sagemaker-runtime`` client for ``invoke_endpoint``."""
    s = settings()
    return _client("sagemaker-runtime", s.model_connect_timeout_s, s.model_read_timeout_s, s.model_max_attempts)


@cache
def bedrock_runtime() -> Any:
    """``bedrock-runtime`` client for ``converse``."""
    s = settings()
    return _client("bedrock-runtime", s.model_connect_timeout_s, s.model_read_timeout_s, s.model_max_attempts)


def storage_client(service: str, timeout_s: float) -> Any:
    """A storage client (S3, DynamoDB) bounded by ``timeout_s``: connect within ``min(1 s, timeout_s)``, two
    attempts, so a slow store never stalls a response."""
    return _client(service, min(1.0, timeout_s), timeout_s, 2)


@cache
def s3() -> Any:
    """S3 client for interaction/feedback records: short timeouts so logging never stalls a response."""
    return storage_client("s3", settings().storage_timeout_s)


class StorageSettings(Protocol):
    """What :class:`LazyStorageClient` reads from the settings."""

    @property
    def storage_timeout_s(self) -> float:
        """Seconds one storage call may take."""
        ...


class LazyStorageClient:
    """Base of a store that calls one storage ``service``: its :func:`storage_client`, created on first use."""

    service: ClassVar[str]

    def __init__(self, s: StorageSettings) -> None:
        self.s = s
        self._client: Any = None

    def client(self) -> Any:
        """The ``service`` client, bounded by the settings' ``storage_timeout_s``."""
        if self._client is None:
            self._client = storage_client(self.service, self.s.storage_timeout_s)
        return self._client
