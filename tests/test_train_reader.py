"""The reader-training script's data: labelled windows point at the answer's tokens, or at [CLS] for
a question its passage cannot answer; the no-answer AUC it reports ranks as it says."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoTokenizer

from groundqa.eval.gold import GoldQuestion
from groundqa.eval.train_reader import Example, _auc, training_examples, training_windows
from groundqa.settings import default_reader_model

PARAGRAPHS = [
    "Firmware 6.2 came out on March 5, 2023. It lets the Corvane L8 lock pair with door sensors.",
    "The Corvane L3 sells for $149 and ships with four AA batteries that run for about 10 months.",
]
QUESTIONS = [
    GoldQuestion("q1", "When did firmware 6.2 come out?", ["March 5, 2023"], context=PARAGRAPHS[0], title="Notes"),
    GoldQuestion("q2", "What does the Corvane L3 sell for?", ["$149"], context=PARAGRAPHS[1], title="Notes"),
    GoldQuestion("q3", "How long do the lock's batteries run?", ["about 10 months"], context=PARAGRAPHS[1],
                 title="Notes"),
]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(default_reader_model())


def test_examples_hold_every_question_and_unanswerable_variants():
    examples = training_examples(QUESTIONS, near_miss_share=1.0, other_share=1.0, seed=0)
    answerable = [e for e in examples if e.answer_start is not None]
    assert sorted(e.context[e.answer_start:e.answer_end] for e in answerable) == sorted(q.answers[0] for q in QUESTIONS)
    unanswerable = [e for e in examples if e.answer_start is None]
    # A swapped number ("firmware 6.2" -> another version) and the other paragraph for each question.
    assert any(e.context == PARAGRAPHS[0] and "6.2" not in e.question and "firmware" in e.question
               for e in unanswerable)
    answers = {q.question: q.answers[0] for q in QUESTIONS}
    for example in unanswerable:  # a question asked of another paragraph: that paragraph lacks its answer
        if example.question in answers:
            assert answers[example.question] not in example.context

def test_windows_label_the_answer_tokens_or_cls(tokenizer):
    price = PARAGRAPHS[1].index("$149")
    examples = [Example("What does the Corvane L3 sell for?", PARAGRAPHS[1], price, price + len("$149")),
                Example("What does the Corvane L7 sell for?", PARAGRAPHS[1], None)]
    windows = training_windows(tokenizer, examples)
    start, end = int(windows["start_positions"][0]), int(windows["end_positions"][0])
    assert tokenizer.decode(windows["input_ids"][0][start:end + 1]) == "$ 149"
    assert int(windows["start_positions"][1]) == int(windows["end_positions"][1]) == 0


def test_auc_counts_answerable_margins_above_unanswerable_ones():
    assert _auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert _auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert _auc(np.array([1.0, 4.0]), np.array([2.0, 3.0])) == 0.5
