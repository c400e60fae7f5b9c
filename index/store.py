"""The VectorStore seam and its FAISS implementation (exact inner product over unit vectors)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Protocol

import faiss
import numpy as np


class VectorStore(Protocol):
    dimension: int

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def delete(self, row_ids: Iterable[int]) -> None: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...

    def save(self, directory: Path) -> None: ...

    def __len__(self) -> int: ...


class FaissStore:
    FILE = "vectors.faiss"

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(row_ids) != len(vectors):
            raise ValueError("one row id per vector")
        if len(row_ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(row_ids, dtype=np.int64))

    def delete(self, row_ids: Iterable[int]) -> None:
        ids = np.fromiter(row_ids, dtype=np.int64)
        if len(ids):
            self._index.remove_ids(ids)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row id, inner product) of the k nearest rows, best first; only rows in `allowed` if given."""
        if len(self) == 0 or k <= 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, directory: Path) -> None:
        faiss.write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dimension: int) -> "FaissStore":
        index = faiss.read_index(str(directory / cls.FILE))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, manifest says {dimension}")
        return cls(dimension, index)

    def __len__(self) -> int:
        return int(self._index.ntotal)
