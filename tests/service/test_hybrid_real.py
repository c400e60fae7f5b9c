"""Hybrid retrieval with the real embedder and reader: BM25 rescues what embeddings miss."""

import pytest

from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection
from groundqa.index.types import Document
from groundqa.service.pipeline import Pipeline
from groundqa.wiring import expected_manifest, pipeline_config
from tests.conftest import faiss_collection

pytestmark = pytest.mark.slow

QUESTION = "Which warehouse holds part ZQ-88417?"


@pytest.fixture(scope="module")
def parts_collection(real_settings, real_embedder):
    templates = ["Spare parts for conveyor belts are ordered from {city}.",
                 "The {city} team audits warehouse shelves each quarter.",
                 "Holding costs for parts rose in {city} this year.",
                 "Forklift training happens at the {city} warehouse.",
                 "Warehouse staff in {city} wear badges at all times.",
                 "Part numbers changed format in {city} last spring."]
    cities = ["Leeds", "Porto", "Austin", "Turin", "Osaka", "Lagos", "Quito", "Perth", "Dubai", "Malmo"]
    documents = [Document(f"noise-{i}", f"Note {i}", "test", template.format(n=55100 + i, city=city))
                 for i, (template, city) in enumerate((t, c) for t in templates for c in cities)]
    # Titled like the noise: a title is embedded with its chunks, and one naming the part would be found.
    documents.append(Document("target", f"Note {len(documents)}", "test",
                              "Log entry 7. ZQ-88417: kept at the Tromsø site since March."))
    collection = faiss_collection(expected_manifest(real_settings, real_embedder))
    collection.upsert(documents, real_embedder)
    return collection


def ask(settings, embedder, collection, reader, **overrides):
    pipeline = Pipeline(embedder, collection, reader, pipeline_config(settings.model_copy(update=overrides)))
    return pipeline.ask(QUESTION, top_k=3)


def test_only_bm25_finds_the_rare_code(real_settings, real_embedder, real_reader, parts_collection):
    dense = ask(real_settings, real_embedder, parts_collection, real_reader, retrieval_mode="dense")
    assert "target" not in [p.chunk.doc_id for p in dense.passages], "embeddings alone miss the exact code"
    assert dense.no_answer
    hybrid = ask(real_settings, real_embedder, parts_collection, real_reader, retrieval_mode="hybrid")
    assert hybrid.passages[0].chunk.doc_id == "target"
    assert hybrid.answers and "Tromsø" in hybrid.answers[0].text
    assert hybrid.answers[0].citation.doc_id == "target"
