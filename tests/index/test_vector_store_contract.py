"""One contract for every place an index can live: FAISS in an index directory (flat, and the IVF
layout it moves to at scale), Milvus Lite from a local file, and a Milvus server (`milvus-lite
server`, reached over gRPC as a cluster would be).

Covers add, update, delete, filters, persistence across restarts, and ARCHITECTURE.md invariant 3:
after any sequence of writes, search never returns a deleted chunk and counts agree."""

import hashlib
import random
import re
import uuid

import numpy as np
import pytest

from tests.conftest import dense
from groundqa.errors import IndexMismatch, IndexNotReady
from groundqa.index.catalog import DirectoryCatalog
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection, Manifest
from groundqa.index.store import EXACT, FaissLayout, FaissStore
from groundqa.index.types import Chunk, Document

DIM = 16
# Milvus runs in `make test`; `make test-fast` keeps to FAISS (a Milvus server takes seconds to start).
MILVUS = pytest.mark.slow
KINDS = ["faiss", "faiss-ivf", pytest.param("milvus-lite", marks=MILVUS), pytest.param("milvus-server", marks=MILVUS),
         # A named collection's index, where the service puts it (wiring and settings_for): the same contract.
         "faiss-collection", pytest.param("milvus-server-collection", marks=MILVUS)]
# IVF from the first vector, every list searched: the IVF code paths, held to exact results.
IVF_ALWAYS = FaissLayout(ivf_from=1, nprobe=10_000)


class Backend:
    """Opens a store or a catalog of one kind, and opens it again as a restarted process would."""

    def __init__(self, kind, tmp_path, request):
        self.kind, self.tmp_path = kind.removesuffix("-collection"), tmp_path
        self.uri = request.getfixturevalue("milvus_uri") if self.kind == "milvus-server" else str(tmp_path / "milvus.db")
        self.prefix = "t" + uuid.uuid4().hex[:12]
        self.layout = IVF_ALWAYS if kind == "faiss-ivf" else EXACT
        self.opened = []
        self.settings = None
        if kind.endswith("-collection"):
            from groundqa.service.collections import settings_for
            from groundqa.settings import Settings

            store = "faiss" if self.kind == "faiss" else "milvus"
            base = Settings(index_dir=tmp_path / "index", vector_store=store, milvus_uri=self.uri,
                            milvus_collection=self.prefix)
            self.settings = settings_for(base, "acme")
            self.prefix = self.settings.milvus_collection

    def store(self):
        if self.kind.startswith("faiss"):
            return FaissStore(DIM, layout=self.layout)
        from groundqa.index.milvus_store import MilvusStore

        return self._track(MilvusStore(self.uri, self.prefix + "_chunks", DIM))

    def catalog(self):
        """A fresh handle, as a new process (or another replica) would open it. A Milvus Lite file
        admits one process, so the previous handle is closed first."""
        if self.settings is not None:
            from groundqa.wiring import make_catalog

            return self._track(make_catalog(self.settings, DIM))
        if self.kind.startswith("faiss"):
            return DirectoryCatalog(self.tmp_path / "index", self.layout)
        from groundqa.index.milvus_catalog import MilvusCatalog

        if self.kind == "milvus-lite":
            self.close()
        return self._track(MilvusCatalog(self.uri, self.prefix, DIM))

    def _track(self, handle):
        self.opened.append(handle)
        return handle

    def close(self):
        while self.opened:
            self.opened.pop().close()


@pytest.fixture(params=KINDS)
def backend(request, tmp_path):
    if request.param.startswith("milvus"):
        pytest.importorskip("pymilvus")
    backend = Backend(request.param, tmp_path, request)
    yield backend
    backend.close()


def unit(rows, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_add_search_delete_and_filter(backend):
    store = backend.store()
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
    store.add(np.array([7], dtype=np.int64), vectors[7:8])  # deleted, then written again: it lives
    assert store.search(vectors[7], 1)[0][0] == 7 and len(store) == 19
    with pytest.raises(ValueError):
        store.add(np.array([1, 2]), vectors[:1])


def manifest(dimension=DIM):
    return Manifest(embedding_model="fake", dimension=dimension, chunking=ChunkingConfig(254, 40))


class HashEmbedder:
    """Deterministic unit vectors from text, of the contract's dimension."""

    name, dimension, max_tokens = "fake", DIM, 254

    def embed(self, texts, progress=False):
        rows = [np.random.default_rng(list(hashlib.sha256(t.encode()).digest()[:8])).standard_normal(DIM)
                for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), DIM)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def token_offsets(self, text):
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def docs(*pairs):
    return [Document(doc_id, doc_id, "test", text, {"n": i}) for i, (doc_id, text) in enumerate(pairs)]


