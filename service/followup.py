"""Follow-up questions: a question asked after others ("How much is the Starter plan?", then "and
Growth?") is rewritten into one that stands alone ("How much is the Growth plan?") before retrieval
and reading. A question that already stands alone is returned as it is.

Two kinds of follow-up are resolved, by rules over the parts of the questions (followup_text, with
the closed word lists of followup_words; followup_lead tells a follow-up from a question that stands
alone):
- a fragment ("and Growth?", "what about weekends?", "And at Westmere?", "for students?") takes the
  place of the previous question's phrase of the same kind (the same preposition, shared words, a name
  for a name, a number for a number, a time for a time; the embedder's similarity breaks ties), or is
  added to the previous question when nothing there is of its kind (followup_fragment);
- a pronoun with nothing it could stand for in its own question ("who signs it?", "what is her
  phone number?", "how much is parking there?") is replaced by what it stands for in the previous
  question: its subject with the phrases that qualify it; the person a "who" question was answered
  with; a place for "there", a time for "then" (followup_subject).
Earlier turns are resolved in order first, so a third turn builds on the second's standalone form.

Where the rules may have misread a follow-up (any but a fragment), the service also asks it beside the
previous question and lets the verifier choose (followup_choice); a history turn holding such a
combination stands for its follow-up resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from groundqa.errors import InvalidQuestion
from groundqa.service.followup_fragment import Similarity, close, fill_fragment
from groundqa.service.followup_lead import fragment_start, referring_pronouns
from groundqa.service.followup_subject import antecedent
from groundqa.service.followup_text import Parsed, parse
from groundqa.service.followup_words import DETERMINERS

MAX_TURNS = 6  # history turns accepted
MAX_ANSWER_CHARS = 2000  # of each turn's answer
MAX_ADDED_CHARS = 300  # a resolution adds at most this much to a question (else it is left as it is)
MAX_PRONOUNS = 3  # resolved in one question


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""  # the answer the user was shown ("" when none was found)


def check_history(history: Sequence[Turn], max_question_chars: int) -> None:
    """InvalidQuestion unless `history` is at most MAX_TURNS turns, each with a question as long as a
    question may be and an answer of at most MAX_ANSWER_CHARS."""
    if len(history) > MAX_TURNS:
        raise InvalidQuestion(f"history has {len(history)} turns; the limit is {MAX_TURNS}")
    for number, turn in enumerate(history):
        if not isinstance(turn.question, str) or not turn.question.strip():
            raise InvalidQuestion(f"history[{number}].question is empty")
        if len(turn.question.strip()) > max_question_chars:
            raise InvalidQuestion(f"history[{number}].question is {len(turn.question.strip())} characters long; "
                                  f"the limit is {max_question_chars}")
        if not isinstance(turn.answer, str) or len(turn.answer) > MAX_ANSWER_CHARS:
            raise InvalidQuestion(f"history[{number}].answer must be text of at most {MAX_ANSWER_CHARS} characters")


def standalone(question: str, history: Sequence[Turn], similarity: Similarity | None, max_question_chars: int) -> str:
    """`resolve` after `check_history`; a resolution longer than a question may be is not used."""
    check_history(history, max_question_chars)
    resolved = resolve(question, history, similarity)
    return resolved if len(resolved) <= max_question_chars else question.strip()


def embedder_similarity(embedder) -> Similarity:
    """Cosine similarity of the embedder's vectors (any Embedder: embed(texts) -> array)."""
    def similarity(text: str, others: Sequence[str]) -> list[float]:
        vectors = np.asarray(embedder.embed([text, *others]), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        return (vectors[1:] @ vectors[0]).tolist()
    return similarity


def resolve(question: str, history: Sequence[Turn], similarity: Similarity | None = None) -> str:
    """The question as it stands alone: unchanged unless it is a follow-up of `history` (oldest first)."""
    return resolve_with_history(question, history, similarity)[0]


def resolve_with_history(question: str, history: Sequence[Turn],
                         similarity: Similarity | None = None) -> tuple[str, list[Turn]]:
    """`resolve`'s question, and the turns of `history` as they were resolved on the way (each question
    standing alone, with its answer)."""
    question = question.strip()
    earlier: list[Turn] = []
    for turn in history[-MAX_TURNS:]:
        earlier.append(Turn(_resolve_asked(turn.question.strip(), earlier, similarity), turn.answer.strip()))
    return _resolve(question, earlier, similarity), earlier


def _resolve_asked(question: str, earlier: list[Turn], similarity: Similarity | None) -> str:
    """A question of the history resolved. One made of several questions, the first a follow-up of the
    others ("When is he in? Who is the caretaker at Maple Court?", as a follow-up answered beside the
    question before it comes back: followup_choice), stands for its first question resolved after the
    others; any other is resolved as a question is."""
    parts = _AFTER_A_QUESTION.split(question) if question.count("?") >= 2 else [question]
    if len(parts) >= 2 and all(part.endswith("?") for part in parts):
        first, rest = parts[0], " ".join(parts[1:])
        before = earlier if earlier and earlier[-1].question == rest else [*earlier, Turn(rest)]
        resolved = _resolve(first, before, similarity)
        if resolved != first:
            return resolved
    return _resolve(question, earlier, similarity)


_AFTER_A_QUESTION = re.compile(r"(?<=\?)\s+")  # where one question of a text ends and the next begins


def _resolve(question: str, earlier: list[Turn], similarity: Similarity | None) -> str:
    if not earlier or not question:
        return question
    parsed = parse(question)
    start = fragment_start(parsed.tokens)
    if start is not None:
        resolved = fill_fragment(parsed, start, parse(earlier[-1].question), similarity) or question
    else:
        resolved = _replace_pronouns(parsed, earlier)
    return resolved if len(resolved) <= len(question) + MAX_ADDED_CHARS else question


# -- pronouns -------------------------------------------------------------------------------
def _without_phrases(stands_for: str | None, prepositions: set[str]) -> str | None:
    """What a pronoun stands for without its phrases of the prepositions the question has its own
    phrase of: "Is it cheaper at the Oak Road pool?" after "How much is a day pass at the Elm Street
    pool?" asks about a day pass at the Oak Road pool, not at both."""
    if not stands_for or not prepositions:
        return stands_for
    parsed = parse(stands_for)
    dropped = [whole for whole, _ in parsed.prepositional_phrases()
               if parsed.tokens[whole.first].low in prepositions and whole.first > 0]
    for whole in reversed(dropped):
        stands_for = stands_for[:whole.start].rstrip() + stands_for[whole.end:]
    return stands_for


def _a_description(stands_for: str) -> bool:
    """Whether a person is named by a description ("the caretaker at Harlow Court"), whose thing is
    "the phone number of the caretaker at Harlow Court", not by a name ("Maya Lind's phone number")."""
    first = stands_for.split(maxsplit=1)[0].lower() if stands_for.strip() else ""
    return first in DETERMINERS


def _replace_pronouns(parsed: Parsed, earlier: list[Turn]) -> str:
    question, tokens = parsed.text, parsed.tokens
    pieces, at, found = [], 0, {}
    own = {tokens[whole.first].low for whole, _ in parsed.prepositional_phrases()}
    for index in referring_pronouns(tokens)[:MAX_PRONOUNS]:
        token = tokens[index]
        if token.low not in found:
            found[token.low] = _without_phrases(antecedent(token.low, earlier), own)
        stands_for = found[token.low]
        if stands_for is None:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        end = token.end
        owner = token.low in ("its", "their") or (token.low in ("his", "her") and _a_description(stands_for))
        if owner and following is not None and following.is_content:
            last = index + 1
            while last < len(tokens) and tokens[last].is_content:
                last += 1
            owned = question[following.start:tokens[last - 1].end]  # "its minimum term" -> "the minimum term of X"
            stands_for, end = f"the {owned} of {stands_for}", tokens[last - 1].end
        elif token.low == "his" or (token.low == "her" and following is not None and following.is_content):
            stands_for += "" if stands_for.endswith(("'s", "’s", "'")) else "'" if stands_for.endswith("s") else "'s"
        if token.first:
            stands_for = stands_for[:1].upper() + stands_for[1:]
        pieces.append(question[at:token.start] + stands_for)
        at = end
    return question if not pieces else close("".join(pieces) + question[at:])
