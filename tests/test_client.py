"""groundqa.client against the real app on a real loopback port (uvicorn in a thread), with a
hashing embedder and a first-sentence reader instead of the models."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

import pytest
import uvicorn
from pydantic import SecretStr

from groundqa import errors
from groundqa.client import (Answer, AnswersEvent, AskResponse, Client, ClientError, Document, DocumentPage,
                             DoneEvent, Passage, PassagesEvent, WriteResult)
from groundqa.index.catalog import DirectoryCatalog, update_stored
from groundqa.index.types import Document as IndexDocument
from groundqa.service.api.guards import http_protocol
from groundqa.service.app import create_app
from groundqa.service.engine import Engine
from groundqa.service.pipeline import Pipeline
from groundqa.settings import Settings
from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config
from tests.conftest import FakeEmbedder
from tests.servers import free_port

KEY = "client-key-1"
BROKEN = "explode"  # a question holding this word makes the reader fail
DOCUMENTS = [
    IndexDocument("zoo/zebra", "Zebra facts", "zebra.txt",
                  "The zebra named Ziggy lives in the Serengeti. Zebras eat grass all day.", {"kind": "animal"}),
    IndexDocument("zoo/otter", "Otter facts", "otter.txt",
                  "Otto the otter swims in the river Thames. Otters crack clams with stones.", {"kind": "animal"}),
]


class FirstSentenceReader:
    """Answers with each passage's first sentence, sure of it (margin 30 over no-answer)."""

    def token_counts(self, question, passages):
        return [len(question.split()) + len(p.chunk.text.split()) for p in passages]

    def read(self, question, passages):
        from groundqa.service.reader import Reading, Span

        if BROKEN in question:
            raise errors.ModelNotFound("reader gone")
        spans = []
        for passage in passages:
            chunk = passage.chunk
            end = chunk.text.find(". ") + 1 or len(chunk.text)
            spans.append(Span(passage, chunk.start, chunk.start + end, 30.0 - passage.rank, 0.0))
        return Reading(spans, 0.0)


@contextlib.contextmanager
def serve(index_dir, attach: bool = True, **overrides) -> Iterator[str]:
    settings = Settings(index_dir=index_dir, api_key=SecretStr(KEY), **overrides)
    engine = Engine(settings)
    if attach:
        catalog = DirectoryCatalog(index_dir, faiss_layout(settings))
        manifest = expected_manifest(settings, FakeEmbedder())
        collection, _ = update_stored(catalog, manifest, lambda c: c.upsert(DOCUMENTS, FakeEmbedder()))
        pipeline = Pipeline(FakeEmbedder(), collection, FirstSentenceReader(), pipeline_config(settings))
        pipeline.prepare_search()
        engine.attach(pipeline, catalog)
    else:
        engine.start = lambda: None  # stays "starting": no models load
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port,
                                           log_level="warning", http=http_protocol()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("client-index")) as url:
        yield url


@pytest.fixture
def client(url):
    with Client(url, api_key=KEY) as client:
        yield client


def test_ask_returns_typed_answers_with_citations(client):
    response = client.ask("Where does the zebra Ziggy live?", top_k=2)
    assert isinstance(response, AskResponse) and not response.no_answer
    best = response.answers[0]
    assert isinstance(best, Answer) and best.text == "The zebra named Ziggy lives in the Serengeti"
    assert best.citation.doc_id == "zoo/zebra" and best.citation.title == "Zebra facts"
    assert (best.citation.start, best.citation.end) == (0, len(best.text))
    assert "total" in response.timings_ms
    assert client.ask("Where does the zebra Ziggy live?", top_k=2).cached
    filtered = client.ask("Where does the zebra Ziggy live?", filters={"doc_id": "zoo/otter"})
    assert "zoo/zebra" not in {a.citation.doc_id for a in filtered.answers}  # the otter's text may answer nothing
    filtered = client.ask("Where does Otto the otter swim?", filters={"doc_id": "zoo/otter"})
    assert {a.citation.doc_id for a in filtered.answers} == {"zoo/otter"}


def test_search_returns_passages_with_text(client):
    passages = client.search("otter Thames", k=1)
    assert len(passages) == 1 and isinstance(passages[0], Passage)
    assert passages[0].doc_id == "zoo/otter" and passages[0].rank == 1 and "Thames" in passages[0].text
    assert [p.doc_id for p in client.search("Ziggy", k=2, filters={"title": "Otter facts"})] == ["zoo/otter"]


def test_stream_yields_passages_then_answers_then_done(client):
    events = list(client.ask_stream("Who swims in the Thames?", top_k=2))
    assert [type(e) for e in events] == [PassagesEvent, AnswersEvent, DoneEvent]
    assert events[0].passages[0].doc_id == "zoo/otter" and events[0].passages[0].text is None
    assert events[1].response.answers[0].citation.doc_id == "zoo/otter"


def test_stream_errors_are_raised_before_and_during_the_stream(client):
    with pytest.raises(errors.InvalidQuestion):
        next(client.ask_stream("   "))
    stream = client.ask_stream(f"Who swims? {BROKEN}")
    assert isinstance(next(stream), PassagesEvent)
    with pytest.raises(errors.ModelNotFound, match="reader gone"):
        next(stream)


