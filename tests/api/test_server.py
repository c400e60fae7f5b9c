"""The real server: `groundqa serve` in its own process, on a free port, over the network."""

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from index import persistence
from index.chunking import ChunkingConfig
from index.collection import Collection, Manifest
from service.app import create_app
from service.engine import Engine

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            return httpx.get(f"{url}/readyz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError("server did not start in time")


@pytest.fixture
def server(api_settings):
    port = free_port()
    env = {**os.environ, "GROUNDQA_INDEX_DIR": str(api_settings.index_dir), "GROUNDQA_API_KEY": "net-key",
           "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "groundqa.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        yield url, wait_ready(url, process), process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_over_the_network(server):
    url, ready, _ = server
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
    persistence.save(Collection(Manifest("some-other-model", 384, ChunkingConfig())), index_dir)
    settings = real_settings.model_copy(update={"index_dir": index_dir})
    engine = Engine(settings)
    engine.start()
    with TestClient(create_app(settings, engine)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "embedding_model='some-other-model'" in ready.json()["reason"]
        asked = client.post("/v1/ask", json={"question": "Who?"})
        assert asked.status_code == 503 and asked.json()["error"]["code"] == "index_not_ready"
        assert asked.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200


def test_eval_over_http_matches_the_server(server):
    from eval.gold import load_gold
    from eval.runner import run_http
    from eval.summary import summarize
    from tests.conftest import REPO

    url, _, _ = server
    questions = load_gold(REPO / "eval" / "gold" / "default-corpus.jsonl")
    picked = [q for q in questions if q.id in ("corpus-01", "corpus-06", "corpus-35")]
    run = run_http(url, picked, top_k=5, progress=False)
    summary = summarize(run, threshold=0.0)
    assert summary["n"] == 3 and summary["f1"] == 100.0
    assert summary["retrieval"]["recall@1"] == 100.0
    assert all("http" in row.timings_ms for row in run.rows)
