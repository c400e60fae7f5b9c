"""Users' verdicts (POST/GET /v1/feedback), their export to gold, and the document viewer, over a
real loopback server with fake models (fast). The loop with the real models and the eval harness
is in tests/eval/test_feedback_loop.py; the widget's thumbs in tests/widget/."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from groundqa.cli import main as groundqa
from groundqa.client import Client
from groundqa.errors import InvalidFeedback
from groundqa.eval.from_feedback import to_gold
from groundqa.service.feedback import Feedback, SqliteFeedback, all_feedback
from tests.api.fast_server import API_KEY, fast_server

AUTH = {"X-API-Key": API_KEY}
SCRIPT_DOC = {"doc_id": "notes/xss", "title": "Memo <script>alert(1)</script>",
              "text": "Intro line. The payload <script>alert(2)</script> sits here. The garage closes at midnight.",
              "meta": {"url": "https://intranet.example.org/memo"}}


@pytest.fixture
def server(tmp_path):
    with fast_server(tmp_path / "index") as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def answered(http, question):
    body = http.post("/v1/ask", json={"question": question}).json()
    assert not body["no_answer"], body
    best = body["answers"][0]
    citation = best["citation"]
    return {"question": question, "answer": best["text"], "doc_id": citation["doc_id"],
            "start": citation["start"], "end": citation["end"]}


def test_feedback_is_stored_listed_with_the_key_counted_and_survives_a_restart(tmp_path):
    index_dir = tmp_path / "index"
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        good = answered(http, "Who is the warehouse manager?")
        sent = http.post("/v1/feedback", json={**good, "verdict": "correct"})  # no key needed to send
        assert sent.status_code == 201, sent.text
        assert sent.json()["id"] and sent.json()["verdict"] == "correct"
        http.post("/v1/feedback", json={"question": "What is the capital of France?", "verdict": "correct"})
        http.post("/v1/feedback", json={"question": "When is lunch?", "verdict": "not_found_but_should",
                                        "note": "the handbook says the canteen serves lunch"})
        assert http.get("/v1/feedback").status_code == 401, "reading needs the key: it holds users' questions"
        listed = http.get("/v1/feedback", headers=AUTH).json()
        assert listed["total"] == 3
        assert [f["verdict"] for f in listed["feedback"]] == ["correct", "correct", "not_found_but_should"]
        assert listed["feedback"][0]["answer"] == good["answer"]
        assert listed["feedback"][2]["note"] == "the handbook says the canteen serves lunch"
        metrics = http.get("/metrics").text
        assert 'groundqa_feedback_total{collection="default",verdict="correct"} 2.0' in metrics
        assert 'groundqa_feedback_total{collection="default",verdict="not_found_but_should"} 1.0' in metrics
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        page = http.get("/v1/feedback", headers=AUTH, params={"offset": 1, "limit": 1}).json()
        assert page["total"] == 3 and [f["question"] for f in page["feedback"]] == ["What is the capital of France?"]


@pytest.mark.parametrize("change, message", [
    ({"answer": "Priya Raman!"}, "is not the text of"),
    ({"doc_id": "no/such/doc"}, "no document with id"),
    ({"start": None}, "needs its citation"),
    ({"verdict": "not_found_but_should"}, "leave out the answer"),
    ({"verdict": "maybe"}, "verdict"),
    ({"question": "   "}, "question is empty"),
    ({"note": "x" * 2001}, "note"),
    ({"extra": 1}, "extra"),
])
def test_feedback_that_does_not_fit_its_citation_is_refused_and_nothing_is_stored(http, change, message):
    good = answered(http, "Who is the warehouse manager?")
    refused = http.post("/v1/feedback", json={**good, "verdict": "correct", **change})
    assert refused.status_code == 422, refused.text
    assert message in refused.json()["error"]["message"]
    assert http.get("/v1/feedback", headers=AUTH).json()["total"] == 0


def test_feedback_store_refuses_beyond_its_limit_with_507(tmp_path):
    with fast_server(tmp_path / "index", feedback_max_entries=2) as server, Client(server.url, API_KEY) as client:
        for _ in range(2):
            client.send_feedback(Feedback("What is the capital of France?", "correct"))
        with httpx.Client(base_url=server.url) as http:
            full = http.post("/v1/feedback", json={"question": "Anything?", "verdict": "correct"})
        assert full.status_code == 507 and full.json()["error"]["code"] == "feedback_full"
        assert client.feedback()[0] == 2


def test_client_sends_and_reads_feedback(server, http):
    good = answered(http, "Who is the warehouse manager?")
    with Client(server.url, api_key=API_KEY) as client:
        stored = client.send_feedback(Feedback(**good, verdict="wrong", note="it is someone else now"))
        assert stored.id and stored.received > 0
        with pytest.raises(InvalidFeedback, match="is not the text of"):
            client.send_feedback(Feedback(**{**good, "answer": "Priya"}, verdict="correct"))
        assert all_feedback(client.feedback, size=1) == [stored]
        again = client.send_feedback(stored)  # a verdict read back sends again: what the server sets is left out
        assert again.id != stored.id and again.sender == stored.sender


def test_export_turns_confirmed_answers_into_gold_and_flags_the_rest(server, http, tmp_path, capsys):
    manager = answered(http, "Who is the warehouse manager?")
    parking = answered(http, "Who issues parking permits?")
    verdicts = [
        {**manager, "verdict": "correct"},
        {**manager, "question": "who is the  warehouse manager?", "verdict": "correct"},  # same question
        {**parking, "verdict": "wrong", "note": "the security office does"},
        {"question": "What is the capital of France?", "verdict": "correct"},
        {"question": "When is lunch?", "verdict": "not_found_but_should"},
        {"question": "When is lunch?", "verdict": "correct"},  # disagrees with the one above
    ]
    for verdict in verdicts:  # from a key holder: each counts alone (tests/api/test_feedback_abuse.py for others)
        assert http.post("/v1/feedback", json=verdict, headers=AUTH).status_code == 201
    gold, review = tmp_path / "fb.jsonl", tmp_path / "fb.review.jsonl"
    assert groundqa(["feedback", "export", "--gold", str(gold), "--url", server.url, "--api-key", API_KEY]) == 0
    assert "6 verdicts: wrote 2 gold questions" in capsys.readouterr().err
    records = [json.loads(line) for line in gold.read_text().splitlines()]
    assert [(r["question"], r["answers"], r.get("doc_id"), r["votes"]) for r in records] == [
        ("Who is the warehouse manager?", [manager["answer"]], manager["doc_id"], 2),
        ("What is the capital of France?", [], None, 1)]
    flagged = [json.loads(line) for line in review.read_text().splitlines()]
    assert [(f["question"], f["verdict"], f["reason"]) for f in flagged] == [
        ("Who issues parking permits?", "wrong", "answer marked wrong: what is the right one?"),
        ("When is lunch?", "not_found_but_should", "conflicting verdicts"),
        ("When is lunch?", "correct", "conflicting verdicts")]
    assert flagged[0]["note"] == "the security office does"

    local = tmp_path / "local.jsonl"  # the same from the index directory, no server needed
    assert groundqa(["feedback", "export", "--gold", str(local), "--index-dir", str(server.index_dir)]) == 0
    assert local.read_text() == gold.read_text()


def test_export_without_feedback_or_key_says_why(tmp_path, capsys):
    assert groundqa(["feedback", "export", "--gold", str(tmp_path / "g.jsonl"), "--index-dir",
                     str(tmp_path / "nothing")]) == 2
    assert "no feedback in" in capsys.readouterr().err
    assert groundqa(["feedback", "export", "--gold", str(tmp_path / "g.jsonl"), "--url", "http://127.0.0.1:9"]) == 2
    assert "--api-key" in capsys.readouterr().err


def test_to_gold_keeps_a_wrong_answer_out_of_gold_even_beside_a_confirmed_one():
    question = "Who runs the warehouse?"
    entries = [Feedback(question, "correct", "Priya Raman", "d", 0, 11, sender="key:a"),
               Feedback(question, "wrong", "Priya Raman", "d", 0, 11, sender="key:b")]
    export = to_gold(entries)
    assert export.gold == [] and {r["reason"] for r in export.review} == {"conflicting verdicts"}


def test_sqlite_store_pages_in_arrival_order(tmp_path):
    store = SqliteFeedback(tmp_path / "feedback.sqlite3", max_entries=100)
    for number in range(5):
        store.add(Feedback(f"Question {number}?", "correct"))
    assert [f.question for f in all_feedback(store.page, size=2)] == [f"Question {n}?" for n in range(5)]


# -- the document viewer -----------------------------------------------------------------------
def test_viewer_highlights_exactly_the_cited_span_and_renders_markup_as_text(http):
    assert http.post("/v1/documents", json=SCRIPT_DOC, headers=AUTH).status_code == 201
    text = SCRIPT_DOC["text"]
    start = text.index("The garage")
    end = start + len("The garage closes at midnight")
    page = http.get("/v1/view/notes/xss", params={"start": start, "end": end})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    marked = re.search(r'<mark id="cited">(.*?)</mark>', page.text).group(1)
    assert marked == text[start:end]
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "<title>Memo &lt;script&gt;" in page.text
    assert page.text.count("<script>") == 1, "only the viewer's own scroll script"
    assert 'href="https://intranet.example.org/memo"' in page.text

    whole = http.get("/v1/view/notes/xss")
    assert whole.status_code == 200 and "<mark" not in whole.text


@pytest.mark.parametrize("params, status", [({"start": 5}, 422), ({"start": 5, "end": 5}, 422),
                                            ({"start": 0, "end": 10_000}, 422), ({"start": -1, "end": 3}, 422)])
def test_viewer_refuses_spans_outside_the_document(http, params, status):
    assert http.get("/v1/view/guide/handbook", params=params).status_code == status


def test_viewer_of_a_missing_document_is_404_and_javascript_urls_are_not_links(http):
    assert http.get("/v1/view/no/such").status_code == 404
    doc = {**SCRIPT_DOC, "doc_id": "notes/js", "meta": {"url": "javascript:alert(3)"}}
    assert http.post("/v1/documents", json=doc, headers=AUTH).status_code == 201
    assert "javascript:" not in http.get("/v1/view/notes/js").text
    answer = http.post("/v1/ask", json={"question": "When does the garage close?"}).json()["answers"][0]
    assert answer["citation"]["url"] is None
    assert http.put("/v1/documents/notes/js", json=SCRIPT_DOC | {"doc_id": "notes/js"}, headers=AUTH).status_code == 200
    again = http.post("/v1/ask", json={"question": "When does the garage close?"}).json()["answers"][0]
    assert again["citation"]["url"] == "https://intranet.example.org/memo"


def test_widget_config_comes_from_settings(tmp_path):
    with fast_server(tmp_path / "index", widget_greeting="Hi! Ask about the handbook.",
                     widget_suggestions=["Who is the warehouse manager?"]) as server:
        config = httpx.get(server.url + "/v1/widget/config").json()
    assert config == {"greeting": "Hi! Ask about the handbook.", "suggestions": ["Who is the warehouse manager?"]}
