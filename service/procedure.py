"""Procedure questions ("how do I reset it?"): the answer is a series of steps, so the citation's
context becomes the whole list of steps the chosen span is in, and the answer says so (kind "passage")."""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from groundqa.index.sections import list_after_lead_in, list_around, steps_in
from groundqa.index.terms import STOP_WORDS, words
from groundqa.index.types import Document
from groundqa.service.types import Answer

_PROCEDURE = re.compile(
    r"^\s*(?:how\s+(?:do|can|should|would|must)\s+(?:i|you|we)\b|how\s+to\b|what\s+(?:are|were)\s+the\s+(?:[\w-]+\s+){0,2}steps\b|"
    r"what\s+steps\b|(?:what|which)\s+(?:do|should|must)\s+i\s+do\b|what\s+do\s+i\s+(?:need|have)\s+to\s+do\b)",
    re.IGNORECASE)


def is_procedure(question: str) -> bool:
    return bool(_PROCEDURE.match(question))


def with_its_list(answer: Answer, lookup: Callable[[str], Document]) -> Answer:
    """The answer with the list it is in (a procedure's steps; the items of "Which items can't be
    returned?"), or that it introduces ("follow these steps:"), as its context (kind "passage"); as it
    is when there is no such list."""
    document = lookup(answer.citation.doc_id)
    cited = answer.citation
    steps = list_around(document.meta, document.text, cited.start)
    if steps is not None and steps[0] <= cited.start < cited.end <= steps[1]:
        start, end = steps
    else:
        introduced = list_after_lead_in(document.meta, document.text, cited.end)
        if introduced is None:
            return answer
        start, end = min(cited.context_start, cited.start), introduced[1]
    citation = dataclasses.replace(cited, context=document.text[start:end], context_start=start)
    return dataclasses.replace(answer, citation=citation, kind="passage")


# "What do I do after marking the holes?", "I've pulled it off. What do I do next?": the answer is the
# step after the one the asker has done.
_NEXT_STEP = re.compile(r"\bwhat (?:do|should|must|can) (?:i|you|we) do (?:next\b|(?=after\b|once\b))|"
                        r"\bwhat(?:'s| is) the next step\b|\bwhat comes (?:next\b|(?=after\b))", re.IGNORECASE)
_DONE_AFTER = re.compile(r"\s*(?:after|once)\s+(?P<done>[^?]+)", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:ing|ed|es|s|e)$")
_CONDITION = re.compile(r"(?:if|when|whenever|once|after|before|while|unless|in case)\b", re.IGNORECASE)


def done_before(question: str) -> str | None:
    """What the asker says they have done, when they ask for the step after it; else None."""
    asked = _NEXT_STEP.search(question)
    if asked is None:
        return None
    after = _DONE_AFTER.match(question, asked.end())
    done = after.group("done") if after else question[:asked.start()]
    return done if done.strip() else None


def next_step(answer: Answer, done: str | None, lookup: Callable[[str], Document]) -> Answer:
    """For "what do I do after X?" (`done`: X, done_before(question)), the step after the list item
    that best matches X (at least half of X's words, and two), in the list the answer is in; the answer
    as it is otherwise."""
    document = lookup(answer.citation.doc_id)
    steps = list_around(document.meta, document.text, answer.citation.start) if done else None
    if steps is None:
        return answer
    items = _items(document, *steps)
    done_stems = {_stem(w) for w in words(done) if w not in STOP_WORDS}
    item_stems = [{_stem(w) for w in words(document.text[s:e]) if w not in STOP_WORDS} for s, e in items]
    # The most of the done words, and of two items as many, the one with the fewest others.
    match = [(len(done_stems & stems), -len(stems - done_stems)) for stems in item_stems]
    best = max(range(len(items)), key=match.__getitem__, default=None)
    if best is None or best + 1 == len(items) or match[best][0] < max(2, len(done_stems) / 2):
        return answer
    if _CONDITION.match(document.text, *items[best]):
        return answer  # "If the light blinks red, check the breaker": the answer to its condition is in it
    start, end = items[best + 1]
    if not document.text[start:start + 1].isupper():
        return answer  # a line that goes on with the step before, not a step
    end -= document.text[end - 1:end] == "."
    citation = dataclasses.replace(answer.citation, start=start, end=end, context=document.text[steps[0]:steps[1]],
                                   context_start=steps[0])
    return dataclasses.replace(answer, text=document.text[start:end], citation=citation)


def _items(document: Document, start: int, end: int) -> list[tuple[int, int]]:
    """The steps of the list at [start, end) (index/sections.py, steps_in); for a document indexed
    before steps were recorded, each of the list's lines."""
    steps = steps_in(document.meta, document.text, start, end)
    if steps is not None:
        return steps
    lines = [(start + line.start(), start + line.end()) for line in re.finditer(r"[^\n]*\S[^\n]*", document.text[start:end])]
    return [_stripped(document.text, first, last) for first, last in lines]


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())


def _stem(word: str) -> str:
    """A word without its ending, so that "removing", "removed" and "remove" meet ("remov"), and
    "unplugging" and "unplug"."""
    if len(word) <= 2:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    stem = _SUFFIX.sub("", word)
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiousl":
        stem = stem[:-1]
    return stem
