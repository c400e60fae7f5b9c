"""From reader spans to answers: abstain or not, de-duplicate, score, cite."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from groundqa.index.chunking import split_sentences
from groundqa.index.terms import has_word_besides, words
from groundqa.index.sections import after_headings, part_of_a_heading, section_at
from groundqa.index.types import Document
from groundqa.service.completion import asks_for_several, asks_how_many, asks_what_to_do, asks_yes_or_no, complete
from groundqa.service.measures import wanted_measures
from groundqa.service.reader import Reading, Span
from groundqa.service.types import Answer, Citation, safe_url

_NORMALIZE = re.compile(r"[^\w]+")
_FUNCTION_WORDS = frozenset("""a an the of in on at to for from by with as is are was were be been and or nor but if
then than that this these those it its he she they them his her their we our you your i me my about up within
only also just over under into onto per around after before""".split())


@dataclass(frozen=True)
class AnswerConfig:
    no_answer_margin: float  # abstain unless the chosen span's logit beats no-answer by this much
    max_answers: int
    min_alternative_score: float  # answers after the first only with at least this score
    retrieval_weight: float  # evidence: + this x the passage's retrieval score
    length_penalty: float  # evidence: - this per word piece of the span


@dataclass(frozen=True)
class Candidate:
    span: Span
    share: float  # its share of the reader's probability mass over all spans and no-answer
    answer: Answer  # cited, scored with `share`


def candidates(reading: Reading, lookup: Callable[[str], Document], config: AnswerConfig,
               question: str = "", limit: int | None = None) -> list[Candidate]:
    """The distinct candidate answers, best first by reader and retrieval evidence (as in
    select_answers), at most `limit` (else config.max_answers), none dropped for a low score. The
    question says whether an answer may be a list of several things or a whole instruction."""
    return list(ranked_candidates(reading, lookup, config, question, limit))


def ranked_candidates(reading: Reading, lookup: Callable[[str], Document], config: AnswerConfig,
                      question: str = "", limit: int | None = None) -> Iterator[Candidate]:
    """`candidates`, each completed only when the one before it has been taken."""
    if not reading.spans:
        return
    shape = {"several": asks_for_several(question),
             "instruction": asks_what_to_do(question), "statement": asks_yes_or_no(question),
             "asked": frozenset(words(question)), "counting": asks_how_many(question),
             "wanted": frozenset(wanted_measures(question))}
    # A span of punctuation or stop words alone ("," between two names, "to") answers nothing.
    texts = {doc_id: lookup(doc_id).text for doc_id in {span.passage.chunk.doc_id for span in reading.spans}}
    spans = [span for span in reading.spans if _has_word(texts[span.passage.chunk.doc_id][span.start:span.end])]
    evidence = [span.logit - span.window_null + config.retrieval_weight * span.passage.score
                - config.length_penalty * span.tokens for span in spans]
    probabilities = _softmax(evidence + [0.0])[:-1]
    best_first = sorted(range(len(spans)), key=evidence.__getitem__, reverse=True)
    # Completed lazily, best first: only the spans that reach the answers are worth the work.
    for span, share in _distinct(((spans[i], probabilities[i]) for i in best_first), lookup,
                                 limit or config.max_answers, shape):
        yield Candidate(span, share, _answer(span, share, lookup(span.passage.chunk.doc_id)))


def _has_word(text: str) -> bool:
    """Whether the text holds a word that is not a function word: "," or "to" alone answers nothing."""
    return has_word_besides(text, _FUNCTION_WORDS)


def _completed(span: Span, document: Document, shape: dict) -> Span:
    """The span grown to a whole answer (service/completion.py), without a heading it began in; its
    evidence is the reader's."""
    start, end = complete(document.text, span.start, span.end, **shape)
    start = after_headings(document.meta, document.text, start, end)
    return span if (start, end) == (span.start, span.end) else dataclasses.replace(span, start=start, end=end)


