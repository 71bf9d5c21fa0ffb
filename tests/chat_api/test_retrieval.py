"""Retrieval in the chat API (the ``retrieval`` extension, grounding, citations) with the official ``openai`` SDK
against the app served by uvicorn, over the local knowledge index that ``make local`` builds (sample documents ->
the Glue job's document sanitization -> BM25)."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from chat_support import interaction_records, local_settings, serve, wait_for
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openai import OpenAI
from starlette.testclient import TestClient

from local_runtime import lifecycle
from retrieval import Passage, RetrievalFilters
from retrieval.local import LocalBm25Retriever

FEE_QUESTION = "How much is the late-cancellation fee?"
FEE_SOURCE = "knowledge/clinic/appointments.md"
#: PII planted in the sample knowledge documents (tests/retrieval lists them all); none may leave the index.
SAMPLE_PII = (
    "Dana Whitfield",
    "Whitfield",
    "dana.whitfield@harborview-clinic.example",
    "555-0134",
    "Oyelaran",
    "privacy@harborview-clinic.example",
    "617 555 0199",
    "Kowalczyk",
    "robert.kowalczyk@mailbox.example",
    "617-555-0187",
    "Moretti",
    "angela.moretti@example.net",
    "00482913",
    "03/14/1968",
)


@pytest.fixture(scope="module")
def knowledge_home(tmp_path_factory: pytest.TempPathFactory) -> lifecycle.Paths:
    """What ``make local`` builds: raw knowledge seeded from sample_data/knowledge, sanitized, indexed."""
    paths = lifecycle.Paths(tmp_path_factory.mktemp("home"))
    result = lifecycle.knowledge(paths)
    assert result.data["documents"] == 9 and result.data["quarantined"] == 0
    return paths


class RecordingStub:
    """The stub backend, keeping the messages the model was given."""

    def __init__(self) -> None:
        from chat_api.backends import StubBackend

        self.inner = StubBackend()
        self.model_id = self.inner.model_id
        self.seen: list[list[dict[str, str]]] = []

    async def stream(self, request: Any) -> AsyncGenerator[Any, None]:
        self.seen.append([{"role": m.role, "content": m.content} for m in request.messages])
        async for item in self.inner.stream(request):
            yield item


class RecordingRetriever:
    """Wraps a retriever and keeps the queries it received."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries: list[str] = []

    def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
        self.queries.append(query)
        return list(self.inner.retrieve(query, top_k=top_k, filters=filters))


@pytest.fixture
def rag(tmp_path: Path, knowledge_home: lifecycle.Paths) -> Iterator[tuple[str, Any, RecordingStub, Any]]:
    """``(url, settings, backend, retriever)`` of a server with the local index and retrieval on by default."""
    from chat_api.app import create_app

    s = local_settings(tmp_path, rag_local_index=str(knowledge_home.rag_index), rag_default_on=True)
    backend = RecordingStub()
    retriever = RecordingRetriever(LocalBm25Retriever.load(knowledge_home.rag_index))
    app = create_app(s, backend=backend, retriever=retriever)
    with serve(app) as url:
        yield url, s, backend, retriever


def client(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="local", max_retries=0)


