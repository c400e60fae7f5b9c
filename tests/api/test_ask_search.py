import json

import pytest

from tests.conftest import CORPUS_DOC_ID

pytestmark = pytest.mark.slow


def test_ask_answers_with_citation(client):
    response = client.post("/v1/ask", json={"question": "Who is the president of Microsoft?", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["no_answer"] is False and body["answers"][0]["text"] == "Brad Smith"
    citation = body["answers"][0]["citation"]
    text = client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
    assert text[citation["start"]:citation["end"]] == "Brad Smith"
    assert text[citation["context_start"]:].startswith(citation["context"])
    assert set(body["timings_ms"]) == {"embed", "search", "read", "verify", "total"}


def test_ask_unanswerable(client):
    body = client.post("/v1/ask", json={"question": "What is the capital of France?"}).json()
    assert body["no_answer"] is True and body["answers"] == []


def test_filters_restrict_what_is_read(client):
    body = client.post("/v1/ask", json={"question": "Who is the president of Microsoft?",
                                        "filters": {"doc_id": "no-such-doc"}}).json()
    assert body["no_answer"] is True
    body = client.post("/v1/ask", json={"question": "Who is the president of Microsoft?",
                                        "filters": {"format": "txt"}}).json()
    assert body["answers"][0]["text"] == "Brad Smith"


@pytest.mark.parametrize("payload, code, fragment", [
    ({"question": ""}, "invalid_question", "empty"),
    ({"question": "   "}, "invalid_question", "empty"),
    ({"question": "why " * 300}, "invalid_question", "limit is 1000"),
    ({"question": "Who?", "top_k": 0}, "invalid_request", "top_k"),
    ({"question": "Who?", "top_k": -1}, "invalid_request", "top_k"),
    ({"question": "Who?", "top_k": 10**9}, "invalid_request", "top_k"),
    ({"question": 42}, "invalid_request", "question"),
    ({"top_k": 3}, "invalid_request", "question"),
    ({"question": "Who?", "filters": {"a": [1]}}, "invalid_request", "filters"),
    ({"question": "Who?", "surprise": 1}, "invalid_request", "surprise"),
])
def test_bad_asks_get_one_error_shape(client, payload, code, fragment):
    response = client.post("/v1/ask", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and error["code"] == code
    assert fragment in error["message"]


def test_a_question_too_big_for_any_body_is_refused_unread(client):
    response = client.post("/v1/ask", json={"question": "x" * 100_001})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_invalid_json_body(client):
    response = client.post("/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_search_returns_offsets_into_the_document(client):
    body = client.get("/v1/search", params={"q": "IBM CEO letter to Congress", "k": 3}).json()
    assert len(body["passages"]) == 3 and [p["rank"] for p in body["passages"]] == [1, 2, 3]
    text = client.get(f"/v1/documents/{CORPUS_DOC_ID}").json()["text"]
    for passage in body["passages"]:
        assert text[passage["start"]:passage["end"]] == passage["text"]
    assert "Krishna" in body["passages"][0]["text"]
    assert client.get("/v1/search", params={"q": "x", "k": 0}).status_code == 422
    assert client.get("/v1/search", params={"q": "x", "filters": "[1]"}).json()["error"]["code"] == "invalid_request"


def test_health_ready_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 1 and ready["chunks"] > 1
    client.post("/v1/ask", json={"question": "Who is the new CEO of IBM?"})
    metrics = client.get("/metrics").text
    assert 'groundqa_requests_total{method="POST",route="/v1/ask",status="200"}' in metrics
    assert 'groundqa_stage_seconds_count{stage="read"}' in metrics
    assert 'groundqa_index_documents{collection="default"} 1.0' in metrics
    rss = next(line for line in metrics.splitlines() if line.startswith("process_resident_memory_bytes"))
    assert 100 * 2**20 < float(rss.split()[1]) < 1.5 * 2**30  # the memory bar of eval/BENCHMARKS.md


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}"} <= set(spec["paths"])
    assert spec["paths"]["/v1/ask"]["post"]["requestBody"]
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)


def parse_events(text):
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_streaming_ask_sends_passages_then_answers_then_done(client):
    response = client.post("/v1/ask/stream", json={"question": "Who is the president of Microsoft?", "top_k": 3})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["passages", "answers", "done"]
    assert len(events[0][1]["passages"]) == 3
    assert events[1][1]["answers"][0]["text"] == "Brad Smith"
    plain = client.post("/v1/ask", json={"question": "Who is the president of Microsoft?", "top_k": 3}).json()
    assert events[1][1]["answers"] == plain["answers"], "streaming and plain ask give the same answers"


def test_streaming_ask_rejects_bad_input_before_streaming(client):
    response = client.post("/v1/ask/stream", json={"question": " "})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_question"
    assert client.post("/v1/ask/stream", json={"question": "Who?", "top_k": 0}).status_code == 422
