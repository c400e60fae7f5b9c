"""Recent answers, so a question asked again (a chat widget's FAQ) is answered without the models.

Every write to the index starts a new generation and empties the cache; an answer computed on an
earlier generation is never stored, so a cached answer is always the one the index would give now.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Hashable

from groundqa.service.types import AskResult


def cache_key(question: str, top_k: int | None, filters: dict[str, Any] | None) -> Hashable:
    return " ".join(question.split()), top_k, json.dumps(filters, sort_keys=True, default=str)


class AnswerCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, AskResult] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """Read it while the index cannot change (under its read lock), before computing an answer."""
        return self._generation

    def get(self, key: Hashable) -> AskResult | None:
        with self._lock:
            result = self._answers.get(key)
            if result is not None:
                self._answers.move_to_end(key)
            return result

    def put(self, key: Hashable, result: AskResult, generation: int) -> None:
        """Keep `result` if the index is still at the generation it was computed on."""
        if self.size <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._answers[key] = result
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def invalidate(self) -> None:
        """The index changed: forget every answer, and refuse those being computed on the old state."""
        with self._lock:
            self._generation += 1
            self._answers.clear()
