"""What a third hostile-client round found could stop the whole service (issue 39), each reproduced
through a real HTTP server. The fake-model server (tests/api/fast_server.py) serves the ones that
need no model; tests that need the real reader and verifier are marked slow."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx

from tests.api.fast_server import API_KEY, fast_server


def open_stream_and_drop(url: str) -> None:
    """POST /v1/ask/stream, read the first bytes of the answer, then hang up."""
    parts = urlsplit(url)
    body = b'{"question": "Who is the warehouse manager?"}'
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(b"POST /v1/ask/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert connection.recv(64).startswith(b"HTTP/1.1 200")


def test_dropped_streams_release_their_slots_and_locks(tmp_path):
    # Two slots, and an ask that finds none waits one second before its 503.
    with fast_server(tmp_path / "index", max_concurrent_asks=2, queue_wait_s=1) as server, \
            httpx.Client(base_url=server.url, timeout=30, headers={"X-API-Key": API_KEY}) as http:
        assert http.post("/v1/ask", json={"question": "Who is the warehouse manager?"}).status_code == 200  # warm
        read = server.reader.read
        server.reader.read = lambda *args: (time.sleep(0.3), read(*args))[1]  # the client leaves while it reads
        open_stream_and_drop(server.url)
        open_stream_and_drop(server.url)
        time.sleep(0.5)  # the reads end
        asked = http.post("/v1/ask", json={"question": "Where is lunch served?"})
        assert asked.status_code == 200, asked.text
        written = http.post("/v1/documents", json={"doc_id": "notes/new", "text": "The canteen opens at noon."})
        assert written.status_code in (200, 201), written.text
        assert http.post("/v1/ask", json={"question": "When does the canteen open?"}).status_code == 200


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def test_a_run_of_dots_is_chunked_in_linear_time(tmp_path):
    """Chunking's sentence ends were found in quadratic time, holding the GIL: a 20 KB run of dots
    blocked every request for seconds. Writing four times the dots now takes about as long."""
    with fast_server(tmp_path / "index") as server, \
            httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": API_KEY}) as http:
        def write(doc_id: str, dots: int) -> None:
            text = "Dots follow" + "." * dots + " and end"  # no sentence starts after them
            response = http.post("/v1/documents", json={"doc_id": doc_id, "text": text})
            assert response.status_code in (200, 201), response.text

        write("warm", 100)
        small, large = _seconds(lambda: write("small", 5_000)), _seconds(lambda: write("large", 20_000))
        assert large < 4 * small + 0.05, (small, large)  # quadratic: 16 times


def test_sent_structure_is_bounded(tmp_path):
    """5,000 sections sent with a document made one ask take 16 s: past the limit they are refused with
    a message naming it, and as many as the limit allows cost an ask next to nothing."""
    from groundqa.index.sections import MAX_SENT_STRUCTURE

    text = "Heading line. " * 20 + "The vault code is 4412."
    sections = [[i * 14, i * 14 + 12, level, "Heading line"] for i, level in zip(range(20), range(1, 21))]
    with fast_server(tmp_path / "index", answer_cache_size=0) as server, \
            httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": API_KEY}) as http:
        refused = http.post("/v1/documents", json={"doc_id": "big", "text": text,
                                                   "meta": {"sections": sections * 300}})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "invalid_document"
        assert "meta.sections" in refused.json()["error"]["message"] and str(MAX_SENT_STRUCTURE) in refused.text
        patched = http.patch("/v1/documents/guide/handbook", json={"meta": {"steps": [[0, 5]] * (MAX_SENT_STRUCTURE + 1)}})
        assert patched.status_code == 422, patched.text

        def ask() -> None:
            assert http.post("/v1/ask", json={"question": "What is the vault code?"}).status_code == 200

        http.post("/v1/documents", json={"doc_id": "plain", "text": text})
        ask()
        plain = min(_seconds(ask) for _ in range(3))
        http.delete("/v1/documents/plain")
        increasing_levels = [[i * 14, i * 14 + 12, i + 1, "Heading line"] for i in range(20)]
        many = (increasing_levels * (MAX_SENT_STRUCTURE // 20))[:MAX_SENT_STRUCTURE]
        assert http.post("/v1/documents", json={"doc_id": "sections", "text": text,
                                                "meta": {"sections": many}}).status_code in (200, 201)
        ask()
        structured = min(_seconds(ask) for _ in range(3))
        assert structured < 3 * plain + 0.05, (plain, structured)


def test_a_grown_answer_is_trimmed_in_linear_time(tmp_path):
    """An answer grown over a run of "a.a.a." was trimmed in quadratic time (16 KB blocked /healthz
    for 2 s): asking over four times the run now takes about as long."""
    with fast_server(tmp_path / "index", answer_cache_size=0) as server, \
            httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": API_KEY}) as http:
        def ask_over(units: int) -> float:
            text = "Zorblat code " + "a." * units + "1."
            assert http.post("/v1/documents", json={"doc_id": "run", "text": text}).status_code in (200, 201)
            seconds = min(_seconds(lambda: http.post("/v1/ask", json={"question": "What is the zorblat code?"}))
                          for _ in range(2))
            assert http.delete("/v1/documents/run").status_code == 204
            return seconds

        small, large = ask_over(2_000), ask_over(8_000)
        assert large < 4 * small + 0.05, (small, large)