def test_documents_round_trip(client, tmp_path):
    doc_id = "notes/a b?c#d%e/ü"  # slashes and characters that need quoting in a URL
    added = client.add_document("Lemons are yellow. They are sour.", doc_id=doc_id, title="Lemons", meta={"n": 1})
    assert added == WriteResult(doc_id, "added", 1)
    document = client.get_document(doc_id)
    assert isinstance(document, Document)
    assert (document.title, document.text, document.meta, document.source) == (
        "Lemons", "Lemons are yellow. They are sour.", {"n": 1}, "api")

    path = tmp_path / "plums.txt"
    path.write_text("Plums are purple.\n")
    assert client.add_document(file=path).doc_id == "plums.txt"
    uploaded = client.add_document(file=("figs.md", b"# Figs\n\nFigs are sweet."), doc_id="fruit/figs", title="Figs!")
    assert uploaded.doc_id == "fruit/figs" and client.get_document("fruit/figs").title == "Figs!"

    page = client.list_documents(limit=100)
    assert isinstance(page, DocumentPage) and page.total == len(page.documents) >= 5
    assert {doc_id, "plums.txt", "fruit/figs"} <= {d.doc_id for d in page.documents}
    assert client.list_documents(offset=1, limit=1).documents == page.documents[1:2]

    assert client.replace_document(doc_id, "Lemons are very sour.").status == "updated"
    assert client.get_document(doc_id).text == "Lemons are very sour."
    assert client.replace_document("plums.txt", file=path).status == "unchanged"

    for gone in (doc_id, "plums.txt", "fruit/figs"):
        client.delete_document(gone)
        with pytest.raises(errors.DocumentNotFound):
            client.get_document(gone)
    with pytest.raises(errors.DocumentNotFound):
        client.replace_document("no/such", "text")
    with pytest.raises(errors.DocumentNotFound):
        client.delete_document("no/such")


def test_write_errors(client, url):
    with pytest.raises(errors.DocumentConflict) as conflict:
        client.add_document("Zebras again.", doc_id="zoo/zebra")
    assert conflict.value.status == 409
    with pytest.raises(errors.UnsupportedFormat):
        client.add_document(file=("x.exe", b"MZ"))
    with pytest.raises(errors.InvalidDocument):
        client.add_document("   ")
    with pytest.raises(errors.InvalidDocument):  # the server's schema refuses it: 422 invalid_request
        client.add_document("text", title="t" * 2000)
    with pytest.raises(ValueError):
        client.add_document()
    with Client(url, api_key="wrong") as wrong, pytest.raises(ClientError) as refused:
        wrong.delete_document("zoo/zebra")
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    with Client(url) as keyless, pytest.raises(ClientError) as refused:
        keyless.add_document("Anything.")
    assert refused.value.status == 401
    assert client.get_document("zoo/zebra").title == "Zebra facts"


def test_bad_questions_raise_invalid_question(client):
    for bad in ({"question": ""}, {"question": "x" * 5000}, {"question": "Who?", "top_k": 0},
                {"question": "Who?", "filters": {"kind": ["a", "b"]}}):
        with pytest.raises(errors.InvalidQuestion):
            client.ask(**bad)
    with pytest.raises(errors.InvalidQuestion):
        client.search("")


def test_health_and_ready(client):
    assert client.health() is True
    ready = client.ready()
    assert ready.documents >= 2 and ready.chunks >= 2


def test_a_starting_server_raises_starting_with_retry_after(tmp_path):
    with serve(tmp_path, attach=False) as url, Client(url) as client:
        assert client.health()
        with pytest.raises(errors.Starting) as starting:
            client.ready()
        assert starting.value.status == 503 and starting.value.retry_after == 5.0
        with pytest.raises(errors.IndexNotReady):
            client.ask("Who?")


def test_rate_limited_raises_client_error_with_retry_after(tmp_path):
    with serve(tmp_path, rate_limit_per_minute=1) as url, Client(url) as client:
        client.search("zebra")
        with pytest.raises(ClientError) as limited:
            client.search("zebra")
    assert (limited.value.status, limited.value.code) == (429, "rate_limited")
    assert limited.value.retry_after and limited.value.retry_after > 0


def test_a_server_that_is_not_running_raises_client_error_without_waiting_out_the_timeout():
    """A refused connection is "unreachable" at once; a client that waited for its (generous) timeout
    instead would raise "timeout"."""
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, timeout=60) as client, pytest.raises(ClientError, match=f"cannot reach {url}: ") as caught:
        client.health()
    assert caught.value.code == "unreachable" and caught.value.status is None
    with Client(url, timeout=60) as client, pytest.raises(ClientError, match="cannot reach") as caught:
        list(client.ask_stream("Who?"))
    assert caught.value.code == "unreachable"


def test_eval_over_http_uses_the_client(url):
    from groundqa.eval.gold import GoldQuestion
    from groundqa.eval.runner import run_http

    gold = [GoldQuestion("q1", "Where does the zebra Ziggy live?", ["The zebra named Ziggy lives in the Serengeti"],
                         doc_id="zoo/zebra"),
            GoldQuestion("q2", "Who swims in the Thames?", ["Otto"])]
    run = run_http(url + "/", gold, top_k=2, progress=False)
    assert [(r.id, r.cited_doc, r.gold_rank, r.answered) for r in run.rows] == [
        ("q1", "zoo/zebra", 1, True), ("q2", "zoo/otter", 1, True)]
    assert run.rows[0].prediction == gold[0].answers[0] and run.rows[0].margin is None
    assert all("http" in r.timings_ms and "total" in r.timings_ms for r in run.rows) and run.top_k == 2
    with pytest.raises(errors.InvalidQuestion):
        run_http(url, [GoldQuestion("bad", " ", [])], top_k=2, progress=False)
