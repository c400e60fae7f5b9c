"""The real app on a real loopback port, with FakeEmbedder and FakeReader instead of the models.

`fast_server(index_dir, **settings)` writes DOCUMENTS into index_dir (unless an index is already
there), builds the engine by hand (Engine.attach, as `groundqa serve` would after loading the
models), and runs the app with uvicorn in a background thread, with the HTTP protocol `groundqa
serve` uses. Starting one takes a fraction of a second, so each test can have its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import uvicorn
from pydantic import SecretStr

from groundqa.index import persistence
from groundqa.index.catalog import DirectoryCatalog, update_stored
from groundqa.index.types import Document
from groundqa.service.app import create_app
from groundqa.service.api.guards import http_protocol
from groundqa.service.engine import Engine
from groundqa.service.pipeline import Pipeline
from groundqa.settings import Settings
from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config
from tests.conftest import FakeEmbedder, FakeReader
from tests.servers import free_port

API_KEY = "fast-key-123"
# Small chunks (24 tokens of FakeEmbedder, words and punctuation) so that the handbook spans several
# chunks and its answers lie in chunks that do not start at offset 0. No answer verifier: one fitted to
# the real reader's logits means nothing for FakeReader's, whose margins alone decide (see its docstring).
FAST_SETTINGS = {"chunk_max_tokens": 24, "chunk_overlap_tokens": 4, "verifier": "off"}

HANDBOOK = ("Welcome to the Acme handbook. Our offices open at nine in the morning. "
            "Lunch is served in the canteen on the ground floor. "
            "Parking permits are issued by the front desk. "
            "Fire drills happen on the first Monday of every quarter. "
            "The warehouse manager is Priya Raman.")
WAREHOUSE_MANAGER = "The warehouse manager is Priya Raman."  # in the handbook's third chunk, not at its start
DOCUMENTS = [
    Document("guide/handbook", "Acme handbook", "handbook.txt", HANDBOOK, {"kind": "office"}),
    Document("zoo/zebra", "Zebra facts", "zebra.txt",
             "The zebra named Ziggy lives in the Serengeti. Zebras eat grass all day.", {"kind": "animal"}),
    Document("zoo/otter", "Otter facts", "otter.txt",
             "Otto the otter swims in the river Thames. Otters crack clams with stones.", {"kind": "animal"}),
]


@dataclass
class FastServer:
    url: str
    settings: Settings
    engine: Engine
    reader: FakeReader
    index_dir: Path


def fast_settings(index_dir: Path, **overrides) -> Settings:
    """Settings for a fake-model server: a write key, small chunks, and the test's overrides
    (validated as the environment's would be)."""
    values = {"index_dir": index_dir, "api_key": SecretStr(API_KEY), **FAST_SETTINGS, **overrides}
    return Settings(**values)


def write_index(settings: Settings, documents=DOCUMENTS) -> None:
    catalog = DirectoryCatalog(settings.index_dir, faiss_layout(settings))
    update_stored(catalog, expected_manifest(settings, FakeEmbedder()),
                  lambda collection: collection.upsert(documents, FakeEmbedder()))


@contextlib.contextmanager
def fast_server(index_dir: Path, **overrides) -> Iterator[FastServer]:
    settings = fast_settings(index_dir, **overrides)
    if not persistence.exists(index_dir):
        write_index(settings)
    embedder, reader = FakeEmbedder(), FakeReader()
    catalog = DirectoryCatalog(settings.index_dir, faiss_layout(settings))
    pipeline = Pipeline(embedder, catalog.open(expected_manifest(settings, embedder)), reader,
                        pipeline_config(settings))
    pipeline.prepare_search()  # as Engine.start does: BM25 built before the first ask
    engine = Engine(settings)
    engine.attach(pipeline, catalog)

    app = create_app(settings, engine)
    for _ in range(3):  # another process may take the free port before uvicorn binds it
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False, http=http_protocol()))
        thread = threading.Thread(target=server.run, name=f"fast-server-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if server.started:
            break
        server.should_exit = True
        thread.join(10)
    else:
        raise AssertionError("the test server did not start")
    try:
        yield FastServer(f"http://127.0.0.1:{port}", settings, engine, reader, index_dir)
    finally:
        server.should_exit = True
        thread.join(10)
