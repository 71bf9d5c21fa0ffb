"""Training throughput (tokens/s) of training/train.py on the sample data with a tiny random model.

Runs ``train.main`` in-process (no download: random init + locally trained BPE), parses its
``METRIC tokens_per_second`` lines with the SageMaker regex from pipeline_stacks/training_metrics.py,
drops the first logging interval (warm-up) and reports the median. Backend and bf16 are chosen as
in a training job (CUDA + bf16 when available, else CPU fp32). Writes
benchmarks/results/train_throughput.json.

Usage: python benchmarks/train_throughput.py [--model tiny-llama|tiny-gpt2] [--steps N]
       [--seq-len L] [--batch-size B] [--lora]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import train

from pipeline_stacks.training_metrics import metric_regex


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny-llama")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lora", action="store_true")
    a = p.parse_args()
    data = ROOT / "training" / "sample_data"
    log_every = max(1, a.steps // 5)
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "--model-config",
            a.model,
            "--train-dir",
            str(data / "train"),
            "--model-dir",
            f"{tmp}/model",
            "--output-data-dir",
            f"{tmp}/out",
            "--checkpoint-dir",
            f"{tmp}/ckpt",
            "--max-steps",
            str(a.steps),
            "--seq-len",
            str(a.seq_len),
            "--per-device-batch-size",
            str(a.batch_size),
            "--logging-steps",
            str(log_every),
            "--save-steps",
            str(a.steps),
            "--lora",
            str(a.lora),
        ]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            summary = train.main(argv)
    rates = [float(v) for v in re.findall(metric_regex("tokens_per_second"), log.getvalue())]
    steady = rates[1:] or rates
    result = {
        "model": a.model,
        "lora": a.lora,
        "steps": a.steps,
        "seq_len": a.seq_len,
        "batch_size": a.batch_size,
        "backend": summary["backend"],
        "bf16": summary["bf16"],
        "tokens_per_second_median": statistics.median(steady),
        "tokens_per_second_intervals": rates,
    }
    out = ROOT / "benchmarks" / "results" / "train_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
