"""Regex helpers shared by the recognizers: lazily compiled patterns and factored literal alternations.

Every pattern in the recognizers is written so that it cannot backtrack catastrophically (separators are
mandatory between repeated digit runs) and most recognizers have a cheap substring prefilter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


class LazyPattern:
    """A regex compiled on first use (keeps ``import pii_engine`` cheap for Lambda cold starts).

    After the first attribute access the bound methods of the compiled pattern are cached on the instance,
    so later calls cost the same as on a plain ``re.Pattern``. Concurrent first use compiles twice at worst.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.source, self.source_flags = pattern, flags

    def __getattr__(self, name: str) -> Any:
        value = getattr(re.compile(self.source, self.source_flags), name)
        setattr(self, name, value)
        return value


def lazy_re(pattern: str, flags: int = 0) -> LazyPattern:
    """Lazily compiled regex (see :class:`LazyPattern`)."""
    return LazyPattern(pattern, flags)


def ascii_twin(rx: LazyPattern) -> LazyPattern:
    """``rx`` compiled with :data:`re.ASCII`, for texts where :attr:`pii_engine.context.Doc.ascii` holds.

    On such texts the two find the same matches (``\\w``, ``\\d`` and ``\\s`` mean the same there, and the only
    non-ASCII characters that match ASCII letters case-insensitively in Unicode mode, U+0130, U+0131, U+017F and
    U+212A, are not in the pattern); ASCII classes are tested from a table instead of the Unicode database, 10-20%
    faster on the scans that use them.
    """
    folds = ("\u0130", "\u0131", "\u017f", "\u212a")
    assert not any(c in rx.source or c.encode("unicode_escape").decode() in rx.source.lower() for c in folds)
    return LazyPattern(rx.source, rx.source_flags | re.ASCII)


def literal_alternation(words: Iterable[str]) -> str:
    """A regex matching exactly the given literal strings, factored by common prefixes ("jan|jun|jul" ->
    "j(?:an|u(?:n|l))"): the regex engine tries one branch per first character instead of every word.

    Only for existence tests or for words of one length (where at most one can match at a position).
    """
    heads: dict[str, list[str]] = {}
    for w in dict.fromkeys(words):
        heads.setdefault(w[:1], []).append(w[1:])
    alts = []
    for head, rests in heads.items():
        if not head:
            continue
        tails = [r for r in rests if r]
        if not tails:
            alts.append(re.escape(head))
        else:
            opt = "?" if "" in rests else ""
            alts.append(f"{re.escape(head)}(?:{literal_alternation(tails)}){opt}")
    return "|".join(alts)


# Patterns that must not start right after some characters consume their first character and then look
# behind over two characters ("\d(?<![\w.]\d)" rather than "(?=\d)(?<![\w.])"): a pattern that starts with a
# character class lets the regex engine skip to candidate positions in C instead of trying every position.
