"""The one answering path, used by the CLI, the HTTP API and the eval harness alike."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Iterator

from groundqa.errors import InvalidQuestion
from groundqa.index.collection import Collection
from groundqa.index.embedder import Embedder
from groundqa.index.hybrid import RetrievalConfig
from groundqa.index.types import MAX_FILTERS, Filters, Passage
from groundqa.service.answers import AnswerConfig, Candidate, by_margin, ranked_candidates
from groundqa.service.completion import asks_for_several
from groundqa.service.procedure import is_procedure, with_its_list
from groundqa.service.reader import Reader, Reading
from groundqa.service.types import Answer, AskResult
from groundqa.service.cross_check import CrossCheckFit, evidence
from groundqa.service.verify import Verifier, sigmoid, cannot_answer, evidence_of, feature_vector, type_mismatch
from groundqa.settings import MAX_TOP_K


VERIFIED_CANDIDATES = 8


@dataclass(frozen=True)
class PipelineConfig:
    top_k: int  # passages retrieved per question
    max_question_chars: int
    # Read only passages whose retrieval score is within this of the best (None: all top_k).
    read_score_gap: float | None
    # Without the verifier: read the best passage first and stop there when its best span beats its
    # window's no-answer logit by this much (None: read all at once).
    early_exit_margin: float | None
    # Read passages, best first, while the word pieces read stay within this (None: no cap).
    max_read_tokens: int | None
    retrieval: RetrievalConfig
    answers: AnswerConfig
    # Scores each candidate answer with a calibrated probability and abstains below its threshold
    # (None: abstain by answers.no_answer_margin, scores are the reader's shares).
    verifier: Verifier | None
    # With the verifier: read the best passage first and stop there when its best candidate is verified
    # at this probability or more, else read the others too (None: read all at once).
    early_exit_probability: float | None = None
    # The threshold answers are given at (None: the verifier's; an eval that records every answer sets
    # the real one here): the early exit above never stops below it.
    answered_from: float | None = None

    def exit_probability(self) -> float | None:
        """The verified probability that ends reading after the best passage (None: no such exit)."""
        if self.verifier is None or self.early_exit_probability is None:
            return None
        answered_from = self.verifier.threshold if self.answered_from is None else self.answered_from
        return max(self.early_exit_probability, answered_from)


@dataclass
class Pipeline:
    embedder: Embedder
    collection: Collection
    reader: Reader
    config: PipelineConfig

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> AskResult:
        *_, result = self.stages(question, top_k, filters)
        return result

    def stages(self, question: str, top_k: int | None = None,
               filters: Filters | None = None) -> Iterator[tuple[Passage, ...] | AskResult]:
        """The answering path in steps, for streaming: yields the retrieved passages, then the result."""
        question = validate_question(question, self.config.max_question_chars)
        top_k = self.config.top_k if top_k is None else validate_top_k(top_k)
        filters = validate_filters(filters)
        clock = _Stopwatch()
        vector = self.embedder.embed([question])[0]
        clock.lap("embed")
        passages = self.search(vector, question, top_k, filters)
        clock.lap("search")
        yield tuple(passages)
        reading, unread = self._read(question, worth_reading(passages, self.config.read_score_gap))
        clock.lap("read")
        answers, decision, judged = self._decide(question, reading)
        if unread and (decision is None or decision < self.config.exit_probability()):
            # The early exit is a shortcut to the answer the whole read would give: taken only when the
            # best passage's answer is verified well above the threshold; else a better one may lie in
            # the others ("overnight" at 0.31 for what time of night updates install, where the next
            # passage says "between 2 a.m. and 4 a.m.").
            clock.lap("verify")
            reading = reading.merged(self.reader.read(question, unread))
            clock.lap("read")
            answers, decision, judged = self._decide(question, reading)
        if is_procedure(question) or asks_for_several(question):
            answers = [with_its_list(answer, self.collection.document) for answer in answers]
        clock.lap("verify")
        yield AskResult(question=question, answers=answers, no_answer=not answers, timings_ms=clock.timings(),
                        best_margin=decision, passages=tuple(passages), judged=judged)

    def _decide(self, question: str, reading: Reading) -> tuple[list[Answer], float | None, tuple]:
        """The answers, the best candidate's decision score (its verified probability, or without a
        verifier its margin over no-answer) and each candidate's (text, features), best first."""
        if self.collection.terms.documents != self.collection.chunk_count:  # built outside the server
            self.collection.prepare_search(sparse=False)
        verifier = self.config.verifier
        # The verifier ranks the candidates by its features too, so it sees more of them than are shown
        # (and calibration records them all).
        shown = self.config.answers.max_answers
        lookup = self.collection.document
        found = self._to_verify(question, reading, max(VERIFIED_CANDIDATES, shown))
        documents = [lookup(c.span.passage.chunk.doc_id) for c in found]
        evidences = [evidence_of(question, c, reading, d) for c, d in zip(found, documents)]
        features = [feature_vector(e, self.collection.terms) for e in evidences]
        # What the cross-check reads: the answer as shown (completed), in its sentence, under its headings.
        checked = [evidence(d.text, c.answer.citation.start, c.answer.citation.end, e.heading_chain)
                   for c, d, e in zip(found, documents, evidences)]
        if verifier is None:
            answers, margin = by_margin(found[:shown], reading, self.config.answers)
            return answers, margin, tuple(zip((c.answer.text for c in found), features, checked))
        scored = sorted(((verifier.log_odds(f), c, f, text) for c, f, text in zip(found, features, checked)),
                        key=lambda x: -x[0])
        if verifier.cross_check is not None:
            scored = cross_checked(question, scored, verifier.cross_check)
        scored = [(sigmoid(z), c, f, text) for z, c, f, text in scored]
        judged = tuple((c.answer.text, f, text) for _, c, f, text in scored)
        if not scored or scored[0][0] < verifier.threshold:
            return [], scored[0][0] if scored else None, judged
        # An alternative is listed only where it would have been answered on its own.
        floor = max(self.config.answers.min_alternative_score, verifier.threshold)
        answers = [dataclasses.replace(c.answer, score=p) for rank, (p, c, *_) in enumerate(scored) if rank == 0 or p >= floor]
        answers = answers[:shown]
        return answers, scored[0][0], judged

    def _to_verify(self, question: str, reading: Reading, slots: int) -> list[Candidate]:
        """The candidates the verifier judges, best first: the first `slots` of the kind the question
        asks for, and those of another kind ranked among them, which take no slot ("Nimbus", "Nimbus
        T1", ... pushed "firmware 3.2.2" past the first eight for "Which firmware fixes ...?")."""
        chosen, of_the_kind = [], 0
        for candidate in ranked_candidates(reading, self.collection.document, self.config.answers, question, 2 * slots):
            if of_the_kind == slots:
                break
            if not cannot_answer(question, candidate.answer.text):
                chosen.append(candidate)
                of_the_kind += not type_mismatch(question, candidate.answer.text)
        return chosen

    def _read(self, question: str, passages: list[Passage]) -> tuple[Reading, list[Passage]]:
        """Read the passages the token budget affords, or only the best one where an early exit may
        stop there: the reading and the passages left unread. With the verifier, whether to read on is
        decided by its verdict (`exit_probability`); without it, by the reader's margin
        (eval/BENCHMARKS.md, "Speed" and "Reading on until verified")."""
        passages = self._affordable(question, passages)
        if len(passages) > 1 and self.config.exit_probability() is not None:
            return self.reader.read(question, passages[:1]), passages[1:]
        margin = self.config.early_exit_margin
        if len(passages) < 2 or self.config.verifier is not None or margin is None:
            return self.reader.read(question, passages), []
        first = self.reader.read(question, passages[:1])
        if first.best_window_margin() >= margin:
            return first, []
        return first.merged(self.reader.read(question, passages[1:])), []

    def _affordable(self, question: str, passages: list[Passage]) -> list[Passage]:
        """The best passages whose reading together stays within max_read_tokens (at least one)."""
        budget = self.config.max_read_tokens
        if budget is None or len(passages) < 2:
            return passages
        spent = 0
        for kept, cost in enumerate(self.reader.token_counts(question, passages)):
            spent += cost
            if spent > budget and kept:
                return passages[:kept]
        return passages

    def prepare_search(self) -> None:
        """Build BM25 and word statistics now, after loading or a change, so that no ask waits for them."""
        self.collection.prepare_search(sparse=self.config.retrieval.mode != "dense")

    def search(self, vector, question: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """Retrieval as configured (dense, BM25 or both) for an already embedded question."""
        return self.collection.search(vector, k, self.config.retrieval, question, filters)


def worth_reading(passages: list[Passage], score_gap: float | None) -> list[Passage]:
    """The passages scoring within `score_gap` of the best one. Answers are ranked with the retrieval
    score (times answer_retrieval_weight) added, so a passage far below the best rarely wins, and
    reading is most of the cost of an answer (eval/BENCHMARKS.md, "Speed")."""
    if score_gap is None or not passages:
        return passages
    best = max(p.score for p in passages)
    return [p for p in passages if best - p.score <= score_gap]


def validate_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str):
        raise InvalidQuestion("question must be a string")
    question = question.strip()
    if not question:
        raise InvalidQuestion("question is empty")
    if len(question) > max_chars:
        raise InvalidQuestion(f"question is {len(question)} characters long; the limit is {max_chars}")
    return question


