"""Issue 39, findings 6 and 7: hostile clients against the feedback store and its export to gold,
over a real loopback server with fake models. Different clients are different loopback addresses
(127.0.0.N), as the review's attack used."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from groundqa.cli import main as groundqa
from groundqa.eval.gold import load_gold
from tests.api.fast_server import API_KEY, HANDBOOK, fast_server

AUTH = {"X-API-Key": API_KEY}
NOT_FOUND = {"question": "What is the capital of France?", "verdict": "correct"}


def from_address(url: str, number: int) -> httpx.Client:
    """A client whose connections come from 127.0.0.<number>."""
    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=f"127.0.0.{number}"))


def cited(doc_id: str, text: str, answer: str, question: str) -> dict:
    start = text.index(answer)
    return {"question": question, "answer": answer, "doc_id": doc_id, "start": start, "end": start + len(answer)}


def export(server, tmp_path, capsys) -> tuple[list[dict], list[dict]]:
    gold = tmp_path / "fb.jsonl"
    assert groundqa(["feedback", "export", "--gold", str(gold), "--url", server.url, "--api-key", API_KEY]) == 0
    capsys.readouterr()
    review = tmp_path / "fb.review.jsonl"
    return ([json.loads(line) for line in gold.read_text().splitlines()],
            [json.loads(line) for line in review.read_text().splitlines()])


# -- finding 6: filling the store ----------------------------------------------------------------
def test_one_client_meets_429_long_before_the_cap_and_others_are_still_heard(tmp_path):
    with fast_server(tmp_path / "index") as server, from_address(server.url, 1) as one:
        statuses, refusal = [], None
        for number in range(300):
            response = one.post("/v1/feedback", json={**NOT_FOUND, "note": f"vote {number}"})
            statuses.append(response.status_code)
            if response.status_code == 429 and refusal is None:
                refusal = response
        assert set(statuses) == {201, 429}, statuses
        first = statuses.index(429)
        assert first == server.settings.feedback_per_hour == 60, "the quota, far below the 100,000 cap"
        assert set(statuses[first:]) == {429}
        assert refusal.json()["error"]["code"] == "rate_limited" and set(refusal.json()) == {"error"}
        assert "verdicts an hour" in refusal.json()["error"]["message"]
        assert 0 < int(refusal.headers["Retry-After"]) <= 60
        with from_address(server.url, 2) as other:
            assert other.post("/v1/feedback", json=NOT_FOUND).status_code == 201, "the quota is per client"
        assert one.post("/v1/feedback", json=NOT_FOUND, headers=AUTH).status_code == 201, "a key is its own client"
        assert one.get("/v1/feedback", headers=AUTH).json()["total"] == 62


def test_a_full_store_evicts_the_oldest_anonymous_verdicts_and_keeps_key_holders(tmp_path):
    with fast_server(tmp_path / "index", feedback_max_entries=4) as server, from_address(server.url, 1) as http:
        assert http.post("/v1/feedback", json={**NOT_FOUND, "note": "by a key holder"}, headers=AUTH).status_code == 201
        for number in range(6):
            sent = http.post("/v1/feedback", json={**NOT_FOUND, "note": f"anonymous {number}"})
            assert sent.status_code == 201, sent.text
        listed = http.get("/v1/feedback", headers=AUTH).json()
        assert listed["total"] == 4
        assert [f["note"] for f in listed["feedback"]] == ["by a key holder", "anonymous 3", "anonymous 4",
                                                           "anonymous 5"]
        assert listed["feedback"][0]["sender"].startswith("key:") and listed["feedback"][1]["sender"].startswith("ip:")
        assert "127.0.0.1" not in json.dumps(listed), "addresses are kept hashed"


def test_a_verdict_entry_is_a_few_kilobytes_at_most(tmp_path):
    with fast_server(tmp_path / "index") as server, from_address(server.url, 1) as http:
        wide = http.post("/v1/feedback", json={"question": "漢" * 1000, "verdict": "correct", "note": "字" * 2000})
        assert wide.status_code == 422 and wide.json()["error"]["code"] == "invalid_feedback"
        assert "bytes" in wide.json()["error"]["message"]
        longest = http.post("/v1/feedback", json={"question": "q" * 1000, "verdict": "correct", "note": "n" * 2000})
        assert longest.status_code == 201, "the longest plain-text verdict the fields allow still fits"
    with sqlite3.connect(tmp_path / "index" / "feedback.sqlite3") as db:
        sizes = [len(body.encode()) for (body,) in db.execute("SELECT body FROM feedback")]
    assert len(sizes) == 1 and sizes[0] <= 6 * 1024


# -- finding 7: poisoning the exported gold ---------------------------------------------------------
def test_anonymous_votes_below_the_threshold_do_not_make_gold(tmp_path, capsys):
    zebra = "The zebra named Ziggy lives in the Serengeti. Zebras eat grass all day."
    ziggy = cited("zoo/zebra", zebra, "Ziggy", "Who is the warehouse manager?")  # a wrong answer
    desk = cited("guide/handbook", HANDBOOK, "the front desk", "Who issues parking permits?")
    nine = cited("guide/handbook", HANDBOOK, "nine in the morning", "When do the offices open?")
    lunch = {"question": "Where is lunch served?", "verdict": "correct"}  # a "not found", but it is answerable
    with fast_server(tmp_path / "index") as server:
        with from_address(server.url, 1) as attacker:
            for _ in range(5):
                assert attacker.post("/v1/feedback", json={**ziggy, "verdict": "correct"}).status_code == 201
            assert attacker.post("/v1/feedback", json=NOT_FOUND).status_code == 201
            assert attacker.post("/v1/feedback", json={**nine, "question": "WHEN DO THE OFFICES OPEN?",
                                                       "verdict": "wrong"}).status_code == 201
        with from_address(server.url, 9) as staff:
            assert staff.post("/v1/feedback", json={**nine, "verdict": "correct"}, headers=AUTH).status_code == 201
            assert staff.post("/v1/feedback", json={"question": lunch["question"], "verdict": "not_found_but_should"},
                              headers=AUTH).status_code == 201
        for number in (2, 3, 4):  # three different clients: the threshold
            with from_address(server.url, number) as user:
                assert user.post("/v1/feedback", json={**desk, "verdict": "correct"}).status_code == 201
                assert user.post("/v1/feedback", json=lunch).status_code == 201
        gold, review = export(server, tmp_path, capsys)
    assert [(g["question"], g["answers"], g["votes"]) for g in gold] == [
        ("When do the offices open?", ["nine in the morning"], 1),
        ("Who issues parking permits?", ["the front desk"], 3)]
    reasons = {(r["question"], r["verdict"]): r["reason"] for r in review}
    assert reasons[("Who is the warehouse manager?", "correct")].startswith("confirmed by fewer than 3 clients")
    assert reasons[("What is the capital of France?", "correct")].startswith("confirmed by fewer than 3 clients")
    assert reasons[("WHEN DO THE OFFICES OPEN?", "wrong")] == "answer marked wrong: what is the right one?"
    assert reasons[("Where is lunch served?", "correct")] == "conflicting verdicts", \
        "a key holder's 'answerable' keeps the confirmed 'not found' out of gold"


def test_votes_are_compared_after_case_whitespace_and_nfkc(tmp_path, capsys):
    notes = "The warehouse manager is PRIYA RAMAN. Ask Ｐｒｉｙａ Ｒａｍａｎ about stock."  # full-width letters
    manager = cited("guide/handbook", HANDBOOK, "Priya Raman", "Who is the warehouse manager?")
    shouted = cited("notes/staff", notes, "PRIYA RAMAN", "WHO IS THE WAREHOUSE MANAGER？")  # a full-width "?"
    runs = cited("guide/handbook", HANDBOOK, "Priya Raman", "Who runs the warehouse?")
    wide = cited("notes/staff", notes, "Ｐｒｉｙａ Ｒａｍａｎ", "who runs the  warehouse?")
    with fast_server(tmp_path / "index") as server, \
            httpx.Client(base_url=server.url, timeout=30, headers=AUTH) as http:
        assert http.post("/v1/documents", json={"doc_id": "notes/staff", "text": notes}).status_code == 201
        for verdict in ({**manager, "verdict": "correct"}, {**shouted, "verdict": "wrong"},
                        {**runs, "verdict": "correct"}, {**wide, "verdict": "correct"}):
            assert http.post("/v1/feedback", json=verdict).status_code == 201
        gold, review = export(server, tmp_path, capsys)
    assert [(g["question"], g["answers"], g["votes"]) for g in gold] == [
        ("Who runs the warehouse?", ["Priya Raman"], 2)], "one answer however it is written"
    assert {(r["question"], r["reason"]) for r in review} == {
        ("Who is the warehouse manager?", "conflicting verdicts"),
        ("WHO IS THE WAREHOUSE MANAGER？", "conflicting verdicts")}


def test_an_export_with_a_line_separator_in_a_question_is_read_back_by_the_eval_loader(tmp_path, capsys):
    question = "What is the capital\u2028of France\u2029today?"
    with fast_server(tmp_path / "index") as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post("/v1/feedback", json={"question": question, "verdict": "correct"},
                         headers=AUTH).status_code == 201
        gold, _ = export(server, tmp_path, capsys)
        assert "\u2028" not in (tmp_path / "fb.jsonl").read_text(encoding="utf-8"), "escaped in the JSON"
        loaded = load_gold(tmp_path / "fb.jsonl")
        assert [(q.question, q.answers) for q in loaded] == [(question, [])]
        assert groundqa(["eval", str(tmp_path / "fb.jsonl"), "--url", server.url, "--quiet"]) == 0
    raw = tmp_path / "raw.jsonl"  # written by hand or another tool, unescaped: read all the same
    raw.write_text(json.dumps({"id": "x", "question": question, "answers": []}, ensure_ascii=False) + "\r\n",
                   encoding="utf-8")
    assert [q.question for q in load_gold(raw)] == [question]


def test_a_collections_write_key_is_a_key_holder_and_its_read_key_counts_by_address(tmp_path):
    read, write = "acme-read-key-0123456789", "acme-write-key-0123456789"
    with fast_server(tmp_path / "index", sync_interval_s=0.0) as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        made = http.post("/v1/collections", headers=AUTH, json={"name": "acme", "read_key": read, "write_key": write})
        assert made.status_code == 201, made.text
        senders = [http.post("/v1/collections/acme/feedback", json=NOT_FOUND,
                             headers={"X-API-Key": key}).json()["sender"] for key in (read, write, API_KEY)]
    assert senders[0].startswith("ip:") and senders[1].startswith("key:") and senders[2].startswith("key:")
    assert len(set(senders)) == 3
