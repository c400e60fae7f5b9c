"""Each benchmark set's own index for the conversation eval, the one `groundqa eval --suite` builds
and caches (the same key: what the set's documents load to, the embedding and chunking settings and
the embedder's precision), so either command reuses the other's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.eval.suite import GoldSet
from groundqa.index.catalog import DirectoryCatalog, update_stored
from groundqa.index.ingest import scan
from groundqa.service.pipeline import Pipeline
from groundqa.settings import Settings


def set_pipeline(settings: Settings, gold_set: GoldSet, embedder, reader, cache_root: Path) -> Pipeline:
    """A pipeline over the set's documents alone, with the models given, configured by `settings`."""
    from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config

    manifest = expected_manifest(settings, embedder)
    scanned = scan([gold_set.docs])
    if scanned.problems:
        raise GroundQAError(f"{gold_set.name}: {scanned.problems[0].path}: {scanned.problems[0].reason}")
    identity = json.dumps([manifest.to_json(), embedder.precision,
                           [(d.doc_id, d.title, d.text, d.meta) for d in scanned.documents]],
                          sort_keys=True, default=str)
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    catalog = DirectoryCatalog(cache_root / f"{gold_set.name}-{key}", faiss_layout(settings))
    if catalog.exists():
        collection = catalog.open(manifest)
    else:
        collection, _ = update_stored(catalog, manifest,
                                      lambda stored: stored.upsert(scanned.documents, embedder, False))
    return Pipeline(embedder, collection, reader, pipeline_config(settings))