def test_answer_cites_the_document_holding_the_fact(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, _, backend, _ = rag
    completion = client(url).chat.completions.create(
        model="stub-model",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": FEE_QUESTION}],
    )
    citations = completion.model_extra["citations"]  # type: ignore[index]
    assert citations[0]["source"] == FEE_SOURCE
    assert citations[0]["title"] == "Booking, changing and cancelling appointments"
    assert "$25" in citations[0]["snippet"] and citations[0]["score"] > 0
    assert set(citations[0]) == {"source", "title", "score", "snippet"}
    # the model was given the passages with the documented template, in the caller's system message
    (seen,) = backend.seen
    assert seen[0]["role"] == "system" and seen[0]["content"].startswith("Be brief.\n\nAnswer the user's question")
    assert f"[1] Booking, changing and cancelling appointments ({FEE_SOURCE})" in seen[0]["content"]
    assert "late-cancellation fee of $25" in seen[0]["content"]
    assert seen[1:] == [{"role": "user", "content": FEE_QUESTION}]
    # usage counts the grounded prompt the model saw
    assert completion.usage is not None and completion.usage.prompt_tokens > len(FEE_QUESTION) // 4 + 10


def test_stream_ends_with_a_citations_chunk_the_sdk_accepts(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, _, _, _ = rag
    stream = client(url).chat.completions.create(
        model="stub-model",
        messages=[{"role": "user", "content": FEE_QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)  # every chunk, the citations one included, goes through the SDK's parser
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "This is a deterministic stub answer from the secure LLM pipeline."
    usage, last = chunks[-2], chunks[-1]
    assert usage.choices == [] and usage.usage is not None
    assert last.choices == [] and last.usage is None
    assert last.model_extra["citations"][0]["source"] == FEE_SOURCE  # type: ignore[index]
    assert len({c.id for c in chunks}) == 1


def test_stream_wire_order_without_usage(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    """What web/src/sse.ts reads: content chunks, the finish chunk, the citations chunk, ``[DONE]``."""
    url, _, _, _ = rag
    with httpx.stream(
        "POST",
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": FEE_QUESTION}], "stream": True},
    ) as resp:
        lines = [line for line in resp.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line[6:]) for line in lines[:-1]]
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert events[-1]["choices"] == [] and events[-1]["object"] == "chat.completion.chunk"
    assert events[-1]["citations"][0]["source"] == FEE_SOURCE
    assert all("citations" not in e for e in events[:-1])


def test_interaction_record_carries_the_citations(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, s, _, _ = rag
    completion = client(url).chat.completions.create(model="m", messages=[{"role": "user", "content": FEE_QUESTION}])
    (record,) = wait_for(lambda: interaction_records(s))
    assert record["citations"] == completion.model_extra["citations"]  # type: ignore[index]
    assert record["retrieval"]["top_k"] == 4 and record["retrieval"]["error"] is None
    assert record["retrieval"]["passages"] == len(record["citations"])
    # the stored messages are the caller's (redacted), not the grounded prompt
    assert record["messages"] == [{"role": "user", "content": FEE_QUESTION}]


def test_the_retriever_only_sees_the_redacted_query(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, _, backend, retriever = rag
    question = f"I am jane.doe@example.com, phone +1 415 555 0100. {FEE_QUESTION}"
    completion = client(url).chat.completions.create(model="m", messages=[{"role": "user", "content": question}])
    (query,) = retriever.queries
    assert "jane.doe@example.com" not in query and "555 0100" not in query
    assert "[EMAIL_ADDRESS]" in query and "late-cancellation fee" in query
    assert completion.model_extra["citations"][0]["source"] == FEE_SOURCE  # type: ignore[index]
    assert backend.seen[0][-1]["content"] == question  # the model still gets the question as asked


def test_sample_pii_is_neither_indexed_nor_cited(
    rag: tuple[str, Any, RecordingStub, Any], knowledge_home: lifecycle.Paths
) -> None:
    raw = "\n".join(p.read_text(encoding="utf-8") for p in knowledge_home.knowledge_raw_dir.rglob("*") if p.is_file())
    assert all(v in raw for v in SAMPLE_PII)  # the raw documents do carry it (else this test proves nothing)
    stored = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in (knowledge_home.rag_index, knowledge_home.knowledge_sanitized_dir)
        for p in folder.rglob("*")
        if p.is_file()
    )
    assert [v for v in SAMPLE_PII if v in stored] == []
    url, _, _, _ = rag
    questions = [
        "Who is the privacy officer and how do I contact them?",
        "Who is the billing coordinator?",
        "What does a typical prescription refill message read like?",
        "walk-in flu clinic feedback",
        "What is the date of birth and MRN in the refill example?",
    ]
    bodies = []
    for question in questions:
        for stream in (False, True):
            resp = httpx.post(
                f"{url}/v1/chat/completions",
                json={
                    "messages": [{"role": "user", "content": question}],
                    "stream": stream,
                    "retrieval": {"top_k": 20},
                },
                timeout=30,
            )
            assert resp.status_code == 200
            bodies.append(resp.text)
    everything = "\n".join(bodies)
    assert "[PERSON]" in everything or "[EMAIL_ADDRESS]" in everything  # redacted passages were cited
    assert [v for v in SAMPLE_PII if v in everything] == []


def test_filters_restrict_the_sources(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, _, _, _ = rag
    completion = client(url).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "fee appointment refill privacy"}],
        extra_body={"retrieval": {"top_k": 10, "filters": {"source_prefix": "knowledge/policies/"}}},
    )
    sources = [c["source"] for c in completion.model_extra["citations"]]  # type: ignore[index]
    assert sources and all(s.startswith("knowledge/policies/") for s in sources)
    completion = client(url).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "fee appointment refill privacy"}],
        extra_body={"retrieval": {"filters": {"attributes": {"doc_type": "html"}}}},
    )
    sources = [c["source"] for c in completion.model_extra["citations"]]  # type: ignore[index]
    assert sources and all(s.endswith(".html") for s in sources)


def test_retrieval_can_be_turned_off_per_request(rag: tuple[str, Any, RecordingStub, Any]) -> None:
    url, _, backend, retriever = rag
    completion = client(url).chat.completions.create(
        model="m", messages=[{"role": "user", "content": FEE_QUESTION}], extra_body={"retrieval": {"enabled": False}}
    )
    assert "citations" not in (completion.model_extra or {})
    assert retriever.queries == [] and backend.seen == [[{"role": "user", "content": FEE_QUESTION}]]


