"""Fusing ranked lists from dense and sparse retrieval."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetrievalConfig:
    mode: str  # "dense", "sparse" or "hybrid"
    depth: int = 0  # candidates taken from each retriever before fusion (hybrid only)
    fusion: str = ""  # "rrf" or "weighted" (hybrid only)
    rrf_k: int = 0  # rrf only
    dense_weight: float = 0.0  # weighted only: share of the (min-max normalized) dense score


def fuse(dense: list[tuple[int, float]], sparse: list[tuple[int, float]], config: RetrievalConfig) -> list[tuple[int, float]]:
    """One ranked list of (row, fused score), best first."""
    scores: dict[int, float] = {}
    if config.fusion == "rrf":
        for hits in (dense, sparse):
            for rank, (row, _) in enumerate(hits, start=1):
                scores[row] = scores.get(row, 0.0) + 1.0 / (config.rrf_k + rank)
    else:
        for hits, weight in ((dense, config.dense_weight), (sparse, 1.0 - config.dense_weight)):
            for row, value in _min_max(hits):
                scores[row] = scores.get(row, 0.0) + weight * value
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _min_max(hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if not hits:
        return []
    values = [score for _, score in hits]
    low, high = min(values), max(values)
    span = high - low
    return [(row, (score - low) / span if span > 0 else 1.0) for row, score in hits]
