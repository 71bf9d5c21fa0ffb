"""The retrieval benchmark harness: scoring and the QA set's integrity."""

from __future__ import annotations

import sys
from pathlib import Path

from retrieval import Passage

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import rag_eval  # noqa: E402


class _Fixed:
    def __init__(self, ranking: dict[str, list[str]]) -> None:
        self.ranking = ranking

    def retrieve(self, query: str, top_k: int = 4, filters: object = None) -> list[Passage]:
        return [Passage(s, s, 1.0, "", "") for s in self.ranking[query]][:top_k]


def test_hit_at_k_and_mrr_collapse_duplicate_documents() -> None:
    qa = [
        {"id": "a", "question": "qa", "source": "d1"},
        {"id": "b", "question": "qb", "source": "d2"},
        {"id": "c", "question": "qc", "source": "d3"},
    ]
    retriever = _Fixed({"qa": ["d1", "d2"], "qb": ["d1", "d1", "d2"], "qc": ["d1", "d2"]})
    scores = rag_eval.evaluate(retriever, qa, depth=10)
    assert scores.hits == {1: 1 / 3, 3: 2 / 3, 5: 2 / 3}
    assert abs(scores.mrr - (1 + 1 / 2 + 0) / 3) < 1e-9
    assert len(scores.misses) == 2


def test_qa_set_points_at_existing_sample_documents() -> None:
    qa = rag_eval.load_qa(REPO / "benchmarks" / "data" / "rag_qa.jsonl")
    assert 20 <= len(qa) <= 50
    assert len({q["id"] for q in qa}) == len(qa)
    docs = REPO / "sample_data"
    for item in qa:
        path = docs / item["source"]
        assert path.is_file(), item
        assert item["answer_contains"] in path.read_text(), item
