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
