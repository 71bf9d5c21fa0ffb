"""Per-record cost of the per-line sanitizer (``LineSanitizer.process``), this checkout against a baseline checkout.

Measures what scanning object keys and numbers (besides string values) costs in ``scan_all_strings`` mode,
and that ``text_fields`` mode is unaffected. The baseline is another checkout's ``glue_jobs/transform.py``
(e.g. ``git worktree add /tmp/base main``), loaded under another module name in the same process and fed the
same records, interleaved over several rounds; both use this checkout's PII engine. CPU time per record.

    .venv/bin/python benchmarks/sanitize_scan_scope.py --baseline-src /tmp/base [--records 2000] [--rounds 3]

Records are chat interactions (request id, epoch timestamp, model, two messages with unique contents,
token counts, latency, caller, temperature): 15 keys and 6 numbers each, ~1 in 3 messages with an entity.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

TEXTS = (
    "hello there, how do I reset my password?",
    "mail me at jane.doe@example.com",
    "my ssn is 123-45-6789",
    "Patient John Smith, MRN 12345678, seen on 2026-01-02",
    "call 555-123-4567 tomorrow",
    "nothing to see here, just a longer message about the weather and the weekend plans",
)


def records(n: int, seed: int = 0) -> list[str]:
    """``n`` JSON lines of interaction records (message contents unique per record)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        messages = [
            {"role": "user", "content": f"{rnd.choice(TEXTS)} (ticket {i}-a)"},
            {"role": "assistant", "content": f"{rnd.choice(TEXTS)} (ticket {i}-b)"},
        ]
        usage = {"prompt_tokens": rnd.randint(5, 500), "completion_tokens": rnd.randint(5, 500), "total_tokens": 999}
        record: dict[str, Any] = {
            "request_id": f"r-{i}",
            "created": 1_733_580_000 + i,
            "model": "tiny",
            "messages": messages,
            "usage": usage,
            "latency_ms": rnd.randint(100, 20_000),
            "caller": "user-abc",
            "temperature": 0.7,
        }
        out.append(json.dumps(record))
    return out


def load_baseline(src: Path) -> ModuleType:
    """The baseline checkout's ``glue_jobs/transform.py`` as module ``baseline_transform``."""
    spec = importlib.util.spec_from_file_location("baseline_transform", src / "glue_jobs" / "transform.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no glue_jobs/transform.py under {src}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cpu_seconds(module: ModuleType, lines: list[str], options: dict[str, Any]) -> float:
    """CPU time of one pass of a fresh sanitizer over ``lines``."""
    sanitizer = module.LineSanitizer(module.SanitizeConfig(**options))
    start = time.process_time()
    for line in lines:
        sanitizer.process(line)
    return time.process_time() - start


def main() -> None:
    """Print per-record CPU time and the ratio this/baseline for scan-all and text_fields modes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, required=True, help="checkout holding the baseline transform")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from glue_jobs import transform as current

    baseline = load_baseline(args.baseline_src.resolve())
    lines = records(args.records)
    results = {}
    for label, options in (
        ("scan_all_strings", {"scan_all_strings": True}),
        ("text_fields", {"text_fields": ("messages[].content",)}),
    ):
        base = this = 0.0
        for _ in range(args.rounds):  # interleaved, so drifting machine load hits both alike
            base += cpu_seconds(baseline, lines, options)
            this += cpu_seconds(current, lines, options)
        per = args.rounds * len(lines)
        results[label] = {"baseline_us": base / per * 1e6, "this_us": this / per * 1e6, "ratio": this / base}
        print(
            f"{label:17} baseline {base / per * 1e6:6.0f} us/record   this {this / per * 1e6:6.0f} us/record   "
            f"ratio {this / base:.2f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"records": args.records, "rounds": args.rounds, **results}, indent=2))


if __name__ == "__main__":
    main()
