"""The PII engine's fast paths give the results of the straightforward code they replace.

Each fast path (a prefilter that rules texts out in C, a cheaper gate, a pattern scanned from another first character)
is compared here with the reference it stands for, on inputs built to hit its edge cases. The engine as a whole is
compared with another checkout span by span by ``benchmarks/pii_span_diff.py``.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from types import ModuleType

import pytest

from pii_engine import validators
from pii_engine.context import Doc
from pii_engine.model import Span
from pii_engine.normalize import _BRACKET_HINT, _DOT_HINT, _obf_hint
from pii_engine.recognizers import names
from pii_engine.recognizers.dates import _AGE_SUFFIX_GATE, AGE_SUFFIX_RE
from pii_engine.recognizers.intl import NAME_NUMBER_RE
from pii_engine.recognizers.names import Gazetteers, _cased_places, _cues_before, gazetteers
from pii_engine.recognizers.numbers import _WEAK_GATE, _WEAK_GATE_ANY
from pii_engine.recognizers.scan import NUMBER_SCAN, NUMBER_SCAN_GROUPS, number_starts
from tests.benchmark_scripts import load_benchmark


def _reference_lower_places(lower: str, g: Gazetteers) -> list[Span]:
    """The lower-case loop of ``_cased_places`` (recall profile) without its prefilter."""
    out = []
    for m in re.finditer(r"(?<![\w@./#-])[^\W\d_A-Z][^\W\d_]{3,}", lower):
        word, start = m.group(), m.start()
        for n in g.multi.get(word, ()):
            if start + n > len(lower):
                continue
            phrase = lower[start : start + n]
            if phrase in g.regions and not lower[start + n : start + n + 1].isalnum():
                out.append(Span("LOCATION", start, start + n, 0.7))
                break
        else:
            if word in g.regions and word not in names._EVERYDAY_PLACES:
                out.append(Span("LOCATION", start, m.end(), 0.7))
            elif word in g.cities and word not in g.en_common and word not in names._SKIP_SINGLE:
                prev = lower[max(0, start - 12) : start].split()
                if prev and prev[-1] in names._LOWER_PREPS:
                    out.append(Span("LOCATION", start, m.end(), 0.65))
    return out


def _lower_places(lower: str, g: Gazetteers) -> list[Span]:
    balanced = list(_cased_places(lower, lower, g, False))  # the capitals part (nothing in lower-case text)
    return list(_cased_places(lower, lower, g, True))[len(balanced) :]


def _place_texts(g: Gazetteers) -> list[str]:
    regions = sorted(g.regions)
    cities = sorted(g.cities)[::97]
    quiet = sorted(g.lower_quiet)[::23]
    texts = [f"she moved to {r} last year" for r in regions]
    texts += [f"from {r}-based firm, near {r}. (in {r})" for r in regions[::7]]
    texts += [f"lives in {c}, works at {c}x and near-{c}" for c in cities]
    texts += [f"{q} and in {q} to {q}" for q in quiet]
    texts += ["cycles to brno daily", "from greece via the czech republic", "in são paulo, não", "visiting 3köln"]
    return texts


def test_lower_case_places_prefilter_matches_reference() -> None:
    g = gazetteers()
    found = 0
    for text in _place_texts(g):
        expected = _reference_lower_places(text, g)
        assert _lower_places(text, g) == expected, text
        found += len(expected)
    assert found > 5000  # the texts do hold lower-case places


def test_gazetteer_tables_derived_at_load() -> None:
    g = gazetteers()
    spaced = {p for p in g.cities | g.regions if " " in p}
    assert g.multi_places == spaced
    by_first: dict[str, set[int]] = {}
    for p in spaced:
        by_first.setdefault(p.split(" ", 1)[0], set()).add(len(p))
    assert g.multi == {k: tuple(sorted(v, reverse=True)) for k, v in by_first.items()}
    # every region that is more than one run of letters starts with a head; quiet words never report anything
    for r in g.regions:
        run = re.match(r"[^\W\d_]+", r)
        if run is not None and run.end() < len(r):
            assert run.group() in g.region_heads, r
    assert not g.lower_quiet & g.region_heads
    for w in g.lower_quiet:
        assert not (w in g.regions and w not in names._EVERYDAY_PLACES), w
        assert not (w in g.cities and w not in g.en_common and w not in names._SKIP_SINGLE), w


@pytest.mark.parametrize(
    "text",
    [
        "john dot smith at example dot com",
        "JOHN DOT SMITH",
        "jane.doe (at) example (dot) org",
        "x [ at ] y [dot] z",
        "{at}",
        "< @ >",
        "<b>bold</b> (see page 4) [1]",
        "dotted dots anecdote",
        "Dot matrix",
        "DOT",
        "plain text without hints",
        "straße (dot) münchen",
    ],
)
def test_obfuscation_hint_equals_both_scans(text: str) -> None:
    expected = _BRACKET_HINT.search(text) is not None or _DOT_HINT.search(text) is not None
    assert _obf_hint(text) is expected


_AGE_SUFFIXES = ("years", "yrs", "J.", "Jahre", "éves", "ετών", "tuổi", "år", "let", "anos", "años", "ans", "jaar",
                 "vuotta", "yaşında", "yo")  # fmt: skip


def test_age_suffix_gate_holds_wherever_the_pattern_matches() -> None:
    texts = [
        f"{lead}{n}{sep}{suffix}{tail}"
        for lead, n, sep, suffix, tail in itertools.product(
            ("", "aged ", "[AGE] ", "x, "), ("7", "56", "101"), (" ", "\t", "  "), _AGE_SUFFIXES, ("", ",", ".", " ok")
        )
    ]
    texts += [f"{n}{s}{t}" for n in ("9", "96", "34") for s in ("M", "F", "-vuotias") for t in ("", ",", ". ", ";")]
    matched = 0
    for text in texts:
        if AGE_SUFFIX_RE.search(text) is not None:
            matched += 1
            assert _AGE_SUFFIX_GATE.search(text.lower()) is not None, text
    assert matched > len(texts) // 2


_DIGIT_FIRST_HOUSE_NUMBER = re.compile(
    r"\d(?<=(?:[^\W\d_]|[.:º°])[ \t]\d)\d{0,3}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?(?![\w/-]|[.,:]\d)"
)


@pytest.mark.parametrize(
    "text",
    [
        "Storgatan 12, 114 55 Stockholm",
        "Via Roma 104/2b and Rua das Flores 8",
        "ul. Floriańska 5\tKraków; İstiklal Caddesi No: 121",
        "phone 555 1234 room 12 at 7 and 8",
        "Kalevankatu 3 A 5, 00100 Helsinki",
        "v 1.2.3 build 44 x 5-6 y 12a z 3/4 w 12345 q 1234/5678",
        "a\t\t9 b  10 c: 11 d. 12 º 13 ° 14",
        "  1 leading, 2 3 4",
    ],
)
def test_house_numbers_equal_the_digit_first_pattern(text: str) -> None:
    assert [m.span(1) for m in NAME_NUMBER_RE.finditer(text)] == [
        m.span() for m in _DIGIT_FIRST_HOUSE_NUMBER.finditer(text)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "192.168.0.1 and 4111 1111 1111 1111, SSN 123-45-6789 on 12/31/2024 at 10:30",
        "no digits here",
        "1 2 3 4 5 6 7 8 9 10.0.0.1.5 078-05-1120 2024-01-31T08:00Z",
    ],
)
def test_number_starts_lists_each_pattern_start(text: str) -> None:
    expected: dict[str, list[int]] = {k: [] for k in NUMBER_SCAN_GROUPS}
    for m in NUMBER_SCAN.finditer(text):
        for key in NUMBER_SCAN_GROUPS:
            if m.start(key) >= 0:
                expected[key].append(m.start())
    assert number_starts(text, Doc(text.lower(), frozenset())) == expected


@pytest.mark.parametrize(
    "text",
    [
        "account 12345678 routing 021000021",
        "passport C12345678",
        "nothing to see 123456",
        "MRN: 998877, driver's license D1234567",
    ],
)
def test_weak_gate_any_agrees_with_grouped_scan(text: str) -> None:
    lower = text.lower()
    assert (_WEAK_GATE_ANY.search(lower) is not None) is any(True for _ in _WEAK_GATE.finditer(lower))


@pytest.mark.parametrize(
    ("window", "person"),
    [
        ("called -- ", True),
        ("called --\x0b", True),  # a blank that is not one of the stripped separators
        ("reported \u2014 ", True),
        ("reported - ", False),
        ("the x-ray ", False),
    ],
)
def test_dash_before_a_name_is_a_cue(window: str, person: bool) -> None:
    text = window + "Ingrid"
    assert _cues_before(text, text.lower(), len(window)).person is person


@pytest.mark.parametrize(
    ("text", "v4", "v6"),
    [
        ("192.168.0.1", True, False),
        ("256.1.1.1", False, False),
        ("01.2.3.4", False, False),
        ("::1", False, True),
        ("2001:db8::ff00:42:8329", False, True),
        ("::ffff:192.0.2.128", False, True),
        ("fe80::1%eth0", False, True),
        ("1:2:3", False, False),
    ],
)
def test_ip_validators(text: str, v4: bool, v6: bool) -> None:
    assert validators.ipv4_ok(text) is v4
    assert validators.ipv6_ok(text) is v6


_ASCII_TEXTS = [
    "Call 555-123-4567 or +44 20 7946 0958 (ext 12); card 4111 1111 1111 1111, SSN 123-45-6789.",
    "Ship to 12 Main St, Springfield, IL 62704-1234; UK: SW1A 1AA; PIN 560001; 10115 Berlin",
    "ip 10.0.0.1\tdate 2024-03-05T10:30:00Z, 03/05/2024 at 9:15 pm\nacct 12345678901 routing 021000021",
    "x_1 a-123456 b.123456 c/123-456 __99999 12345_ 1 2 3 4 5 6 7 8 9 0 12 34 56",
    "\x0b\x0c\r 555 123 4567 \x0b 12345\x0c6789",
]


@pytest.mark.parametrize("text", _ASCII_TEXTS)
def test_ascii_twins_find_the_same_matches(text: str) -> None:
    from pii_engine.recognizers import addresses, numbers, scan

    pairs = [
        (scan.NUMBER_SCAN, scan._NUMBER_SCAN_ASCII),
        (numbers.PHONE_RE, numbers._PHONE_RE_ASCII),
        (numbers._WEAK_DIGITS, numbers._WEAK_DIGITS_ASCII),
        (addresses.ZIP_RE, addresses._ZIP_RE_ASCII),
    ]
    for uni, asc in pairs:
        assert [m.groups() for m in asc.finditer(text)] == [m.groups() for m in uni.finditer(text)]
        assert [m.span() for m in asc.finditer(text)] == [m.span() for m in uni.finditer(text)]


@pytest.mark.parametrize(
    ("text", "plain"), [("call 555 123 4567", True), ("a\x1cb 555 123 4567", False), ("Zoë 5", False)]
)
def test_ascii_flag_of_the_doc(text: str, plain: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from pii_engine import Engine, context

    seen: list[bool] = []
    real = context.Doc

    def spy(*args: object) -> context.Doc:
        doc = real(*args)  # type: ignore[arg-type]
        seen.append(doc.ascii)
        return doc

    monkeypatch.setattr(context, "Doc", spy)
    Engine().detect(text)
    assert seen == [plain]


_NAME_TEXTS = [
    "Referred by Dr. Charlene Field. Patient lives in Dickinsonstad and was transferred on 20/06/1998.",
    "Thanks, Ingrid. Matheus will call. Kwabenaa said hi; Okonkwo reports pain.",
    "I'm Timothée Paris from Lebrun, Lebanon :) Visiting North Fairview, Sri Lanka and Saint-Malo-sur-Mer.",
    "Dear Jan-Willem van der Berg, Cameron Ward and Babatunde Babangida met Ms. Grace Hopper in Rio de Janeiro.",
    "The Histology Report And Lactate Results Were Sent To Springfield, Illinois by Anna-Maria O'Brien.",
    "Shipping label: Ann Dobson\n47 John Shoals\nIanmouth\nTA3X 6AA -- Friederike Scholz (wife) said no",
]


_BATCH_TEXTS = [
    *_NAME_TEXTS,
    *_ASCII_TEXTS,
    "",
    "nothing here",
    "john dot smith at example dot com, SSN 123\u201345\u20136789, ＠ full-width",
    "[PERSON] called from [PHONE_NUMBER]; Anna Kowalski, 555-123-4567",
    "Irina (50) and Fatima Al-Masri, 24, of TRONDHEIM; she moved to brno from greece",
]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"profile": "recall"},
        {"entities": frozenset({"PERSON", "PHONE_NUMBER", "US_SSN"}), "min_score": 0.7},
    ],
)
def test_detect_many_gives_the_spans_of_detect(config: dict[str, object]) -> None:
    from pii_engine import Engine, EngineConfig

    engine = Engine(EngineConfig(**config))  # type: ignore[arg-type]
    fields = [None, "name", "phone", "notes", "city"] * len(_BATCH_TEXTS)
    fields = fields[: len(_BATCH_TEXTS)]
    expected = [engine.detect(t, field=f) for t, f in zip(_BATCH_TEXTS, fields, strict=True)]
    assert engine.detect_many(_BATCH_TEXTS, fields) == expected
    assert engine.detect_many(_BATCH_TEXTS) == [engine.detect(t) for t in _BATCH_TEXTS]
    assert engine.detect_many([]) == []
    assert sum(map(len, expected)) > 10


@pytest.mark.parametrize("batch", ["2", "3", "100"])
def test_cli_batches_give_the_lines_of_the_streaming_cli(batch: str) -> None:
    import json

    from pii_engine.__main__ import run

    fields = (["name", None, "phone"] * len(_BATCH_TEXTS))[: len(_BATCH_TEXTS)]
    lines = [json.dumps({"text": t, "field": f}) for t, f in zip(_BATCH_TEXTS, fields, strict=True)]
    lines[1:1] = ["not json", '{"text": 3}', "[]"]
    stdin = "\n".join(lines) + "\n"
    outs = []
    for args in (["detect"], ["detect", "--batch", batch]):
        out = io.StringIO()
        assert run(args, io.StringIO(stdin), out) == 0
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    assert outs[0].count("\n") == len(lines) and '"error": "line 3:' in outs[0]


def test_cli_rejects_a_batch_below_one(capsys: pytest.CaptureFixture[str]) -> None:

    from pii_engine.__main__ import run

    assert run(["detect", "--batch", "0"], io.StringIO(""), io.StringIO()) == 2
    assert "--batch" in capsys.readouterr().err


def test_cli_reads_ahead_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from pii_engine import Engine
    from pii_engine.__main__ import AUTO_BATCH, run

    sizes: list[int] = []
    real = Engine.detect_many

    def spy(self: Engine, texts: list[str], fields: list[str | None] | None = None) -> list[list[Span]]:
        sizes.append(len(texts))
        return real(self, texts, fields)

    monkeypatch.setattr(Engine, "detect_many", spy)
    path = tmp_path / "in.jsonl"
    records = _BATCH_TEXTS * 10
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in records), encoding="utf-8")
    out = io.StringIO()
    with path.open(encoding="utf-8") as f:
        assert run(["detect"], f, out) == 0
    assert max(sizes) == AUTO_BATCH and sum(sizes) == len(records)
    streamed = io.StringIO()
    assert run(["detect", "--batch", "1"], io.StringIO(path.read_text(encoding="utf-8")), streamed) == 0
    assert out.getvalue() == streamed.getvalue()


def test_cli_answers_a_waiting_writer_before_reading_on() -> None:
    """A writer that sends the next line only after the answer to the last one (a request/response pipe)."""
    import json
    import os
    import threading

    from pii_engine.__main__ import run

    answered = threading.Semaphore(0)

    class Answers(io.StringIO):
        def write(self, s: str) -> int:
            n = super().write(s)
            answered.release()
            return n

    read_end, write_end = os.pipe()
    timed_out = []

    def writer() -> None:
        with os.fdopen(write_end, "w", encoding="utf-8") as w:
            for text in _NAME_TEXTS[:3]:
                w.write(json.dumps({"text": text}) + "\n")
                w.flush()
                if not answered.acquire(timeout=30):
                    timed_out.append(text)
                    return  # (closing the pipe ends the CLI)

    thread = threading.Thread(target=writer)
    thread.start()
    out = Answers()
    with os.fdopen(read_end, encoding="utf-8") as stdin:
        assert run(["detect"], stdin, out) == 0
    thread.join()
    assert not timed_out
    assert out.getvalue().count("\n") == 3


def test_cli_freezes_what_it_loaded_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from pii_engine.__main__ import run

    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(names._GAZ is not None))
    lines = '{"text": "Thanks, Ingrid."}\n'
    outs = []
    for freeze in (False, True):
        out = io.StringIO()
        assert run(["detect"], io.StringIO(lines), out, freeze=freeze) == 0
        outs.append(out.getvalue())
    assert calls == [True]  # once, with the gazetteers loaded
    assert outs[0] == outs[1] and "PERSON" in outs[0]


def _devset() -> ModuleType:
    return load_benchmark("pii_devset")


@pytest.fixture(scope="module")
def redaction_texts() -> list[str]:
    devset = _devset()
    return [
        *(rec.text for rec in devset.generate(600, seed=11)),
        *devset.hard_negatives(150, seed=12),
        *_BATCH_TEXTS,
        "",
        " ",
        "[PERSON]",
        "[US_SSN:0123456789abcdef] and 123-45-6789",
        "[PHONE_NUMBER] [EMAIL_ADDRESS] [PERSON]",
        "mail jane.doe&#64;example.com or jane%2Edoe%40example.com",
        "Ａｎｎａ Ｋｏｗａｌｓｋｉ, ｓｓｎ １２３-４５-６７８９",
        "caf\u00e9 \u00e9t\u00e9 \ufb01le 555\u2011123\u20114567 \u200bjohn\u200b@example.com",
        "\ufffd\ufffd 4111 1111 1111 1111 \\u0040 \\n",
        "ssn 123-45-6789",  # twice: a repeated text is redacted the same each time
        "ssn 123-45-6789",
    ]


@pytest.mark.parametrize("profile", ["balanced", "recall"])
@pytest.mark.parametrize("mode", ["mask", "hash"])
def test_redact_many_gives_the_redactions_of_redact(profile: str, mode: str, redaction_texts: list[str]) -> None:
    from pii_engine import Engine, EngineConfig, Mode

    engine = Engine(
        EngineConfig(
            profile=profile,
            default_mode=Mode(mode),
            entity_modes={"US_SSN": Mode.DROP, "EMAIL_ADDRESS": Mode.MASK},
            hash_key=b"k" * 32 if mode == "hash" else None,
        )
    )
    fields = ([None, "name", "phone", "notes", "city", "address", "comment"] * len(redaction_texts))[
        : len(redaction_texts)
    ]
    expected = [engine.redact(t, field=f) for t, f in zip(redaction_texts, fields, strict=True)]
    assert engine.redact_many(redaction_texts, fields) == expected
    assert engine.redact_many(redaction_texts) == [engine.redact(t) for t in redaction_texts]
    assert engine.redact_many([]) == []
    # the inputs cover what the loop must handle: no findings, drop, and texts whose output needs another round
    assert sum(not r.spans for r in expected) > 50
    assert any(r.drop for r in expected)
    one_round = [engine._apply(t, *engine._find(t, f)) for t, f in zip(redaction_texts, fields, strict=True)]
    assert any(once != r.text for once, r in zip(one_round, expected, strict=True))
