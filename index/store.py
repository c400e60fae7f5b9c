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
    """Unit vectors under int64 row ids, searched by inner product. How they are made durable is the
    store's own matter (FaissStore.write into an index version, MilvusStore.flush to its server)."""

    dimension: int

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store `vectors` under `row_ids` (new ids; replacing a row is delete, then add)."""

    def delete(self, row_ids: Iterable[int]) -> None:
        """Remove those rows; ids not held are ignored. No search returns them afterwards."""

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to k (row id, score) pairs, best first; only rows in `allowed` when it is given."""

    def prepare_growth(self, vectors: np.ndarray) -> None:
        """Do now, while searches still run, the slow work that adding `vectors` will call for."""

    def __len__(self) -> int:
        """Rows held."""


@dataclass(frozen=True)
class FaissLayout:
    """When the store leaves exact search, and how wide the approximate one looks (what each costs
    and finds: eval/BENCHMARKS.md, "Scale")."""

    ivf_from: int
    nprobe: int


EXACT = FaissLayout(ivf_from=2**62, nprobe=1)  # exact (flat) search at any size


def ivf_lists(count: int) -> int:
    """4·sqrt(n) lists, as FAISS recommends, but at least 39 training vectors per list."""
    return max(1, min(int(4 * math.sqrt(count)), count // 39))


class FaissStore:
    FILE = "vectors.faiss"

    def __init__(self, dimension: int, index: faiss.Index | None = None, layout: FaissLayout = EXACT) -> None:
        self.dimension = dimension
        self.layout = layout
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        # A retrained index holding the same rows as _index, built by prepare_growth; add swaps it in.
        self._ready: faiss.Index | None = None

    @property
    def kind(self) -> str:
        return f"ivf{self._index.nlist}" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(row_ids) != len(vectors):
            raise ValueError("one row id per vector")
        if len(row_ids):
            if self._ready is not None:
                self._index, self._ready = self._ready, None
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(row_ids, dtype=np.int64))
            lists = self._lists_due(len(self))
            if lists:  # no prepare_growth before this add: train here
                self._index = self._retrained(lists)

    def prepare_growth(self, vectors: np.ndarray) -> None:
        """Train the layout that adding `vectors` will call for now, so that `add` only swaps it in:
        training takes seconds to minutes, and the caller's searches would wait for it under its
        write lock. Call it where writers are serialized: no other write may come before the add."""
        lists = self._lists_due(len(self) + len(vectors))
        if lists:
            self._ready = self._retrained(lists, extra=vectors)

    def _lists_due(self, count: int) -> int | None:
        """The IVF lists to train at `count` rows, if it is time: from `ivf_from` on, and again each
        time the store has grown fourfold (lists sized for a smaller corpus get slow to scan)."""
        if count < self.layout.ivf_from:
            return None
        lists = ivf_lists(count)
        if isinstance(self._index, faiss.IndexIVF) and lists < 2 * self._index.nlist:
            return None
        return lists

    def _retrained(self, lists: int, extra: np.ndarray | None = None) -> faiss.Index:
        """An IVF index of `lists` lists holding this store's rows, trained on them (and `extra`)."""
        row_ids, vectors = self._all_rows()
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors if extra is None else np.concatenate([vectors, np.asarray(extra, dtype=np.float32)]))
        index.add_with_ids(vectors, row_ids)  # FAISS trains on at most 256 vectors per list
        return index

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
            if not ids:
                return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
            return np.concatenate(ids), np.concatenate(vectors)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return ids, self._index.index.reconstruct_n(0, len(self))

    def delete(self, row_ids: Iterable[int]) -> None:
        ids = np.fromiter(row_ids, dtype=np.int64)
        if len(ids):
            for index in (self._index, self._ready):
                if index is not None:
                    index.remove_ids(ids)

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

    def write(self, directory: Path) -> None:
        """The vectors into `directory`, an index version being written (index/persistence.py)."""
        faiss.write_index(self._index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path, dimension: int, layout: FaissLayout = EXACT) -> "FaissStore":
        index = faiss.read_index(str(directory / cls.FILE))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, manifest says {dimension}")
        return cls(dimension, index, layout)

    def __len__(self) -> int:
        return int(self._index.ntotal)
