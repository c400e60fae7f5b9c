"""Documents, their chunks and their vectors, kept in step. One vector row per stored chunk."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np

from groundqa.errors import DocumentNotFound, IndexMismatch
from groundqa.index.chunking import SEARCHED_TEXT_VERSION, ChunkingConfig, chunk_document
from groundqa.index.embedder import Embedder
from groundqa.index.hybrid import RetrievalConfig, fuse
from groundqa.index.sparse import SparseIndex
from groundqa.index.terms import TermStats
from groundqa.index.store import VectorStore
from groundqa.index.types import Chunk, Document, Filters, Passage, matches

FORMAT_VERSION = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    embedding_model: str
    dimension: int
    chunking: ChunkingConfig
    normalized: bool = True
    metric: str = "inner_product"
    format_version: int = FORMAT_VERSION
    searched_text_version: int = SEARCHED_TEXT_VERSION  # what its chunks were embedded as (index/chunking.py)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        return cls(**{"searched_text_version": 1, **data, "chunking": ChunkingConfig(**data["chunking"])})

    def check_compatible(self, expected: "Manifest") -> None:
        """Refuse an index built with another embedder or chunking: its vectors would not compare. One
        whose chunks were embedded the older way still compares (the same model) and is only worse at
        finding sections by their headings: a warning says how to rebuild it."""
        for name in ("format_version", "embedding_model", "dimension", "normalized", "metric", "chunking"):
            found, wanted = getattr(self, name), getattr(expected, name)
            if found != wanted:
                raise IndexMismatch(
                    f"index was built with {name}={found!r} but the settings ask for {wanted!r}; "
                    "re-index into a new --index-dir or change the settings back")
        if self.searched_text_version < expected.searched_text_version:
            log.warning("this index's chunks were embedded without their headings (searched text version %d, "
                        "now %d); re-index into a new --index-dir to find sections by their headings",
                        self.searched_text_version, expected.searched_text_version)


@dataclass
class UpsertReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_embedded: int = 0


@dataclass
class PreparedUpsert:
    items: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    vectors: np.ndarray | None = None
    report: UpsertReport = field(default_factory=UpsertReport)


class Collection:
    def __init__(self, manifest: Manifest, store: VectorStore) -> None:
        self.manifest = manifest
        self.store = store
        self.documents: dict[str, Document] = {}
        self.chunks: dict[int, Chunk] = {}
        self.doc_rows: dict[str, list[int]] = {}
        # Folder name -> the folder `groundqa index` read it from: ids and sources start with the name,
        # and two folders of one name must not overwrite each other. Kept with the index, never served.
        self.folders: dict[str, str] = {}
        self.sparse = SparseIndex()
        self.terms = TermStats()  # rebuilt by prepare_search

    # -- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.documents)

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)

    def document(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise DocumentNotFound(f"no document with id {doc_id!r}") from None

    def search(self, query_vector: np.ndarray, k: int, retrieval: RetrievalConfig, query_text: str = "",
               filters: Filters | None = None) -> list[Passage]:
        """The k best chunks: dense (vector) search, BM25 over `query_text`, or both fused; only
        chunks of documents matching `filters`, when given."""
        allowed = None
        if filters:
            allowed = np.array([row for doc_id, rows in self.doc_rows.items()
                                if matches(self.documents[doc_id], filters) for row in rows], dtype=np.int64)
        if not query_text or retrieval.mode == "dense":
            hits = self.store.search(query_vector, k, allowed)
        elif retrieval.mode == "sparse":
            hits = self.sparse.search(self.chunks, query_text, k, allowed)
        else:
            depth = max(k, retrieval.depth)
            hits = fuse(self.store.search(query_vector, depth, allowed),
                        self.sparse.search(self.chunks, query_text, depth, allowed), retrieval)[:k]
        # A shared store can hold rows no document here owns yet (another replica's write in flight).
        hits = [(row, score) for row, score in hits if row in self.chunks]
        return [Passage(self.chunks[row], score, rank) for rank, (row, score) in enumerate(hits, start=1)]

    # -- writing ----------------------------------------------------------------------------
    def upsert(self, documents: Sequence[Document], embedder: Embedder, progress: bool = False) -> UpsertReport:
        """Add new documents, replace changed ones, skip identical ones. Embeds everything first,
        so a failure leaves the collection as it was."""
        return self.apply(self.prepare(documents, embedder, progress))

    def prepare(self, documents: Sequence[Document], embedder: Embedder, progress: bool = False) -> "PreparedUpsert":
        """The slow half of an upsert (chunking, embedding, training the vector index the new size
        calls for), which changes nothing a search sees, so it can run outside a write lock; writers
        must still take turns. Apply the result with `apply`."""
        prepared = PreparedUpsert()
        for document in _last_per_id(documents):
            known = self.documents.get(document.doc_id)
            if known is not None and known.content_hash == document.content_hash:
                prepared.report.unchanged.append(document.doc_id)
                continue
            (prepared.report.updated if known is not None else prepared.report.added).append(document.doc_id)
            prepared.items.append((document, chunk_document(document, embedder.token_offsets, self.manifest.chunking)))
        texts = [chunk.searched_text for _, chunks in prepared.items for chunk in chunks]
        vectors = embedder.embed(texts, progress=progress) if texts else np.zeros((0, self.manifest.dimension), np.float32)
        if vectors.shape != (len(texts), self.manifest.dimension):
            raise ValueError(f"embedder returned shape {vectors.shape} for {len(texts)} texts")
        prepared.vectors = vectors
        prepared.report.chunks_embedded = len(texts)
        self.store.prepare_growth(vectors)
        return prepared

    def apply(self, prepared: "PreparedUpsert") -> UpsertReport:
        offset = 0
        for document, chunks in prepared.items:
            self._remove(document.doc_id)
            rows = row_ids(document, len(chunks))
            self.store.add(np.array(rows, dtype=np.int64), prepared.vectors[offset:offset + len(chunks)])
            offset += len(chunks)
            self.documents[document.doc_id] = document
            self.doc_rows[document.doc_id] = rows
            self.chunks.update(zip(rows, chunks))
        self.sparse.mark_stale()
        return prepared.report

    def prepare_search(self, sparse: bool = True) -> None:
        """Build word statistics (and BM25, if `sparse`) over the chunks now, after loading or a
        change, so that no ask waits for them."""
        self.terms = TermStats.of(chunk.text for chunk in self.chunks.values())
        if sparse:
            self.sparse.refresh(self.chunks)

    def delete(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove documents with their chunks and vectors; returns the ids that were present."""
        removed = [doc_id for doc_id in doc_ids if doc_id in self.documents]
        for doc_id in removed:
            self._remove(doc_id)
        return removed

    def _remove(self, doc_id: str) -> None:
        self.store.delete(self.doc_rows.get(doc_id, []))
        self.forget(doc_id)

    def forget(self, doc_id: str) -> None:
        """Drop a document from this process's view only, its vectors left in the store: another
        replica of a shared store removed or replaced it there."""
        for row in self.doc_rows.pop(doc_id, []):
            del self.chunks[row]
        self.documents.pop(doc_id, None)
        self.sparse.mark_stale()

    def restore(self, document: Document, rows: list[int], chunks: list[Chunk]) -> None:
        """Attach a persisted document whose vectors are already in the store, in place of any
        version held under its id."""
        self.forget(document.doc_id)
        self.documents[document.doc_id] = document
        self.doc_rows[document.doc_id] = rows
        self.chunks.update(zip(rows, chunks))
        self.sparse.mark_stale()


def row_ids(document: Document, count: int) -> list[int]:
    """Vector row ids from the document's id, content and chunk position: the same on every replica
    of a shared store, so writers in several processes never collide, and positive (FAISS uses -1)."""
    seed = f"{document.doc_id}\0{document.content_hash}\0".encode("utf-8")
    return [int.from_bytes(hashlib.blake2b(seed + str(i).encode(), digest_size=8).digest(), "big") >> 1
            for i in range(count)]


def _last_per_id(documents: Sequence[Document]) -> list[Document]:
    return list({document.doc_id: document for document in documents}.values())