def as_embedded(title: str, text: str) -> str:
    """What is embedded for a one-chunk document."""
    return Chunk(f"{title}#0", title, 0, len(text), text, title).searched_text


def assert_consistent(collection):
    """Invariant 3 from the reader's side: every hit is a live chunk, and chunk text is the document's."""
    query = HashEmbedder().embed(["anything"])[0]
    for passage in collection.search(query, 1000, dense()):
        assert passage.chunk.doc_id in collection.documents
        document = collection.documents[passage.chunk.doc_id]
        assert document.text[passage.chunk.start:passage.chunk.end] == passage.chunk.text


def test_writes_keep_vectors_and_chunks_in_step_across_restarts(backend):
    embedder, catalog = HashEmbedder(), backend.catalog()
    collection = catalog.open(manifest(), create=True)
    collection.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas."),
                           ("c", "Gamma text about cherries.")), embedder)
    collection.upsert(docs(("b", "Beta text, rewritten, about blueberries.")), embedder)  # update
    collection.delete(["c"])
    catalog.save(collection)

    reopened = backend.catalog().open(manifest())
    assert set(reopened.documents) == {"a", "b"}
    assert reopened.documents["b"].meta == {"n": 0} and reopened.documents["b"].text.startswith("Beta text, rewritten")
    assert len(reopened.store) == reopened.chunk_count == collection.chunk_count
    query = embedder.embed([as_embedded("b", "Beta text, rewritten, about blueberries.")])[0]
    hits = reopened.search(query, 10, dense())
    assert hits[0].chunk.doc_id == "b" and "blueberries" in hits[0].chunk.text
    assert {p.chunk.doc_id for p in hits} <= {"a", "b"}
    only_a = reopened.search(query, 10, dense(), filters={"doc_id": "a"})
    assert {p.chunk.doc_id for p in only_a} == {"a"}
    assert_consistent(reopened)


def test_random_writes_then_restart_agree(backend):
    """Invariant 3 after a random sequence of adds, updates and deletes, with saves between."""
    embedder, catalog, rng = HashEmbedder(), backend.catalog(), random.Random(7)
    collection = catalog.open(manifest(), create=True)
    expected = {}
    for step in range(30):
        doc_id = f"d{rng.randrange(8)}"
        if rng.random() < 0.3:
            collection.delete([doc_id])
            expected.pop(doc_id, None)
        else:
            text = " ".join(rng.choice(["red", "green", "blue", "sea", "sky"]) for _ in range(rng.randrange(3, 400)))
            collection.upsert(docs((doc_id, text)), embedder)
            expected[doc_id] = text
        if step % 5 == 4:
            catalog.save(collection)
    catalog.save(collection)
    reopened = backend.catalog().open(manifest())
    assert {d: doc.text for d, doc in reopened.documents.items()} == expected
    assert len(reopened.store) == reopened.chunk_count == collection.chunk_count
    assert_consistent(reopened)


def test_a_crash_between_vector_write_and_save_leaves_the_saved_state(backend):
    """Rows written to the store but never saved (a crash before save) are never returned; deletes
    not yet saved leave the saved documents whole."""
    embedder, catalog = HashEmbedder(), backend.catalog()
    collection = catalog.open(manifest(), create=True)
    collection.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas.")), embedder)
    catalog.save(collection)
    collection.upsert(docs(("new", "Never saved: the process died before saving.")), embedder)
    collection.delete(["a"])  # also never saved
    reopened = backend.catalog().open(manifest())
    assert set(reopened.documents) == {"a", "b"}
    assert reopened.search(embedder.embed([as_embedded("a", "Alpha text about apples.")])[0], 1, dense())[0].chunk.doc_id == "a"
    assert [p.chunk.doc_id for p in reopened.search(embedder.embed(["Never saved: the process died before saving."])[0], 10, dense())] \
        and all(p.chunk.doc_id in {"a", "b"} for p in reopened.search(embedder.embed(["Never saved"])[0], 10, dense()))
    if backend.kind != "milvus-server":  # one writer: what the crash left is cleared on open
        assert len(reopened.store) == reopened.chunk_count
    assert_consistent(reopened)


