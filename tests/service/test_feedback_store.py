"""The feedback stores' contract: SQLite beside a FAISS index, a Milvus collection beside a Milvus
index (Lite file and server: replicas sharing a server see each other's verdicts)."""

import uuid

import pytest

from groundqa.errors import FeedbackFull
from groundqa.service.feedback import Feedback, MilvusFeedback, SqliteFeedback, all_feedback

MILVUS = pytest.mark.slow


def open_store(kind, tmp_path, request, prefix, max_entries=100):
    if kind == "sqlite":
        return SqliteFeedback(tmp_path / "feedback.sqlite3", max_entries)
    pytest.importorskip("pymilvus")
    from pymilvus import MilvusClient

    uri = request.getfixturevalue("milvus_uri") if kind == "milvus-server" else str(tmp_path / "milvus.db")
    client = MilvusClient(uri)
    request.addfinalizer(client.close)
    return MilvusFeedback(client, prefix, max_entries)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("milvus-lite", marks=MILVUS),
                                  pytest.param("milvus-server", marks=MILVUS)])
def test_store_keeps_verdicts_in_arrival_order_and_refuses_beyond_its_limit(kind, tmp_path, request):
    prefix = "f" + uuid.uuid4().hex[:10]
    store = open_store(kind, tmp_path, request, prefix, max_entries=4)
    sent = [Feedback("Who runs the warehouse?", "correct", "Priya Raman", "guide/handbook", 10, 21),
            Feedback("Who runs the warehouse?", "wrong", "Ziggy", "zoo/zebra", 10, 15, note="a zebra"),
            Feedback("What is the capital of France?", "correct"),
            Feedback("When is lunch?", "not_found_but_should")]
    stored = [store.add(entry) for entry in sent]
    assert len({entry.id for entry in stored}) == 4 and all(entry.received > 0 for entry in stored)
    with pytest.raises(FeedbackFull, match="maximum of 4"):
        store.add(Feedback("One more?", "correct"))
    assert all_feedback(store.page, size=3) == stored
    assert store.page(1, 2) == (4, stored[1:3])
    if kind == "milvus-server":  # another replica on the same server reads the same verdicts
        assert all_feedback(open_store(kind, tmp_path, request, prefix).page) == stored
    store.close()
