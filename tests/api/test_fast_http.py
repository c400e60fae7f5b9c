"""The HTTP API over a real loopback socket, with fake models (fast; not marked slow).

A server here is the real app, engine, index and uvicorn with FakeEmbedder and FakeReader
(tests/api/fast_server.py). Tests that write, or that look at the answer cache, metrics or rate-limit
buckets, get a server of their own (`server`, `http`); tests that only read, or whose requests must
change nothing, share one per module (`shared_server`, `shared_http`), which saves a server start
and stop each. What the real models answer is tested in the slow tests beside this.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from groundqa.index import persistence
from groundqa.settings import MAX_TOP_K
from tests.api.fast_server import API_KEY, DOCUMENTS, WAREHOUSE_MANAGER, fast_server

MAX_QUESTION_CHARS = 300  # not the default, so that the schema test sees the setting, not a constant
MAX_UPLOAD_BYTES = 4096
MAX_REQUEST_BYTES = 1024  # the smallest allowed: every body but a document's
AUTH = {"X-API-Key": API_KEY}
DOC_IDS = sorted(d.doc_id for d in DOCUMENTS)


@pytest.fixture
def server(tmp_path):
    with fast_server(tmp_path / "index", max_question_chars=MAX_QUESTION_CHARS,
                     max_upload_bytes=MAX_UPLOAD_BYTES) as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    with fast_server(tmp_path_factory.mktemp("shared") / "index", max_question_chars=MAX_QUESTION_CHARS,
                     max_upload_bytes=MAX_UPLOAD_BYTES, max_request_bytes=MAX_REQUEST_BYTES) as running:
        yield running


@pytest.fixture(scope="module")
def shared_http(shared_server):
    with httpx.Client(base_url=shared_server.url, timeout=30) as client:
        yield client


def ask(http, question, **extra):
    response = http.post("/v1/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def document_text(http, doc_id):
    response = http.get(f"/v1/documents/{doc_id}")
    assert response.status_code == 200, response.text
    return response.json()["text"]


def listed_ids(http):
    return [d["doc_id"] for d in http.get("/v1/documents", params={"limit": 1000}).json()["documents"]]


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]["message"]


def parse_events(text):
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# -- answers -----------------------------------------------------------------------------------
def test_ask_answers_with_a_citation_of_the_document_text(server, http):
    body = ask(http, "Who is the warehouse manager?")
    assert body["no_answer"] is False and body["cached"] is False
    assert {"embed", "search", "read", "verify", "total"} <= set(body["timings_ms"])
    answer = body["answers"][0]
    citation = answer["citation"]
    assert answer["text"] == WAREHOUSE_MANAGER.rstrip(".")  # the sentence, without its full stop
    assert (citation["doc_id"], citation["title"]) == ("guide/handbook", "Acme handbook")
    text = document_text(http, citation["doc_id"])
    assert citation["start"] > 0 and text[citation["start"]:citation["end"]] == answer["text"]
    assert text[citation["context_start"]:].startswith(citation["context"])
    assert answer["text"] in citation["context"]

    reads = server.reader.calls
    again = ask(http, "Who is the warehouse manager?")
    assert again["cached"] is True and again["answers"] == body["answers"]
    assert server.reader.calls == reads, "a cached answer does not read again"


def test_a_question_no_document_speaks_to_gets_no_answer(shared_http):
    body = ask(shared_http, "What is the capital of France?")
    assert body["no_answer"] is True and body["answers"] == []


def test_filters_restrict_what_is_read(shared_http):
    assert ask(shared_http, "Who is the warehouse manager?", filters={"kind": "animal"})["no_answer"] is True
    assert ask(shared_http, "Who is the warehouse manager?", filters={"doc_id": "zoo/zebra"})["no_answer"] is True
    kept = ask(shared_http, "Who is the warehouse manager?", filters={"kind": "office"})
    assert kept["answers"][0]["text"] == WAREHOUSE_MANAGER.rstrip(".")


def test_streaming_ask_sends_passages_then_answers_then_done(shared_http):
    question = {"question": "Where does Ziggy the zebra live?", "top_k": 2}
    response = shared_http.post("/v1/ask/stream", json=question)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["passages", "answers", "done"]
    passages = events[0][1]["passages"]
    assert [p["rank"] for p in passages] == [1, 2] and passages[0]["doc_id"] == "zoo/zebra"
    answers = events[1][1]["answers"]
    assert answers[0]["text"] == "The zebra named Ziggy lives in the Serengeti"
    assert answers == ask(shared_http, **question)["answers"], "streaming and plain ask give the same answers"

    refused = shared_http.post("/v1/ask/stream", json={"question": "  "})
    assert_error(refused, 422, "invalid_question")  # refused before anything streams


def test_search_returns_passages_at_their_document_offsets(shared_http):
    body = shared_http.get("/v1/search", params={"q": "zebra Serengeti", "k": 3}).json()
    assert body["query"] == "zebra Serengeti"
    passages = body["passages"]
    assert [p["rank"] for p in passages] == [1, 2, 3] and passages[0]["doc_id"] == "zoo/zebra"
    assert passages[0]["title"] == "Zebra facts"
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    for passage in passages:
        assert document_text(shared_http, passage["doc_id"])[passage["start"]:passage["end"]] == passage["text"]


def test_search_filters(shared_http):
    def search(query, filters):
        response = shared_http.get("/v1/search", params={"q": query, "k": 10, "filters": json.dumps(filters)})
        assert response.status_code == 200, response.text
        return response.json()["passages"]

    assert {p["doc_id"] for p in search("warehouse manager", {"kind": "animal"})} == {"zoo/zebra", "zoo/otter"}
    handbook = search("warehouse manager", {"doc_id": "guide/handbook"})
    assert {p["doc_id"] for p in handbook} == {"guide/handbook"} and len(handbook) == 3
    assert WAREHOUSE_MANAGER in handbook[0]["text"]
    assert search("zebra", {"kind": "mineral"}) == []
    assert_error(shared_http.get("/v1/search", params={"q": "zebra", "filters": "[1]"}), 422, "invalid_request")
    assert_error(shared_http.get("/v1/search", params={"q": "zebra", "filters": "{nope"}), 422, "invalid_request")


# -- errors ------------------------------------------------------------------------------------
ERROR_CASES = [
    # (method, path, request arguments, status, code)
    ("GET", "/v1/documents/no/such/doc", {}, 404, "document_not_found"),
    ("DELETE", "/v1/documents/no/such/doc", {"headers": AUTH}, 404, "document_not_found"),
    ("PUT", "/v1/documents/missing", {"json": {"text": "x"}, "headers": AUTH}, 404, "document_not_found"),
    ("GET", "/v1/no-such-route", {}, 404, "not_found"),
    ("DELETE", "/v1/ask", {}, 405, "method_not_allowed"),
    ("POST", "/v1/documents", {"json": {"doc_id": "zoo/zebra", "text": "Another zebra."}, "headers": AUTH},
     409, "document_exists"),
    ("POST", "/v1/ask", {"json": {"question": "x" * MAX_REQUEST_BYTES}}, 413, "payload_too_large"),
    ("POST", "/v1/documents", {"json": {"doc_id": "big", "text": "word " * 1000}, "headers": AUTH},
     413, "payload_too_large"),
    ("POST", "/v1/documents", {"files": {"file": ("big.txt", b"word " * 1000)}, "headers": AUTH},
     413, "payload_too_large"),
    ("POST", "/v1/documents", {"content": b"plain text", "headers": {**AUTH, "Content-Type": "text/plain"}},
     415, "unsupported_media_type"),
    ("POST", "/v1/documents", {"files": {"file": ("image.png", b"\x89PNG\r\n\x1a\n")}, "headers": AUTH},
     415, "unsupported_format"),
    ("POST", "/v1/ask", {"json": {"question": "   "}}, 422, "invalid_question"),
    ("POST", "/v1/ask", {"json": {"question": "Who?", "top_k": 0}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "Who?", "top_k": MAX_TOP_K + 1}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"json": {"question": "Who?", "surprise": 1}}, 422, "invalid_request"),
    ("POST", "/v1/ask", {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
     422, "invalid_request"),
    ("GET", "/v1/search", {"params": {"q": "zebra", "k": 0}}, 422, "invalid_request"),
    ("GET", "/v1/documents", {"params": {"limit": 0}}, 422, "invalid_request"),
    ("POST", "/v1/documents", {"json": {"doc_id": "../etc/passwd", "text": "x"}, "headers": AUTH},
     422, "invalid_document"),
    ("POST", "/v1/documents", {"json": {"text": "   "}, "headers": AUTH}, 422, "invalid_document"),
    ("PUT", "/v1/documents/zoo/zebra", {"json": {"doc_id": "zoo/otter", "text": "x"}, "headers": AUTH},
     422, "invalid_request"),
]


@pytest.mark.parametrize("method, path, arguments, status, code", ERROR_CASES,
                         ids=[f"{s} {c} {m} {p}" for m, p, _, s, c in ERROR_CASES])
def test_errors_have_one_shape_and_change_nothing(shared_server, shared_http, method, path, arguments, status, code):
    assert_error(shared_http.request(method, path, **arguments), status, code)
    assert listed_ids(shared_http) == DOC_IDS
    assert document_text(shared_http, "zoo/zebra") == DOCUMENTS[1].text
    assert sorted(persistence.load(shared_server.index_dir).documents) == DOC_IDS


def test_question_length_limit_is_the_setting(shared_http):
    assert ask(shared_http, "a" * MAX_QUESTION_CHARS)["question"] == "a" * MAX_QUESTION_CHARS
    message = assert_error(shared_http.post("/v1/ask", json={"question": "a" * (MAX_QUESTION_CHARS + 1)}),
                           422, "invalid_question")
    assert f"limit is {MAX_QUESTION_CHARS}" in message
    assert_error(shared_http.get("/v1/search", params={"q": "a" * (MAX_QUESTION_CHARS + 1)}), 422, "invalid_question")


def test_a_chunked_body_over_the_limit_is_refused(shared_http):
    def body():
        yield b'{"question": "'
        for _ in range(3):
            yield b"x" * 1024
        yield b'"}'

    response = shared_http.post("/v1/ask", content=body(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers  # it went chunked: the limit saw it streaming
    assert f"{MAX_REQUEST_BYTES}-byte limit" in assert_error(response, 413, "payload_too_large")


def test_malformed_http_gets_a_json_400(shared_server):
    address = urlsplit(shared_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"NOT A REQUEST\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head.lower()
    assert json.loads(body)["error"]["code"] == "bad_request"


# -- keys and rate limits ----------------------------------------------------------------------
def test_writes_need_the_right_key(server, http):
    doc = {"doc_id": "notes/new", "text": "A new note."}
    for key in (None, "wrong-key"):
        headers = {"X-API-Key": key} if key else {}
        responses = [http.post("/v1/documents", json=doc, headers=headers),
                     http.put("/v1/documents/zoo/zebra", json={"text": "Changed."}, headers=headers),
                     http.delete("/v1/documents/zoo/zebra", headers=headers)]
        for response in responses:
            assert_error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"] == "X-API-Key"
    assert listed_ids(http) == DOC_IDS and document_text(http, "zoo/zebra") == DOCUMENTS[1].text
    assert ask(http, "Where does Ziggy the zebra live?")["no_answer"] is False, "reads need no key by default"
    assert http.post("/v1/documents", json=doc, headers=AUTH).status_code == 201


def test_writes_are_refused_when_no_key_is_configured(tmp_path):
    with fast_server(tmp_path / "index", api_key=None) as server, httpx.Client(base_url=server.url) as http:
        for response in (http.post("/v1/documents", json={"text": "x"}, headers={"X-API-Key": "anything"}),
                         http.delete("/v1/documents/zoo/zebra", headers={"X-API-Key": "anything"}),
                         http.put("/v1/documents/zoo/zebra", json={"text": "x"})):
            assert "GROUNDQA_API_KEY" in assert_error(response, 403, "writes_disabled")
        assert listed_ids(http) == DOC_IDS


def test_reads_can_require_the_key(tmp_path):
    with fast_server(tmp_path / "index", read_requires_key=True) as server, \
            httpx.Client(base_url=server.url) as http:
        reads = [("POST", "/v1/ask", {"json": {"question": "Who is the warehouse manager?"}}),
                 ("POST", "/v1/ask/stream", {"json": {"question": "Who is the warehouse manager?"}}),
                 ("GET", "/v1/search", {"params": {"q": "zebra"}}),
                 ("GET", "/v1/documents", {}),
                 ("GET", "/v1/documents/zoo/zebra", {})]
        for method, path, arguments in reads:
            assert_error(http.request(method, path, **arguments), 401, "unauthorized")
            assert_error(http.request(method, path, headers={"X-API-Key": "wrong"}, **arguments), 401, "unauthorized")
            assert http.request(method, path, headers=AUTH, **arguments).status_code == 200, path
        assert http.get("/healthz").status_code == 200 and http.get("/readyz").status_code == 200


def test_rate_limit_per_client_with_retry_after(tmp_path):
    with fast_server(tmp_path / "index", rate_limit_per_minute=2) as server, \
            httpx.Client(base_url=server.url) as http:
        assert [http.get("/v1/documents").status_code for _ in range(2)] == [200, 200]
        limited = http.get("/v1/documents")
        assert "2 requests a minute" in assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 30  # a token comes back every 30 s
        made_up = http.get("/v1/documents", headers={"X-API-Key": "made-up"})
        assert_error(made_up, 429, "rate_limited")  # an invented key shares its sender's bucket
        assert_error(http.post("/v1/ask", json={"question": "Who?"}), 429, "rate_limited")
        assert http.get("/v1/documents", headers=AUTH).status_code == 200, "the real key has a bucket of its own"
        assert http.get("/healthz").status_code == 200 and http.get("/metrics").status_code == 200


# -- documents ---------------------------------------------------------------------------------
def test_document_lifecycle_through_the_api_survives_a_restart(tmp_path):
    index_dir = tmp_path / "index"
    bees = {"doc_id": "notes/bees", "title": "Bees", "text": "Bees make honey from nectar. The hive has one queen.",
            "meta": {"kind": "insect"}}
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post("/v1/documents", json=bees, headers=AUTH)
        assert created.status_code == 201
        assert {k: created.json()[k] for k in ("doc_id", "status", "chunks")} == {
            "doc_id": "notes/bees", "status": "added", "chunks": 1}
        stored = http.get("/v1/documents/notes/bees").json()
        assert stored == {"doc_id": "notes/bees", "title": "Bees", "source": "api", "meta": {"kind": "insect"},
                          "chars": len(bees["text"]), "chunks": 1, "text": bees["text"]}
        assert ask(http, "What do bees make?")["answers"][0]["text"] == "Bees make honey from nectar"
        assert_error(http.post("/v1/documents", json=bees, headers=AUTH), 409, "document_exists")

        upload = http.post("/v1/documents", headers=AUTH, data={"title": "Garage memo"},
                           files={"file": ("memo.txt", b"Quarterly memo.\r\nThe garage closes at midnight.\r\n",
                                           "text/plain")})
        assert upload.status_code == 201, upload.text
        assert upload.json()["doc_id"] == "memo.txt" and upload.json()["status"] == "added"
        memo = http.get("/v1/documents/memo.txt").json()
        assert memo["title"] == "Garage memo" and memo["source"] == "upload:memo.txt"
        assert memo["meta"] == {"format": "txt", "filename": "memo.txt"}
        assert memo["text"] == "Quarterly memo.\nThe garage closes at midnight."
        answer = ask(http, "When does the garage close?")["answers"][0]
        assert answer["text"] == "The garage closes at midnight" and answer["citation"]["doc_id"] == "memo.txt"

        replaced = http.put("/v1/documents/notes/bees", json={"title": "Bees", "text": "Bees make wax for combs."},
                            headers=AUTH)
        assert replaced.status_code == 200 and replaced.json()["status"] == "updated"
        after = ask(http, "What do bees make?")
        assert after["cached"] is False, "a write empties the answer cache"
        assert after["answers"][0]["text"] == "Bees make wax for combs"
        assert http.get("/v1/documents/notes/bees").json()["meta"] == {}, "PUT replaces the whole document"
        again = http.put("/v1/documents/notes/bees", json={"title": "Bees", "text": "Bees make wax for combs."},
                         headers=AUTH)
        assert again.json()["status"] == "unchanged"

        everything = sorted(DOC_IDS + ["memo.txt", "notes/bees"])
        pages = [http.get("/v1/documents", params={"offset": offset, "limit": 2}).json() for offset in (0, 2, 4)]
        assert [(p["total"], p["offset"], p["limit"]) for p in pages] == [(5, 0, 2), (5, 2, 2), (5, 4, 2)]
        assert [d["doc_id"] for p in pages for d in p["documents"]] == everything
        assert http.get("/v1/documents", params={"offset": 5}).json()["documents"] == []
        assert http.get("/readyz").json()["documents"] == 5

        deleted = http.delete("/v1/documents/notes/bees", headers=AUTH)
        assert deleted.status_code == 204 and deleted.content == b""
        assert_error(http.get("/v1/documents/notes/bees"), 404, "document_not_found")
        assert_error(http.delete("/v1/documents/notes/bees", headers=AUTH), 404, "document_not_found")
        assert ask(http, "What do bees make?")["no_answer"] is True
        found = http.get("/v1/search", params={"q": "bees wax"}).json()["passages"]
        assert found and all(p["doc_id"] != "notes/bees" for p in found)

    remaining = sorted(DOC_IDS + ["memo.txt"])
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert listed_ids(http) == remaining
        assert http.get("/v1/documents/memo.txt").json()["text"] == memo["text"]
        assert ask(http, "When does the garage close?")["answers"][0]["citation"]["doc_id"] == "memo.txt"


# -- operations --------------------------------------------------------------------------------
def test_health_ready_and_metrics(http):
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz").json()
    listed = http.get("/v1/documents").json()["documents"]
    assert ready == {"status": "ready", "documents": len(DOCUMENTS), "chunks": sum(d["chunks"] for d in listed)}
    assert ready["chunks"] > len(DOCUMENTS), "the handbook spans several chunks"

    ask(http, "Who is the warehouse manager?")
    ask(http, "Who is the warehouse manager?")
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    metrics = response.text
    assert 'groundqa_requests_total{method="POST",route="/v1/ask",status="200"} 2.0' in metrics
    assert 'groundqa_stage_seconds_count{stage="read"} 1.0' in metrics
    assert "groundqa_answer_cache_hits_total 1.0" in metrics
    assert f'groundqa_index_documents{{collection="default"}} {len(DOCUMENTS)}.0' in metrics
    assert f'groundqa_index_chunks{{collection="default"}} {ready["chunks"]}.0' in metrics
    assert 'groundqa_asks_total{collection="default",outcome="answered"} 2.0' in metrics  # the cached ask counts too

    assert ask(http, "Zyzzyva quokka?")["no_answer"] is True
    http.get("/docs")
    http.get("/openapi.json")
    http.get("/static-offline-docs/swagger-ui.css")
    metrics = http.get("/metrics").text
    assert 'groundqa_asks_total{collection="default",outcome="not_found"} 1.0' in metrics  # the number an operator watches
    for route in ("/docs", "/openapi.json", "/static-offline-docs"):
        assert f'groundqa_requests_total{{method="GET",route="{route}",status="200"}} 1.0' in metrics, route


def test_openapi_states_the_limits_this_server_applies(shared_server, shared_http):
    spec = shared_http.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}"} <= set(spec["paths"])
    ask_request = spec["components"]["schemas"]["AskRequest"]["properties"]
    assert ask_request["question"]["maxLength"] == shared_server.settings.max_question_chars == MAX_QUESTION_CHARS
    top_k = next(option for option in ask_request["top_k"]["anyOf"] if option.get("type") == "integer")
    assert (top_k["minimum"], top_k["maximum"]) == (1, MAX_TOP_K)
    search = {p["name"]: p["schema"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    k = next(option for option in search["k"]["anyOf"] if option.get("type") == "integer")
    assert search["q"]["maxLength"] == MAX_QUESTION_CHARS and k["maximum"] == MAX_TOP_K
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)


def test_search_returns_top_k_passages_by_default(tmp_path):
    with fast_server(tmp_path / "index", top_k=2) as server, httpx.Client(base_url=server.url) as http:
        assert len(http.get("/v1/search", params={"q": "handbook offices lunch parking"}).json()["passages"]) == 2
        assert len(http.get("/v1/search", params={"q": "handbook offices", "k": 4}).json()["passages"]) == 4