def validate_top_k(top_k: int | None) -> int | None:
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQuestion(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
    return top_k


def validate_filters(filters: Filters | None) -> Filters | None:
    if not filters:
        return None
    if len(filters) > MAX_FILTERS:
        raise InvalidQuestion(f"at most {MAX_FILTERS} filters, got {len(filters)}")
    for key, value in filters.items():
        if not isinstance(value, (str, int, float, bool)):
            raise InvalidQuestion(f"filter {key!r} must be a string, number or boolean")
    return filters


class _Stopwatch:
    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._laps[stage] = self._laps.get(stage, 0.0) + (now - self._last) * 1000  # a stage may come twice
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total": (self._last - self._start) * 1000}


def cross_checked(question: str, scored: list[tuple], fit: CrossCheckFit) -> list[tuple]:
    """The verifier's first candidates (log-odds first in each tuple, best first) judged again with the
    cross-check, best first by the combined log-odds; then the others, as alternatives only: combined
    without the cross-check's view (a probability of one half), never above the last judged one."""
    first, rest = scored[:fit.candidates], scored[fit.candidates:]
    probabilities = fit.model().probabilities(question, [text for *_, text in first])
    judged = sorted(((fit.log_odds(z, p), *others) for (z, *others), p in zip(first, probabilities)),
                    key=lambda x: -x[0])
    floor = judged[-1][0] if judged else 0.0
    return judged + [(min(fit.log_odds(z, 0.5), floor), *others) for z, *others in rest]
