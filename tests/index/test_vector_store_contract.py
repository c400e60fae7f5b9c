"""One contract for every VectorStore: FAISS in the index directory and Milvus (Lite, from a local file).

Covers add, update, delete, filters, persistence across restarts, and ARCHITECTURE.md invariant 3:
after any sequence of writes, search never returns a deleted chunk and counts agree."""

import hashlib

import numpy as np
import pytest

from groundqa.errors import IndexNotReady
from index import persistence
from index.chunking import ChunkingConfig
from index.collection import Collection, Manifest
from index.store import FaissStore
from index.types import Document

DIM = 16


class Backend:
    """Opens a store of one kind, and opens it again as a restarted process would."""

    def __init__(self, kind, tmp_path):
        self.kind, self.tmp_path = kind, tmp_path
        self.store = None

    def open(self):
        if self.kind == "faiss":
            self.store = FaissStore(DIM)
        else:
            from index.milvus_store import MilvusStore

            self.store = MilvusStore(str(self.tmp_path / "milvus.db"), "chunks", DIM)
        return self.store

    def external(self):
        """The store to hand persistence.load: None for FAISS (its file is in the index version)."""
        if self.kind == "faiss":
            return None
        if self.store is not None:
            self.store.close()
        return self.open()


@pytest.fixture(params=["faiss", "milvus"])
def backend(request, tmp_path):
    if request.param == "milvus":
        pytest.importorskip("pymilvus")
    backend = Backend(request.param, tmp_path)
    yield backend
    if backend.kind == "milvus" and backend.store is not None:
        backend.store.close()


def unit(rows, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_add_search_delete_and_filter(backend):
    store = backend.open()
    vectors = unit(20)
    store.add(np.arange(20, dtype=np.int64), vectors)
    assert len(store) == 20
    hits = store.search(vectors[7], 3)
    assert hits[0][0] == 7 and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    store.delete([7, 8])
    assert len(store) == 18
    assert all(row not in (7, 8) for row, _ in store.search(vectors[7], 20))
    allowed = np.array([1, 2, 3], dtype=np.int64)
    assert {row for row, _ in store.search(vectors[7], 10, allowed)} == {1, 2, 3}
    assert store.search(vectors[7], 10, np.array([], dtype=np.int64)) == []
    with pytest.raises(ValueError):
        store.add(np.array([1, 2]), vectors[:1])


def manifest():
    return Manifest(embedding_model="fake", dimension=DIM, chunking=ChunkingConfig(254, 40))


class HashEmbedder:
    """Deterministic unit vectors from text, of the contract's dimension."""

    name, dimension, max_tokens = "fake", DIM, 254

    def embed(self, texts, progress=False):
        rows = [np.random.default_rng(list(hashlib.sha256(t.encode()).digest()[:8])).standard_normal(DIM)
                for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), DIM)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def token_offsets(self, text):
        import re

        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def docs(*pairs):
    return [Document(doc_id, doc_id, "test", text, {"n": i}) for i, (doc_id, text) in enumerate(pairs)]


def test_collection_writes_keep_vectors_and_chunks_in_step_across_restarts(backend, tmp_path):
    embedder, index_dir = HashEmbedder(), tmp_path / "index"
    collection = Collection(manifest(), backend.open())
    collection.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas."),
                           ("c", "Gamma text about cherries.")), embedder)
    collection.upsert(docs(("b", "Beta text, rewritten, about blueberries.")), embedder)  # update
    collection.delete(["c"])
    persistence.save(collection, index_dir)

    reopened = persistence.load(index_dir, manifest(), backend.external())
    assert set(reopened.documents) == {"a", "b"}
    assert len(reopened.store) == reopened.chunk_count == collection.chunk_count
    live_rows = set(reopened.chunks)
    query = embedder.embed(["Beta text, rewritten, about blueberries."])[0]
    hits = reopened.search(query, 10)
    assert hits[0].chunk.doc_id == "b" and "blueberries" in hits[0].chunk.text
    assert {p.chunk.doc_id for p in hits} <= {"a", "b"} and all(row in live_rows for row, _ in reopened.store.search(query, 10))
    only_a = reopened.search(query, 10, doc_filter=lambda d: d.doc_id == "a")
    assert {p.chunk.doc_id for p in only_a} == {"a"}


def test_crash_between_vector_write_and_save_is_reconciled(backend, tmp_path):
    """Rows written to the store but never saved (a crash before save) vanish on load; deletes not yet
    committed (a crash before the new version was live) leave the saved version whole."""
    embedder, index_dir = HashEmbedder(), tmp_path / "index"
    collection = Collection(manifest(), backend.open())
    collection.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas.")), embedder)
    persistence.save(collection, index_dir)
    collection.upsert(docs(("new", "Never saved: the process died before saving.")), embedder)
    collection.delete(["a"])  # also never saved
    reopened = persistence.load(index_dir, manifest(), backend.external())
    assert set(reopened.documents) == {"a", "b"}
    assert len(reopened.store) == reopened.chunk_count
    assert reopened.search(embedder.embed(["Alpha text about apples."])[0], 1)[0].chunk.doc_id == "a"


def test_milvus_store_refuses_a_collection_of_another_dimension(tmp_path):
    pytest.importorskip("pymilvus")
    from index.milvus_store import MilvusStore

    MilvusStore(str(tmp_path / "m.db"), "chunks", DIM).close()
    with pytest.raises(IndexNotReady, match="16-dimensional"):
        MilvusStore(str(tmp_path / "m.db"), "chunks", 32)