def test_refuses_an_index_built_another_way_and_a_missing_one(backend):
    catalog = backend.catalog()
    with pytest.raises(IndexNotReady, match="no index"):
        catalog.open(manifest())
    catalog.save(catalog.open(manifest(), create=True))
    other = Manifest(embedding_model="another", dimension=DIM, chunking=ChunkingConfig(254, 40))
    with pytest.raises(IndexMismatch, match="embedding_model"):
        backend.catalog().open(other)


def test_a_long_document_survives_the_round_trip(backend):
    """Milvus keeps at most 64 KB in a field; a document many times that is stored in slices."""
    embedder, catalog = HashEmbedder(), backend.catalog()
    collection = catalog.open(manifest(), create=True)
    text = " ".join(f"Sentence {i} says ünïcödé things about item {i}." for i in range(6000))
    collection.upsert(docs(("long", text)), embedder)
    catalog.save(collection)
    reopened = backend.catalog().open(manifest())
    assert reopened.documents["long"].text == text and reopened.chunk_count == collection.chunk_count
    assert_consistent(reopened)


@MILVUS
def test_milvus_store_refuses_a_collection_of_another_dimension(tmp_path):
    pytest.importorskip("pymilvus")
    from groundqa.index.milvus_store import MilvusStore

    MilvusStore(str(tmp_path / "m.db"), "chunks", DIM).close()
    with pytest.raises(IndexNotReady, match="16-dimensional"):
        MilvusStore(str(tmp_path / "m.db"), "chunks", 32)


@MILVUS
def test_replicas_sharing_a_milvus_server_see_each_others_writes(request):
    """Two catalogs on one server, as two `groundqa serve` processes hold them."""
    pytest.importorskip("pymilvus")
    from groundqa.index.milvus_catalog import MilvusCatalog

    uri, prefix, embedder = request.getfixturevalue("milvus_uri"), "r" + uuid.uuid4().hex[:12], HashEmbedder()
    one, two = MilvusCatalog(uri, prefix, DIM), MilvusCatalog(uri, prefix, DIM)
    try:
        first = one.open(manifest(), create=True)
        second = two.open(manifest())
        assert two.poll() is None  # nothing written since it opened
        first.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas.")), embedder)
        one.save(first)
        two.apply(second, two.poll())
        assert set(second.documents) == {"a", "b"} and second.chunk_count == first.chunk_count
        assert second.search(embedder.embed(["Beta text about bananas."])[0], 1, dense())[0].chunk.doc_id == "b"

        second.upsert(docs(("b", "Beta text, now about blackberries.")), embedder)
        second.delete(["a"])
        two.save(second)
        one.apply(first, one.poll())
        assert set(first.documents) == {"b"} and "blackberries" in first.documents["b"].text
        assert all(p.chunk.doc_id == "b" for p in first.search(embedder.embed(["Alpha text about apples."])[0], 10, dense()))
        assert one.poll() is None and two.poll() is None  # two's own save is nothing new to it
        assert len(one.store) == first.chunk_count  # the old versions' vectors are gone from the server

        second.upsert(docs(("c", "Gamma text about cherries.")), embedder)
        two.save(second)
        first.upsert(docs(("d", "Delta text about dates.")), embedder)
        one.save(first)  # saved without having looked: what two wrote meanwhile still arrives
        one.apply(first, one.poll())
        two.apply(second, two.poll())
        assert set(first.documents) == set(second.documents) == {"b", "c", "d"}
        assert one.poll() is None and two.poll() is None
    finally:
        one.close()
        two.close()


