"""Single-core throughput of the PII engine on the dev-set records, optionally against Presidio.

Measures records/s and MB/s (UTF-8) of ``Engine.detect`` over the labelled dev-set records plus the hard
negatives. When ``presidio-analyzer`` is installed (``uv pip install -e '.[bench]'``) the same records go through
Presidio's ``AnalyzerEngine`` in the same run, and the throughput ratio plus both engines' precision/recall on
the entity types Presidio's pattern recognizers cover are printed.

Presidio is built without any downloaded model: its NLP engine is ``spacy.blank("en")`` (tokenizer only, so
context words still work; lemmas are the lower-cased tokens), which leaves the regex/checksum "pattern
recognizers" and no NER. PERSON/LOCATION therefore are not compared. Run pinned to one core, e.g.
``taskset -c 0 python benchmarks/pii_throughput.py``.

The throughput ratio is the median over interleaved rounds (ours, then Presidio, on the same sample), which keeps
it stable on a shared, loaded machine.

Usage: python benchmarks/pii_throughput.py [--records N] [--negatives N] [--repeat R] [--sample N] [--rounds R]
       [--no-presidio]
       python benchmarks/pii_throughput.py --cli-baseline e60a42d=/tmp/pii-old [--records 30000 --negatives 7000]
       (the CLI, ``python -m pii_engine detect``, against another checkout's, in separate processes)
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pii_devset

from pii_engine import ENTITY_TYPES

# Presidio entity names that correspond to ours (everything else it emits is ignored).
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "US_ITIN": "US_ITIN",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "MAC_ADDRESS": "MAC_ADDRESS",
    "URL": "URL",
    "DATE_TIME": "DATE_TIME",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "US_PASSPORT": "US_PASSPORT",
    "US_BANK_NUMBER": "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER": "ABA_ROUTING_NUMBER",
}


def presidio_detector() -> Callable[[str], list[tuple[str, int, int]]] | None:
    """Presidio AnalyzerEngine with a blank spaCy pipeline (no model download), or None if not installed."""
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from spacy.language import Language
    except ImportError:
        return None
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    # Presidio's URL/email recognizers use tldextract; use its bundled suffix list instead of fetching one.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

    @Language.component("lowercase_lemmas")
    def lowercase_lemmas(doc: Any) -> Any:
        """Presidio's context enhancer compares lemmas; without a model, use the lower-cased token."""
        for token in doc:
            token.lemma_ = token.lower_
        return doc

    class BlankSpacyNlpEngine(SpacyNlpEngine):
        """Tokenizer-only spaCy pipeline: pattern recognizers and context words, no NER model."""

        def __init__(self) -> None:
            super().__init__(models=[{"lang_code": "en", "model_name": "blank"}])

        def load(self) -> None:
            pipeline = spacy.blank("en")
            pipeline.add_pipe("lowercase_lemmas")
            self.nlp = {"en": pipeline}

    nlp = BlankSpacyNlpEngine()
    nlp.load()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    entities = list(PRESIDIO_TYPES)

    def det(text: str) -> list[tuple[str, int, int]]:
        results: Any = analyzer.analyze(text=text, language="en", entities=entities)  # Presidio's default threshold
        return [(PRESIDIO_TYPES[r.entity_type], r.start, r.end) for r in results]

    return det


def throughput(det: Callable[[str], Any], texts: list[str], repeat: int) -> tuple[float, float, float]:
    """(records/s, MB/s, seconds) for ``repeat`` passes over ``texts`` (best pass).

    Time is this process's CPU time (``time.process_time``), so other load on a shared machine does not count;
    the work is single-threaded, so this is one core's throughput.
    """
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for t in texts:
            det(t)
        best = min(best, time.process_time() - t0)
    return len(texts) / best, size_mb / best, best


