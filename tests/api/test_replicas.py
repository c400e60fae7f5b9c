"""Two `groundqa serve` processes sharing one Milvus server: what one writes, the other answers."""

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.conftest import CORPUS_DOC_ID
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow
KEY = "replica-key"
DOC = {"doc_id": "replicas/lighthouse.txt",
       "text": "The Skerryvore lighthouse keeper in 1902 was Angus Macleod. He kept the light for thirty years."}
QUESTION = "Who was the Skerryvore lighthouse keeper in 1902?"


def cites(response: httpx.Response, doc_id: str) -> bool:
    assert response.status_code == 200, response.text
    return any(a["citation"]["doc_id"] == doc_id for a in response.json()["answers"])


def eventually(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the other replica did not see the change in time"
        time.sleep(0.3)


def test_a_document_added_through_one_replica_is_answered_by_the_other(milvus_uri, tmp_path):
    env = {"GROUNDQA_VECTOR_STORE": "milvus", "GROUNDQA_MILVUS_URI": milvus_uri,
           "GROUNDQA_MILVUS_COLLECTION": "replicas_" + uuid.uuid4().hex[:8], "GROUNDQA_API_KEY": KEY,
           "GROUNDQA_RATE_LIMIT_PER_MINUTE": "0", "GROUNDQA_INDEX_DIR": str(tmp_path / "unused")}
    indexed = subprocess.run([sys.executable, "-m", "groundqa.cli", "index", "--quiet"], env={**os.environ, **env},
                             capture_output=True, text=True, timeout=300)
    assert indexed.returncode == 0, indexed.stderr
    assert "Milvus collections" in indexed.stdout and not (tmp_path / "unused").exists()

    with groundqa_server({**env, "GROUNDQA_INDEX_DIR": str(tmp_path / "one")}) as (one, _), \
            groundqa_server({**env, "GROUNDQA_INDEX_DIR": str(tmp_path / "two")}) as (two, _):
        with httpx.Client(timeout=60, headers={"X-API-Key": KEY}) as http:
            corpus = http.post(f"{two}/v1/ask", json={"question": "Which company halted facial recognition sales for a year?"})
            assert cites(corpus, CORPUS_DOC_ID)  # the index the CLI built, served by both
            assert http.get(f"{one}/v1/documents").json()["total"] == http.get(f"{two}/v1/documents").json()["total"]

            assert http.post(f"{one}/v1/documents", json=DOC).status_code == 201
            eventually(lambda: cites(http.post(f"{two}/v1/ask", json={"question": QUESTION}), DOC["doc_id"]))
            answer = http.post(f"{two}/v1/ask", json={"question": QUESTION}).json()["answers"][0]
            assert answer["text"] == "Angus Macleod"
            assert http.get(f"{two}/v1/documents/{DOC['doc_id']}").json()["doc_id"] == DOC["doc_id"]
            assert http.post(f"{two}/v1/documents", json=DOC).status_code == 409  # it knows the document exists

            assert http.delete(f"{two}/v1/documents/{DOC['doc_id']}").status_code == 204
            eventually(lambda: http.get(f"{one}/v1/documents/{DOC['doc_id']}").status_code == 404)
            assert not cites(http.post(f"{one}/v1/ask", json={"question": QUESTION}), DOC["doc_id"])


def test_replicas_see_each_others_collections_come_and_go(milvus_uri, tmp_path):
    """Created on one, written on the other, private on both, deleted on one: gone from both."""
    env = {"GROUNDQA_VECTOR_STORE": "milvus", "GROUNDQA_MILVUS_URI": milvus_uri,
           "GROUNDQA_MILVUS_COLLECTION": "replicas_" + uuid.uuid4().hex[:8], "GROUNDQA_API_KEY": KEY,
           "GROUNDQA_RATE_LIMIT_PER_MINUTE": "0"}
    read_key = "lighthouse-read-key-0123"
    admin = {"X-API-Key": KEY}
    with groundqa_server({**env, "GROUNDQA_INDEX_DIR": str(tmp_path / "one")}) as (one, _), \
            groundqa_server({**env, "GROUNDQA_INDEX_DIR": str(tmp_path / "two")}) as (two, _), \
            httpx.Client(timeout=60) as http:
        created = http.post(f"{one}/v1/collections", headers=admin, json={"name": "coast", "read_key": read_key})
        assert created.status_code == 201, created.text
        assert http.post(f"{two}/v1/collections/coast/documents", json=DOC, headers=admin).status_code == 201
        ask = {"question": QUESTION}
        eventually(lambda: cites(http.post(f"{one}/v1/collections/coast/ask", json=ask,
                                           headers={"X-API-Key": read_key}), DOC["doc_id"]))
        assert http.post(f"{one}/v1/collections/coast/ask", json=ask).status_code == 404, "private on both: as if unknown"
        assert not cites(http.post(f"{two}/v1/ask", json=ask), DOC["doc_id"]), "not in the default collection"
        names = [c["name"] for c in http.get(f"{two}/v1/collections", headers=admin).json()["collections"]]
        assert names == ["coast", "default"]

        assert http.delete(f"{two}/v1/collections/coast", headers=admin).status_code == 204
        eventually(lambda: http.post(f"{one}/v1/collections/coast/ask", json=ask,
                                     headers=admin).status_code == 404)
        assert [c["name"] for c in http.get(f"{one}/v1/collections", headers=admin).json()["collections"]] == ["default"]
        from pymilvus import MilvusClient

        prefix = env["GROUNDQA_MILVUS_COLLECTION"] + "_c_"
        left = [name for name in MilvusClient(milvus_uri).list_collections() if name.startswith(prefix)]
        assert left == [], "its chunks, documents and feedback are dropped"
