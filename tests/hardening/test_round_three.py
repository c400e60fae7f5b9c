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
