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
    "Firmware 3.2 was released on March 4, 2024. It adds support for the Nimbus T5 thermostat.",
    "The Nimbus T2 costs $129 and ships with two AA batteries that last about 14 months.",
]
QUESTIONS = [
    GoldQuestion("q1", "When was firmware 3.2 released?", ["March 4, 2024"], context=PARAGRAPHS[0], title="Notes"),
    GoldQuestion("q2", "How much does the Nimbus T2 cost?", ["$129"], context=PARAGRAPHS[1], title="Notes"),
    GoldQuestion("q3", "How long do the batteries last?", ["about 14 months"], context=PARAGRAPHS[1], title="Notes"),
]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(default_reader_model())


def test_examples_hold_every_question_and_unanswerable_variants():
    examples = training_examples(QUESTIONS, near_miss_share=1.0, other_share=1.0, seed=0)
    answerable = [e for e in examples if e.answer_start is not None]
    assert sorted(e.context[e.answer_start:e.answer_end] for e in answerable) == sorted(q.answers[0] for q in QUESTIONS)
    unanswerable = [e for e in examples if e.answer_start is None]
    # A swapped number ("firmware 3.2" -> another version) and the other paragraph for each question.
    assert any(e.context == PARAGRAPHS[0] and "3.2" not in e.question and "firmware" in e.question
               for e in unanswerable)
    answers = {q.question: q.answers[0] for q in QUESTIONS}
    for example in unanswerable:  # a question asked of another paragraph: that paragraph lacks its answer
        if example.question in answers:
            assert answers[example.question] not in example.context

def test_windows_label_the_answer_tokens_or_cls(tokenizer):
    examples = [Example("How much does the Nimbus T2 cost?", PARAGRAPHS[1], 20, 24),
                Example("How much does the Nimbus T7 cost?", PARAGRAPHS[1], None)]
    windows = training_windows(tokenizer, examples)
    start, end = int(windows["start_positions"][0]), int(windows["end_positions"][0])
    assert tokenizer.decode(windows["input_ids"][0][start:end + 1]) == "$ 129"
    assert int(windows["start_positions"][1]) == int(windows["end_positions"][1]) == 0


def test_auc_counts_answerable_margins_above_unanswerable_ones():
    assert _auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert _auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert _auc(np.array([1.0, 4.0]), np.array([2.0, 3.0])) == 0.5
