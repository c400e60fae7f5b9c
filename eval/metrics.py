"""SQuAD EM/F1 with the official normalization; an empty gold list means "no answer" is right."""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, drop punctuation and the articles a/an/the, collapse whitespace (official script)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str | None, golds: list[str]) -> float:
    if not golds:
        return float(not prediction)
    if not prediction:
        return 0.0
    return max(float(normalize_answer(prediction) == normalize_answer(gold)) for gold in golds)


def f1_score(prediction: str | None, golds: list[str]) -> float:
    if not golds:
        return float(not prediction)
    if not prediction:
        return 0.0
    return max(_f1(prediction, gold) for gold in golds)


def _f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def right_f1(prediction: str, golds: list[str]) -> float:
    """F1 as `f1_score`, except that an answer whose numbers differ from a gold answer's scores 0
    against it: "up to 1,500 square feet" shares most words with "up to 2,500 square feet" and is
    wrong. What `groundqa calibrate` learns to tell apart."""
    if not golds:
        return float(not prediction)
    if not prediction:
        return 0.0
    numbers = _numbers(prediction)
    return max((_f1(prediction, gold) for gold in golds if _numbers_agree(numbers, _numbers(gold))), default=0.0)


def _numbers(text: str) -> set[str]:
    return {word for word in normalize_answer(text).split() if any(char.isdigit() for char in word)}


def _numbers_agree(predicted: set[str], expected: set[str]) -> bool:
    """Every number of the answer is the gold's, and the answer has one where the gold has any."""
    return predicted <= expected and (bool(predicted & expected) or not expected)
