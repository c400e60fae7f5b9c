"""The VectorStore seam and its FAISS implementation: inner product over unit vectors, exact (flat)
up to `FaissLayout.ivf_from` vectors, an inverted-file index (IVF) from there on."""

from __future__ import annotations

import math
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FaissLayout:
    """When the store leaves exact search, and how wide the approximate one looks. Flat search costs
    about 13 ms at 100k vectors and 230 ms at 1M on two cores; IVF answers in about a millisecond
    and, with `nprobe` of its lists searched, finds 99-100% of the exact top 10
    (eval/BENCHMARKS.md, "Scale")."""

    ivf_from: int = 100_000
    nprobe: int = 32


def ivf_lists(count: int) -> int:
    """4·sqrt(n) lists, as FAISS recommends, but at least 39 training vectors per list."""
    return max(1, min(int(4 * math.sqrt(count)), count // 39))


class FaissStore:
    FILE = "vectors.faiss"

    def __init__(self, dimension: int, index: faiss.Index | None = None, layout: FaissLayout = FaissLayout()) -> None:
        self.dimension = dimension
        self.layout = layout
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @property
    def kind(self) -> str:
        return f"ivf{self._index.nlist}" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(row_ids) != len(vectors):
            raise ValueError("one row id per vector")
        if len(row_ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(row_ids, dtype=np.int64))
            self._relayout()

    def _relayout(self) -> None:
        """Move to IVF once the store reaches `ivf_from` vectors, and train it again whenever it has
        grown fourfold since (lists twice as many): lists sized for a smaller corpus get slow to scan."""
        count = len(self)
        if count < self.layout.ivf_from:
            return
        lists = ivf_lists(count)
        if isinstance(self._index, faiss.IndexIVF) and lists < 2 * self._index.nlist:
            return
        row_ids, vectors = self._all_rows()
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)  # FAISS samples at most 256 vectors per list for k-means
        index.add_with_ids(vectors, row_ids)
        self._index = index

    def _all_rows(self) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self._index, faiss.IndexIVF):
            lists = self._index.invlists
            ids, vectors = [], []
            for number in range(self._index.nlist):
                size = lists.list_size(number)
                if size:
                    ids.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
                    codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size)
                    vectors.append(np.frombuffer(codes.tobytes(), dtype=np.float32).reshape(size, self.dimension))
            return np.concatenate(ids), np.concatenate(vectors)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return ids, self._index.index.reconstruct_n(0, len(self))

    def delete(self, row_ids: Iterable[int]) -> None:
        ids = np.fromiter(row_ids, dtype=np.int64)
        if len(ids):
            self._index.remove_ids(ids)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row id, inner product) of the k nearest rows, best first; only rows in `allowed` if given."""
        if len(self) == 0 or k <= 0:
            return []
        selector = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if isinstance(self._index, faiss.IndexIVF):
            # A filter may keep rows in lists a narrow probe never opens: filtered searches open
            # every list (rows outside the filter cost a membership test, not a distance).
            probe = self._index.nlist if selector is not None else min(self.layout.nprobe, self._index.nlist)
            params = faiss.SearchParametersIVF(nprobe=probe)
            if selector is not None:
                params.sel = selector
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, directory: Path) -> None:
        faiss.write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dimension: int, layout: FaissLayout = FaissLayout()) -> "FaissStore":
        index = faiss.read_index(str(directory / cls.FILE))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, manifest says {dimension}")
        return cls(dimension, index, layout)

    def __len__(self) -> int:
        return int(self._index.ntotal)
