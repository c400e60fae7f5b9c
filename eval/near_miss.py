"""Near-miss questions made from answerable ones, to teach the verifier what a wrong identifier looks
like: one number, year, version or name the question shares with its paragraph is swapped for one its
whole article never mentions ("When was firmware 3.2 released?" -> "... 3.7 ..."), so the documents
can no longer answer it although it reads as answerable and its other words still match.

SQuAD 2.0's own unanswerable questions rarely turn on a single identifier, and product questions
often do (issue 15), so these are asked beside them when the verifier is fitted (`groundqa calibrate
--near-misses N`)."""

from __future__ import annotations

import random
import re
from dataclasses import replace

from groundqa.eval.gold import GoldQuestion

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w.]*\w)")
_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-z]{2,}\b")


def near_misses(questions: list[GoldQuestion], count: int, seed: int) -> list[GoldQuestion]:
    """Up to `count` unanswerable variants of answerable questions, each with one token swapped."""
    rng = random.Random(seed)
    articles: dict[str | None, str] = {}
    for q in questions:
        if q.context and q.context not in articles.get(q.title, ""):
            articles[q.title] = articles.get(q.title, "") + "\n" + q.context
    names = sorted({name for text in articles.values() for name in _NAME.findall(text)})
    made: dict[str, GoldQuestion] = {}
    pool = [q for q in questions if q.answers and q.context]
    # Numbers first: product questions turn on a number (version, model, id) most often, and few
    # SQuAD questions hold one.
    for kind in ("number", "name"):
        for q in rng.sample(pool, len(pool)):
            if len(made) == count:
                return list(made.values())
            swapped = _swap(q, kind, articles.get(q.title, q.context or ""), names, rng)
            if swapped is not None and swapped.id not in made:
                made[swapped.id] = swapped
    return list(made.values())


def _swap(q: GoldQuestion, kind: str, article: str, names: list[str], rng: random.Random) -> GoldQuestion | None:
    """`q` with one of its numbers (or names) that its paragraph holds replaced by one the article lacks."""
    pattern = _NUMBER if kind == "number" else _NAME
    spots = [m for m in pattern.finditer(q.question) if m.group() in (q.context or "")]
    if not spots:
        return None
    match = rng.choice(spots)
    for _ in range(20):
        new = _other_number(match.group(), rng) if kind == "number" else rng.choice(names)
        if new != match.group() and new not in article and new.lower() not in q.question.lower():
            question = q.question[:match.start()] + new + q.question[match.end():]
            return replace(q, id=f"{q.id}/near-miss", question=question, answers=[])
    return None


def _other_number(number: str, rng: random.Random) -> str:
    """A number of the same shape: a year moved by a few years, else other digits in the same places."""
    if re.fullmatch(r"1\d\d\d|20\d\d", number):
        return str(int(number) + rng.choice([-3, -2, -1, 1, 2, 3]))
    return "".join(str(rng.randint(1 if i == 0 else 0, 9)) if c.isdigit() else c for i, c in enumerate(number))
