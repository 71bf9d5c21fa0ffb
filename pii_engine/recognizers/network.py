"""Network and credential identifiers: EMAIL_ADDRESS, URL, IP_ADDRESS, MAC_ADDRESS, AWS_ACCESS_KEY, AWS_SECRET_KEY."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pii_engine import validators as v
from pii_engine.context import Doc, Recognizer
from pii_engine.model import Span
from pii_engine.patterns import lazy_re
from pii_engine.recognizers.scan import _rescan, number_starts

# --------------------------------------------------------------------------------------------- email / url / ip / mac

# Domain labels and TLD take any letters, so internationalized domains (bücher.example, 例え.テスト) are found.
EMAIL_RE = lazy_re(
    r"(?<![\w.+-])[\w.+-]{1,64}@[^\W_](?:[\w-]{0,61}[^\W_])?(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)*\.[^\W\d_]{2,24}(?![\w-])"
)
URL_RE = lazy_re(
    r"(?<![\w@])(?:(?:https?|ftp|sftp|s3)://|www\.)[^\s<>\"'`{}|\\^\[\]]+",
    re.IGNORECASE,
)
_URL_TRAIL = ".,;:!?)'\"*"
IPV4_RE = lazy_re(r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
IPV6_RE = lazy_re(
    r"(?=[0-9A-Fa-f:])(?<![\w:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])"
)
MAC_RE = lazy_re(
    r"[0-9A-Fa-f](?<![\w:-][0-9A-Fa-f])(?:[0-9A-Fa-f]([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-])"
)


def find_email(text: str, doc: Doc) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in EMAIL_RE.finditer(text):
        local = m.group().split("@", 1)[0]
        if local.startswith(".") or local.endswith(".") or ".." in local:
            continue
        yield Span("EMAIL_ADDRESS", m.start(), m.end(), 0.95)


def find_url(text: str, doc: Doc) -> Iterator[Span]:
    if "://" not in text and "www." not in doc.lower:
        return
    for m in URL_RE.finditer(text):
        s = m.group()
        end = m.end()
        while s and s[-1] in _URL_TRAIL:
            if s[-1] == ")" and s.count("(") >= s.count(")"):
                break
            s = s[:-1]
            end -= 1
        if len(s) > 8:
            yield Span("URL", m.start(), end, 0.9)


def find_ip(text: str, doc: Doc) -> Iterator[Span]:
    if not doc.has_digit:
        return
    if "." in text:
        for m in _rescan(IPV4_RE, text, number_starts(text, doc)["ip"]):
            if v.ipv4_ok(m.group()) and not doc.negated(m.start()):
                yield Span("IP_ADDRESS", m.start(), m.end(), 0.9)
    if "::" in text or text.count(":") >= 7:
        for m in IPV6_RE.finditer(text):
            s = m.group()
            if any(c.isdigit() for c in s) and v.ipv6_ok(s):
                yield Span("IP_ADDRESS", m.start(), m.end(), 0.9)


def find_mac(text: str, doc: Doc) -> Iterator[Span]:
    if text.count(":") < 5 and text.count("-") < 5 and text.count(".") < 2:
        return
    for m in MAC_RE.finditer(text):
        yield Span("MAC_ADDRESS", m.start(), m.end(), 0.9)


# --------------------------------------------------------------------------------------------- aws

AWS_ACCESS_RE = lazy_re(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|ROA|IDA|GPA|NPA|NVA|IPA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])")
AWS_SECRET_RE = lazy_re(r"[A-Za-z0-9/+](?<![A-Za-z0-9/+=][A-Za-z0-9/+])[A-Za-z0-9/+]{39}(?![A-Za-z0-9/+=])")


def find_aws(text: str, doc: Doc) -> Iterator[Span]:
    for m in AWS_ACCESS_RE.finditer(text):
        yield Span("AWS_ACCESS_KEY", m.start(), m.end(), 0.95)
    # a secret is 40 non-space characters, so it lies in one whitespace-separated chunk of at least 40
    if len(text) < 40 or max(map(len, text.split()), default=0) < 40:
        return
    for m in AWS_SECRET_RE.finditer(text):
        s = m.group()
        if not (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)):
            continue
        if doc.has_context("AWS_SECRET_KEY", m.start(), m.end(), 60):
            yield Span("AWS_SECRET_KEY", m.start(), m.end(), 0.95)
        elif "/" in s or "+" in s:
            yield Span("AWS_SECRET_KEY", m.start(), m.end(), 0.6)


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {
    "email": (find_email, frozenset({"EMAIL_ADDRESS"})),
    "url": (find_url, frozenset({"URL"})),
    "ip": (find_ip, frozenset({"IP_ADDRESS"})),
    "mac": (find_mac, frozenset({"MAC_ADDRESS"})),
    "aws": (find_aws, frozenset({"AWS_ACCESS_KEY", "AWS_SECRET_KEY"})),
}
