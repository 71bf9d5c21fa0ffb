"""Text normalisation before detection, with an offset map back to the original text.

Obfuscated or merely unusual encodings of PII defeat ASCII-shaped recognizers: a zero-width space inside an SSN,
a full-width ``＠``, ``%40`` or ``&#64;`` in an e-mail, an en dash between SSN groups, ``john dot smith at example
dot com``. :func:`normalize` rewrites such pieces ("chunks") of the text into the form the recognizers know and
records, for every rewritten chunk, where it came from, so that spans found in the normalised text map back to the
exact original characters (redaction then replaces the original characters, including any zero-width characters
inside the span).

Rewrites, in order of precedence at a position:

* HTML character references with a trailing ``;`` (``&#64;``, ``&#x40;``, ``&commat;``, ``&nbsp;``), decoded with
  :func:`html.unescape` and then folded like any other text;
* URL %-escapes of characters that can be part of an identifier: letters, digits, ``@ . + - _`` and UTF-8
  encoded non-ASCII characters. Structural characters (``%20``, ``%2F``, ``%26``, ``%3D`` ...) are left encoded
  on purpose: decoding them would split URLs and ``key=value`` pairs that are detected whole today;
* spelled-out e-mails: ``name dot surname at example dot com``, ``john[at]example[dot]com``, ``john (at) example.com``
  (``at``/``dot`` in brackets, or as words when at least one ``dot`` is spelled out, so that ``I work at
  example.com`` is not turned into an address);
* a dash variant (soft hyphen, U+2010..U+2015, U+2212 minus, small/full-width hyphen) between two digits -> ``-``;
* format characters (Unicode category Cf: zero-width space/joiner/non-joiner, word joiner, BOM, soft hyphen
  elsewhere, bidi controls) -> removed;
* ideographic / half-width / full-width full stops -> ``.``;
* anything not already in NFKC form -> its NFKC compatibility form, applied per character cluster (a character
  and the combining marks after it): full-width letters and digits, ``＠``, no-break and other spaces -> space,
  ligatures.

The fast path costs almost nothing: pure-ASCII text without ``%``, ``&``, a bracketed ``[at]``/``(dot)``-style
separator or the word ``dot`` is returned as is (``None``) after three substring tests and one regex search;
non-ASCII text already in NFKC form without format characters, dash variants or full stops is also returned as is.

Hand-written (no library maps offsets through NFKC, entity decoding and %-decoding together); the per-chunk
transforms themselves are the standard library's (:mod:`unicodedata`, :mod:`html`, :mod:`urllib.parse`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

from pii_engine.model import Span
from pii_engine.patterns import lazy_re

# Unicode category Cf (format characters) as of Unicode 14 (tests check it against the running unicodedata).
CF_CLASS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Dash variants that separate digit groups: soft hyphen, hyphen .. horizontal bar, minus, small and full-width
# hyphen-minus, small em dash.
DASH_CLASS = "\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
STOP_CLASS = "\u3002\uff0e\uff61"
# Combining marks that attach to the character before them (NFKC composes them, so they form one cluster).
_COMB = "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f"

_SEP_WORD = r"(?:\s*(?:\[\s*{w}\s*\]|\(\s*{w}\s*\)|\{{\s*{w}\s*\}}|<\s*{w}\s*>)\s*|\s+{w}\s+)"
_AT = _SEP_WORD.format(w="(?:at|@)")
_DOT = _SEP_WORD.format(w="(?:dot|\\.)")
_LABEL = r"[^\W_](?:[\w+-]{0,62})"
# local part, spelled or real "@", domain with a spelled or real dot before an alphabetic TLD
_OBF_EMAIL = (
    rf"[^\W_](?<![\w.+-].)[\w+-]{{0,62}}(?:(?:{_DOT}|\.){_LABEL}){{0,8}}(?:{_AT}|@)"
    rf"{_LABEL}(?:(?:{_DOT}|\.){_LABEL}){{0,8}}(?:{_DOT}|\.)[^\W\d_]{{2,24}}(?![\w-])"
)
_SPELLED = lazy_re(_SEP_WORD.format(w="(?:at|@|dot|\\.)"), re.IGNORECASE)

# %-escapes worth decoding: identifier characters (0-9 A-Z a-z @ . + - _) and UTF-8 multi-byte sequences.
_PCT_ID = r"%(?:[346][0-9A-Fa-f]|[57][0-9Aa]|2[BbDdEe]|5[Ff]|40)"
_PCT_UTF8 = (
    r"%[CDcd][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f])|%[Ee][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}"
    r"|%[Ff][0-7](?:%[89ABab][0-9A-Fa-f]){3}"
)

OBF_EMAIL = lazy_re(_OBF_EMAIL, re.IGNORECASE)
_PARTS = (
    r"(?P<ent>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)",
    rf"(?P<pct>(?:{_PCT_ID}|{_PCT_UTF8})+)",
    rf"(?P<dash>[{DASH_CLASS}](?<=\d.)(?=\d))",
    rf"(?P<cf>[{CF_CLASS}]+)",
    rf"(?P<stop>[{STOP_CLASS}])",
)
_NFKC_PART = rf"(?P<nk>[^\x00-\x7f][{_COMB}]*|[\x00-\x7f][{_COMB}]+)"
#: Every rewrite except NFKC (for text already in NFKC form) / with NFKC (otherwise).
SPECIAL = lazy_re("|".join(_PARTS))
SPECIAL_NFKC = lazy_re("|".join((*_PARTS, _NFKC_PART)))
# Anything the non-NFKC rewrites could act on in non-ASCII text (a cheap existence test).
# What every spelled-out e-mail contains: a bracketed separator or the word "dot" (two regexes without IGNORECASE:
# each starts with a character class, so the regex engine skips to candidates in C).
_BRACKET_HINT = lazy_re(r"[\[({<]\s*(?:[aA][tT]|@|[dD][oO][tT]|\.)\s*[\])}>]")
_DOT_HINT = lazy_re(r"[dD](?<![^\W_].)[oO][tT](?![^\W_])")


def _obf_hint(text: str) -> bool:
    # each scan only when its cheap necessary condition holds (an opening bracket / "dot" in any case)
    if ("(" in text or "[" in text or "{" in text or "<" in text) and _BRACKET_HINT.search(text) is not None:
        return True
    return "dot" in text.lower() and _DOT_HINT.search(text) is not None


_NON_ASCII_HINT = lazy_re(rf"[&%{CF_CLASS}{DASH_CLASS}{STOP_CLASS}]")
_STOPS = str.maketrans(dict.fromkeys(STOP_CLASS, "."))
_CF_RE = lazy_re(f"[{CF_CLASS}]+")


def fold(s: str) -> str:
    """NFKC form of ``s`` with format characters removed and full stops unified (for decoded chunks)."""
    return _CF_RE.sub("", unicodedata.normalize("NFKC", s)).translate(_STOPS)


class Normalized:
    """Normalised text plus the offset map of its rewritten chunks.

    Chunk ``i`` is ``text[n_starts[i]:n_ends[i]]``, rewritten from ``original[o_starts[i]:o_ends[i]]``; chunks are
    disjoint and in order in both texts, and everything between chunks is copied unchanged.
    """

    __slots__ = ("n_ends", "n_starts", "o_ends", "o_starts", "original", "text")

    def __init__(self, original: str, text: str, chunks: list[tuple[int, int, int, int]]) -> None:
        self.original, self.text = original, text
        self.n_starts = [c[0] for c in chunks]
        self.n_ends = [c[1] for c in chunks]
        self.o_starts = [c[2] for c in chunks]
        self.o_ends = [c[3] for c in chunks]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised span ``[start, end)`` (non-empty): from the start of the original
        chunk holding its first character to the end of the one holding its last. Characters removed inside the span
        (zero-width, soft hyphens) are covered; removed characters at its edges are not."""
        return self._original(start, 0), self._original(end - 1, 1)

    def _original(self, pos: int, after: int) -> int:
        """Original offset of the start (``after`` 0) or the end (``after`` 1) of the normalised character ``pos``:
        the start/end of the chunk holding it, or the character's own offset shifted past the chunks before it."""
        i = bisect_right(self.n_starts, pos) - 1
        if i < 0:
            return pos + after
        if pos < self.n_ends[i]:
            return self.o_ends[i] if after else self.o_starts[i]
        return self.o_ends[i] + pos - self.n_ends[i] + after

    def map_spans(self, spans: list[Span]) -> tuple[list[Span], list[str]]:
        """Original spans of sorted, non-overlapping, non-empty normalised spans (valid, sorted, non-overlapping),
        with the normalised text of each (what a hash of the value should see).

        Two normalised spans can split one chunk (``"ﬁ"`` -> ``"fi"``); the later one then starts where the
        earlier one ends, and is dropped if nothing is left of it (its characters are redacted by the earlier one).
        """
        out: list[Span] = []
        values: list[str] = []
        prev_end = 0
        for s in spans:
            start, end = self.to_original(s.start, s.end)
            start = max(start, prev_end)
            if start < end:
                out.append(Span(s.type, start, end, s.score))
                values.append(self.text[s.start : s.end])
                prev_end = end
        return out, values