def select_answers(reading: Reading, lookup: Callable[[str], Document],
                   config: AnswerConfig, question: str = "") -> tuple[list[Answer], float | None]:
    """The top distinct answers (empty when abstaining) and the best span's margin over no-answer.

    Each span's evidence is its reader logit over the no-answer logit of its own window (so a
    passage the reader finds irrelevant counts less), plus config.retrieval_weight times its
    passage's retrieval score, less config.length_penalty per word piece (the reader alone leans to
    spans longer than the answer); a softmax over all spans and no-answer turns evidence into probabilities.
    Spans with the same normalized text form one answer, scored by its best span (summing over
    its spans instead was measured and did not pay: eval/BENCHMARKS.md).
    Abstention looks at the chosen answer's reader margin."""
    return by_margin(candidates(reading, lookup, config, question), reading, config)


def by_margin(found: list[Candidate], reading: Reading, config: AnswerConfig) -> tuple[list[Answer], float | None]:
    """The candidates' answers, or none when the best one's margin over no-answer is too small."""
    if not found:
        return [], None
    best_margin = found[0].span.logit - reading.null_logit
    if best_margin < config.no_answer_margin:
        return [], best_margin
    return [c.answer for rank, c in enumerate(found) if rank == 0 or c.share >= config.min_alternative_score], best_margin


def _distinct(best_first: Iterable[tuple[Span, float]], lookup: Callable[[str], Document],
              limit: int, shape: dict) -> Iterator[tuple[Span, float]]:
    """Up to `limit` completed answers, best first: (best span, its probability) per normalized
    answer text, dropping answers that overlap a better one in the same document ("Dana" inside
    "Dana Whitfield"), spans left without a word and the first words of a heading. Spans are
    completed only when they may be taken: the reader's n-best lists repeat the same answer many
    times over."""
    seen: set[str] = set()
    taken: list[tuple[Span, float]] = []

    def overlaps_taken(span: Span) -> bool:
        doc_id = span.passage.chunk.doc_id
        return any(t.passage.chunk.doc_id == doc_id and t.start < span.end and span.start < t.end for t, _ in taken)

    for raw, probability in best_first:
        if overlaps_taken(raw):
            continue
        document = lookup(raw.passage.chunk.doc_id)
        span = _completed(raw, document, shape)
        text = document.text[span.start:span.end]
        key = _NORMALIZE.sub(" ", text.lower()).strip()
        if key in seen or not _has_word(text) or part_of_a_heading(document.meta, document.text, span.start, span.end):
            continue
        seen.add(key)
        if not overlaps_taken(span):
            taken.append((span, probability))
            yield span, probability
            if len(taken) == limit:
                return


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    weights = [math.exp(value - top) for value in logits]
    total = sum(weights)
    return [weight / total for weight in weights]


def _answer(span: Span, probability: float, document: Document) -> Answer:
    context_start, context_end = context_around(document.text, span.passage.chunk.start, span.passage.chunk.end,
                                                span.start, span.end)
    citation = Citation(doc_id=document.doc_id, title=document.title, source=document.source,
                        start=span.start, end=span.end,
                        context=document.text[context_start:context_end], context_start=context_start,
                        url=safe_url(document.meta.get("url")), section=section_at(document.meta, span.start))
    return Answer(text=document.text[span.start:span.end], score=probability, citation=citation)


@functools.lru_cache(maxsize=64)  # a question's candidates share a few chunks
def _sentences(chunk_text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_sentences(chunk_text))


def context_around(text: str, chunk_start: int, chunk_end: int, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of the chunk that hold text[start:end]."""
    sentences = [(chunk_start + s, chunk_start + e) for s, e in _sentences(text[chunk_start:chunk_end])]
    covering = [(s, e) for s, e in sentences if s < end and e > start]
    if not covering:
        return start, end
    return min(covering[0][0], start), max(covering[-1][1], end)
