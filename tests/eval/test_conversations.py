"""The conversation eval (issue 40): the gold file's format, its loader, its figures, and a run of
`groundqa eval --conversations` through the served pipeline on a suite written for this test."""

import json
import tomllib
from pathlib import Path

import pytest

from groundqa.errors import GroundQAError
from groundqa.eval.conversation_report import figures, to_markdown
from groundqa.eval.conversations import Asked, load_conversations
from groundqa.eval.runner import Row
from groundqa.index.ingest import scan
from tests.conftest import REPO

GOLD = REPO / "eval" / "gold"


def test_the_conversation_gold_is_well_formed():
    """At least 80 conversations of two or three turns, each over a set of the split file, every
    answer copied from that set's documents as they load (the gold sets' own rule)."""
    conversations = load_conversations(GOLD / "conversations.jsonl")
    sets = tomllib.loads((GOLD / "splits.toml").read_text())["sets"]
    assert len(conversations) >= 80 and len({c.id for c in conversations}) == len(conversations)
    assert {sets[c.set]["split"] for c in conversations} == {"train", "dev", "test"}
    texts = {}
    for conversation in conversations:
        assert 2 <= len(conversation.turns) <= 3 and conversation.standalone[0] == conversation.turns[0].question
        if conversation.set not in texts:
            texts[conversation.set] = {d.doc_id: d.text for d in scan([GOLD / sets[conversation.set]["docs"]]).documents}
        for turn in conversation.turns:
            where = [texts[conversation.set][turn.doc_id]] if turn.doc_id else texts[conversation.set].values()
            missing = [a for a in turn.answers if not any(a in text for text in where)]
            assert not missing, (conversation.id, missing)
    follow_ups = [t for c in conversations for t in c.turns[1:]]
    assert sum(not t.answers for t in follow_ups) >= 10, "unanswerable follow-ups too"


@pytest.mark.parametrize("line, says", [
    ('{"id": "a", "set": "s", "turns": [{"question": "q"}], "standalone": ["q"]}', "two turns or more"),
    ('{"id": "a", "set": "s", "turns": [{"question": "q"}, {"question": "r"}], "standalone": ["q"]}', "one standalone"),
    ('{"id": "a", "turns": []}', "not a conversation"),
    ("not json", "not a conversation"),
])
def test_a_malformed_conversation_is_named_by_its_line(tmp_path, line, says):
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n" + line + "\n")
    with pytest.raises(GroundQAError, match=rf"conversations.jsonl:2: .*{says}"):
        load_conversations(path)


def turn(set_name, conversation, number, gold, answer, resolved="", standalone=""):
    row = Row(f"{conversation}#{number + 1}", "q", gold, answer, 0.9 if answer else 0.0)
    return Asked(conversation, set_name, number, row, resolved or "q", standalone or "q")


def test_follow_ups_are_reported_apart_and_against_their_standalone_form():
    asked = [turn("pool", "c1", 0, ["6 am"], "6 am"), turn("pool", "c1", 1, ["8 am"], "9 am", "When at 8?", "When at 8?"),
             turn("pool", "c2", 0, ["5 euros"], "5 euros"), turn("pool", "c2", 1, [], None, "a", "b")]
    alone = [turn("pool", "c1", 1, ["8 am"], "8 am"), turn("pool", "c2", 1, [], None)]
    bare = [turn("pool", "c1", 1, ["8 am"], None), turn("pool", "c2", 1, [], "3 euros")]
    result = {"split": "dev", "threshold": 0.5, **figures(asked, alone, bare, 0.5)}
    groups = result["groups"]
    assert groups["first_turns"]["answerable_f1"] == 100.0
    assert groups["follow_ups"]["answerable_f1"] == 50.0 and groups["follow_ups_standalone"]["answerable_f1"] == 100.0
    assert groups["follow_ups"]["unanswerable_abstained"] == 100.0
    assert groups["follow_ups_without_history"]["unanswerable_abstained"] == 0.0
    assert result["follow_up_f1_share_of_standalone"] == 50.0
    assert result["resolution"]["resolved_as_written"] == 50.0 and result["sets"]["pool"]["groups"]["follow_ups"]["turns"] == 2
    markdown = to_markdown(result)
    assert "| follow-ups as asked | 2 | 1 | 0 | 50 |" in markdown and "**50%**" in markdown


@pytest.mark.slow
def test_conversations_run_through_the_served_pipeline(tmp_path):
    """A suite of one set written for this test: the follow-up is resolved and answered."""
    from groundqa.cli import main

    docs = tmp_path / "tours" / "docs"
    docs.mkdir(parents=True)
    (docs / "tours.txt").write_text("Lighthouse tours.\n\nThe tour of the North lighthouse costs 12 euros. "
                                    "The tour of the South lighthouse costs 15 euros.\n")
    (tmp_path / "tours" / "gold.jsonl").write_text(
        '{"id": "t1", "question": "How much is the North lighthouse tour?", "answers": ["12 euros"]}\n'
        '{"id": "t2", "question": "How much is the South lighthouse tour?", "answers": ["15 euros"]}\n')
    (tmp_path / "splits.toml").write_text('[sets.tours]\nsplit = "dev"\ndocs = "tours/docs"\ngold = "tours/gold.jsonl"\n')
    conversation = {"id": "c1", "set": "tours", "turns": [
        {"question": "How much does the tour of the North lighthouse cost?", "answers": ["12 euros"]},
        {"question": "And the South lighthouse?", "answers": ["15 euros"]}],
        "standalone": ["How much does the tour of the North lighthouse cost?",
                       "How much does the tour of the South lighthouse cost?"]}
    (tmp_path / "conversations.jsonl").write_text(json.dumps(conversation) + "\n")
    report = tmp_path / "out" / "conversations.json"
    assert main(["eval", "--conversations", str(tmp_path / "conversations.jsonl"), "--split", "dev", "--quiet",
                 "--cache-dir", str(tmp_path / "cache"), "--index-dir", str(tmp_path / "index"),
                 "--report", str(report)]) == 0
    written = json.loads(report.read_text())
    follow_up = written["turns"][1]
    assert follow_up["resolved"] == "How much does the tour of the South lighthouse cost?"
    assert follow_up["answer"] == "15 euros"
    assert written["groups"]["follow_ups"]["answerable_f1"] == written["groups"]["follow_ups_standalone"]["answerable_f1"] == 100.0
    assert written["standalone_questions"] == {"asked_after_another": 1, "changed": 0, "changed_pct": 0.0}
    assert Path(report.with_suffix(".md")).read_text().startswith("# Conversations, dev sets (1 conversations")