def test_default_off_deployment_retrieves_only_when_asked(tmp_path: Path, knowledge_home: lifecycle.Paths) -> None:
    from chat_api.app import create_app

    s = local_settings(tmp_path, rag_local_index=str(knowledge_home.rag_index), rag_top_k=2)
    with TestClient(create_app(s)) as c:
        body = {"messages": [{"role": "user", "content": FEE_QUESTION}]}
        assert "citations" not in c.post("/v1/chat/completions", json=body).json()
        asked = c.post("/v1/chat/completions", json={**body, "retrieval": {"enabled": True}}).json()
        assert [x["source"] for x in asked["citations"]][:1] == [FEE_SOURCE] and len(asked["citations"]) <= 2


def test_not_configured_answers_without_citations(tmp_path: Path) -> None:
    from chat_api.app import create_app

    with TestClient(create_app(local_settings(tmp_path, rag_default_on=True))) as c:
        resp = c.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": FEE_QUESTION}], "retrieval": {"enabled": True}},
        )
    assert resp.status_code == 200 and "citations" not in resp.json()


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        1,
        [],
        {"enabled": "true"},
        {"top_k": 0},
        {"top_k": 21},
        {"top_k": True},
        {"top_k": 2.5},
        {"filters": []},
        {"filters": {"prefix": "x"}},
        {"filters": {"source_prefix": ""}},
        {"filters": {"attributes": {"doc_type": {"in": ["html"]}}}},
        {"filters": {"attributes": {"k": []}}},
        {"enable": True},
    ],
)
def test_bad_retrieval_values_are_400s(rag: tuple[str, Any, RecordingStub, Any], value: Any) -> None:
    url, _, backend, _ = rag
    with pytest.raises(openai.BadRequestError) as info:
        client(url).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], extra_body={"retrieval": value}
        )
    error = info.value.response.json()["error"]
    assert error["param"] == "retrieval" and error["type"] == "invalid_request_error"
    assert error["message"].startswith("retrieval")
    assert backend.seen == []


def test_failing_retriever_never_fails_the_chat(tmp_path: Path) -> None:
    from chat_api.app import create_app

    class Broken:
        def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
            raise ConnectionError("knowledge base unreachable")

    s = local_settings(tmp_path, rag_default_on=True)
    app = create_app(s, retriever=Broken())
    with TestClient(app) as c:
        resp = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FEE_QUESTION}]})
        streamed = c.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": FEE_QUESTION}], "stream": True}
        )
    assert resp.status_code == 200 and resp.json()["citations"] == []
    assert resp.json()["choices"][0]["message"]["content"].startswith("This is")
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
    counts = app.state.chat.metrics.counts
    assert counts["RetrievalErrors"] == 2 and "RetrievalLatency" in counts
    (record, _) = wait_for(lambda: (r := interaction_records(s)) and len(r) == 2 and r)
    assert record["retrieval"]["error"] == "ConnectionError" and record["citations"] == []


def test_hung_retriever_is_cut_at_the_deadline(tmp_path: Path) -> None:
    from chat_api.app import create_app

    release = threading.Event()

    class Hanging:
        def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
            release.wait(30)
            return []

    app = create_app(local_settings(tmp_path, rag_default_on=True, retrieval_timeout_s=0.2), retriever=Hanging())
    try:
        with TestClient(app) as c:
            resp = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FEE_QUESTION}]})
    finally:
        release.set()
    assert resp.status_code == 200 and resp.json()["citations"] == []
    assert app.state.chat.metrics.counts["RetrievalErrors"] == 1


def test_metrics_per_retrieval(tmp_path: Path, knowledge_home: lifecycle.Paths) -> None:
    from chat_api.app import create_app

    app = create_app(
        local_settings(tmp_path, rag_default_on=True), retriever=LocalBm25Retriever.load(knowledge_home.rag_index)
    )
    with TestClient(app) as c:
        c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FEE_QUESTION}]})
        c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "zzzz qqqq"}]})
    counts = app.state.chat.metrics.counts
    assert counts["RetrievalLatency"] > 0 and counts["RetrievalPassages"] >= 1
    assert "RetrievalErrors" not in counts


# --------------------------------------------------------------------------- property: no 5xx with the field

TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=30)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(TEXT, kids, max_size=4)), max_leaves=12
)
ATTRIBUTES = st.one_of(
    JSON,
    st.dictionaries(
        st.one_of(TEXT, st.sampled_from(["doc_type", "folder", "source"])),
        st.one_of(SCALAR, st.lists(SCALAR, max_size=3), JSON),
        max_size=3,
    ),
)
FILTERS = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "source_prefix": st.one_of(
                TEXT, st.sampled_from(["knowledge/", "knowledge/clinic", "knowledge/x.md"]), JSON
            ),
            "attributes": ATTRIBUTES,
        },
    ),
)
RETRIEVAL = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), JSON),
            "top_k": st.one_of(st.integers(-3, 25), JSON),
            "filters": FILTERS,
        },
    ),
)


