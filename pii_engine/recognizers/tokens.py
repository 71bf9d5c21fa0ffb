"""Capitalised-word tokens shared by the name, place and address recognizers."""

from __future__ import annotations

from typing import NamedTuple

from pii_engine.patterns import lazy_re

_LATIN_CODES = (*range(0x41, 0x250), *range(0x1E00, 0x1F00))  # + Latin Extended Additional (Vietnamese "Tuấn")
_UP = "".join(chr(c) for c in _LATIN_CODES if chr(c).isupper() and chr(c).isalpha())
_LO = "".join(chr(c) for c in _LATIN_CODES if chr(c).islower() and chr(c).isalpha())
U, L = f"[{_UP}]", f"[{_LO}]"
# A capitalised word: "Smith", "O'Brien", "McDonald", "Jean-Luc", "Núñez".
CAP = rf"{U}(?:['’]{U})?{L}+(?:{U}{L}+)?(?:-(?:(?:la|le|les|lès|sur|sous|en|de|du|des|aux|au|am|an|im|der|upon|on)-)?{U}(?:['’]{U})?{L}+)*"
_PARTICLES = r"(?:de|del|della|di|da|dos|das|du|van|von|der|den|ter|le|la|bin|ibn|al|el|y|zu|am|sur|upon)"
assert CAP.startswith(U)
RUN_RE = lazy_re(  # first capital consumed, then the look-behind (see patterns.py)
    rf"{U}(?<![\w@./#$-]{U}){CAP[len(U) :]}(?:[ \t]+(?:{_PARTICLES}[ \t]+){{0,2}}(?:{CAP}|{U}\.(?=[ \t]+{U})))*(?![\w@])"
)
_TOKEN_RE = lazy_re(rf"{CAP}|{U}\.|{_PARTICLES}")


_new = tuple.__new__  # builds a NamedTuple without its __new__ (tokens are made in hot loops)


class _Tok(NamedTuple):
    start: int
    end: int
    word: str  # lower-cased
    is_particle: bool  # lower-case connector such as "de", "van"


def _tokens(text: str, start: int, end: int) -> list[_Tok]:
    return [
        _new(_Tok, (m.start(), m.end(), w.lower(), w[0].islower()))
        for m in _TOKEN_RE.finditer(text, start, end)
        for w in (m.group(),)
    ]
