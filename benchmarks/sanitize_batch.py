"""Records/s of the Glue sanitizer line by line (``LineSanitizer.process``) against batched (``process_many``).

Both run in this process on the same JSON lines, interleaved over several rounds (so drifting machine load hits both
alike), each pass with a fresh sanitizer (empty memo) on the already built engine; time is this process's CPU time,
best pass of the rounds, and the process is pinned to one core. Every batched pass is checked to give the results of
the per-line pass. Lines are chat-interaction records whose two message contents are dev-set texts
(``benchmarks/pii_devset.py``), in ``scan_all_strings`` mode (keys and numbers too) and in ``text_fields`` mode.

    .venv/bin/python benchmarks/sanitize_batch.py [--records 1500] [--rounds 3] [--batch 64 --batch 256] [--cpu 0]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pii_devset import generate  # benchmarks/ is first on sys.path: this runs as a script

MODES: dict[str, dict[str, Any]] = {
    "scan_all_strings": {"scan_all_strings": True},
    "text_fields": {"text_fields": ("messages[].content",)},
}


def records(n: int, seed: int = 5) -> list[str]:
    """``n`` JSON lines: request id, epoch timestamp, model, two messages (dev-set texts), usage, latency, caller."""
    rnd = random.Random(seed)
    texts = [rec.text for rec in generate(2 * n, seed=seed)]
    out = []
    for i in range(n):
        record = {
            "request_id": f"r-{i}",
            "created": 1_733_580_000 + i,
            "model": "tiny",
            "messages": [{"role": "user", "content": texts[2 * i]}, {"role": "assistant", "content": texts[2 * i + 1]}],
            "usage": {"prompt_tokens": rnd.randint(5, 500), "completion_tokens": rnd.randint(5, 500)},
            "latency_ms": rnd.randint(100, 20_000),
            "caller": "user-abc",
            "temperature": 0.7,
        }
        out.append(json.dumps(record, ensure_ascii=False))
    return out


def run(options: dict[str, Any], lines: list[str], batch: int | None) -> tuple[float, list[Any]]:
    """CPU seconds and results of a pass of a fresh sanitizer: line by line (``batch=None``) or ``batch`` at a time."""
    from glue_jobs.transform import LineSanitizer, SanitizeConfig

    sanitizer = LineSanitizer(SanitizeConfig(**options))
    start = time.process_time()
    if batch is None:
        results = [sanitizer.process(line) for line in lines]
    else:
        results = [res for i in range(0, len(lines), batch) for res in sanitizer.process_many(lines[i : i + batch])]
    return time.process_time() - start, results


def main() -> None:
    """Print records/s per line and batched, and the ratio batched/per-line, for both modes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, action="append", help="lines per process_many call (repeatable)")
    parser.add_argument("--cpu", type=int, default=0, help="core to pin this process to")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    batches: list[int] = args.batch or [256]
    os.sched_setaffinity(0, {args.cpu})

    from glue_jobs.transform import LineSanitizer, SanitizeConfig

    lines = records(args.records)
    for options in MODES.values():  # build the engines and load the gazetteers before timing
        LineSanitizer(SanitizeConfig(**options)).process_many(lines[:20])
    gc.collect()
    gc.freeze()  # as the PII CLI does: the loaded gazetteers stay out of the collections of both sides

    report: dict[str, Any] = {"records": args.records, "rounds": args.rounds}
    for mode, options in MODES.items():
        best: dict[int | None, float] = {}
        for _ in range(args.rounds):
            seconds, expected = run(options, lines, None)
            best[None] = min(best.get(None, seconds), seconds)
            for batch in batches:
                seconds, results = run(options, lines, batch)
                assert results == expected, "process_many differs from process"
                best[batch] = min(best.get(batch, seconds), seconds)
        per_line = len(lines) / best[None]
        row: dict[str, Any] = {"per_line_records_s": round(per_line)}
        print(f"{mode:17} per line {per_line:7.0f} records/s", end="")
        for batch in batches:
            batched = len(lines) / best[batch]
            row[f"batch_{batch}"] = {"records_s": round(batched), "ratio": round(batched / per_line, 3)}
            print(f"   batch {batch}: {batched:7.0f} records/s (x{batched / per_line:.3f})", end="")
        print()
        report[mode] = row
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
