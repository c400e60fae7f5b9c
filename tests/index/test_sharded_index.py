"""`groundqa index --shard I/N`: shards run at once into one Milvus server index what one run does."""

import os
import subprocess
import sys
import uuid

import pytest

from groundqa.index.ingest import Shard, scan

pytestmark = pytest.mark.slow
TOPICS = ["lighthouses", "glaciers", "volcanoes", "orchards", "harbours", "comets", "bridges", "libraries",
          "deserts", "reefs", "canals", "observatories"]


def write_corpus(folder):
    folder.mkdir()
    for number, topic in enumerate(TOPICS):
        (folder / f"{topic}.txt").write_text(
            f"Notes on {topic}.\n\nThe {topic} survey of {1900 + number} counted {number + 3} sites. "
            f"The keeper of the {topic} records was clerk number {number * 7}.\n")


def index(folder, env, *extra):
    return subprocess.Popen([sys.executable, "-m", "groundqa.cli", "index", str(folder), "--quiet", *extra],
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored(uri, prefix):
    from groundqa.index.milvus_catalog import MilvusCatalog

    catalog = MilvusCatalog(uri, prefix, None)
    try:
        collection = catalog.open(None)
        return ({doc_id: d.content_hash for doc_id, d in collection.documents.items()},
                {row: (c.doc_id, c.start, c.end) for row, c in collection.chunks.items()},
                catalog.store.ids())
    finally:
        catalog.close()


def test_two_shards_together_equal_one_run(milvus_uri, tmp_path):
    folder = tmp_path / "survey"
    write_corpus(folder)
    owned = [sum(Shard(i, 2).owns(d.doc_id) for d in scan([folder]).documents) for i in (0, 1)]
    assert all(owned) and sum(owned) == len(TOPICS), "both shards have work"
    base = {"GROUNDQA_VECTOR_STORE": "milvus", "GROUNDQA_MILVUS_URI": milvus_uri,
            "GROUNDQA_INDEX_DIR": str(tmp_path / "unused")}
    sharded, single = "s" + uuid.uuid4().hex[:10], "o" + uuid.uuid4().hex[:10]
    shards = [index(folder, {**base, "GROUNDQA_MILVUS_COLLECTION": sharded}, "--shard", f"{i}/2") for i in (0, 1)]
    for process in shards:  # both at once, as on two machines
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    one = index(folder, {**base, "GROUNDQA_MILVUS_COLLECTION": single})
    assert one.wait(timeout=300) == 0, one.stderr.read()
    assert stored(milvus_uri, sharded) == stored(milvus_uri, single)
    documents, chunks, vectors = stored(milvus_uri, sharded)
    assert len(documents) == len(TOPICS) and set(chunks) == vectors

    (folder / "comets.txt").unlink()  # a shard removes only its own documents that are gone
    owner = next(i for i in (0, 1) if Shard(i, 2).owns("survey/comets.txt"))
    other = index(folder, {**base, "GROUNDQA_MILVUS_COLLECTION": sharded}, "--shard", f"{1 - owner}/2")
    assert other.wait(timeout=300) == 0
    assert "survey/comets.txt" in stored(milvus_uri, sharded)[0], "not the other shard's to remove"
    mine = index(folder, {**base, "GROUNDQA_MILVUS_COLLECTION": sharded}, "--shard", f"{owner}/2")
    assert mine.wait(timeout=300) == 0
    assert "survey/comets.txt" not in stored(milvus_uri, sharded)[0]
