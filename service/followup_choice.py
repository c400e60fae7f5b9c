"""The verifier chooses between two readings of a follow-up the rules may have misread.

A fragment ("and Growth?", "what about weekends?") has one reading: the rules put it in place of the
previous question's phrase of its kind, and asked beside the previous question it reads as that
question (the reader answers what the previous question asked). Any other follow-up the rules changed
may lean on the conversation in ways they do not foresee: a pronoun whose antecedent they guessed
("When is he available?" after "Who is the caretaker at Harlow Court?"). A question they left as
asked keeps its own reading (most such questions stand alone) unless it says it goes on from the
previous one ("and when ...?", "is breakfast still served?", "what if I ... instead?") or holds a
pronoun the rules found nothing for ("can I ring him?" after a question naming no one). For the
others the follow-up is also asked as a plain combination: the follow-up followed by the previous
question as it stands alone ("When is he available? Who is the caretaker at Harlow Court?"), and the
answer the verifier believes more (the higher verified probability, `best_margin`) is kept, with the
question that gave it as the result's `question` (so `resolved_question` is the question answered).

The combination's answer is not taken when it repeats the answer the previous turn was shown: then
the reader answered the previous question, which the combination also holds, not the follow-up. So
there is no second reading after a turn that was shown no answer (nothing to tell the two apart by),
and none is kept that gives the rules' answer (the simpler question gave it). One extra ask, for
these follow-ups only."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from groundqa.service.followup import Similarity, Turn, check_history, resolve_with_history
from groundqa.service.followup_fragment import appended
from groundqa.service.followup_lead import fragment_start, goes_on, referring_pronouns
from groundqa.service.followup_text import parse, stems
from groundqa.service.followup_words import BE, DO
from groundqa.service.types import AskResult

REPEAT_OVERLAP = 0.5  # word F1 with the previous answer from which an answer repeats it
_ARTICLES = {"a", "an", "the"}
_PUNCTUATION = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class Readings:
    resolved: str  # the question as the rules resolve it (the question itself when it stands alone)
    alternative: str | None  # the plain combination, asked beside it; None when the rules are sure
    previous_answer: str  # the answer the previous turn was shown ("" when none)


def readings(question: str, history: Sequence[Turn], similarity: Similarity | None,
             max_question_chars: int) -> Readings:
    """The readings of `question` after `history` (checked: InvalidQuestion when over its bounds).
    A resolution or a combination longer than a question may be is not used."""
    check_history(history, max_question_chars)
    question = question.strip()
    resolved, earlier = resolve_with_history(question, history, similarity)
    if len(resolved) > max_question_chars:
        resolved = question
    if not earlier:
        return Readings(resolved, None, "")
    previous = earlier[-1]
    alternative = None
    # Only where the rules changed the question, where it says it goes on from the previous one ("is
    # breakfast still served?") or where it holds a pronoun they found nothing for: a question that
    # stands alone, asked after another, keeps its own reading (on dev, trying every question moved 17
    # of 116 standalone ones).
    tokens = parse(question).tokens
    pronouns = referring_pronouns(tokens)
    leans = resolved != question or goes_on(tokens) or bool(pronouns)
    if previous.answer and leans and fragment_start(tokens) is None:
        combined = f"{question} {previous.question}"
        if resolved == question and not pronouns:
            combined = with_setting(question, previous.question) or combined
        if len(combined) <= max_question_chars and combined != resolved:
            alternative = combined
    return Readings(resolved, alternative, previous.answer)


_OPENING = frozenset("if when while once after before during on in at for".split())


def with_setting(question: str, previous: str) -> str | None:
    """`question` with the setting of `previous` that it does not name, added at its end: the opening
    clause of `previous` ("If I make a complaint, ..."), else its prepositional phrases ("... in the
    ICU at Kestrel Avenue"); None when it names them all. "is breakfast still served" after "On a
    two-hour delay, when does school start?" is "is breakfast still served on a two-hour delay?"."""
    before = parse(previous)
    tokens = before.tokens
    comma = next((i for i, t in enumerate(tokens) if t.text == ","), None)
    if tokens and tokens[0].low in _OPENING and comma is not None and comma > 1 and tokens[1].low not in BE | DO:
        phrases = [before.phrase(0, comma)]
    else:
        phrases = [whole for whole, _ in before.prepositional_phrases()]
    asked = stems(question)
    setting = [p.text for p in phrases if not stems(p.text) <= asked]
    if not setting:
        return None
    if tokens and phrases[0].first == 0 and not tokens[0].is_name:
        setting[0] = setting[0][:1].lower() + setting[0][1:]
    return appended(question, " ".join(setting))


def chosen(by_rules: AskResult, combined: AskResult | None, previous_answer: str) -> AskResult:
    """The result whose best answer the verifier believes more: the combination's only when it has an
    answer, one that neither repeats `previous_answer` nor is the rules' answer (the same answer is
    given for the simpler question), and scores above the rules' (ties keep the rules'). Results are
    as served: no answers where the verifier abstains. Its timings add the other ask's total to its own."""
    if combined is None:
        return by_rules
    keep, other = by_rules, combined
    if combined.answers and not repeats(combined.answers[0].text, previous_answer) \
            and not (by_rules.answers and _words(by_rules.answers[0].text) == _words(combined.answers[0].text)) \
            and _score(combined) > _score(by_rules):
        keep, other = combined, by_rules
    timings = dict(keep.timings_ms)
    if "total" in timings and "total" in other.timings_ms:
        timings["other_reading"] = other.timings_ms["total"]
        timings["total"] += other.timings_ms["total"]
    return dataclasses.replace(keep, timings_ms=timings)


def ask_follow_up(ask: Callable[[str], AskResult], question: str, history: Sequence[Turn],
                  similarity: Similarity | None, max_question_chars: int) -> AskResult:
    """`question` answered after `history` with `ask` (a question -> AskResult): the rules' reading,
    and the combination beside it where there is one, the verifier choosing."""
    read = readings(question, history, similarity, max_question_chars)
    by_rules = ask(read.resolved)
    if read.alternative is None:
        return by_rules
    return chosen(by_rules, ask(read.alternative), read.previous_answer)


def repeats(answer: str, previous: str) -> bool:
    """Whether `answer` says what `previous` said: one's words run inside the other's, or they share
    at least REPEAT_OVERLAP of their words (word F1; case, punctuation and articles aside); never
    when both hold numbers and not the same ones ("within 4 hours" is not "within 24 hours")."""
    ours, theirs = _words(answer), _words(previous)
    if not ours or not theirs:
        return False
    numbers, their_numbers = _numbers(ours), _numbers(theirs)
    if numbers and their_numbers and numbers != their_numbers:
        return False
    if _runs_inside(ours, theirs) or _runs_inside(theirs, ours):
        return True
    common = sum((Counter(ours) & Counter(theirs)).values())
    if not common:
        return False
    precision, recall = common / len(ours), common / len(theirs)
    return 2 * precision * recall / (precision + recall) >= REPEAT_OVERLAP


def _score(result: AskResult) -> float:
    return float("-inf") if result.best_margin is None else result.best_margin


def _words(text: str) -> list[str]:
    """The words of `text`, lowercased, punctuation dropped ("$4.00" is "400"), articles aside."""
    return [w for w in _PUNCTUATION.sub("", text.lower()).split() if w not in _ARTICLES]


def _numbers(words: list[str]) -> set[str]:
    return {w for w in words if any(c.isdigit() for c in w)}


def _runs_inside(short: list[str], long: list[str]) -> bool:
    n = len(short)
    return n <= len(long) and any(long[i:i + n] == short for i in range(len(long) - n + 1))
