"""The real server: `groundqa serve` in its own process, on a free port, over the network."""

import httpx
import pytest
from fastapi.testclient import TestClient

from groundqa.index import persistence
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection, Manifest
from groundqa.service.app import create_app
from groundqa.service.engine import Engine
from tests.conftest import faiss_collection
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(api_settings):
    env = {"GROUNDQA_INDEX_DIR": str(api_settings.index_dir), "GROUNDQA_API_KEY": "net-key"}
    with groundqa_server(env) as (url, ready):
        yield url, ready


def test_serve_over_the_network(server):
    url, ready = server
    assert ready.status_code == 200 and ready.json()["documents"] == 1
    answer = httpx.post(f"{url}/v1/ask", json={"question": "Who is the president of Microsoft?"}, timeout=30).json()
    assert answer["answers"][0]["text"] == "Brad Smith"
    added = httpx.post(f"{url}/v1/documents", headers={"X-API-Key": "net-key"}, timeout=60,
                       json={"doc_id": "note", "text": "The office wifi password is tangerine42."})
    assert added.status_code == 201
    answer = httpx.post(f"{url}/v1/ask", json={"question": "What is the office wifi password?"}, timeout=30).json()
    assert answer["answers"][0]["text"] == "tangerine42"


def test_mismatched_index_is_reported_not_crashed(tmp_path, real_settings):
    index_dir = tmp_path / "other"
    persistence.save(faiss_collection(Manifest("some-other-model", 384, ChunkingConfig(254, 40))), index_dir)
    settings = real_settings.model_copy(update={"index_dir": index_dir})
    engine = Engine(settings)
    engine.start()
    with TestClient(create_app(settings, engine)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "index_mismatch"
        assert "embedding_model='some-other-model'" in ready.json()["error"]["message"]

    (index_dir / "CURRENT").write_text("v-missing")  # a broken index: its message names a server path
    broken = Engine(settings)
    broken.start()
    with TestClient(create_app(settings, broken)) as client:
        for response in (client.get("/readyz"), client.post("/v1/ask", json={"question": "Who?"})):
            assert response.status_code == 503 and response.json()["error"]["code"] == "index_not_ready"
            assert str(tmp_path) not in response.text, response.text  # the server's paths stay in its log
        asked = client.post("/v1/ask", json={"question": "Who?"})
        assert asked.status_code == 503 and asked.json()["error"]["code"] == "index_not_ready"
        assert asked.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200


def test_eval_over_http_matches_the_server(server):
    from groundqa.eval.gold import load_gold
    from groundqa.eval.runner import run_http
    from groundqa.eval.summary import summarize
    from tests.conftest import REPO

    url, _ = server
    questions = load_gold(REPO / "eval" / "gold" / "default-corpus.jsonl")
    picked = [q for q in questions if q.id in ("corpus-01", "corpus-06", "corpus-35")]
    run = run_http(url, picked, top_k=5, progress=False)
    summary = summarize(run, threshold=0.0)
    assert summary["n"] == 3 and summary["f1"] == 100.0
    assert summary["retrieval"]["recall@1"] == 100.0
    assert all("http" in row.timings_ms for row in run.rows)
