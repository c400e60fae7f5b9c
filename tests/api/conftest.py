import shutil

from pydantic import SecretStr

import pytest
from fastapi.testclient import TestClient

from groundqa.index import persistence
from groundqa.service.app import create_app
from groundqa.service.engine import Engine
from groundqa.index.catalog import DirectoryCatalog
from groundqa.service.pipeline import Pipeline
from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config

API_KEY = "test-key-123"


@pytest.fixture
def api_settings(real_settings, corpus_pipeline, tmp_path):
    """Settings pointing at a private copy of the corpus index, with a write key."""
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    return real_settings.model_copy(update={"index_dir": index_dir, "api_key": SecretStr(API_KEY)})


@pytest.fixture
def engine(api_settings, real_embedder, real_reader):
    engine = Engine(api_settings)
    catalog = DirectoryCatalog(api_settings.index_dir, faiss_layout(api_settings))
    collection = catalog.open(expected_manifest(api_settings, real_embedder))
    engine.attach(Pipeline(real_embedder, collection, real_reader, pipeline_config(api_settings)), catalog)
    return engine


@pytest.fixture
def client(api_settings, engine):
    with TestClient(create_app(api_settings, engine)) as client:
        yield client


@pytest.fixture
def auth():
    return {"X-API-Key": API_KEY}
