"""Spark overhead of the sanitization transform versus the bare PII engine, in one process.

Generates N JSON-lines records (default 100k; two text fields each), writes them to a temp file, then
times (1) the bare engine (``Engine.redact`` on every text field, one Python thread), (2) the per-line
sanitizer without Spark (JSON parse + redact + serialise), and (3) the Spark transform
(``read_raw`` + ``sanitize`` + ``stats()``, i.e. the one engine pass plus the count/aggregation jobs)
on a local master (default ``local[2]``). Spark session start-up is reported separately, not included.

    .venv/bin/python benchmarks/spark_overhead.py [--records 100000] [--master local[2]] [--json out.json]

Wall times are sensitive to other load on the machine; the 1-minute load average at start/end and the
bare engine's CPU time are reported so contended runs can be recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

FIRST = ["Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Tom"]
LAST = ["Smith", "Garcia", "Chen", "Okafor", "Novak", "Brown", "Ivanova", "Lee"]
FILLER = [
    "the patient reports mild headaches after the new medication",
    "please summarise the attached discharge letter in plain language",
    "what is the recommended dosage for an adult with normal kidney function",
    "follow-up scheduled, no acute distress observed during the visit",
]


def make_records(n: int, seed: int = 7) -> list[str]:
    """Deterministic synthetic chat/clinical records; roughly half contain PII."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        pii = [
            f"my email is {name.split()[0].lower()}.{i}@example.com",
            f"call me at 555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            f"Patient {name}, MRN {rng.randint(10_000_000, 99_999_999)}",
            f"ssn {rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            "",
        ]
        content = f"{rng.choice(FILLER)}. {rng.choice(pii)}"
        notes = f"{rng.choice(FILLER)}; {rng.choice(pii)}"
        lines.append(
            json.dumps({"id": i, "messages": [{"role": "user", "content": content}], "patient": {"notes": notes}})
        )
    return lines


def main() -> None:
    """Run the benchmark and print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    from pyspark.sql import SparkSession

    from glue_jobs.transform import LineSanitizer, SanitizeConfig, get_engine, read_raw, sanitize

    config = SanitizeConfig(text_fields=("messages[].content", "patient.notes"))
    lines = make_records(args.records)
    texts = [(t, f) for line in lines for t, f in _fields(json.loads(line))]

    engine = get_engine(config)
    engine.redact("warm up Jane Smith 555-123-4567", field="content")
    load_start = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    for text, field in texts:
        engine.redact(text, field=field)
    bare_s, bare_cpu_s = time.perf_counter() - t0, time.process_time() - c0

    sanitizer = LineSanitizer(config)
    t0 = time.perf_counter()
    for line in lines:
        sanitizer.process(line)
    line_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "raw.jsonl"
        path.write_text("\n".join(lines) + "\n")
        t0 = time.perf_counter()
        spark = (
            SparkSession.builder.master(args.master)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        startup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = sanitize(read_raw(spark, str(path)), config)
        stats = result.stats()
        spark_s = time.perf_counter() - t0
        result.unpersist()
        spark.stop()
    assert stats.invariant_holds and stats.records_in == args.records

    n = args.records
    out = {
        "records": n,
        "text_fields": len(texts),
        "master": args.master,
        "cpu_count": os.cpu_count(),
        "load_avg_1m_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "bare_engine_s": round(bare_s, 3),
        "bare_engine_cpu_s": round(bare_cpu_s, 3),
        "line_sanitizer_s": round(line_s, 3),
        "spark_s": round(spark_s, 3),
        "spark_startup_s": round(startup_s, 3),
        "bare_engine_us_per_record": round(bare_s / n * 1e6, 1),
        "line_sanitizer_us_per_record": round(line_s / n * 1e6, 1),
        "spark_us_per_record": round(spark_s / n * 1e6, 1),
        "overhead_ratio_spark_vs_bare_engine": round(spark_s / bare_s, 2),
        "overhead_ratio_spark_vs_line_sanitizer": round(spark_s / line_s, 2),
        "sanitized": stats.sanitized,
        "quarantined": dict(stats.quarantined),
        "entity_counts": dict(stats.entity_counts),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")


def _fields(record: dict) -> list[tuple[str, str]]:
    """The configured text fields of one generated record, with their JSON key."""
    return [(m["content"], "content") for m in record["messages"]] + [(record["patient"]["notes"], "notes")]


if __name__ == "__main__":
    main()