@pytest.fixture(scope="module")
def rag_client(tmp_path_factory: pytest.TempPathFactory, knowledge_home: lifecycle.Paths) -> Iterator[TestClient]:
    from chat_api.app import create_app

    s = local_settings(
        tmp_path_factory.mktemp("prop"), rag_local_index=str(knowledge_home.rag_index), rag_default_on=True
    )
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        yield c


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(retrieval=RETRIEVAL, question=st.one_of(TEXT, st.just(FEE_QUESTION)), stream=st.booleans())
def test_no_retrieval_value_gives_a_5xx(rag_client: TestClient, retrieval: Any, question: str, stream: bool) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": question}], "retrieval": retrieval, "stream": stream})
    resp = rag_client.post("/v1/chat/completions", content=body.encode(), headers={"content-type": "application/json"})
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert set(resp.json()["error"]) == {"message", "type", "param", "code"}
    elif not stream:
        citations = resp.json().get("citations")
        assert citations is None or all(set(c) == {"source", "title", "score", "snippet"} for c in citations)


# --------------------------------------------------------------------------- the AWS path (Bedrock Knowledge Base)


def test_settings_from_the_stack_environment_select_the_knowledge_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the FrontDoor construct sets -> settings -> ``bedrock-agent-runtime`` ``Retrieve`` with the redacted
    query, ``top_k`` and the translated filter; the KB's results become the citations."""
    from chat_api import backends
    from chat_api.app import create_app
    from chat_api.settings import ChatSettings

    env = {
        "KNOWLEDGE_BASE_ID": "KB12345678",
        "RAG_DEFAULT_ON": "true",
        "RAG_TOP_K": "3",
        "LOCAL_LAKE_DIR": str(tmp_path / "lake"),
        "CONVERSATIONS_SQLITE": str(tmp_path / "c.sqlite3"),
    }
    s = ChatSettings.from_env(env)
    assert (s.knowledge_base_id, s.rag_default_on, s.rag_top_k) == ("KB12345678", True, 3)
    calls: list[dict[str, Any]] = []

    class FakeAgentRuntime:
        def retrieve(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return {
                "retrievalResults": [
                    {
                        "content": {"text": "Appointments cancelled late incur a fee of $25. Ask [PERSON] at billing."},
                        "location": {"s3Location": {"uri": "s3://sanitized-bucket/knowledge/clinic/appointments.md"}},
                        "metadata": {"source": FEE_SOURCE, "title": "Appointments", "doc_type": "markdown"},
                        "score": 0.61,
                    }
                ]
            }

    monkeypatch.setattr(backends, "_aws_client", lambda service, *a: FakeAgentRuntime())
    with TestClient(create_app(s)) as c:
        body = {
            "messages": [{"role": "user", "content": f"I'm ann@example.com. {FEE_QUESTION}"}],
            "retrieval": {"filters": {"source_prefix": "knowledge/clinic/", "attributes": {"doc_type": "markdown"}}},
        }
        resp = c.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200
    (call,) = calls
    assert call["knowledgeBaseId"] == "KB12345678"
    query = call["retrievalQuery"]["text"]
    assert "ann@example.com" not in query and "[EMAIL_ADDRESS]" in query
    vector = call["retrievalConfiguration"]["vectorSearchConfiguration"]
    assert vector["numberOfResults"] == 3
    assert vector["filter"] == {
        "andAll": [
            {"listContains": {"key": "path_prefixes", "value": "knowledge/clinic/"}},
            {"equals": {"key": "doc_type", "value": "markdown"}},
        ]
    }
    assert resp.json()["citations"] == [
        {
            "source": FEE_SOURCE,
            "title": "Appointments",
            "score": 0.61,
            "snippet": "Appointments cancelled late incur a fee of $25. Ask [PERSON] at billing.",
        }
    ]


def test_no_retrieval_before_the_no_model_503(tmp_path: Path) -> None:
    from chat_api.app import create_app

    asked: list[str] = []

    class Spy:
        def retrieve(self, query: str, top_k: int = 4, filters: RetrievalFilters | None = None) -> list[Passage]:
            asked.append(query)
            return []

    s = local_settings(tmp_path, rag_default_on=True).with_(
        backend="sagemaker", endpoint_name="e", live_model_package_arn="none"
    )
    with TestClient(create_app(s, retriever=Spy())) as c:
        resp = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FEE_QUESTION}]})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "no_model_deployed"
    assert asked == []
