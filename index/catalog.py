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
    """What other processes saved since this one last looked."""

    removed: list[str] = field(default_factory=list)  # ids of documents they deleted
    records: list[str] = field(default_factory=list)  # documents they wrote, as persistence.document_record lines
    generation: str | None = None  # the store's change marker this reflects; None: look again next poll
    versions: dict[str, str] = field(default_factory=dict)  # the catalog's key of each written document -> its version


class Catalog(Protocol):
    location: str

    def open(self, expected: Manifest | None, create: bool = False) -> Collection:
        """The stored collection, checked against `expected` (None: as it is, to read or delete from);
        an empty one if `create` and none exists."""

    def writing(self) -> ContextManager[None]:
        """Held around open-change-save. DirectoryCatalog: writers take turns (a file lock).
        MilvusCatalog: no lock; of two saves of one document at once, the last one wins."""

    def save(self, collection: Collection) -> None:
        """Make the collection's current state the stored one, atomically per document or better."""

    def poll(self) -> Refresh | None:
        """What other processes saved since this one last looked, or None. Reads only: apply it
        with `apply`, under the collection's write lock. DirectoryCatalog: always None (one writer)."""

    def apply(self, collection: Collection, refresh: Refresh) -> None:
        """Take a Refresh from `poll` into `collection`."""

    def close(self) -> None:
        """Release connections and files."""


def take_in(collection: Collection, refresh: Refresh) -> list[str]:
    """Drop the removed documents and restore the written ones; returns the restored ids."""
    for doc_id in refresh.removed:
        collection.forget(doc_id)
    return [persistence.restore_record(collection, record).doc_id for record in refresh.records]


class DirectoryCatalog:
    def __init__(self, index_dir: Path, layout: FaissLayout) -> None:
        self.index_dir = index_dir
        self.layout = layout
        self.location = str(index_dir)

    def exists(self) -> bool:
        return persistence.exists(self.index_dir)

    def open(self, expected: Manifest | None, create: bool = False) -> Collection:
        if create and expected is not None and not self.exists():
            return Collection(expected, FaissStore(expected.dimension, layout=self.layout))
        return persistence.load(self.index_dir, expected, self.layout)

    def writing(self) -> ContextManager[None]:
        return persistence.write_lock(self.index_dir)

    def save(self, collection: Collection) -> None:
        persistence.save(collection, self.index_dir)

    def poll(self) -> Refresh | None:
        return None  # one writer: this process

    def apply(self, collection: Collection, refresh: Refresh) -> None:
        take_in(collection, refresh)

    def close(self) -> None:
        pass


Result = TypeVar("Result")


def update_stored(catalog: Catalog, expected: Manifest | None,
                  change: Callable[[Collection], Result]) -> tuple[Collection, Result]:
    """Open the stored collection (an empty one if there is none and `expected` says how to make it),
    change it, save it: the one way a command writes an index. The server keeps its collection open
    and saves after each change. A change that raises saves nothing."""
    with catalog.writing():
        collection = catalog.open(expected, create=expected is not None)
        result = change(collection)
        catalog.save(collection)
    return collection, result
