"""Throughput of this checkout's PII engine against older versions of it, interleaved in one process.

Each baseline is a checkout of an older commit (``git worktree add /tmp/pii-base <rev>``). Its engine package is
copied into a temporary folder under another name (its ``pii_engine`` imports rewritten), so the two engines load
side by side. ``glue_jobs.pii`` (the package before the ``pii_engine`` move, e.g. e60a42d) is imported from the
checkout directly. The records (dev-set records + hard negatives) are timed in chunks of 100, every engine on each
chunk in turn, so load drifts on a shared machine hit all engines alike; the figure per round is process CPU time.
With ``--batch`` an engine that has ``Engine.detect_many`` gets each chunk in one call (what ``python -m pii_engine
detect --batch N`` runs); the others still detect text by text.

Rounds repeat the same texts: anything memoised across calls would look faster than on a single pass over new
records, so check such changes with ``--rounds 1 --records 30000 --negatives 7000``.

Usage::

    git worktree add /tmp/pii-main main && git worktree add /tmp/pii-old e60a42d
    taskset -c 1 python benchmarks/pii_engine_versions.py --baseline main=/tmp/pii-main \
        --baseline e60a42d=/tmp/pii-old --profile balanced --rounds 7
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pii_devset


def load_engine_module(name: str, checkout: Path, scratch: Path) -> Any:
    """The ``pii_engine`` package of ``checkout``, copied under ``scratch`` as ``pii_engine_<name>`` and imported."""
    alias = "pii_engine_" + re.sub(r"\W", "_", name)
    shutil.copytree(checkout / "pii_engine", scratch / alias)
    for py in (scratch / alias).rglob("*.py"):
        py.write_text(re.sub(r"\bpii_engine\b", alias, py.read_text(encoding="utf-8")), encoding="utf-8")
    if str(scratch) not in sys.path:
        sys.path.append(str(scratch))
    return importlib.import_module(alias)


def load_baseline(name: str, checkout: Path, profile: str, scratch: Path) -> Any:
    """The engine in ``checkout`` (``pii_engine`` renamed on the fly, or the old ``glue_jobs.pii``)."""
    if (checkout / "pii_engine").is_dir():
        mod = load_engine_module(name, checkout, scratch)
        config = mod.EngineConfig(profile=profile) if "profile" in mod.EngineConfig.__dataclass_fields__ else None
        return mod.Engine(config)
    if not (checkout / "glue_jobs" / "pii").is_dir():
        raise SystemExit(f"{checkout}: neither pii_engine/ nor glue_jobs/pii/")
    # the old package has the name this checkout uses for its alias; it resolves its data and lazy imports by
    # module name at run time, so it replaces the alias for the rest of this process (the benchmark does not use it)
    for k in [k for k in sys.modules if k == "glue_jobs" or k.startswith("glue_jobs.")]:
        del sys.modules[k]
    sys.path.insert(0, str(checkout))
    mod = importlib.import_module("glue_jobs.pii")
    assert Path(mod.__file__ or "").resolve().is_relative_to(checkout.resolve()), mod.__file__
    return mod.Engine()


def chunk_runner(engine: Any, batch: bool) -> Callable[[list[str]], Any]:
    """Runs ``engine`` over a chunk of texts: ``detect_many`` when ``batch`` and the engine has it, else ``detect``
    text by text."""
    if batch and hasattr(engine, "detect_many"):
        return engine.detect_many
    detect = engine.detect
    return lambda chunk: [detect(t) for t in chunk]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", action="append", default=[], metavar="NAME=CHECKOUT", required=True)
    ap.add_argument("--profile", default="balanced", help="profile of this engine and of baselines that have one")
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--negatives", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument(
        "--batch",
        action="store_true",
        help="time Engine.detect_many over each chunk of 100 where an engine has it (what `detect --batch` runs)",
    )
    args = ap.parse_args()

    from pii_engine import Engine, EngineConfig

    texts = [r.text for r in pii_devset.generate(args.records)] + pii_devset.hard_negatives(args.negatives)
    engines = {"this": chunk_runner(Engine(EngineConfig(profile=args.profile)), args.batch)}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.baseline:
            name, _, path = spec.partition("=")
            engines[name] = chunk_runner(load_baseline(name, Path(path), args.profile, Path(tmp)), args.batch)
        for run in engines.values():
            run(texts[:1])  # gazetteers, regexes
        chunks = [texts[i : i + 100] for i in range(0, len(texts), 100)]
        rates: dict[str, list[float]] = {k: [] for k in engines}
        for _ in range(args.rounds):
            spent = dict.fromkeys(engines, 0.0)
            for chunk in chunks:
                for k, run in engines.items():
                    t0 = time.process_time()
                    run(chunk)
                    spent[k] += time.process_time() - t0
            for k in engines:
                rates[k].append(len(texts) / spent[k])
    print(
        f"profile {args.profile}; {len(texts)} records; {args.rounds} rounds interleaved per 100 records"
        f"{' (detect_many where an engine has it)' if args.batch else ''}; "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for k, v in rates.items():
        print(f"  {k:10} median {statistics.median(v):8.0f} records/s  (all: {', '.join(f'{x:.0f}' for x in v)})")
    for k in list(engines)[1:]:
        r = [a / b for a, b in zip(rates["this"], rates[k], strict=True)]
        print(f"  this/{k}: median {statistics.median(r):.3f}  (all: {', '.join(f'{x:.2f}' for x in r)})")


if __name__ == "__main__":
    main()
