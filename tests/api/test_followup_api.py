"""Follow-up questions over HTTP (issue 40): POST /v1/ask and /v1/ask/stream take the conversation so
far as "history", answer a follow-up as the standalone question it stands for ("resolved_question"),
refuse a history over its bounds in the one error shape, and leave a question that refers to nothing
in it as it is. A real server with fake models, on documents written for these tests; the client and
`groundqa chat` / `ask --history` against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from groundqa.client import Client
from groundqa.index.types import Document
from groundqa.service.followup import MAX_ANSWER_CHARS, MAX_TURNS
from tests.api.fast_server import fast_server, fast_settings, write_index

MAX_QUESTION_CHARS = 200
MAX_REQUEST_BYTES = 8192
POOL = [
    Document("pool/hours", "Lakeside pool hours", "hours.txt",
             "Opening hours of the Lakeside pool. The Lakeside pool opens at 6 am on weekdays. "
             "The Lakeside pool opens at 8 am on weekends."),
    Document("pool/prices", "Lakeside pool prices", "prices.txt",
             "Prices at the Lakeside pool. A swim costs 5 euros for adults. A swim costs 3 euros for children."),
]
WEEKDAYS = "When does the Lakeside pool open on weekdays?"
WEEKENDS = "When does the Lakeside pool open on weekends?"


def pool_server(index_dir):
    overrides = {"max_question_chars": MAX_QUESTION_CHARS, "max_request_bytes": MAX_REQUEST_BYTES}
    write_index(fast_settings(index_dir, **overrides), POOL)
    return fast_server(index_dir, **overrides)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pool_server(tmp_path_factory.mktemp("followup") / "index") as running:
        yield running


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def ask(http, question, history=(), path="/v1/ask"):
    return http.post(path, json={"question": question, "history": list(history)})


def first_turn(http):
    answer = ask(http, WEEKDAYS).json()
    assert answer["resolved_question"] == answer["question"] == WEEKDAYS
    assert "6 am on weekdays" in answer["answers"][0]["text"]
    return {"question": WEEKDAYS, "answer": answer["answers"][0]["text"]}


def test_a_follow_up_is_answered_as_the_question_it_stands_for(http):
    answer = ask(http, "what about weekends?", [first_turn(http)]).json()
    assert answer["question"] == "what about weekends?"
    assert answer["resolved_question"] == WEEKENDS
    assert "8 am on weekends" in answer["answers"][0]["text"]


def test_the_answer_cache_keys_on_the_resolved_question(tmp_path):
    with pool_server(tmp_path / "index") as running, httpx.Client(base_url=running.url, timeout=30) as http:
        history = [first_turn(http)]
        assert ask(http, "and on weekends?", history).json()["cached"] is False
        again = ask(http, WEEKENDS).json()  # the same question, asked standalone
        assert again["cached"] is True and again["resolved_question"] == WEEKENDS
        assert "8 am on weekends" in again["answers"][0]["text"]
        assert ask(http, "what about weekends?", history).json()["cached"] is True


def test_the_stream_answers_a_follow_up_too(http):
    response = ask(http, "what about weekends?", [first_turn(http)], path="/v1/ask/stream")
    events = [block.split("\n") for block in response.text.strip().split("\n\n")]
    answers = next(json.loads(lines[1][len("data: "):]) for lines in events if lines[0] == "event: answers")
    assert answers["question"] == "what about weekends?" and answers["resolved_question"] == WEEKENDS
    assert "8 am on weekends" in answers["answers"][0]["text"]


def test_a_history_that_references_nothing_leaves_the_question_as_it_is(http):
    question = "How much does a swim cost for children?"
    answer = ask(http, question, [first_turn(http), {"question": "what about weekends?", "answer": ""}]).json()
    assert answer["resolved_question"] == answer["question"] == question
    assert "3 euros for children" in answer["answers"][0]["text"]


@pytest.mark.parametrize("history, status, code, says", [
    ([{"question": WEEKDAYS, "answer": "6 am"}] * (MAX_TURNS + 1), 422, "invalid_request",
     f"history: List should have at most {MAX_TURNS} items"),
    ([{"question": WEEKDAYS, "answer": "x" * (MAX_ANSWER_CHARS + 1)}], 422, "invalid_request", "history.0.answer"),
    ([{"question": WEEKDAYS, "answer": "6 am", "extra": 1}], 422, "invalid_request", "history.0.extra"),
    ([{"question": "y" * (MAX_QUESTION_CHARS + 1), "answer": ""}], 422, "invalid_question",
     f"history[0].question is 201 characters long; the limit is {MAX_QUESTION_CHARS}"),
    ([{"question": "   ", "answer": ""}], 422, "invalid_question", "history[0].question is empty"),
    ([{"question": WEEKDAYS, "answer": "z" * 1900}] * 5, 413, "payload_too_large",
     f"larger than the {MAX_REQUEST_BYTES}-byte limit"),
])
@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream"])
def test_a_history_over_its_bounds_is_refused_in_the_error_shape(http, path, history, status, code, says):
    response = ask(http, "what about weekends?", history, path=path)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and says in body["error"]["message"], body


def test_the_client_sends_a_history(server):
    with Client(server.url) as client:
        first = client.ask(WEEKDAYS)
        assert first.resolved_question == WEEKDAYS
        follow_up = client.ask("and on weekends?", history=[first])
        assert follow_up.resolved_question == WEEKENDS and "8 am" in follow_up.answers[0].text
        as_pairs = client.ask("and on weekends?", history=[(WEEKDAYS, first.answers[0].text)])
        assert as_pairs.resolved_question == WEEKENDS
        streamed = [event for event in client.ask_stream("and on weekends?", history=[{"question": WEEKDAYS}])
                    if hasattr(event, "response")]
        assert streamed[0].response.resolved_question == WEEKENDS


def groundqa(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "groundqa.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_groundqa_chat_keeps_the_conversation(server):
    done = groundqa("chat", "--url", server.url, stdin=f"{WEEKDAYS}\nwhat about weekends?\n/new\nwhat about weekends?\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "6 am on weekdays" in out and f"(understood as: {WEEKENDS})" in out and "8 am on weekends" in out
    assert out.count("understood as") == 1, "after /new the fragment has nothing to follow"


def test_groundqa_ask_with_a_history_file(server, tmp_path):
    history = tmp_path / "conversation.json"
    first = groundqa("ask", WEEKDAYS, "--url", server.url, "--history", str(history))
    assert first.returncode == 0, first.stderr
    second = groundqa("ask", "and on weekends?", "--url", server.url, "--follow-up", str(history), "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["resolved_question"] == WEEKENDS
    turns = json.loads(history.read_text())
    assert [t["question"] for t in turns] == [WEEKDAYS, WEEKENDS] and "8 am" in turns[1]["answer"]


def test_a_follow_up_with_two_readings_answers_the_question_it_names(http):
    """A follow-up the rules changed and may have misread (not a fragment, after a turn shown an answer) is
    also asked beside the previous question, and the answer scored higher kept (service/followup_choice.py):
    resolved_question is the reading answered, whichever it is, in /v1/ask and the stream alike."""
    history = [{"question": WEEKDAYS, "answer": "6 am"}]
    question = "How much is a swim at it?"  # the rules change "it", so they may have misread it
    answer = ask(http, question, history).json()
    readings = ("How much is a swim at the Lakeside pool?", f"{question} {WEEKDAYS}")
    assert answer["question"] == question and answer["resolved_question"] in readings, answer
    assert "other_reading" in answer["timings_ms"]  # both readings were answered
    alone = ask(http, answer["resolved_question"]).json()  # the reading answered, asked on its own
    assert [a["text"] for a in alone["answers"]] == [a["text"] for a in answer["answers"]]
    response = ask(http, question, history, path="/v1/ask/stream")
    events = [block.split("\n") for block in response.text.strip().split("\n\n")]
    streamed = next(json.loads(lines[1][len("data: "):]) for lines in events if lines[0] == "event: answers")
    assert streamed["resolved_question"] == answer["resolved_question"]
    assert [a["text"] for a in streamed["answers"]] == [a["text"] for a in answer["answers"]]
