"""Retrieval runtime: request parsing, filters, prompt template, the local BM25 retriever and the Bedrock KB mapping."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from retrieval import (
    GROUNDING_TEMPLATE,
    Passage,
    RetrievalFilters,
    RetrievalRequest,
    build_grounded_messages,
    citations,
    ground,
    last_user_text,
    retriever_from_env,
)
from retrieval.bedrock import BedrockKbRetriever, kb_filter
from retrieval.local import LocalBm25Retriever, chunk_paragraphs

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_data" / "knowledge"
#: PII written into the sample documents on purpose; none of it may reach the index.
SAMPLE_PII = (
    "Dana Whitfield",
    "Whitfield",
    "dana.whitfield@harborview-clinic.example",
    "(415) 555-0134",
    "555-0134",
    "Marcus Oyelaran",
    "Oyelaran",
    "privacy@harborview-clinic.example",
    "617 555 0199",
    "Robert Kowalczyk",
    "Kowalczyk",
    "robert.kowalczyk@mailbox.example",
    "617-555-0187",
    "Angela Moretti",
    "Moretti",
    "angela.moretti@example.net",
    "00482913",
    "03/14/1968",
)


@pytest.fixture(scope="module")
def local() -> LocalBm25Retriever:
    retriever, report = LocalBm25Retriever.from_folder(SAMPLES)
    assert report.documents == 9 and not report.quarantined
    return retriever


def test_samples_contain_the_pii_the_index_must_not() -> None:
    raw = "\n".join(p.read_text() for p in SAMPLES.rglob("*") if p.is_file())
    assert all(value in raw for value in SAMPLE_PII)  # otherwise the next test proves nothing


def test_pii_never_appears_in_the_local_index(local: LocalBm25Retriever, tmp_path: Path) -> None:
    local.save(tmp_path / "idx")
    saved = (tmp_path / "idx" / "chunks.jsonl").read_text()
    in_memory = json.dumps([c.__dict__ for c in local.chunks])
    for value in SAMPLE_PII:
        assert value not in saved and value not in in_memory, value
    assert "[EMAIL_ADDRESS]" in saved and "[PERSON]" in saved
    # Not even in what a query returns.
    for passage in local.retrieve("billing coordinator email phone privacy officer", top_k=5):
        assert not any(value in passage.text or value in passage.title for value in SAMPLE_PII)


def test_local_answers_a_fact_with_a_citation_to_its_file(local: LocalBm25Retriever) -> None:
    passages = local.retrieve("How much is the late-cancellation fee?", top_k=3)
    assert passages[0].source == "knowledge/clinic/appointments.md"
    assert "$25" in passages[0].text
    cite = passages[0].citation()
    assert set(cite) == {"source", "title", "score", "snippet"}
    assert cite["title"] == "Booking, changing and cancelling appointments"
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert len({p.source for p in passages}) == len(passages)  # one passage per document


def test_local_filters(local: LocalBm25Retriever) -> None:
    query = "password reset link app"
    assert {p.source for p in local.retrieve(query, 5, RetrievalFilters(source_prefix="knowledge/clinic/"))} <= {
        "knowledge/clinic/appointments.md",
        "knowledge/clinic/billing.html",
        "knowledge/clinic/hours-and-locations.md",
        "knowledge/clinic/vaccinations.txt",
    }
    only_html = local.retrieve("data", 5, RetrievalFilters(attributes={"doc_type": "html"}))
    assert only_html and all(p.source.endswith(".html") for p in only_html)
    one = local.retrieve("app", 5, RetrievalFilters(source_prefix="knowledge/app/troubleshooting.md"))
    assert [p.source for p in one] == ["knowledge/app/troubleshooting.md"]
    assert local.retrieve("app", 5, RetrievalFilters(attributes={"folder": "nope"})) == []
    assert local.retrieve("   ", 5) == []


def test_local_save_and_load_round_trip(local: LocalBm25Retriever, tmp_path: Path) -> None:
    local.save(tmp_path)
    loaded = LocalBm25Retriever.load(tmp_path)
    query = "Which error code means the session expired?"
    assert [p.citation() for p in loaded.retrieve(query)] == [p.citation() for p in local.retrieve(query)]
    assert retriever_from_env({"RAG_LOCAL_INDEX": str(tmp_path)}).retrieve(query)[0].source == (  # type: ignore[union-attr]
        "knowledge/app/troubleshooting.md"
    )
    assert retriever_from_env({}) is None


def test_chunking_keeps_paragraphs_and_splits_at_headings() -> None:
    text = "# A\n\npara one\n\npara two\n\n## B\n\n" + "x" * 50 + "\n\n" + "y" * 50
    assert chunk_paragraphs(text, max_chars=80) == ["# A\n\npara one\n\npara two", "## B\n\n" + "x" * 50, "y" * 50]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("yes", "must be an object"),
        ({"enabled": "yes"}, "enabled must be a boolean"),
        ({"top_k": 0}, "top_k must be an integer"),
        ({"top_k": True}, "top_k must be an integer"),
        ({"top_k": 21}, "top_k must be an integer"),
        ({"other": 1}, "unknown key"),
        ({"filters": []}, "filters must be an object"),
        ({"filters": {"source_prefix": ""}}, "source_prefix"),
        ({"filters": {"attributes": {"a": {"b": 1}}}}, "attributes.a"),
        ({"filters": {"tenant": "x"}}, "unknown key"),
    ],
)
def test_request_validation_names_the_field(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetrievalRequest.from_body(body)


def test_request_defaults() -> None:
    assert RetrievalRequest.from_body(None) == RetrievalRequest(enabled=False)
    assert RetrievalRequest.from_body(None, default_enabled=True, default_top_k=6).top_k == 6
    parsed = RetrievalRequest.from_body({"top_k": 3, "filters": {"attributes": {"doc_type": ["html", "markdown"]}}})
    assert parsed.enabled and parsed.top_k == 3
    assert parsed.filters.attributes == {"doc_type": ("html", "markdown")}


def test_kb_filter_translation() -> None:
    assert kb_filter(None) is None and kb_filter(RetrievalFilters()) is None
    assert kb_filter(RetrievalFilters(source_prefix="knowledge/clinic/")) == {
        "listContains": {"key": "path_prefixes", "value": "knowledge/clinic/"}
    }
    both = kb_filter(
        RetrievalFilters(source_prefix="knowledge/a.md", attributes={"doc_type": ("html", "text"), "x": 1})
    )
    assert both == {
        "andAll": [
            {
                "orAll": [
                    {"listContains": {"key": "path_prefixes", "value": "knowledge/a.md/"}},
                    {"equals": {"key": "source", "value": "knowledge/a.md"}},
                ]
            },
            {"in": {"key": "doc_type", "value": ["html", "text"]}},
            {"equals": {"key": "x", "value": 1}},
        ]
    }


class _FakeAgentRuntime:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def retrieve(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "retrievalResults": [
                {
                    "content": {"text": "Refills take three business days."},
                    "location": {"type": "S3", "s3Location": {"uri": "s3://bucket/knowledge/policies/refills.md"}},
                    "metadata": {"title": "Prescription refills", "x-amz-bedrock-kb-chunk-id": "1"},
                    "score": 0.61,
                },
                {
                    "content": {"text": "Other."},
                    "location": {"s3Location": {"uri": "s3://bucket/knowledge/b.html.txt"}},
                    "metadata": {"source": "knowledge/b.html"},
                    "score": 0.2,
                },
            ]
        }


def test_bedrock_retriever_maps_results_and_sends_filters() -> None:
    client = _FakeAgentRuntime()
    retriever = BedrockKbRetriever("KB123", client=client, search_type="HYBRID")
    passages = retriever.retrieve("refills?", top_k=2, filters=RetrievalFilters(attributes={"folder": "policies"}))
    assert client.calls == [
        {
            "knowledgeBaseId": "KB123",
            "retrievalQuery": {"text": "refills?"},
            "retrievalConfiguration": {
                "vectorSearchConfiguration": {
                    "numberOfResults": 2,
                    "filter": {"equals": {"key": "folder", "value": "policies"}},
                    "overrideSearchType": "HYBRID",
                }
            },
        }
    ]
    assert citations(passages) == [
        {
            "source": "knowledge/policies/refills.md",
            "title": "Prescription refills",
            "score": 0.61,
            "snippet": "Refills take three business days.",
        },
        {"source": "knowledge/b.html", "title": "b.html", "score": 0.2, "snippet": "Other."},
    ]
    with pytest.raises(ValueError):
        BedrockKbRetriever("KB", search_type="FAST")


def _passages() -> list[Passage]:
    return [
        Passage("knowledge/a.md", "A", 2.0, "a", "Alpha text."),
        Passage("knowledge/b.md", "B", 1.0, "b", "Beta text."),
    ]


def test_grounded_messages_insert_a_system_message_with_numbered_sources() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is alpha?"}]}]
    out = build_grounded_messages(messages, _passages())
    assert out[1:] == messages and out[0]["role"] == "system"
    assert "[1] A (knowledge/a.md)\nAlpha text." in out[0]["content"]
    assert "[2] B (knowledge/b.md)\nBeta text." in out[0]["content"]
    assert out[0]["content"].startswith(GROUNDING_TEMPLATE.split("{passages}")[0])
    assert last_user_text(messages) == "What is alpha?"


def test_grounded_messages_extend_an_existing_system_message_and_handle_no_passages() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    out = build_grounded_messages(messages, _passages())
    assert len(out) == 2 and out[0]["content"].startswith("Be brief.\n\nAnswer the user's question")
    assert messages[0]["content"] == "Be brief."  # input untouched
    none = build_grounded_messages(messages, [])
    assert "No knowledge-base sources matched" in none[0]["content"]
    assert not re.search(r"\[\d\]", none[0]["content"])


class _Failing:
    def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
        raise TimeoutError("kb unavailable")


def test_ground_retrieves_for_the_last_user_message(local: LocalBm25Retriever) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "user", "content": "How long is a video visit?"}]
    grounding = ground(messages, local, RetrievalRequest(enabled=True, top_k=2))
    assert grounding.ran and grounding.error is None and grounding.latency_ms is not None
    assert grounding.citations[0]["source"] == "knowledge/clinic/appointments.md"
    assert grounding.messages[0]["role"] == "system" and "[1] Booking" in grounding.messages[0]["content"]
    assert grounding.messages[1:] == messages


def test_ground_skips_when_disabled_unconfigured_or_empty(local: LocalBm25Retriever) -> None:
    messages = [{"role": "user", "content": "How long is a video visit?"}]
    for retriever, request, msgs in (
        (local, RetrievalRequest(enabled=False), messages),
        (None, RetrievalRequest(enabled=True), messages),
        (local, RetrievalRequest(enabled=True), [{"role": "assistant", "content": "x"}]),
    ):
        grounding = ground(msgs, retriever, request)
        assert not grounding.ran and grounding.citations == [] and grounding.messages == msgs


def test_ground_degrades_to_an_ungrounded_answer_when_retrieval_fails() -> None:
    messages = [{"role": "user", "content": "q"}]
    grounding = ground(messages, _Failing(), RetrievalRequest(enabled=True))
    assert grounding.ran and grounding.error == "TimeoutError"
    assert grounding.messages == messages and grounding.citations == []
