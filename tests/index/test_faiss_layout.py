"""The FAISS store leaves exact search at scale: flat up to `ivf_from` vectors, IVF from there on,
trained again as the corpus grows; deletes, filters and restarts behave as they do on flat."""

import faiss
import numpy as np

from tests.conftest import dense
from groundqa.eval.scale import synthetic_vectors
from groundqa.index.store import FaissLayout, FaissStore, ivf_lists

DIM = 384


def exact_top(vectors, row_ids, query, k):
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(row_ids[i]) for i in order]


def test_flat_until_the_threshold_then_ivf_retrained_as_it_grows(tmp_path):
    vectors = synthetic_vectors(20_000, seed=3)
    row_ids = np.arange(10**12, 10**12 + len(vectors), dtype=np.int64)  # large ids, like hashed row ids
    store = FaissStore(DIM, layout=FaissLayout(ivf_from=8_000, nprobe=128))
    kinds = []
    for begin in range(0, len(vectors), 2_000):
        store.add(row_ids[begin:begin + 2_000], vectors[begin:begin + 2_000])
        kinds.append(store.kind)
    # Flat below 8,000; IVF at 8,000; trained again at 16,000, where twice the lists are due.
    assert (ivf_lists(8_000), ivf_lists(16_000)) == (205, 410)
    assert kinds == ["flat"] * 3 + ["ivf205"] * 4 + ["ivf410"] * 3
    assert len(store) == len(vectors)

    queries = synthetic_vectors(100, seed=4)
    found = [[row for row, _ in store.search(query, 10)] for query in queries]
    exact = [exact_top(vectors, row_ids, query, 10) for query in queries]
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)])
    assert recall >= 0.97  # 0.82 at nprobe 16, 0.96 at 64 on these 20k vectors

    deleted = set(row_ids[::7].tolist())
    store.delete(deleted)
    assert len(store) == len(vectors) - len(deleted)
    for query in queries[:20]:
        assert not {row for row, _ in store.search(query, 50)} & deleted

    # A filter searches every list: the best allowed rows come back exactly, wherever they lie.
    kept = np.array(sorted(set(row_ids.tolist()) - deleted), dtype=np.int64)
    allowed = np.random.default_rng(5).choice(kept, 40, replace=False)
    positions = allowed - row_ids[0]
    for query in queries[:20]:
        assert [row for row, _ in store.search(query, 5, allowed)] == exact_top(vectors[positions], allowed, query, 5)

    store.write(tmp_path)
    reloaded = FaissStore.load(tmp_path, DIM, store.layout)
    assert reloaded.kind == store.kind and len(reloaded) == len(store)
    assert [reloaded.search(q, 10) for q in queries[:10]] == [store.search(q, 10) for q in queries[:10]]


def test_small_stores_stay_exact():
    vectors = synthetic_vectors(500, seed=6)
    store = FaissStore(DIM)
    store.add(np.arange(500, dtype=np.int64), vectors)
    assert store.kind == "flat"
    query = synthetic_vectors(1, seed=7)[0]
    assert [row for row, _ in store.search(query, 10)] == exact_top(vectors, np.arange(500), query, 10)


def test_growth_is_trained_before_the_add_which_only_swaps_the_index_in(monkeypatch):
    vectors = synthetic_vectors(9_000, seed=8)
    row_ids = np.arange(len(vectors), dtype=np.int64)
    store = FaissStore(DIM, layout=FaissLayout(ivf_from=8_000, nprobe=10_000))
    store.add(row_ids[:7_000], vectors[:7_000])
    store.prepare_growth(vectors[7_000:])
    assert store.kind == "flat"  # searches still see the flat index until the add

    def no_training(*args):
        raise AssertionError("trained during the add")

    monkeypatch.setattr(faiss.IndexIVFFlat, "train", no_training)
    deleted = row_ids[:100]  # what a replaced document's old rows look like between prepare and add
    store.delete(deleted)
    store.add(row_ids[7_000:], vectors[7_000:])
    assert store.kind == f"ivf{ivf_lists(9_000)}"
    assert len(store) == 9_000 - 100
    for row in (0, 50, 7_000, 8_999):  # every list searched: exact
        hits = [found for found, _ in store.search(vectors[row], 5)]
        assert (row not in hits) if row < 100 else (hits[0] == row)


def test_a_collection_trains_in_prepare_not_under_the_write_lock(monkeypatch, fake_embedder):
    from groundqa.index.chunking import ChunkingConfig
    from groundqa.index.collection import Collection, Manifest
    from groundqa.index.types import Document

    manifest = Manifest(fake_embedder.name, fake_embedder.dimension, ChunkingConfig(254, 40))
    collection = Collection(manifest, FaissStore(fake_embedder.dimension, layout=FaissLayout(ivf_from=80, nprobe=10_000)))
    documents = [Document(f"d{i}", "", "", f"note {i} about topic{i} and word{i % 7}") for i in range(120)]
    collection.upsert(documents[:70], fake_embedder)
    trained = []
    original = faiss.IndexIVFFlat.train
    monkeypatch.setattr(faiss.IndexIVFFlat, "train", lambda index, x: (trained.append(len(x)), original(index, x)))
    prepared = collection.prepare(documents[70:], fake_embedder)
    assert trained == [120] and collection.store.kind == "flat"
    collection.apply(prepared)
    assert trained == [120] and collection.store.kind == f"ivf{ivf_lists(120)}"
    hit = collection.search(fake_embedder.embed(["note 99 about topic99"])[0], 1, dense())[0]
    assert hit.chunk.doc_id == "d99"
