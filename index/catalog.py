"""Where a collection lives between runs: its manifest, documents, chunks and vectors.

`DirectoryCatalog`: an index directory on local disk with the vectors in FAISS, written by one
process at a time. `MilvusCatalog` (index/milvus_catalog.py): everything in Milvus, shared by any
number of replicas, each of which picks up the others' writes with `poll`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Protocol, TypeVar

from groundqa.index import persistence
from groundqa.index.collection import Collection, Manifest
from groundqa.index.store import FaissLayout, FaissStore


@dataclass
class Refresh:
    """What other processes changed: documents to drop, and documents to (re)load as
    `persistence.document_record` lines."""
    removed: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    token: object = None  # the catalog's own bookkeeping for `apply`


class Catalog(Protocol):
    location: str

    def open(self, expected: Manifest, create: bool = False) -> Collection:
        """The stored collection, checked against `expected`; an empty one if `create` and none exists."""

    def writing(self) -> ContextManager[None]:
        """Held around a read-modify-write (open, change, save) so two writers never interleave."""

    def save(self, collection: Collection) -> None:
        """Make the collection's current state the stored one, atomically per document or better."""

    def poll(self) -> Refresh | None:
        """Changes other processes saved since this one last looked; None if there are none. Reads
        only: apply the result with `apply`, under the collection's write lock."""

    def apply(self, collection: Collection, refresh: Refresh) -> None: ...

    def close(self) -> None: ...


class DirectoryCatalog:
    def __init__(self, index_dir: Path, layout: FaissLayout) -> None:
        self.index_dir = index_dir
        self.layout = layout
        self.location = str(index_dir)

    def exists(self) -> bool:
        return persistence.exists(self.index_dir)

    def open(self, expected: Manifest, create: bool = False) -> Collection:
        if create and not self.exists():
            return Collection(expected, FaissStore(expected.dimension, layout=self.layout))
        return persistence.load(self.index_dir, expected, self.layout)

    def writing(self) -> ContextManager[None]:
        return persistence.write_lock(self.index_dir)

    def save(self, collection: Collection) -> None:
        persistence.save(collection, self.index_dir)

    def poll(self) -> Refresh | None:
        return None  # one writer: this process

    def apply(self, collection: Collection, refresh: Refresh) -> None:
        raise AssertionError("a directory catalog never has changes to apply")

    def close(self) -> None:
        pass


Result = TypeVar("Result")


def update_stored(catalog: Catalog, expected: Manifest,
                  change: Callable[[Collection], Result]) -> tuple[Collection, Result]:
    """Open the stored collection (an empty one if there is none), change it, save it: the one way a
    command writes an index. The server keeps its collection open and saves after each change."""
    with catalog.writing():
        collection = catalog.open(expected, create=True)
        result = change(collection)
        catalog.save(collection)
    return collection, result
