import pytest

from tests.conftest import faiss_collection

from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection, Manifest
from groundqa.index.hybrid import RetrievalConfig, fuse
from groundqa.index.types import Document

SPARSE = RetrievalConfig("sparse")
HYBRID = RetrievalConfig("hybrid", depth=10, fusion="weighted", dense_weight=0.5)


def collection_with(embedder, *documents):
    collection = faiss_collection(Manifest(embedder.name, embedder.dimension, ChunkingConfig(40, 5)))
    collection.upsert(list(documents), embedder)
    return collection


def doc(doc_id, text, **meta):
    return Document(doc_id, doc_id, "test", text, meta)


def search(collection, embedder, query, config, k=3, filters=None):
    hits = collection.search(embedder.embed([query])[0], k, config, query, filters)
    return [p.chunk.doc_id for p in hits]


def test_bm25_follows_adds_updates_and_deletes(fake_embedder):
    collection = collection_with(fake_embedder, doc("a", "The quartermaster stored rations."),
                                 doc("b", "Engines need fuel and oil."))
    assert search(collection, fake_embedder, "quartermaster", SPARSE) == ["a"]
    collection.upsert([doc("a", "Nothing about stores here.")], fake_embedder)
    assert search(collection, fake_embedder, "quartermaster", SPARSE) == []
    collection.upsert([doc("c", "A quartermaster joined the crew.")], fake_embedder)
    assert search(collection, fake_embedder, "quartermasters", SPARSE) == ["c"], "stemmed match"
    collection.delete(["c"])
    assert search(collection, fake_embedder, "quartermaster", SPARSE) == []
    assert search(collection, fake_embedder, "the and of", SPARSE) == [], "stop words alone match nothing"


def test_sparse_respects_filters(fake_embedder):
    collection = collection_with(fake_embedder, doc("a", "Saffron is expensive.", lang="en"),
                                 doc("b", "Saffron est cher.", lang="fr"))
    found = search(collection, fake_embedder, "saffron", SPARSE, filters={"lang": "fr"})
    assert found == ["b"]


def test_hybrid_finds_what_either_retriever_finds(fake_embedder):
    collection = collection_with(fake_embedder, doc("lexical", "Order XK4471 shipped on Monday."),
                                 *[doc(f"noise{i}", f"Shipping update number {i} for customers.") for i in range(8)])
    assert search(collection, fake_embedder, "When was XK4471 shipped?", HYBRID, k=1) == ["lexical"]


def test_weighted_fusion_by_hand():
    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]  # normalized: 1.0, 0.5, 0.0
    sparse = [(3, 12.0), (4, 2.0)]  # normalized: 1.0, 0.0
    fused = fuse(dense, sparse, RetrievalConfig("hybrid", fusion="weighted", dense_weight=0.5))
    assert fused == [(1, 0.5), (3, 0.5), (2, 0.25), (4, 0.0)]


def test_rrf_by_hand():
    fused = dict(fuse([(1, 0.9), (2, 0.5)], [(2, 3.0), (3, 1.0)], RetrievalConfig("hybrid", fusion="rrf", rrf_k=60)))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61) and fused[3] == pytest.approx(1 / 62)
