"""From reader spans to answers: abstain or not, de-duplicate, score, cite."""

from __future__ import annotations

import math
import re
from typing import Callable

from index.chunking import split_sentences
from index.types import Document
from service.reader import Reading, Span
from service.types import Answer, Citation

_NORMALIZE = re.compile(r"[^\w]+")


def select_answers(reading: Reading, lookup: Callable[[str], Document], *, margin: float, max_answers: int,
                   min_alternative_score: float = 0.0, retrieval_weight: float = 0.0) -> tuple[list[Answer], float | None]:
    """The top distinct answers (empty when abstaining) and the best span's margin over no-answer.
    Spans are ranked by reader logit plus retrieval_weight times their passage's retrieval score
    (reader and retriever evidence together); abstention looks at the chosen span's reader margin.
    Answers after the first are kept only with a score of at least min_alternative_score."""
    if not reading.spans:
        return [], None

    def evidence(span: Span) -> float:
        return span.logit + retrieval_weight * span.passage.score

    ranked = sorted(reading.spans, key=evidence, reverse=True) if retrieval_weight else reading.spans
    best_margin = ranked[0].logit - reading.null_logit
    distinct = _distinct(ranked, lookup)
    probabilities = _softmax([evidence(span) for span in distinct] + [reading.null_logit])
    if best_margin < margin:
        return [], best_margin
    answers = [_answer(span, probability, lookup(span.passage.chunk.doc_id), reading.null_logit)
               for rank, (span, probability) in enumerate(zip(distinct[:max_answers], probabilities))
               if rank == 0 or probability >= min_alternative_score]
    return answers, best_margin


def _distinct(spans: list[Span], lookup: Callable[[str], Document]) -> list[Span]:
    """Best-first spans, dropping any that repeat a better one: the same normalized text (found
    again in an overlapping window or chunk) or an overlapping stretch of the same document
    ("Dana" inside "Dana Whitfield")."""
    seen_texts: set[str] = set()
    taken: list[Span] = []
    for span in spans:
        doc_id = span.passage.chunk.doc_id
        key = _NORMALIZE.sub(" ", lookup(doc_id).text[span.start:span.end].lower()).strip()
        overlaps = any(t.passage.chunk.doc_id == doc_id and t.start < span.end and span.start < t.end for t in taken)
        if key not in seen_texts and not overlaps:
            seen_texts.add(key)
            taken.append(span)
    return taken


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    weights = [math.exp(value - top) for value in logits]
    total = sum(weights)
    return [weight / total for weight in weights]


def _answer(span: Span, probability: float, document: Document, null_logit: float) -> Answer:
    context_start, context_end = context_around(document.text, span.passage.chunk.start, span.passage.chunk.end,
                                                span.start, span.end)
    citation = Citation(doc_id=document.doc_id, title=document.title, source=document.source,
                        start=span.start, end=span.end,
                        context=document.text[context_start:context_end], context_start=context_start)
    return Answer(text=document.text[span.start:span.end], score=probability, citation=citation,
                  margin=span.logit - null_logit)


def context_around(text: str, chunk_start: int, chunk_end: int, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of the chunk that hold text[start:end]."""
    sentences = [(chunk_start + s, chunk_start + e) for s, e in split_sentences(text[chunk_start:chunk_end])]
    covering = [(s, e) for s, e in sentences if s < end and e > start]
    if not covering:
        return start, end
    return min(covering[0][0], start), max(covering[-1][1], end)
