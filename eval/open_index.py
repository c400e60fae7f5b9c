"""--open: every SQuAD paragraph becomes a document in an index of its own (cached between runs)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from pathlib import Path

from groundqa.eval.gold import GoldQuestion
from groundqa.settings import Settings
from groundqa.index.catalog import DirectoryCatalog, update_stored
from groundqa.index.types import Document
from groundqa.service.pipeline import Pipeline
from groundqa.wiring import expected_manifest, faiss_layout, make_embedder, make_reader, pipeline_config


def hold_out(questions: list[GoldQuestion], articles: int, seed: int) -> tuple[list[GoldQuestion], set[str]]:
    """Pick `articles` whole articles to leave out of the index; their questions become unanswerable.
    This turns SQuAD v1.1 into an open set with realistic no-answer questions, for calibration."""
    titles = sorted({q.title for q in questions if q.title})
    held = set(random.Random(seed).sample(titles, min(articles, len(titles)))) if articles else set()
    return [replace(q, answers=[]) if q.title in held else q for q in questions], held


def paragraphs_as_documents(questions: list[GoldQuestion], exclude_titles: set[str] = frozenset()) -> list[Document]:
    documents: dict[str, Document] = {}
    for q in questions:
        if q.title in exclude_titles:
            continue
        if q.doc_id not in documents:
            documents[q.doc_id] = Document(q.doc_id, q.title or q.doc_id, "squad", q.context or "", {"title": q.title})
    return list(documents.values())


def open_pipeline(settings: Settings, all_questions: list[GoldQuestion], gold_path: Path, cache_root: Path,
                  progress: bool = True, exclude_titles: set[str] = frozenset()) -> Pipeline:
    """A pipeline over an index of all paragraphs in the gold file. The index is kept under
    cache_root, keyed by the file and the embedding/chunking settings, and re-used when they match."""
    embedder = make_embedder(settings)
    embedder.warm_up()
    manifest = expected_manifest(settings, embedder)
    identity = (f"{gold_path.resolve()}:{gold_path.stat().st_size}:{manifest}:{sorted(exclude_titles)}"
                f":{embedder.precision}")
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    index_dir = cache_root / f"{gold_path.name.split('.')[0]}-{key}"
    catalog = DirectoryCatalog(index_dir, faiss_layout(settings))
    if catalog.exists():
        collection = catalog.open(manifest)
    else:
        documents = paragraphs_as_documents(all_questions, exclude_titles)
        collection, _ = update_stored(catalog, manifest, lambda stored: stored.upsert(documents, embedder, progress))
    reader = make_reader(settings)
    reader.warm_up()
    return Pipeline(embedder, collection, reader, pipeline_config(settings))
