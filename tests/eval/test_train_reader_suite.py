"""What the reader is fine-tuned on from the benchmark's train sets (eval/train_reader_suite.py): each
question labelled on the passage that holds its answer, unanswerable ones at [CLS], questions made
from table rows labelled with their cell, and only train-split sets and conversations."""

import gzip
import json
import random
import subprocess
import sys
from dataclasses import dataclass

import pytest

from groundqa.eval.gold import GoldQuestion
from groundqa.eval.train_reader_suite import labelled, suite_questions, table_examples


@dataclass
class FakeChunk:
    doc_id: str
    text: str


@dataclass
class FakePassage:
    chunk: FakeChunk


def passages(*pairs: tuple[str, str]) -> list[FakePassage]:
    return [FakePassage(FakeChunk(doc_id, text)) for doc_id, text in pairs]


def test_an_answer_is_labelled_in_its_gold_documents_passage_before_others():
    found = passages(("a.md", "Parking costs $4.00 at the north lot."), ("b.md", "Day passes cost $4.00 each."),
                     ("c.md", "The café opens at 7."))
    question = GoldQuestion("1", "How much is a day pass?", ["$4.00"], doc_id="b.md")
    examples, ok = labelled(question, found, wrong_share=1.0, rng=random.Random(0))
    assert ok
    first, wrong = examples
    assert first.context == "Day passes cost $4.00 each."
    assert first.context[first.answer_start:first.answer_end] == "$4.00"
    assert wrong.context == "The café opens at 7." and wrong.answer_start is None  # holds no gold answer


def test_no_wrong_passage_example_at_a_share_of_zero_and_a_miss_is_reported():
    found = passages(("a.md", "Parking costs $4.00."), ("c.md", "The café opens at 7."))
    examples, ok = labelled(GoldQuestion("1", "Parking?", ["$4.00"]), found, wrong_share=0.0, rng=random.Random(0))
    assert ok and len(examples) == 1
    assert labelled(GoldQuestion("2", "Fees?", ["$9.99"]), found, 1.0, random.Random(0)) == ([], False)


def test_an_unanswerable_question_is_labelled_no_answer_on_its_best_passage():
    found = passages(("a.md", "Parking costs $4.00."), ("c.md", "The café opens at 7."))
    (example,), ok = labelled(GoldQuestion("1", "Is there a pool?", []), found, 1.0, random.Random(0))
    assert ok and example.context == "Parking costs $4.00." and example.answer_start is None


def test_table_rows_become_questions_answered_by_their_cell():
    text = "Plans\nStarter | Price: $12.00 | Users: 5\nGrowth | Price: $30/month\nNote: not a table row"
    made = {e.question: text[e.answer_start:e.answer_end] for e in table_examples([text], 10, random.Random(0))}
    assert made == {"What is the Price for Starter?": "$12.00", "What is the Users for Starter?": "5",
                    "What is the Price for Growth?": "$30/month"}
    assert len(table_examples([text], 2, random.Random(0))) == 2


def test_a_row_without_a_label_makes_no_question():
    assert table_examples(["Price: $12.00 | Users: 5"], 10, random.Random(0)) == []


def test_only_train_sets_and_their_conversations_are_read(tmp_path):
    for name, split in (("alpha", "train"), ("beta", "dev")):
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": "q1", "question": f"{name}?", "answers": ["x"]}) + "\n")
    (tmp_path / "splits.toml").write_text('[sets.alpha]\nsplit = "train"\ndocs = "alpha"\ngold = "alpha.jsonl"\n'
                                          '[sets.beta]\nsplit = "dev"\ndocs = "beta"\ngold = "beta.jsonl"\n')
    conversations = tmp_path / "conversations.jsonl"
    conversations.write_text("\n".join(json.dumps(c) for c in [
        {"id": "c1", "set": "alpha", "turns": [{"question": "a?", "answers": ["1"]}, {"question": "and b?", "answers": []}],
         "standalone": ["a?", "what about b?"]},
        {"id": "c2", "set": "beta", "turns": [{"question": "c?", "answers": ["2"]}, {"question": "and d?", "answers": ["3"]}],
         "standalone": ["c?", "what about d?"]}]) + "\n")

    questions = suite_questions(tmp_path, conversations)
    assert list(questions) == ["alpha"]
    assert [(q.question, q.answers) for q in questions["alpha"]] == [("alpha?", ["x"]), ("a?", ["1"]), ("what about b?", [])]


def test_only_the_sets_named_are_read_for_a_cross_fitting_reader(tmp_path):
    for name in ("alpha", "gamma"):
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": "q1", "question": f"{name}?", "answers": ["x"]}) + "\n")
    (tmp_path / "splits.toml").write_text('[sets.alpha]\nsplit = "train"\ndocs = "alpha"\ngold = "alpha.jsonl"\n'
                                          '[sets.gamma]\nsplit = "train"\ndocs = "gamma"\ngold = "gamma.jsonl"\n')
    assert list(suite_questions(tmp_path, None)) == ["alpha", "gamma"]
    assert list(suite_questions(tmp_path, None, {"gamma"})) == ["gamma"]


PARCEL_DOC = """# Parcel lockers

A locker parcel waits 72 hours before it goes back to the sender.
Lockers at the station take parcels up to 20 kg.
"""


@pytest.mark.slow
def test_the_trainer_fine_tunes_the_shared_reader_while_the_shipped_verifier_is_fitted_for_another(tmp_path):
    """The real command on a suite and a SQuAD file written for the test: it reads with no verifier (the
    shipped one, fitted for the shipped reader, would refuse the shared base) and saves a reader."""
    (tmp_path / "lockers").mkdir()
    (tmp_path / "lockers" / "lockers.md").write_text(PARCEL_DOC)
    (tmp_path / "lockers.jsonl").write_text(
        json.dumps({"id": "l1", "question": "How long does a locker parcel wait?", "answers": ["72 hours"]}) + "\n"
        + json.dumps({"id": "l2", "question": "Who owns the lockers?", "answers": []}) + "\n")
    (tmp_path / "splits.toml").write_text('[sets.lockers]\nsplit = "train"\ndocs = "lockers"\ngold = "lockers.jsonl"\n')
    context = "The ferry leaves the harbour at 7 am and reaches the island an hour later."
    squad = {"data": [{"title": "Ferry", "paragraphs": [{"context": context, "qas": [
        {"id": "f1", "question": "When does the ferry leave?", "answers": [{"text": "7 am", "answer_start": context.index("7 am")}]}]}]}]}
    with gzip.open(tmp_path / "squad.json.gz", "wt") as handle:
        json.dump(squad, handle)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "groundqa.eval.train_reader_suite", "--suite", str(tmp_path),
                          "--squad", str(tmp_path / "squad.json.gz"), "--squad-questions", "1",
                          "--cache", str(tmp_path / "cache"), "--out", str(out)],
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads((out / "figures.json").read_text())
    assert figures["sets"]["lockers"]["questions"] == 2 and figures["no_answer"] >= 1
    assert (out / "reader" / "config.json").is_file()
