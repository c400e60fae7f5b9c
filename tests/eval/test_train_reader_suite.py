"""What the reader is fine-tuned on from the benchmark's train sets (eval/train_reader_suite.py): each
question labelled on the passage that holds its answer, unanswerable ones at [CLS], questions made
from table rows labelled with their cell, and only train-split sets and conversations."""

import json
import random
from dataclasses import dataclass

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
