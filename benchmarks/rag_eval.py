"""Retrieval quality on the sample knowledge documents: hit@k and MRR over a hand-written QA set.

Each line of ``benchmarks/data/rag_qa.jsonl`` is ``{"id", "question", "source", "answer_contains"}``: ``source`` is
the document (``knowledge/<path>``) that answers the question. A question is a hit@k when that document is among
the first k *distinct documents* retrieved; MRR is the mean of 1/rank of the first passage from that document
(0 when it is not in the top ``--depth``).

Local mode (default) builds, in one run and from the same folder, the retriever the product uses -- BM25 over
*sanitized* chunks, Snowball-stemmed (PyStemmer), titles indexed with the text -- and two baselines side by side:
the same index without stemming, and the same index over the *unsanitized* documents (kept in memory only, never
written), which shows what redaction costs retrieval. Ratios are against the unsanitized index.

``--kb-id KB`` runs the same questions against a deployed Bedrock Knowledge Base (``bedrock-agent-runtime``
``Retrieve``; AWS credentials and region from the environment) whose data source holds the same sample folder.

Usage: python benchmarks/rag_eval.py [--qa FILE] [--docs DIR] [--depth 10] [--kb-id KB] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval import Retriever

KS = (1, 3, 5)


@dataclass
class Scores:
    """hit@k for each k in :data:`KS`, MRR, questions, and mean retrieval latency (ms)."""

    hits: dict[int, float]
    mrr: float
    questions: int
    latency_ms: float
    misses: list[str]


def load_qa(path: Path) -> list[dict[str, Any]]:
    """The QA set (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(retriever: Retriever, qa: Sequence[dict[str, Any]], depth: int = 10) -> Scores:
    """Score ``retriever`` on ``qa`` (documents ranked by their best passage; duplicates collapsed)."""
    hits = dict.fromkeys(KS, 0)
    reciprocal = 0.0
    misses: list[str] = []
    elapsed = 0.0
    for item in qa:
        started = time.perf_counter()
        passages = retriever.retrieve(item["question"], top_k=depth)
        elapsed += time.perf_counter() - started
        ranked: list[str] = []
        for p in passages:
            if p.source not in ranked:
                ranked.append(p.source)
        rank = ranked.index(item["source"]) + 1 if item["source"] in ranked else None
        for k in KS:
            hits[k] += int(rank is not None and rank <= k)
        reciprocal += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append(f"{item['id']} rank={rank} top={ranked[:1]} q={item['question']!r}")
    n = len(qa)
    return Scores({k: hits[k] / n for k in KS}, reciprocal / n, n, 1000 * elapsed / n, misses)


class _NoRedaction:
    """A redactor that changes nothing (the unsanitized baseline; never persisted)."""

    def redact(self, text: str, *, field: str | None = None) -> Any:
        return SimpleNamespace(text=text, counts={}, drop=False)


def local_retrievers(docs: Path) -> dict[str, Retriever]:
    """The product's local retriever and the two baselines, all built from ``docs`` in this run."""
    from retrieval import local

    product, _ = local.LocalBm25Retriever.from_folder(docs)
    unsanitized, _ = local.LocalBm25Retriever.from_folder(docs, engine=_NoRedaction())
    original = local._stemmer
    local._stemmer = lambda: None
    try:
        unstemmed, _ = local.LocalBm25Retriever.from_folder(docs)
    finally:
        local._stemmer = original
    return {
        "bm25 sanitized, stemmed (product)": product,
        "bm25 sanitized, no stemming": unstemmed,
        "bm25 unsanitized, stemmed (baseline)": unsanitized,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qa", type=Path, default=ROOT / "benchmarks" / "data" / "rag_qa.jsonl")
    parser.add_argument("--docs", type=Path, default=ROOT / "sample_data" / "knowledge")
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--kb-id", help="evaluate a deployed Bedrock Knowledge Base instead of the local index")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--misses", action="store_true", help="list questions whose document was not ranked first")
    args = parser.parse_args(argv)
    qa = load_qa(args.qa)

    if args.kb_id:
        from retrieval.bedrock import BedrockKbRetriever

        retrievers: dict[str, Retriever] = {f"bedrock kb {args.kb_id}": BedrockKbRetriever(args.kb_id)}
    else:
        retrievers = local_retrievers(args.docs)
    results = {name: evaluate(r, qa, args.depth) for name, r in retrievers.items()}

    if args.json:
        print(json.dumps({n: s.__dict__ for n, s in results.items()}, indent=2))
        return 0
    baseline = results.get("bm25 unsanitized, stemmed (baseline)")
    print(f"{len(qa)} questions, {len({q['source'] for q in qa})} documents, depth {args.depth}")
    header = f"{'retriever':40} " + " ".join(f"hit@{k:<3}" for k in KS) + "  MRR    ms/query"
    print(header)
    for name, s in results.items():
        print(f"{name:40} " + " ".join(f"{s.hits[k]:.3f} " for k in KS) + f" {s.mrr:.3f}  {s.latency_ms:.2f}")
    if baseline:
        product = results["bm25 sanitized, stemmed (product)"]
        print(
            "ratio product/unsanitized: "
            + " ".join(f"hit@{k} {product.hits[k] / baseline.hits[k]:.3f}" for k in KS if baseline.hits[k])
            + f" MRR {product.mrr / baseline.mrr:.3f}"
        )
    if args.misses:
        for name, s in results.items():
            for miss in s.misses:
                print(f"[{name}] {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
