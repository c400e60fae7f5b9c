"""Latency percentiles, one way for every report (eval, bench, load, scale)."""

from __future__ import annotations

from typing import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), interpolated linearly between ranks as numpy does; 0.0 if empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = p / 100 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(values: Sequence[float], ps: Sequence[int] = (50, 95, 99), digits: int = 1,
                prefix: str = "p", suffix: str = "") -> dict[str, float]:
    """{"p50": ..., "p95": ..., ...}, rounded to `digits`."""
    return {f"{prefix}{p}{suffix}": round(percentile(values, p), digits) for p in ps}
