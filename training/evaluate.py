"""Score a trained model: perplexity on held-out text and ROUGE-L on prompt/reference pairs.

Runs as a SageMaker Processing job (paths under ``/opt/ml/processing`` by default, or given as
arguments), as a training job (``SM_CHANNEL_*`` / ``SM_OUTPUT_DATA_DIR``) or locally. Writes
``evaluation.json``::

    {"metrics": {"eval_loss": 1.23, "perplexity": 3.42, "rougeL": 0.41}, "samples": 16, "eval_tokens": 2048}

and prints ``METRIC <name>=<value>`` lines. With ``--champion-dir`` (channel ``champion``: the live model's
artifacts) the production model is scored on the same set, ``comparison.json/.md/.svg`` name both, the report
gains ``comparison`` and ``METRIC candidate_wins=1|0`` (+ delta, latency ratio) feeds the gate
(``training/champion.py``). The quality gate reads ``$.metrics.rougeL``
(``pipeline_stacks/training_metrics.py``). ROUGE-L rather than embedding cosine similarity: it
needs no embedding model download (the pipeline runs without internet), it is deterministic and
it costs nothing next to generation.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
from champion import Scores, compare, verdict_metrics, write_comparison
from rouge_score import rouge_scorer
from sm_common import (
    Collator,
    HyperparameterParser,
    emit_metric,
    env_default,
    format_prompt,
    format_record,
    iter_batches,
    read_records,
    reference_of,
    resolve_model_dir,
    tokenize_texts,
)
from transformers import AutoModelForCausalLM, AutoTokenizer

REPORT_NAME = "evaluation.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Paths default to the Processing job layout, or to the training job's ``SM_*`` variables."""
    p = HyperparameterParser(description=__doc__.splitlines()[0])
    p.option(
        "model-dir",
        default=env_default("SM_CHANNEL_MODEL", "/opt/ml/processing/model"),
        help="model directory or a dir holding model.tar.gz",
    )
    p.option(
        "test-dir",
        default=env_default("SM_CHANNEL_TEST", "/opt/ml/processing/test"),
        help="held-out JSON lines (text or prompt/response) for perplexity",
    )
    p.option(
        "prompts",
        default=env_default("SM_CHANNEL_PROMPTS", None),
        help="prompt/response JSON lines for ROUGE-L (default: the prompt records of --test-dir)",
    )
    p.option("output-dir", default=env_default("SM_OUTPUT_DATA_DIR", "/opt/ml/processing/evaluation"))
    p.option("seq-len", type=int, default=1024)
    p.option("batch-size", type=int, default=8)
    p.option("max-new-tokens", type=int, default=64)
    p.option("max-prompts", type=int, default=200, help="cap on generated samples")
    p.option(
        "champion-dir",
        default=env_default("SM_CHANNEL_CHAMPION", None),
        help="the production model's artifacts: scored on the same set, compared with the candidate",
    )
    p.option("gate-metric", default="rougeL", help="metric the champion comparison decides on")
    p.option("lower-is-better", action="store_true", help="the gate metric improves downwards (e.g. perplexity)")
    p.option("min-delta", type=float, default=0.0, help="required improvement over the champion (0: at least as good)")
    p.option("max-latency-ratio", type=float, default=1.25, help="allowed candidate/champion latency per sample")
    return p.parse_lenient(argv)


@torch.no_grad()
def held_out_loss(
    model: Any, tokenizer: Any, texts: list[str], seq_len: int, batch_size: int
) -> tuple[float | None, int]:
    """Token-weighted mean next-token NLL over ``texts`` and the token count.

    Each text is truncated to ``seq_len``; the NLL is None when there are no tokens.
    """
    examples = tokenize_texts(texts, tokenizer, seq_len, packing=False)
    collator = Collator(tokenizer.pad_token_id)
    total_nll, total_tokens = 0.0, 0
    for batch in iter_batches(examples, batch_size):
        inputs = {k: v.to(model.device) for k, v in collator(batch).items()}
        predicted = int((inputs["labels"][:, 1:] != -100).sum())
        if predicted:
            total_nll += float(model(**inputs).loss) * predicted
            total_tokens += predicted
    return (total_nll / total_tokens if total_tokens else None), total_tokens


