"""Pairs the cross-check trains on from a calibrate recording (eval/train_cross_check.py): only the
train-split questions, each question's first candidates, right only where it is answerable and right."""

import pickle

import numpy as np

from groundqa.eval.calibrate import Asked
from groundqa.eval.train_cross_check import recorded_pairs


def asked(question: str, answerable: bool, rights: list[bool]) -> Asked:
    return Asked(question, answerable, [(np.zeros(2), float(r), r, f"{question} candidate {i}")
                                        for i, r in enumerate(rights)])


def test_only_the_train_split_questions_of_a_recording_become_pairs(tmp_path):
    recording = tmp_path / "recorded.pkl"
    held = [asked("held out", True, [True, False])]  # SQuAD 2.0 dev-A: only for the verifier's few parameters
    train = [asked("answerable", True, [False, True, False, True]), asked("unanswerable", False, [True, False])]
    fitted_on = ["squad-v2.0-dev-A.json.gz: 1 questions (seed 5), 0 near misses made from its answerable questions",
                 "hospital (train split): 2 questions"]
    recording.write_bytes(pickle.dumps((held + train, fitted_on)))

    pairs = recorded_pairs(recording, candidates=3, repeat=1)
    assert {p.question for p in pairs} == {"answerable", "unanswerable"}
    assert [(p.evidence, p.label) for p in pairs if p.question == "answerable"] == [
        ("answerable candidate 0", 0.0), ("answerable candidate 1", 1.0), ("answerable candidate 2", 0.0)]
    assert all(p.label == 0.0 for p in pairs if p.question == "unanswerable")  # right spans of nothing asked
    assert len(recorded_pairs(recording, candidates=3, repeat=4)) == 4 * len(pairs)

    # cross-fitting: a model that learns only from the sets named
    lease = [asked("lease question", True, [True])]
    recording.write_bytes(pickle.dumps((held + train + lease, [*fitted_on, "lease (train split): 1 questions"])))
    assert recorded_pairs(recording, candidates=3, repeat=1, only={"hospital"}) == pairs
    assert [p.question for p in recorded_pairs(recording, candidates=3, repeat=1, only={"lease"})] == ["lease question"]