def normalization_overhead(texts: list[str], rounds: int) -> None:
    """Cost of the normalisation step (pii_engine.normalize): ``Engine.detect`` (normalises, maps offsets back)
    against the same engine's detection on the raw text (the engine as it was before normalisation), interleaved
    on the same records; prints records/s of both, the median ratio and how many records took the slow path."""
    from pii_engine import Engine
    from pii_engine.normalize import needs_normalizing, normalize

    engine = Engine()
    with_norm, without = engine.detect, lambda t: engine._detect(t, None)
    ratios, rates = [], []
    for _ in range(rounds):
        n_rps, _, _ = throughput(with_norm, texts, 1)
        r_rps, _, _ = throughput(without, texts, 1)
        ratios.append(n_rps / r_rps)
        rates.append((n_rps, r_rps))
    n_rps, r_rps = sorted(rates)[len(rates) // 2]
    # the step alone, which is less noisy than the difference of two engine runs on a loaded machine
    _, _, norm_s = throughput(normalize, texts, 3)
    _, _, detect_s = throughput(with_norm, texts, 3)
    checked = sum(needs_normalizing(t) for t in texts)
    rewritten = sum(normalize(t) is not None for t in texts)
    print(
        f"normalisation: with {n_rps:10.0f} records/s, without {r_rps:10.0f} records/s; "
        f"ratio with/without (median of {rounds} interleaved rounds) {statistics.median(ratios):.3f} "
        f"(all: {', '.join(f'{r:.3f}' for r in ratios)}); past the fast path: {checked}/{len(texts)}, "
        f"rewritten: {rewritten}"
    )
    print(
        f"normalisation step alone: {norm_s / len(texts) * 1e6:.2f} us/record = {norm_s / detect_s:.1%} of detect "
        f"(best of 3 passes each)"
    )


def cli_throughput(texts: list[str], profile: str, baselines: list[str], repeat: int) -> None:
    """Records/s of ``python -m pii_engine detect`` (this checkout, stdin a file and a pipe) against the CLI of each
    baseline checkout (``NAME=CHECKOUT``; ``glue_jobs.pii`` for checkouts before the ``pii_engine`` move, which have
    no profiles), each the best of ``repeat`` runs by the child's CPU time (start-up and gazetteer loading
    included), interleaved run by run; checks that every ``pii_engine`` CLI prints the same lines."""
    import os
    import resource
    import subprocess
    import tempfile

    here = Path(__file__).resolve().parents[1]
    runs: dict[str, tuple[list[str], Path, bool]] = {
        "this (file)": (["-m", "pii_engine", "detect", "--profile", profile], here, True),
        "this (pipe)": (["-m", "pii_engine", "detect", "--profile", profile], here, False),
    }
    for spec in baselines:
        name, _, path = spec.partition("=")
        checkout = Path(path).resolve()
        new = (checkout / "pii_engine").is_dir()
        args = ["-m", "pii_engine", "detect", "--profile", profile] if new else ["-m", "glue_jobs.pii", "detect"]
        runs[f"{name} (file)"] = (args, checkout, True)
    best = dict.fromkeys(runs, float("inf"))
    outputs: dict[str, bytes] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
        f.flush()
        data = Path(f.name).read_bytes()
        for _ in range(repeat):
            for key, (args, cwd, from_file) in runs.items():
                env = {**os.environ, "PYTHONPATH": str(cwd)}
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                if from_file:
                    with open(f.name, "rb") as stdin:
                        proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, stdin=stdin,
                                              capture_output=True, check=True)  # fmt: skip
                else:
                    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, input=data,
                                          capture_output=True, check=True)  # fmt: skip
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                best[key] = min(best[key], cpu)
                if "glue_jobs.pii" not in args:
                    outputs[key] = proc.stdout
    print(f"CLI detect, profile {profile}: {len(texts)} records, best of {repeat} runs by CPU time, one core")
    for key, secs in best.items():
        ratios = "  ".join(
            f"x{best[other] / secs:.3f} of {other}" for other in best if other != key and "(file)" in other
        )
        print(f"  {key:24} {len(texts) / secs:8.0f} records/s  {ratios}")
    print(f"  same output lines (pii_engine CLIs): {len(set(outputs.values())) == 1}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--negatives", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=500, help="records per interleaved ratio round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--profile", default="balanced", help="engine profile: balanced or recall")
    ap.add_argument(
        "--cli-baseline",
        action="append",
        default=[],
        metavar="NAME=CHECKOUT",
        help="measure the CLI instead (python -m pii_engine detect) against this checkout's CLI; repeatable",
    )
    args = ap.parse_args()
    if args.cli_baseline:
        texts = [r.text for r in pii_devset.generate(args.records)] + pii_devset.hard_negatives(args.negatives)
        cli_throughput(texts, args.profile, args.cli_baseline, args.repeat)
        return

    records = pii_devset.generate(args.records)
    negatives = pii_devset.hard_negatives(args.negatives)
    texts = [r.text for r in records] + negatives
    ours, _ = pii_devset.engine_detector(args.profile)
    print(f"engine profile: {args.profile}")
    ours(texts[0])  # load gazetteers / compile patterns outside the timed loop
    rps, mbps, secs = throughput(ours, texts, args.repeat)
    print(
        f"records: {len(texts)} ({sum(len(t.encode()) for t in texts) / 1e6:.2f} MB), "
        f"best of {args.repeat} passes, one thread, CPU time"
    )
    print(f"ours:     {rps:10.0f} records/s  {mbps:7.3f} MB/s  ({secs:.2f} s/pass)")
    normalization_overhead(texts, args.rounds)

    presidio = None if args.no_presidio else presidio_detector()
    if presidio is None:
        print("presidio-analyzer not installed (or disabled): no comparison")
        return
    presidio(texts[0])
    # Interleave the two engines on the same sample so machine load drifts affect both alike; report the median.
    sample = texts[:: max(1, len(texts) // args.sample)]
    ratios, p_rates = [], []
    from pii_engine import Engine, EngineConfig

    extra = {"profile": args.profile} if args.profile != "balanced" else {}
    same_types = Engine(EngineConfig(entities=frozenset(PRESIDIO_TYPES), **extra))
    same_types.detect(texts[0])
    like_for_like = []
    for _ in range(args.rounds):
        o_rps, _, _ = throughput(ours, sample, 1)
        s_rps, _, _ = throughput(same_types.detect, sample, 1)
        p_rps, p_mbps, _ = throughput(presidio, sample, 1)
        ratios.append(o_rps / p_rps)
        like_for_like.append(s_rps / p_rps)
        p_rates.append((p_rps, p_mbps))
    p_rps, p_mbps = sorted(p_rates)[len(p_rates) // 2]
    print(
        f"presidio: {p_rps:10.0f} records/s  {p_mbps:7.3f} MB/s  "
        f"(median of {args.rounds} rounds on {len(sample)} records)"
    )
    print(
        f"ratio ours (all {len(ENTITY_TYPES)} types)/presidio (median of {args.rounds} interleaved rounds): "
        f"{statistics.median(ratios):.1f}x  (all: {', '.join(f'{r:.1f}' for r in ratios)})"
    )
    print(
        f"ratio ours (same {len(PRESIDIO_TYPES)} types as Presidio)/presidio: {statistics.median(like_for_like):.1f}x  "
        f"(all: {', '.join(f'{r:.1f}' for r in like_for_like)})"
    )

    types = list(PRESIDIO_TYPES)
    rep_ours = pii_devset.evaluate(records, negatives, lambda t: [s for s in ours(t) if s[0] in PRESIDIO_TYPES])
    rep_pres = pii_devset.evaluate(records, negatives, presidio)
    print(
        f"\n{'type':20} {'gold':>5}  {'ours P':>6} {'R':>6} {'F1':>6} {'negFP':>5}   "
        f"{'presidio P':>10} {'R':>6} {'F1':>6} {'negFP':>5}"
    )
    for t in types:
        po, ro, fo = rep_ours.prf(t)
        pp, rp, fp = rep_pres.prf(t)
        print(
            f"{t:20} {rep_ours.n_gold[t]:5d}  {po:6.3f} {ro:6.3f} {fo:6.3f} {rep_ours.neg_fp[t]:5d}   "
            f"{pp:10.3f} {rp:6.3f} {fp:6.3f} {rep_pres.neg_fp[t]:5d}"
        )


if __name__ == "__main__":
    main()