@torch.no_grad()
def generate(model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int, batch_size: int) -> list[str]:
    """Greedy completions (new text only) of the templated ``prompts``."""
    tokenizer.padding_side = "left"
    outputs: list[str] = []
    for batch in iter_batches([format_prompt(p) for p in prompts], batch_size):
        enc = tokenizer(list(batch), return_tensors="pt", padding=True).to(model.device)
        generated = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        outputs += tokenizer.batch_decode(generated[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return outputs


def rouge_l(predictions: list[str], references: list[str]) -> float:
    """Mean ROUGE-L F1 (Porter-stemmed, as in the usual ROUGE setup)."""
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in zip(predictions, references, strict=True)]
    return sum(scores) / len(scores)


def prompt_pairs(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(prompt, reference) of the records that have both."""
    pairs = []
    for record in records:
        reference = reference_of(record)
        if isinstance(record.get("prompt"), str) and reference is not None:
            pairs.append((record["prompt"], reference))
    return pairs


def score(
    model_dir: Path, held_out: list[dict[str, Any]], pairs: list[tuple[str, str]], args: argparse.Namespace
) -> tuple[dict[str, float | None], int, float | None]:
    """(metrics, eval_tokens, mean generation latency in ms per sample) of one model on the shared set."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model: Any = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, local_files_only=True)
    model = model.to(device).eval()
    eval_loss, eval_tokens = held_out_loss(
        model, tokenizer, [format_record(r) for r in held_out], args.seq_len, args.batch_size
    )
    rouge, latency = None, None
    if pairs:
        started = time.perf_counter()
        predictions = generate(model, tokenizer, [p for p, _ in pairs], args.max_new_tokens, args.batch_size)
        latency = (time.perf_counter() - started) * 1000 / len(pairs)
        rouge = rouge_l(predictions, [ref for _, ref in pairs])
    perplexity = math.exp(eval_loss) if eval_loss is not None else None
    del model
    return {"eval_loss": eval_loss, "perplexity": perplexity, "rougeL": rouge}, eval_tokens, latency


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Evaluate (and, with ``--champion-dir``, compare with the champion); write ``evaluation.json``."""
    args = parse_args(argv)
    held_out = read_records(args.test_dir)
    pairs = prompt_pairs(read_records(args.prompts) if args.prompts else held_out)[: args.max_prompts]
    if not pairs:
        print("WARNING no prompt/response records: rougeL is null", file=sys.stderr, flush=True)
    metrics, eval_tokens, latency = score(resolve_model_dir(args.model_dir), held_out, pairs, args)
    for name, value in metrics.items():
        if value is not None:
            emit_metric(name, value)
    report: dict[str, Any] = {"metrics": metrics, "samples": len(pairs), "eval_tokens": eval_tokens}
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.champion_dir:
        champion_metrics, _, champion_latency = score(resolve_model_dir(args.champion_dir), held_out, pairs, args)
        candidate = Scores("candidate", metrics, latency, source=str(args.model_dir))
        champion = Scores("champion", champion_metrics, champion_latency, source=str(args.champion_dir))
        verdict = compare(
            candidate,
            champion,
            metric=args.gate_metric,
            higher_is_better=not args.lower_is_better,
            min_delta=args.min_delta,
            max_latency_ratio=args.max_latency_ratio,
        )
        for name, value in verdict_metrics(verdict).items():
            emit_metric(name, value)
        print(f"CHAMPION {verdict.reason}", flush=True)
        report["comparison"] = write_comparison(out, candidate, champion, verdict)
    (out / REPORT_NAME).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
