"""BM25 over chunk texts with their headings (`Chunk.searched_text`, bm25s), derived from the
collection's chunks and rebuilt lazily after a change, so it is always in step with adds, updates and
deletes."""

from __future__ import annotations

import threading
from typing import Mapping

import bm25s
import numpy as np
import Stemmer

from groundqa.index.types import Chunk

_STEMMER = Stemmer.Stemmer("english")


# bm25s's default pattern keeps words of two or more word characters, so "3.0" and "3.2.1" vanished
# and a question about one firmware version matched every version alike; dotted numbers stay whole.
_TOKEN = r"(?u)\d+(?:\.\d+)+|\b\w\w+\b"


def _tokens(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, token_pattern=_TOKEN, stopwords="en", stemmer=_STEMMER, return_ids=False,
                          show_progress=False)


class SparseIndex:
    def __init__(self) -> None:
        self._model: bm25s.BM25 | None = None
        self._rows = np.zeros(0, dtype=np.int64)
        self._stale = True
        self._build_lock = threading.Lock()

    def mark_stale(self) -> None:
        self._stale = True

    @property
    def stale(self) -> bool:
        return self._stale

    def refresh(self, chunks: Mapping[int, Chunk]) -> None:
        """Rebuild now if a change made the index stale (else the next search does)."""
        self._current(chunks)

    def search(self, chunks: Mapping[int, Chunk], query: str, k: int,
               allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row id, BM25 score) of the k best chunks with a score above zero, best first."""
        model, rows = self._current(chunks)
        if model is None or k <= 0:
            return []
        query_tokens = _tokens([query])
        if not query_tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = np.isin(rows, allowed).astype(np.float32)
        found, scores = model.retrieve(query_tokens, k=min(k, len(rows)), show_progress=False, weight_mask=mask,
                                       n_threads=1)
        return [(int(rows[i]), float(s)) for i, s in zip(found[0], scores[0]) if s > 0]

    def _current(self, chunks: Mapping[int, Chunk]) -> tuple[bm25s.BM25 | None, np.ndarray]:
        with self._build_lock:
            if self._stale:
                self._rows = np.fromiter(chunks.keys(), dtype=np.int64, count=len(chunks))
                self._model = None
                if len(self._rows):
                    self._model = bm25s.BM25()
                    self._model.index(_tokens([chunks[int(r)].searched_text for r in self._rows]), show_progress=False)
                self._stale = False
            return self._model, self._rows
