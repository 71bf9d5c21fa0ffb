"""Pluggable second-tier detectors (e.g. Amazon Comprehend) merged with the rule-based first tier.

A second tier is any object with ``detect(text) -> list[Span]``; register a zero-argument factory under a name
and select it with ``EngineConfig(second_tier=name)``. Its spans go through the same ``min_score`` filter,
placeholder exclusion and overlap resolution as the rules. Errors from a second tier propagate (fail closed:
a record that could not be checked is not silently passed through).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from pii_engine.model import Span


class SecondTier(Protocol):
    """A detector run after the rules; its spans join the same overlap resolution."""

    def detect(self, text: str) -> list[Span]: ...


_REGISTRY: dict[str, Callable[[], SecondTier]] = {}


def register(name: str, factory: Callable[[], SecondTier]) -> None:
    """Register a second-tier factory under ``name`` (selected with ``EngineConfig(second_tier=name)``)."""
    _REGISTRY[name] = factory


def registered() -> frozenset[str]:
    """Names of registered second-tier detectors."""
    return frozenset(_REGISTRY)


def create(name: str) -> SecondTier:
    """Instantiate a registered second tier."""
    return _REGISTRY[name]()


class ComprehendSecondTier:
    """Amazon Comprehend ``DetectPiiEntities``, mapped onto this engine's entity types.

    boto3 is imported only when no client is injected. Text is sent in chunks that respect Comprehend's
    100 KB UTF-8 request limit; Comprehend offsets are code-point offsets, i.e. Python ``str`` offsets.
    """

    TYPE_MAP: ClassVar[dict[str, str]] = {
        "NAME": "PERSON",
        "ADDRESS": "STREET_ADDRESS",
        "EMAIL": "EMAIL_ADDRESS",
        "PHONE": "PHONE_NUMBER",
        "SSN": "US_SSN",
        "CREDIT_DEBIT_NUMBER": "CREDIT_CARD",
        "DATE_TIME": "DATE_TIME",
        "IP_ADDRESS": "IP_ADDRESS",
        "MAC_ADDRESS": "MAC_ADDRESS",
        "URL": "URL",
        "AGE": "AGE",
        "BANK_ACCOUNT_NUMBER": "US_BANK_NUMBER",
        "BANK_ROUTING": "ABA_ROUTING_NUMBER",
        "PASSPORT_NUMBER": "US_PASSPORT",
        "DRIVER_ID": "US_DRIVER_LICENSE",
        "AWS_ACCESS_KEY": "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY": "AWS_SECRET_KEY",
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER": "IBAN_CODE",
        "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": "US_ITIN",
    }

    def __init__(self, client: Any = None, language_code: str = "en", max_chars: int = 25_000) -> None:
        """``max_chars``: chunk size; 25,000 code points are at most 100 KB of UTF-8."""
        if client is None:
            import boto3  # lazy: the rule tier must not pay for boto3 at import time

            client = boto3.client("comprehend")
        self.client = client
        self.language_code = language_code
        self.max_chars = max_chars

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for offset in range(0, len(text), self.max_chars):
            chunk = text[offset : offset + self.max_chars]
            if not chunk.strip():
                continue
            resp = self.client.detect_pii_entities(Text=chunk, LanguageCode=self.language_code)
            for ent in resp.get("Entities", []):
                etype = self.TYPE_MAP.get(ent["Type"])
                if etype is not None:
                    spans.append(
                        Span(
                            etype,
                            offset + ent["BeginOffset"],
                            offset + ent["EndOffset"],
                            float(ent["Score"]),
                        )
                    )
        return spans


register("comprehend", ComprehendSecondTier)
