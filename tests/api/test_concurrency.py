"""Asks running while documents are added and deleted: no errors, no torn reads, no stale citations."""

import threading

import pytest

pytestmark = pytest.mark.slow

FLIP_TEXT = "The lighthouse keeper on Fogg Island is Margit Olsen."


def test_asks_during_writes_stay_consistent(client, auth):
    failures: list[str] = []
    stop = threading.Event()

    def writer():
        for _ in range(4):
            for response in (client.post("/v1/documents", json={"doc_id": "flip", "text": FLIP_TEXT}, headers=auth),
                             client.delete("/v1/documents/flip", headers=auth)):
                if response.status_code not in (201, 204):
                    failures.append(f"write {response.status_code}: {response.text}")
        stop.set()

    def asker():
        while not stop.is_set():
            response = client.post("/v1/ask", json={"question": "Who is the lighthouse keeper on Fogg Island?"})
            if response.status_code != 200:
                failures.append(f"ask {response.status_code}: {response.text}")
                continue
            for answer in response.json()["answers"]:
                citation = answer["citation"]
                if citation["doc_id"] == "flip" and FLIP_TEXT[citation["start"]:citation["end"]] != answer["text"]:
                    failures.append(f"torn citation: {answer}")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=asker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures[:3]
    assert client.get("/v1/documents").json()["total"] == 1, "every added document was deleted again"
    after = client.post("/v1/ask", json={"question": "Who is the lighthouse keeper on Fogg Island?"}).json()
    assert all(a["citation"]["doc_id"] != "flip" for a in after["answers"])
