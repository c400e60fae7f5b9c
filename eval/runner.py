"""Run gold questions through the real answering path (in process or over HTTP) and record rows."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Iterable, Sequence

from tqdm import tqdm

from groundqa.eval.gold import GoldQuestion
from groundqa.eval.metrics import normalize_answer
from groundqa.index.types import Chunk, Document, Passage
from groundqa.service.answers import AnswerConfig, select_answers
from groundqa.service.pipeline import Pipeline
from groundqa.service.reader import Reader

NEVER_ABSTAIN = float("-inf")


@dataclass
class Row:
    id: str
    question: str
    gold: list[str]
    prediction: str | None  # the best candidate, before abstention
    # The decision score: with the verifier, its probability that the answer is right; without, the best
    # span's logit minus the no-answer logit (None: no candidate, or not known).
    margin: float | None
    cited_doc: str | None = None
    gold_rank: int | None = None  # rank of the first retrieved passage holding the gold
    timings_ms: dict[str, float] = field(default_factory=dict)
    answered: bool | None = None  # set when the server decided abstention itself (--url)

    def answer_at(self, threshold: float) -> str | None:
        """What the user sees when the no-answer margin is `threshold`."""
        if self.answered is not None:
            return self.prediction if self.answered else None
        return self.prediction if self.margin is not None and self.margin >= threshold else None


@dataclass
class Run:
    rows: list[Row]
    seconds: float
    top_k: int


def gold_rank(gold: GoldQuestion, passages: Sequence[Passage]) -> int | None:
    """Where retrieval found the gold: the named document, or else a passage containing a gold answer."""
    answers = [normalize_answer(a) for a in gold.answers if normalize_answer(a)]
    for passage in passages:
        if gold.doc_id is not None and passage.chunk.doc_id == gold.doc_id:
            return passage.rank
        if gold.doc_id is None and any(a in normalize_answer(passage.chunk.text) for a in answers):
            return passage.rank
    return None


def reading_on_as_served(pipeline: Pipeline, threshold: float) -> Pipeline:
    """A pipeline recording every best answer (its verifier's threshold at 0) reads on after the best
    passage where the served one would, whose answers are given from the real threshold."""
    if pipeline.config.verifier is not None:
        pipeline.config = replace(pipeline.config, answered_from=threshold)
    return pipeline


def run_pipeline(pipeline: Pipeline, questions: Iterable[GoldQuestion], progress: bool = True) -> Run:
    """Ask through the same Pipeline.ask users hit. Build the pipeline with margin -inf so the best
    candidate is always recorded; the margin is applied when scoring."""
    rows, started = [], time.perf_counter()
    for gold in tqdm(list(questions), desc="asking", disable=not progress, unit="q"):
        result = pipeline.ask(gold.question)
        best = result.answers[0] if result.answers else None
        rows.append(Row(gold.id, gold.question, gold.answers, best.text if best else None, result.best_margin,
                        best.citation.doc_id if best else None, gold_rank(gold, result.passages), result.timings_ms))
    return Run(rows, time.perf_counter() - started, pipeline.config.top_k)


def run_reader_only(reader: Reader, questions: Iterable[GoldQuestion], config: AnswerConfig,
                    progress: bool = True) -> Run:
    """The gold paragraph is the only passage: this isolates the reader. Answers are chosen as the
    service chooses them (`config`), never abstaining: the margin is applied when scoring."""
    config = replace(config, no_answer_margin=NEVER_ABSTAIN, max_answers=1)
    rows, started = [], time.perf_counter()
    for gold in tqdm(list(questions), desc="reading", disable=not progress, unit="q"):
        document = Document(gold.doc_id or gold.id, gold.title or "", "gold", gold.context or "")
        passage = Passage(Chunk(f"{document.doc_id}#0", document.doc_id, 0, len(document.text), document.text), 1.0, 1)
        begun = time.perf_counter()
        reading = reader.read(gold.question, [passage])
        answers, margin = select_answers(reading, lambda _: document, config, gold.question)
        elapsed = (time.perf_counter() - begun) * 1000
        rows.append(Row(gold.id, gold.question, gold.answers, answers[0].text if answers else None, margin,
                        document.doc_id, 1, {"read": elapsed, "total": elapsed}))
    return Run(rows, time.perf_counter() - started, 1)


def run_http(url: str, questions: Iterable[GoldQuestion], top_k: int, progress: bool = True,
             collection: str | None = None, api_key: str | None = None) -> Run:
    """The same questions against a running server (one of its collections). The server applies its
    own margin."""
    from groundqa.client import Client

    rows, started = [], time.perf_counter()
    with Client(url, api_key=api_key, timeout=120, collection=collection) as client:
        for gold in tqdm(list(questions), desc="asking over HTTP", disable=not progress, unit="q"):
            begun = time.perf_counter()
            result = client.ask(gold.question, top_k=top_k)
            elapsed = (time.perf_counter() - begun) * 1000
            best = result.answers[0] if result.answers else None
            retrieved = [Passage(Chunk(p.chunk_id, p.doc_id, p.start, p.end, p.text or ""), p.score, p.rank)
                         for p in client.search(gold.question, k=top_k)]
            rows.append(Row(gold.id, gold.question, gold.answers, best.text if best else None, None,
                            best.citation.doc_id if best else None, gold_rank(gold, retrieved),
                            {**result.timings_ms, "http": elapsed}, answered=not result.no_answer))
    return Run(rows, time.perf_counter() - started, top_k)


def rows_to_json(rows: list[Row], threshold: float | None = None) -> list[dict]:
    """Each row, with what the user saw at `threshold`: the answer, or none where it abstained."""
    shown = [{key: value for key, value in asdict(row).items() if key != "answered" or value is not None}
             for row in rows]  # "answered" is the server's decision (--url runs) only
    if threshold is None:
        return shown
    answers = [row.answer_at(threshold) for row in rows]
    return [{**row, "answer": answer, "abstained": answer is None} for row, answer in zip(shown, answers)]
