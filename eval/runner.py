"""Run gold questions through the real answering path and score them."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Iterable

from tqdm import tqdm

from eval.gold import GoldQuestion
from eval.metrics import exact_match, f1_score
from index.types import Chunk, Document, Passage
from service.answers import select_answers
from service.pipeline import Pipeline
from service.reader import Reader

NEVER_ABSTAIN = float("-inf")


@dataclass
class Row:
    id: str
    question: str
    gold: list[str]
    prediction: str | None  # the best candidate, before abstention
    margin: float | None  # best span logit minus no-answer logit
    cited_doc: str | None = None
    retrieved: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def answer_at(self, threshold: float) -> str | None:
        """What the user sees when the no-answer margin is `threshold`."""
        return self.prediction if self.margin is not None and self.margin >= threshold else None


def run_pipeline(pipeline: Pipeline, questions: Iterable[GoldQuestion], progress: bool = True) -> list[Row]:
    """Ask through the same Pipeline.ask users hit. The pipeline must be built with margin -inf so
    the best candidate is recorded; the margin is applied when scoring."""
    rows = []
    for gold in tqdm(list(questions), desc="asking", disable=not progress, unit="q"):
        result = pipeline.ask(gold.question)
        best = result.answers[0] if result.answers else None
        rows.append(Row(gold.id, gold.question, gold.answers, best.text if best else None, result.best_margin,
                        best.citation.doc_id if best else None,
                        [p.chunk.doc_id for p in result.passages], result.timings_ms))
    return rows


def run_reader_only(reader: Reader, questions: Iterable[GoldQuestion], progress: bool = True) -> list[Row]:
    """The gold paragraph is the only passage: this isolates the reader."""
    rows = []
    for gold in tqdm(list(questions), desc="reading", disable=not progress, unit="q"):
        document = Document(gold.doc_id or gold.id, gold.title or "", "gold", gold.context or "")
        passage = Passage(Chunk(f"{document.doc_id}#0", document.doc_id, 0, len(document.text), document.text), 1.0, 1)
        started = time.perf_counter()
        reading = reader.read(gold.question, [passage])
        answers, margin = select_answers(reading, lambda _: document, margin=NEVER_ABSTAIN, max_answers=1)
        elapsed = (time.perf_counter() - started) * 1000
        rows.append(Row(gold.id, gold.question, gold.answers, answers[0].text if answers else None, margin,
                        document.doc_id, [document.doc_id], {"read": elapsed, "total": elapsed}))
    return rows


def summarize(rows: list[Row], threshold: float) -> dict:
    """EM/F1 overall and split by has-answer / no-answer, with no-answer precision and recall."""
    predictions = [row.answer_at(threshold) for row in rows]
    em = [exact_match(p, r.gold) for p, r in zip(predictions, rows)]
    f1 = [f1_score(p, r.gold) for p, r in zip(predictions, rows)]
    has = [i for i, r in enumerate(rows) if r.gold]
    none = [i for i, r in enumerate(rows) if not r.gold]
    abstained = [i for i, p in enumerate(predictions) if p is None]
    correct_abstentions = len(set(abstained) & set(none))
    return {
        "n": len(rows), "no_answer_margin": threshold,
        "em": _pct(em), "f1": _pct(f1),
        "has_answer": {"n": len(has), "em": _pct([em[i] for i in has]), "f1": _pct([f1[i] for i in has])},
        "no_answer": {"n": len(none), "abstained": len(abstained),
                      "precision": _pct([1.0] * correct_abstentions + [0.0] * (len(abstained) - correct_abstentions)),
                      "recall": _pct([1.0] * correct_abstentions + [0.0] * (len(none) - correct_abstentions))},
        "latency_ms": latency(rows),
    }


def calibrate(rows: list[Row]) -> tuple[float, float]:
    """The no-answer margin that maximizes mean F1 over `rows`, and that F1. Candidate thresholds sit
    halfway between neighbouring observed margins, so the choice does not hinge on one question."""
    margins = sorted({row.margin for row in rows if row.margin is not None})
    if not margins:
        return 0.0, 0.0
    candidates = [margins[0] - 1.0] + [(a + b) / 2 for a, b in zip(margins, margins[1:])] + [margins[-1] + 1.0]
    scored = [(sum(f1_score(row.answer_at(t), row.gold) for row in rows) / len(rows), t) for t in candidates]
    best_f1 = max(f1 for f1, _ in scored)
    best = [t for f1, t in scored if f1 == best_f1]
    return round(statistics.median(best), 3), 100 * best_f1


def latency(rows: list[Row]) -> dict:
    stages = sorted({stage for row in rows for stage in row.timings_ms})
    result = {}
    for stage in stages:
        values = sorted(row.timings_ms[stage] for row in rows if stage in row.timings_ms)
        result[stage] = {q: round(_quantile(values, p), 2) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    return result


def _quantile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    position = p * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _pct(values: list[float]) -> float | None:
    return round(100 * sum(values) / len(values), 2) if values else None


def rows_to_json(rows: list[Row]) -> list[dict]:
    return [asdict(row) for row in rows]
