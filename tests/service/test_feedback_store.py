"""The feedback stores' contract: SQLite beside a FAISS index, a Milvus collection beside a Milvus
index (Lite file and server: replicas sharing a server see each other's verdicts)."""

import uuid

import pytest

from groundqa.errors import FeedbackFull, InvalidFeedback
from groundqa.service.feedback import MAX_ENTRY_BYTES, Feedback, MilvusFeedback, SqliteFeedback, all_feedback

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
def test_store_keeps_verdicts_in_arrival_order_and_refuses_when_key_holders_sent_all(kind, tmp_path, request):
    prefix = "f" + uuid.uuid4().hex[:10]
    store = open_store(kind, tmp_path, request, prefix, max_entries=4)
    sent = [Feedback("Who runs the warehouse?", "correct", "Priya Raman", "guide/handbook", 10, 21, sender="key:a"),
            Feedback("Who runs the warehouse?", "wrong", "Ziggy", "zoo/zebra", 10, 15, note="a zebra", sender="key:a"),
            Feedback("What is the capital of France?", "correct", sender="key:b"),
            Feedback("When is lunch?", "not_found_but_should", sender="key:b")]
    stored = [store.add(entry) for entry in sent]
    assert len({entry.id for entry in stored}) == 4 and all(entry.received > 0 for entry in stored)
    with pytest.raises(FeedbackFull, match="maximum of 4"):
        store.add(Feedback("One more?", "correct"))
    assert all_feedback(store.page, size=3) == stored
    assert store.page(1, 2) == (4, stored[1:3])
    if kind == "milvus-server":  # another replica on the same server reads the same verdicts
        assert all_feedback(open_store(kind, tmp_path, request, prefix).page) == stored
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("milvus-lite", marks=MILVUS)])
def test_store_beyond_its_limit_replaces_the_oldest_anonymous_verdicts(kind, tmp_path, request):
    store = open_store(kind, tmp_path, request, "f" + uuid.uuid4().hex[:10], max_entries=3)
    kept = store.add(Feedback("Key holder's?", "correct", sender="key:a"))
    for number in range(5):
        store.add(Feedback(f"Anonymous {number}?", "correct", sender=f"ip:{number}" if number % 2 else None))
    assert [f.question for f in all_feedback(store.page)] == ["Key holder's?", "Anonymous 3?", "Anonymous 4?"]
    assert all_feedback(store.page)[0] == kept
    with pytest.raises(InvalidFeedback, match="bytes"):
        store.add(Feedback("Too long?", "correct", note="x" * MAX_ENTRY_BYTES))
    assert store.page(0, 10)[0] == 3
    store.close()