@MILVUS
@pytest.mark.parametrize("kind", ["milvus-lite", "milvus-server"])
@pytest.mark.parametrize("crash_at", ["parts", "heads"])
def test_a_milvus_save_cut_short_leaves_the_previous_documents(kind, crash_at, tmp_path, request):
    """The process dies while saving: after the vectors, at the document records (parts) or at the rows
    that name the live versions (heads). Reopened, the index is the last complete save."""
    pytest.importorskip("pymilvus")
    from groundqa.index import milvus_catalog

    backend, embedder = Backend(kind, tmp_path, request), HashEmbedder()
    try:
        catalog = backend.catalog()
        collection = catalog.open(manifest(), create=True)
        collection.upsert(docs(("a", "Alpha text about apples."), ("b", "Beta text about bananas.")), embedder)
        catalog.save(collection)
        collection.upsert(docs(("a", "Alpha text, rewritten, about apricots."), ("c", "Gamma text about cherries.")),
                          embedder)
        real_upsert, calls = milvus_catalog.MilvusCatalog._upsert, []

        def dying_upsert(self, rows):
            calls.append(rows)
            if any(row["key"].startswith(milvus_catalog.PART if crash_at == "parts" else milvus_catalog.HEAD)
                   for row in rows):
                real_upsert(self, rows[:1])  # part of the batch reached Milvus
                raise SystemExit("killed")
            real_upsert(self, rows)

        request.getfixturevalue("monkeypatch").setattr(milvus_catalog.MilvusCatalog, "_upsert", dying_upsert)
        with pytest.raises(SystemExit):
            catalog.save(collection)
        request.getfixturevalue("monkeypatch").undo()

        reopened = backend.catalog().open(manifest())
        if crash_at == "parts":  # no head changed: exactly the first save
            assert {d: doc.text for d, doc in reopened.documents.items()} == \
                {"a": "Alpha text about apples.", "b": "Beta text about bananas."}
        else:  # one head reached Milvus: that document is new and whole, the rest are the first save
            assert reopened.documents["b"].text == "Beta text about bananas."
            assert reopened.documents["a"].text in {"Alpha text about apples.", "Alpha text, rewritten, about apricots."}
        assert_consistent(reopened)
        for passage in reopened.search(embedder.embed(["Gamma text about cherries."])[0], 10, dense()):
            assert passage.chunk.doc_id in reopened.documents
        if kind == "milvus-lite":
            assert len(reopened.store) == reopened.chunk_count  # leftovers cleared on open
    finally:
        backend.close()


def test_milvus_without_pymilvus_says_what_to_install(monkeypatch):
    import sys

    from groundqa.settings import Settings
    from groundqa.wiring import make_catalog

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if not installed
    with pytest.raises(IndexNotReady, match=r"pip install 'groundqa\[milvus\]'"):
        make_catalog(Settings(vector_store="milvus"), DIM)


@MILVUS
def test_a_milvus_server_gone_away_is_index_not_ready(tmp_path):
    """Asks against a Milvus server that went down get the service's 503 error, not a crash."""
    pytest.importorskip("pymilvus")
    from groundqa.index.milvus_store import MilvusStore
    from tests.servers import milvus_server

    with milvus_server(str(tmp_path / "data")) as uri:
        store = MilvusStore(uri, "gone", DIM)
        store.add(np.arange(5, dtype=np.int64), unit(5))
        assert store.search(unit(1)[0], 2)
    with pytest.raises(IndexNotReady, match="Milvus search"):
        store.search(unit(1)[0], 2)


def test_directory_catalog_writers_take_turns(tmp_path):
    """Catalog.writing, as DirectoryCatalog documents it: a second writer waits for the first."""
    import threading

    first, second = DirectoryCatalog(tmp_path, EXACT), DirectoryCatalog(tmp_path, EXACT)
    order, entered = [], threading.Event()

    def write_second():
        with second.writing():
            order.append("second")

    with first.writing():
        waiter = threading.Thread(target=write_second)
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive(), "the second writer got in while the first held the lock"
        order.append("first")
    waiter.join(timeout=10)
    assert order == ["first", "second"]


@MILVUS
def test_milvus_replicas_writing_one_document_at_once_the_last_save_wins(request):
    """Catalog.writing, as MilvusCatalog documents it: no lock, the last save of a document wins."""
    pytest.importorskip("pymilvus")
    from groundqa.index.milvus_catalog import MilvusCatalog

    uri, prefix, embedder = request.getfixturevalue("milvus_uri"), "w" + uuid.uuid4().hex[:12], HashEmbedder()
    one, two = MilvusCatalog(uri, prefix, DIM), MilvusCatalog(uri, prefix, DIM)
    try:
        first, second = one.open(manifest(), create=True), two.open(manifest())
        with one.writing(), two.writing():  # neither waits for the other
            first.upsert(docs(("x", "Written by the first replica.")), embedder)
            second.upsert(docs(("x", "Written by the second replica, last.")), embedder)
            one.save(first)
            two.save(second)
        reopened = MilvusCatalog(uri, prefix, DIM)
        try:
            assert reopened.open(manifest()).documents["x"].text == "Written by the second replica, last."
        finally:
            reopened.close()
    finally:
        one.close()
        two.close()
