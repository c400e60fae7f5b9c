"""From rows to metrics: EM/F1 (split by answerable), abstention, retrieval, latency; calibration."""

from __future__ import annotations

import statistics

from groundqa.eval.stats import percentiles
from groundqa.eval.metrics import exact_match, f1_score
from groundqa.eval.runner import Row, Run


def summarize(run: Run, threshold: float) -> dict:
    rows = run.rows
    predictions = [row.answer_at(threshold) for row in rows]
    em = [exact_match(p, r.gold) for p, r in zip(predictions, rows)]
    f1 = [f1_score(p, r.gold) for p, r in zip(predictions, rows)]
    has = [i for i, r in enumerate(rows) if r.gold]
    none = [i for i, r in enumerate(rows) if not r.gold]
    abstained = {i for i, p in enumerate(predictions) if p is None}
    right = len(abstained & set(none))
    return {
        "n": len(rows), "no_answer_margin": threshold, "top_k": run.top_k,
        "em": _pct(em), "f1": _pct(f1),
        "has_answer": {"n": len(has), "em": _pct([em[i] for i in has]), "f1": _pct([f1[i] for i in has]),
                       "abstained": len(abstained & set(has))},
        # abstained: on unanswerable questions; abstentions: on any question (answerable ones too)
        "no_answer": {"n": len(none), "abstained": right, "abstentions": len(abstained),
                      "precision": _pct([1.0] * right + [0.0] * (len(abstained) - right)),
                      "recall": _pct([1.0] * right + [0.0] * (len(none) - right))},
        "without_abstention": _without_abstention(rows),
        "retrieval": retrieval([rows[i] for i in has], run.top_k),
        "latency_ms": latency(rows),
        "questions_per_second": round(len(rows) / run.seconds, 2) if run.seconds else None,
        **({"reliability": reliability(rows)} if _probabilities(rows) else {}),
    }


def _without_abstention(rows: list[Row]) -> dict:
    """EM/F1 if the best candidate were always given: what abstention costs or gains."""
    predictions = [row.prediction if row.answered is None else row.answer_at(0.0) for row in rows]
    return {"em": _pct([exact_match(p, r.gold) for p, r in zip(predictions, rows)]),
            "f1": _pct([f1_score(p, r.gold) for p, r in zip(predictions, rows)])}


def retrieval(rows: list[Row], k: int) -> dict:
    """Recall@1, @3, @k and MRR over answerable questions."""
    if not rows:
        return {}
    ranks = [row.gold_rank for row in rows]
    result = {f"recall@{cut}": _pct([float(r is not None and r <= cut) for r in ranks]) for cut in sorted({1, 3, k})}
    result["mrr"] = round(sum(1.0 / r for r in ranks if r) / len(ranks), 4)
    return result


def calibrate(rows: list[Row]) -> tuple[float, float]:
    """The no-answer margin that maximizes mean F1 over `rows`, and that F1. Candidate thresholds sit
    halfway between neighbouring observed margins; among equally good ones the median is taken."""
    margins = sorted({row.margin for row in rows if row.margin is not None})
    if not margins:
        return 0.0, 0.0
    candidates = [margins[0] - 1.0] + [(a + b) / 2 for a, b in zip(margins, margins[1:])] + [margins[-1] + 1.0]
    scored = [(sum(f1_score(row.answer_at(t), row.gold) for row in rows) / len(rows), t) for t in candidates]
    best_f1 = max(f1 for f1, _ in scored)
    return round(statistics.median([t for f1, t in scored if f1 == best_f1]), 3), 100 * best_f1


def coverage_curve(rows: list[Row], points: int = 60) -> list[dict]:
    """As the margin rises: the share of questions answered and the F1 of those answers."""
    margins = sorted(row.margin for row in rows if row.margin is not None)
    if not margins:
        return []
    step = max(1, len(margins) // points)
    curve = []
    for threshold in margins[::step] + [margins[-1] + 1.0]:
        answered = [row for row in rows if row.answer_at(threshold) is not None]
        f1 = [f1_score(row.prediction, row.gold) for row in answered]
        curve.append({"margin": round(threshold, 3), "coverage": round(100 * len(answered) / len(rows), 2),
                      "answered_f1": _pct(f1), "f1": _pct([f1_score(r.answer_at(threshold), r.gold) for r in rows])})
    return curve


def reliability(rows: list[Row], bins: int = 10) -> dict:
    """How well the answer score (a probability, with the verifier) matches how often the best
    candidate is right (F1 >= 0.5 against the gold; never, on a question without an answer):
    expected calibration error over equal-width bins, and each bin for a reliability diagram."""
    scored = [(row.margin, float(bool(row.gold) and f1_score(row.prediction, row.gold) >= 0.5))
              for row in rows if row.margin is not None]
    table, ece = [], 0.0
    for low in (i / bins for i in range(bins)):
        inside = [(p, right) for p, right in scored if low <= p < low + 1 / bins or (p == 1.0 and low == 1 - 1 / bins)]
        if inside:
            confidence = statistics.fmean(p for p, _ in inside)
            accuracy = statistics.fmean(right for _, right in inside)
            ece += len(inside) / len(scored) * abs(accuracy - confidence)
            table.append({"from": round(low, 2), "n": len(inside), "confidence": round(confidence, 4),
                          "accuracy": round(accuracy, 4)})
    return {"ece": round(ece, 4), "bins": table}


def _probabilities(rows: list[Row]) -> bool:
    scores = [row.margin for row in rows if row.margin is not None]
    return bool(scores) and all(0.0 <= s <= 1.0 for s in scores)


def latency(rows: list[Row]) -> dict:
    stages = sorted({stage for row in rows for stage in row.timings_ms})
    result = {}
    for stage in stages:
        result[stage] = percentiles([row.timings_ms[stage] for row in rows if stage in row.timings_ms], digits=2)
    return result


def _pct(values: list[float]) -> float | None:
    return round(100 * sum(values) / len(values), 2) if values else None
