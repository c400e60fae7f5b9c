"""`groundqa scale`: every index type measured against exact search, Milvus included."""

import json

import pytest

from groundqa.cli import main

pytestmark = pytest.mark.slow  # a Milvus server and indexes of thousands of vectors: about 20 s


def test_scale_reports_latency_memory_and_recall_against_exact_search(tmp_path, capsys, milvus_uri, monkeypatch):
    monkeypatch.setenv("GROUNDQA_FAISS_IVF_FROM_CHUNKS", "2000")  # the project's store moves to IVF at 2,000
    out = tmp_path / "scale.json"
    assert main(["scale", "--sizes", "3000", "--queries", "20", "--milvus", "--milvus-uri", milvus_uri,
                 "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["3000"]
    assert set(rows) >= {"flat", "hnsw32 ef64", "milvus-lite", "milvus-server"} and any(name.startswith("ivf") for name in rows)
    assert rows["flat"]["recall_at_10"] == 100.0  # exact search is the yardstick
    assert {"store ivf76 nprobe16", "store ivf76 nprobe32", "store ivf76 nprobe64"} <= set(rows)
    assert rows["store ivf76 nprobe64"]["recall_at_10"] >= rows["store ivf76 nprobe16"]["recall_at_10"]
    for name, row in rows.items():
        assert 0 < row["search_p50_ms"] <= row["search_p95_ms"], name
        assert 50 <= row["recall_at_10"] <= 100, name
    assert rows["milvus-lite"]["recall_at_10"] >= 95 and rows["milvus-server"]["recall_at_10"] >= 95  # exact at this size
    assert "milvus-lite" in capsys.readouterr().out
