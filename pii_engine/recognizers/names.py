"""PERSON, STREET_ADDRESS and LOCATION detection: gazetteers + address grammar + context cues.

Gazetteers (census first/last names, GeoNames cities/countries/US states; see ``data/NOTICE``) are loaded
lazily, once per process, on the first call that needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from pii_engine.context import _TAIL_STRIP, _WORD_STRIP, Doc, Recognizer
from pii_engine.model import Span
from pii_engine.patterns import lazy_re
from pii_engine.recognizers.addresses import (
    _FR_WAY_HINT_RE,
    _FR_WAYS,
    _find_addresses,
    _run_addresses,
)
from pii_engine.recognizers.tokens import RUN_RE, U, _Tok, _tokens

TYPES = frozenset({"PERSON", "STREET_ADDRESS", "LOCATION"})


@dataclass(frozen=True, slots=True)
class Gazetteers:
    """Lower-cased name sets shipped as package data."""

    first: frozenset[str]
    last: frozenset[str]
    cities: frozenset[str]
    regions: frozenset[str]
    words: frozenset[str]  # ordinary words of 20 languages (not names): see tools/build_gazetteers.py
    en_common: frozenset[str]  # the 10,000 most frequent English words
    # first word -> lengths of the multi-word places starting with it, longest first (tuples of ints are not tracked
    # by the cyclic garbage collector, unlike per-length sets: full collections stay cheap)
    multi: dict[str, tuple[int, ...]]
    multi_places: frozenset[str]  # every multi-word city/region
    # words at which a multi-word region can be reported, and the lower-case words of en_common/_SKIP_SINGLE/_EVERYDAY_PLACES that
    # :func:`_cased_places` never reports: with them, most texts are ruled out without a Python loop over their words
    region_heads: frozenset[str]
    lower_quiet: frozenset[str]


_LOCK = threading.Lock()
_GAZ: Gazetteers | None = None


def _load(name: str) -> frozenset[str]:
    import gzip  # lazy: only the first PERSON/LOCATION check of a process pays for it
    from importlib import resources

    with resources.files("pii_engine").joinpath("data", name).open("rb") as raw:
        # (filter(None, ...) drops empty lines in the same pass; "- {''}" would copy the whole set)
        return frozenset(filter(None, gzip.decompress(raw.read()).decode("utf-8").split("\n")))


def gazetteers() -> Gazetteers:
    """The process-wide gazetteers (loaded on first use, thread-safe)."""
    global _GAZ
    if _GAZ is None:
        with _LOCK:
            if _GAZ is None:
                cities, regions = _load("cities.txt.gz"), _load("regions.txt.gz")
                en_common = _load("en_common.txt.gz")
                multi_places = frozenset(p for p in cities if " " in p) | frozenset(p for p in regions if " " in p)
                by_first: dict[str, set[int]] = {}
                for place in multi_places:
                    by_first.setdefault(place.partition(" ")[0], set()).add(len(place))
                lengths = {k: tuple(sorted(v, reverse=True)) for k, v in by_first.items()}
                # the lower-case loop reports a multi-word place at a word (a maximal run of letters) when the text
                # there is a region longer than the word: the word is then the run of letters that region starts with
                runs = (_LETTERS.match(r) for r in regions)
                heads = frozenset(m.group() for m in runs if m is not None and m.end() < len(m.string))
                _GAZ = Gazetteers(
                    _load("first_names.txt.gz"),
                    _load("last_names.txt.gz"),
                    cities,
                    regions,
                    _load("words.txt.gz"),
                    en_common,
                    lengths,
                    multi_places,
                    heads,
                    frozenset(
                        w
                        for w in en_common | _SKIP_SINGLE | _EVERYDAY_PLACES
                        if not _lower_place_word(w, heads, cities, regions, en_common)
                    ),
                )
    return _GAZ


TITLES = frozenset(
    """dr mr mrs ms miss mx prof sir dame lord lady herr frau dott sig sra sr srta dña don doña mme
        mlle m monsieur madame señor señora shri smt sri kumari rev fr pastor nurse judge capt col
        gen sgt lt
    """.split()  # noqa: SIM905
)
# Capitalised words inside a run that announce a name after them ("Dear Anna", "Daughter Kavya", "Pt Ruiz").
CUE_WORDS = frozenset(
    """patient pt dear hi hey hello hiya hola bonjour hallo ciao namaste thanks regards sincerely
        cheers daughter son wife husband mother father brother sister spouse partner guardian doctor
        physician nurse customer client user contact kontakt attn from to cc signed author recipient
        sender holder owner employee applicant member paciente patientin
    """.split()  # noqa: SIM905
)
_STRONG_CUES = frozenset(
    """name named called its it's im i'm dear hi hello hey hiya hola bonjour hallo geehrte geehrter
        geehrte/r liebe lieber estimado estimada querido querida cher chère thanks regards sincerely
        cheers best signed son daughter wife husband mother father brother sister spouse partner
        guardian mom dad physician doctor provider surgeon clinician customer client user agent
        employee applicant member holder owner pt patient patientin patiente paciente
    """.split()  # noqa: SIM905
) | {
    "name is",
    "i am",
    "this is",
    "thank you",
    "seen by",
    "referred by",
    "referred to",
    "examined by",
    "treated by",
    "spoke with",
    "spoke to",
    "met with",
    "assigned to",
    "reported by",
    "ask for",
    "emergency contact",
    "patient name",
    "je m'appelle",
    "ich heiße",
    "ich bin",
    "me llamo",
    "my name",
    "next of kin",
    "mi nombre es",
    "mein name ist",
    "my name is",
}
# "<word>: Name" labels.
_COLON_CUES = _STRONG_CUES | frozenset(
    "from to cc contact kontakt attn label recipient sender signed author nurse nom nombre von de".split()  # noqa: SIM905
)
_WEAK_CUES = frozenset(
    "for with and per by from to cc & und et y con avec mit para pour für".split()  # noqa: SIM905
)
_LOC_PREPS = frozenset(
    "in from to at near of visiting nach aus bei à en de desde a city town ciudad ville stadt".split()  # noqa: SIM905
)
_LOC_STRONG = frozenset(
    {
        "lives in",
        "living in",
        "live in",
        "moved to",
        "moving to",
        "born in",
        "based in",
        "located in",
        "resident of",
        "relocated to",
        "resides in",
        "reside in",
        "traveled to",
        "travelled to",
        "grew up in",
        "wohnt in",
        "habite à",
        "vive en",
        "city",
        "town",
        "ville",
        "ciudad",
        "stadt",
        "ort",
    }
)


class _Cues(NamedTuple):
    """What the words right before a capitalised piece say about it."""

    person: bool  # strong cue: title, "Patient:", "name is", "Dear", relation words
    weak: bool  # "for", "with", "and", ... directly before
    prep: bool  # location preposition ("in", "from", ...)
    strong_place: bool  # "lives in", "moved to", "City:" ...


_NO_CUES = _Cues(False, False, False, False)
_new = tuple.__new__  # builds a NamedTuple without the Python-level __new__ call


# Last words of the multi-word phrases (a two/three-word phrase can only end with one of them).
_STRONG_TAILS = frozenset(p.rsplit(" ", 1)[1] for p in _STRONG_CUES if " " in p)
_LOC_TAILS = frozenset(p.rsplit(" ", 1)[1] for p in _LOC_STRONG if " " in p)


def _phrase_in(raw: list[str], last: str, phrases: frozenset[str]) -> bool:
    """Whether the last two or three of ``raw`` (two or three words; ``last`` is the last one stripped) are a phrase."""
    w2 = raw[-2].strip(_WORD_STRIP)
    return f"{w2} {last}" in phrases or (len(raw) > 2 and f"{raw[-3].strip(_WORD_STRIP)} {w2} {last}" in phrases)


def _cues_before(text: str, lower: str, start: int) -> _Cues:
    # tail_words(window) and a phrase-suffix test inlined: this runs once per capitalised piece
    window = lower[max(0, start - 32) : start]
    body = window.rstrip(_TAIL_STRIP)
    raw = body.rsplit(None, 3)[-3:]  # the last words; each stripped of _WORD_STRIP where it is looked at
    if not raw:
        return _NO_CUES
    punct = window[len(body) :]
    last = raw[-1].strip(_WORD_STRIP)
    n = len(raw)
    bare = not punct.strip()
    person = (
        (
            last.rstrip(".") in TITLES
            and bare
            and window[-1:] in (" ", "\t")
            # "... the nurse. Revenue" / "210 ms. Voters": a sentence end, not a title
            and not (last.endswith(".") and (len(last) > 5 or (n > 1 and raw[-2].strip(_WORD_STRIP)[:1].isdigit())))
        )
        or (":" in punct and last in _COLON_CUES)
        or last in _STRONG_CUES
        or (n > 1 and last in _STRONG_TAILS and _phrase_in(raw, last, _STRONG_CUES))
        or (("-" in window or "\u2014" in window) and window.rstrip().endswith(("--", "\u2014")))
    )
    strong_place = last in _LOC_STRONG or (n > 1 and last in _LOC_TAILS and _phrase_in(raw, last, _LOC_STRONG))
    return _new(_Cues, (person, bare and last in _WEAK_CUES, last in _LOC_PREPS, strong_place))


_CUE_AFTER = lazy_re(
    r"\s*(?:\((?:wife|husband|son|daughter|mother|father|sister|brother|spouse|partner|friend|guardian|patient|pt|age\b|"
    r"\d{1,3}\s*(?:y/?o|yo|years?)|[\w.+-]+@|mrn|dob)|<[\w.+-]+@|\s+is\s+an?\s+\d{1,3}[- ](?:year|yo|y/o)"
    r"|,\s*(?:an?\s+)?\d{1,3}[- ](?:year|yo|y/o)|,?\s+(?:MD|M\.D\.|RN|PhD|DDS|NP)\b(?![ \t]*\d))",
)
_SPEECH_AFTER = lazy_re(
    r"[ \t]+(?:said|says|asked|asks|told|tells|wrote|writes|replied|replies|reported|reports|called|calls|"
    r"mentioned|mentions|explained|explains|stated|states|confirmed|confirms|complained|complains|denies|denied)\b"
)
_LOWER_NAME_CUE = lazy_re(
    r"(?:my name is|name's|i am|i'm|this is|call me|je m'appelle|ich heiße|me llamo)\s+([a-z]{2,})(?:\s+([a-z]{2,}))?"
)
_AFTER_REGION = lazy_re(r",[ \t]*([A-Z][\w'’. -]{1,60})")
_PLACE_SUFFIXES = (
    "ville",
    "burgh",
    "borough",
    "bury",
    "chester",
    "haven",
    "mouth",
    "furt",
    "stadt",
    "hausen",
    "dorf",
    "ingen",
    "shire",
    "port",
    "town",
    "fort",
    "side",
    "land",
    "view",
    "berg",
    "stad",
    "ton",
    "field",
    "ford",
    "mont",
    "court",
    "pur",
    "abad",
    "nagar",
    "garh",
)
_HYPHEN_PLACE = lazy_re(r"-(?:sur|sous|lès|les|la|le|en|de|du|aux|au|am|an|im|upon|on)-")
_PLACE_PREFIX = frozenset(
    {
        "north",
        "south",
        "east",
        "west",
        "new",
        "lake",
        "port",
        "fort",
        "saint",
        "st",
        "san",
        "santa",
        "mount",
        "bad",
        "sainte",
        "le",
        "la",
        "los",
        "las",
        "el",
    }
)

# Capitalised words that are not names even when a census list contains them (sentence starters, calendar,
# clinical/tech vocabulary).
COMMON = frozenset(
    """hiring valued colleagues friends partners members the a an this that these those there here then than and or but if when while where what
        which who whom whose why how i we you he she it they me us him her them my our your his its
        their mine yours ours not no yes ok okay please thank best welcome sorry note notes see also
        per via for with without into onto upon lol about above after again against all am any are
        as at be because been before being below between both by can could did do does doing down
        during each few further had has have having in is just more most must of off on once only
        other out over own same should so some such too under until up very was were will would old
        next last first second third final monday tuesday wednesday thursday friday saturday sunday
        today tomorrow yesterday tonight morning evening night week month year january february
        march april may june july august september october november december jan feb mar apr jun jul
        aug sep sept oct nov dec patients hospital clinic medical record records chart history
        diagnosis diagnoses plan assessment exam examination allergies allergy medications
        medication meds prescription pain blood pressure heart rate temp temperature discharge
        admitted admission visit visits follow followup lab labs results result test tests report
        reports summary chief complaint symptoms symptom treatment therapy surgery procedure care
        emergency room unit ward department dept insurance policy claim claims billing invoice order
        orders payment account accounts customers support ticket tickets issue issues bug bugs fix
        fixed fixes feature features release released version changelog added removed changed
        deprecated update updated updates upgrade build builds testing error errors warning warnings
        info debug trace exception failed failure success status true false none null python java
        javascript node rust go ruby docker kubernetes linux windows macos ubuntu server api http
        https json yaml xml html css sql data database table column row file files path directory
        config users admin root system service services request response handler manager module
        package class function method street road avenue lane drive court place way boulevard suite
        apt apartment floor building room box central upper lower great little river park hill green
        madam team everyone folks guys amazon google microsoft apple visual studio code web chrome
        cloud kindly let get got make made take use used using call called send sent reply forward
        subject re fw fwd attached attachment message email phone mobile address name date time day
        age sex gender male female dob company corp inc llc ltd gmbh co group bank good great fine
        well better worse bad normal stable unremarkable negative positive
    """.split()  # noqa: SIM905
)


_SKIP_SINGLE = COMMON | TITLES | CUE_WORDS  # a lone capitalised word from these is never an entity itself


# ------------------------------------------------------------------------------------------------ people and places


def _is_namey(word: str, g: Gazetteers) -> bool:
    return word in g.first or word in g.last


def _score_person(words: list[str], g: Gazetteers, cue: bool, weak_cue: bool) -> float:
    if not words or len(words) > 5:
        return 0.0
    if cue:
        return 0.9
    first, last = words[0], words[-1]
    first_known = first in g.first or ("-" in first and first.split("-")[0] in g.first)
    last_known = last in g.last or ("-" in last and last.split("-")[-1] in g.last)
    if len(words) >= 2:
        if first_known and (last_known or words[-1] in g.first):
            return 0.85
        if first_known or (weak_cue and last_known):
            return 0.75
        return 0.7 if weak_cue and len(words) <= 3 and not all(w in g.words for w in words) else 0.0
    return 0.75 if weak_cue and first_known else 0.0


def _known_first(word: str, g: Gazetteers) -> bool:
    """A first name of the gazetteer that is not an ordinary word ("Ingrid", "Jan-Willem"; not "Grace")."""
    return (word in g.first or ("-" in word and word.split("-")[0] in g.first)) and word not in g.words


# Endings of English/Latin technical and clinical words that person names do not have ("histology", "lactate",
# "auscultation", "fibroadenoma" are not in the vocabulary of ordinary words but are not names either).
_TERM_ENDINGS = (
    "ology", "ologist", "ation", "ition", "ution", "sion", "ment", "ness", "ity", "ism", "itis", "osis", "ectomy",
    "otomy", "emia", "aemia", "ase", "ate", "ide", "ine", "ium", "oma", "ics", "ical", "ive", "ing", "ed", "ful",
    "less", "able", "ible", "ise", "ize", "ous", "ary", "ory", "ency", "ance", "ence", "phy", "gram", "scopy",
    "lysis", "pathy", "plasty", "ware", "form", "ship", "logy", "ist", "ists", "ers", "ies",
)  # fmt: skip


def _unknown(word: str, g: Gazetteers) -> bool:
    """Neither an ordinary word, nor a known name or place, nor a safe term: a name/place candidate (recall)."""
    return (  # (set lookups first: most words are in one, and the suffix test tries each ending)
        len(word) > 2
        and word not in g.words
        and word not in g.first
        and word not in g.last
        and word not in g.cities
        and word not in g.regions
        and word not in _SKIP_SINGLE
        and not word.endswith(_TERM_ENDINGS)
    )


def _loose_person(words: list[str], g: Gazetteers, recall: bool) -> float:
    """PERSON score without a cue: a first name that is not an ordinary word ("Thanks, Ingrid." / "Ingrid will
    call"), and in the recall profile also capitalised words that are neither ordinary words nor known places
    ("Matheus", "Babatunde Babangida")."""
    n = len(words)
    if n > 4:
        return 0.0
    phrase = " ".join(words)
    place = phrase in g.cities or phrase in g.regions
    if n == 1:
        w = words[0]
        if _known_first(w, g) and not place:
            return 0.7 if recall else 0.6
        return 0.6 if recall and _unknown(w, g) else 0.0
    if any(_known_first(w, g) for w in words) and not place:
        return 0.75 if recall else 0.65
    if (
        recall
        and not place
        and all(_unknown(w, g) or w in g.first or w in g.last for w in words)
        and any(_unknown(w, g) for w in words)
    ):
        return 0.65
    return 0.0


def _place_score(words: list[str], g: Gazetteers, prep: bool, strong: bool) -> float:
    phrase = " ".join(words)
    if phrase in g.regions:
        return 0.9
    if phrase in g.cities:
        if prep or strong:
            return 0.85
        if len(words) == 1 and (_is_namey(words[0], g) or words[0] in g.words):
            return 0.45
        return 0.75
    last = words[-1]
    if len(words) >= 2 and words[0] in _PLACE_PREFIX and (_is_namey(last, g) or last.endswith(_PLACE_SUFFIXES)):
        return 0.8 if prep or strong else 0.6
    if strong and len(words) <= 3:
        return 0.8
    if last.endswith("bourg") or ("-" in last and _HYPHEN_PLACE.search(last)):
        return 0.75 if prep else 0.65
    if len(words) <= 2 and len(last) > 6 and last.endswith(_PLACE_SUFFIXES):
        return 0.7 if prep else 0.55
    return 0.0


def _pieces(toks: list[_Tok], g: Gazetteers) -> Iterator[tuple[list[_Tok], bool, bool]]:
    """Split a capitalised run at common words, titles and cue words.

    Yields (piece, cued, titled_run): ``cued`` when a title or cue word precedes the piece; ``titled_run`` when a
    capitalised common word precedes it inside the same run (Title Case text such as headings, where a lower-case
    weak cue like "and" is not evidence of a name). A common word that is also a surname stays when it follows a
    known first name ("Cameron Ward").
    """
    cur: list[_Tok] = []
    cued = titled_run = False
    for t in toks:
        bare = t.word.rstrip(".")
        if t.is_particle and not cur:
            continue
        if bare in COMMON and len(cur) == 1 and cur[0].word in g.first and bare in g.last:
            cur.append(t)
            continue
        if bare in TITLES or bare in CUE_WORDS or (bare in COMMON and not t.is_particle):
            while cur and cur[-1].is_particle:
                cur.pop()
            if cur:
                yield cur, cued, titled_run
            cued = bare in TITLES or bare in CUE_WORDS
            titled_run = titled_run or not cued
            cur = []
            continue
        cur.append(t)
    while cur and cur[-1].is_particle:
        cur.pop()
    if cur:
        yield cur, cued, titled_run


# Country names that are also everyday lower-case words: matched only when capitalised.
_LETTERS = lazy_re(r"[^\W\d_]+")  # the letters of _LOWER_WORD_RE
_LETTER_RUNS = lazy_re(r"[^\W\d_]{4,}")
_ASCII_RUNS = lazy_re(r"[a-z]{4,}")  # the same in lower-case ASCII text
_EVERYDAY_PLACES = frozenset(
    "turkey chad jordan georgia china guinea jersey chile niger man us oman mali peru".split()  # noqa: SIM905
)
_CAPS_RE = lazy_re(rf"{U}{U}(?<![\w@./#-]{U}{U}){U}+(?:[ \t-]+{U}{U}+){{0,2}}(?![\w@])")
_LOWER_WORD_RE = lazy_re(r"(?<![\w@./#-])[^\W\d_A-Z][^\W\d_]{3,}")
_LOWER_PREPS = frozenset("in from to at near of visiting nach aus i från til w z do en a à".split())  # noqa: SIM905


def _lower_place_word(
    word: str, heads: frozenset[str], cities: frozenset[str], regions: frozenset[str], en_common: frozenset[str]
) -> bool:
    """Whether the lower-case loop of :func:`_cased_places` can report something at ``word``: a multi-word region
    can start there, or it is a region or a city that it reports (the checks of that loop, without the context ones)."""
    return (
        word in heads
        or (word in regions and word not in _EVERYDAY_PLACES)
        or (word in cities and word not in en_common and word not in _SKIP_SINGLE)
    )


def _cased_places(text: str, lower: str, g: Gazetteers, recall: bool) -> Iterator[Span]:
    """Places written in capitals ("NETHERLANDS", "1061 BUDAPEST", "KØBENHAVN N") and, in the recall profile,
    in lower case ("from greece", "cycles to brno")."""
    for m in _CAPS_RE.finditer(text):
        caps = m.group()
        if len(caps) == 3 and caps not in ("USA", "UAE"):
            continue  # "MRN", "DOB", "SSN": three-letter capitals are acronyms
        words = caps.lower().replace("\t", " ").split(" ")
        for n in range(len(words), 0, -1):  # longest known prefix
            phrase = " ".join(words[:n])
            end = m.start() + len(phrase)
            if phrase in g.regions and phrase not in ("us", "man"):
                yield Span("LOCATION", m.start(), end, 0.85)
                break
            if phrase in g.cities:
                before = text[max(0, m.start() - 2) : m.start()]
                after = text[end : end + 1]
                placed = before in ("", "\n") or before.endswith(("\n", ",", ", ")) or after in ("", ",", "\n")
                if (placed and len(phrase) > 3) or (phrase not in g.words and len(phrase) > 4):  # "TSH", "DOB", "NICE"
                    yield Span("LOCATION", m.start(), end, 0.8 if placed else 0.6)
                break
    if not recall:
        return
    # most texts hold no word the loop below can report (checked in C): then it need not run. Its words are whole
    # runs of letters, found among all runs of four letters or more (in ASCII text, letters are a-z: faster)
    runs = set(_ASCII_RUNS.findall(lower) if lower.isascii() else _LETTER_RUNS.findall(lower))
    found = runs.difference(g.lower_quiet)  # (iterates over the smaller set, unlike -=)
    if g.cities.isdisjoint(found) and g.regions.isdisjoint(found) and g.region_heads.isdisjoint(found):
        return
    for m in _LOWER_WORD_RE.finditer(lower):
        word, start = m.group(), m.start()
        if word not in found:
            continue  # a quiet word
        for n in g.multi.get(word, ()) if word in g.region_heads else ():  # "united states", "czech republic"
            if start + n > len(lower):
                continue
            phrase = lower[start : start + n]
            if phrase in g.regions and not lower[start + n : start + n + 1].isalnum():
                yield Span("LOCATION", start, start + n, 0.7)
                break
        else:
            if word in g.regions and word not in _EVERYDAY_PLACES:
                yield Span("LOCATION", start, m.end(), 0.7)
            elif word in g.cities and word not in g.en_common and word not in _SKIP_SINGLE:
                prev = lower[max(0, start - 12) : start].split()
                if prev and prev[-1] in _LOWER_PREPS:
                    yield Span("LOCATION", start, m.end(), 0.65)


def find_names(text: str, doc: Doc) -> Iterator[Span]:
    """PERSON / STREET_ADDRESS / LOCATION candidates (overlaps are resolved by the engine)."""
    lower = doc.lower
    if doc.has_digit:
        yield from _find_addresses(text, lower)
    g = gazetteers()
    multi = g.multi
    french = None  # whether the text has a French street word: looked up when a run first needs it
    es_abbr = "C." in text or "C/" in text
    size = len(text)
    for m in RUN_RE.finditer(text):
        run = m.group()
        if " " not in run and "\t" not in run:  # single word: skip sentence starters, titles, cue words fast
            word = run.lower()
            if word in _SKIP_SINGLE:
                continue
            toks = [_new(_Tok, (m.start(), m.end(), word, False))]
            # one capitalised word (no "."), none of _SKIP_SINGLE: what _pieces makes of it, without a generator
            pieces: Iterable[tuple[list[_Tok], bool, bool]] = ((toks, False, False),)
        else:
            toks = _tokens(text, m.start(), m.end())
            pieces = _pieces(toks, g)
        if len(toks) > 1 or toks[0].word not in COMMON:
            if french is None and toks[0].word not in _FR_WAYS:
                french = _FR_WAY_HINT_RE.search(lower) is not None
            yield from _run_addresses(text, lower, toks, doc.has_digit, bool(french), es_abbr)
        # multi-word gazetteer places starting at run tokens ("Sri Lanka", "Isle of Man", "Rio de Janeiro");
        # longest first, and at most one place of a given length can equal the text there
        for t in toks:
            for n in multi.get(t.word, ()):
                end = t.start + n
                if end > size or (end < size and text[end].isalnum()):
                    continue  # (a place ends at a word end)
                phrase = text[t.start : end].lower()
                if phrase in g.multi_places:
                    prep = _cues_before(text, lower, t.start).prep
                    yield Span(
                        "LOCATION",
                        t.start,
                        end,
                        0.9 if phrase in g.regions else (0.85 if prep else 0.75),
                    )
                    break
        for piece, cued, titled_run in pieces:
            start, end = piece[0].start, piece[-1].end
            if text[end - 1] == "." and len(piece[-1].word) > 2:
                end -= 1  # sentence full stop, not an initial
            cues = _cues_before(text, lower, start)
            cue = cued or cues.person or _CUE_AFTER.match(text, end) is not None
            weak_cue = not cue and not titled_run and cues.weak
            words = [t.word for t in piece if not t.is_particle]
            prep, strong = cues.prep, cues.strong_place
            region_after = _AFTER_REGION.match(text, end) if text.startswith(",", end) else None
            if region_after and (region_after.group(1).split(",")[0].strip().lower().rstrip(".") in g.regions):
                strong = True
            pscore = _score_person(words, g, cue and not strong, weak_cue and not strong)
            if not pscore and not titled_run:
                pscore = _loose_person(words, g, doc.recall)
                if (
                    pscore < 0.7
                    and _SPEECH_AFTER.match(text, end) is not None
                    and all(_unknown(w, g) or w in g.first or w in g.last for w in words)
                ):
                    pscore = 0.7  # "Kwabenaa said", "Okonkwo reports": a verb of speech after unknown words
            if words[0] in _PLACE_PREFIX and len(words) > 1:
                pscore = 0.0 if not cue else pscore
            if pscore:
                yield Span("PERSON", start, end, pscore)
            if cue and not (prep or strong):
                continue
            ws = [t for t in piece if not t.is_particle]
            i = 0
            while i < len(ws):
                for j in range(min(len(ws), i + 4), i, -1):
                    lscore = _place_score(words[i:j], g, prep and i == 0, strong and i == 0)
                    if lscore:
                        yield Span("LOCATION", ws[i].start, ws[j - 1].end, lscore)
                        i = j - 1
                        break
                i += 1
    yield from _cased_places(text, lower, g, doc.recall)
    if "name" in lower or "i am" in lower or "i'm" in lower or "this is" in lower or "call me" in lower:
        for m in _LOWER_NAME_CUE.finditer(lower):
            if m.group(1) in g.first:
                end = m.end(2) if m.group(2) and m.group(2) in g.last else m.end(1)
                yield Span("PERSON", m.start(1), end, 0.75)


#: This family's recognizers: name -> (recognizer, entity types it can report).
RECOGNIZERS: dict[str, tuple[Recognizer, frozenset[str]]] = {"names": (find_names, TYPES)}