def needs_normalizing(text: str) -> bool:
    """False when :func:`normalize` would certainly return ``None`` (the cheap test of the fast path)."""
    if text.isascii():
        return "%" in text or "&" in text or _obf_hint(text)
    return not unicodedata.is_normalized("NFKC", text) or _NON_ASCII_HINT.search(text) is not None or _obf_hint(text)


def _decode_pct(run: str) -> str | None:
    # lazy: only text with %-escapes needs it
    from urllib.parse import unquote

    try:
        return unquote(run, errors="strict")
    except UnicodeDecodeError:
        return None


def _spelled_email_chunks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "@" or ".") for the separators of spelled-out e-mails in ``text``.

    An address counts as spelled out when a separator is bracketed (``[at]``, ``(dot)``) or a ``dot`` is spelled
    as a word; a lone spaced ``at`` before a real domain (``I work at example.com``) does not.
    """
    out: list[tuple[int, int, str]] = []
    for m in OBF_EMAIL.finditer(text):
        seps = list(_SPELLED.finditer(m.group()))
        if not seps:
            continue  # an ordinary address
        words = [sep.group().strip(" \t\r\n\f\v\xa0[](){}<>").lower() for sep in seps]
        bracketed = any(c in sep.group() for sep in seps for c in "[({<")
        if not bracketed and "dot" not in words:
            continue
        base = m.start()
        out.extend(
            (base + sep.start(), base + sep.end(), "@" if w in ("at", "@") else ".")
            for sep, w in zip(seps, words, strict=True)
        )
    return out


def normalize(text: str) -> Normalized | None:
    """``text`` normalised for detection with its offset map, or ``None`` when nothing in it needs rewriting."""
    if not needs_normalizing(text):
        return None
    rx = SPECIAL if text.isascii() or unicodedata.is_normalized("NFKC", text) else SPECIAL_NFKC
    found = _spelled_email_chunks(text) if _obf_hint(text) else []
    # the other rewrites, in the gaps between the spelled-out separators
    gaps, last = [], 0
    for a, b, _ in found:
        gaps.append((last, a))
        last = b
    gaps.append((last, len(text)))
    for g_start, g_end in gaps:
        for m in rx.finditer(text, g_start, g_end):
            kind, s = m.lastgroup, m.group()
            if kind == "ent":
                import html  # lazy: only text with character references needs it

                new = html.unescape(s)
                if new == s:
                    continue
                new = fold(new)
            elif kind == "pct":
                decoded = _decode_pct(s)
                if decoded is None:
                    continue
                new = fold(decoded)
            elif kind == "dash":
                new = "-"
            elif kind == "cf":
                new = ""
            elif kind == "stop":
                new = "."
            else:  # nk
                new = fold(s)
                if new == s:
                    continue
            found.append((m.start(), m.end(), new))
    if not found:
        return None
    found.sort()
    parts: list[str] = []
    chunks: list[tuple[int, int, int, int]] = []
    pos = npos = 0  # original / normalised offset of the end of what has been emitted
    for o_start, o_end, new in found:
        if o_start > pos:
            parts.append(text[pos:o_start])
            npos += o_start - pos
        parts.append(new)
        chunks.append((npos, npos + len(new), o_start, o_end))
        npos += len(new)
        pos = o_end
    parts.append(text[pos:])
    return Normalized(text, "".join(parts), chunks)
