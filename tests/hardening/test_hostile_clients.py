"""What a hostile or careless client tried against a real server (issue: hardening, round two).
Each test fails on the server before these fixes and is bounded in time."""

import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import unicodedata

import httpx
import pytest

from groundqa.eval.stats import percentile
from tests.hardening.hostile import block_heavy_html, pdf_bomb
from tests.servers import groundqa_server, is_starting

pytestmark = pytest.mark.slow
KEY = "hostile-key"
PARSE_TIMEOUT_S = 8
ORIGIN = "https://allowed.example"
QUESTION = "Who is the president of Microsoft?"


@pytest.fixture(scope="module")
def server(real_settings, corpus_pipeline, tmp_path_factory):
    """One server for the module: the corpus index, a write key, CORS for one origin, no rate limit,
    a short parse budget. Yields (url, log file, index dir)."""
    index_dir = tmp_path_factory.mktemp("hostile") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    log_path = index_dir.parent / "server.log"
    env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY, "GROUNDQA_RATE_LIMIT_PER_MINUTE": "0",
           "GROUNDQA_CORS_ORIGINS": json.dumps([ORIGIN]), "GROUNDQA_PARSE_TIMEOUT_S": str(PARSE_TIMEOUT_S),
           "GROUNDQA_ANSWER_CACHE_SIZE": "0"}
    with groundqa_server(env, log_path=str(log_path)) as (url, ready):
        assert ready.status_code == 200, ready.text
        yield url, log_path, index_dir


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


class Asker(threading.Thread):
    """Asks one question over and over, and pings /healthz, until stopped; keeps the latencies."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.ask_s, self.health_s, self.failures = url, threading.Event(), [], [], []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                for path, times in (("/healthz", self.health_s), ("/v1/ask", self.ask_s)):
                    started = time.perf_counter()
                    response = http.post(path, json={"question": QUESTION}) if path == "/v1/ask" else http.get(path)
                    times.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        self.failures.append(response.text)


def p95(values: list[float]) -> float:
    return percentile(values, 95)


def test_hostile_uploads_neither_stall_the_server_nor_change_the_index(server):
    """Asks and /healthz during the uploads are compared with the asks measured just before them, on
    the same server: a parse that held the server would hold them for seconds."""
    url, _, _ = server
    asker = Asker(url)
    with httpx.Client(base_url=url, timeout=300, headers={"X-API-Key": KEY}) as http:
        before = http.get("/v1/documents").json()["total"]
        asker.start()
        deadline = time.monotonic() + 120
        while len(asker.ask_s) < 5 and time.monotonic() < deadline:  # a few asks before the uploads, to compare with
            time.sleep(0.1)
        ordinary = list(asker.ask_s)
        asks_before, health_before = len(asker.ask_s), len(asker.health_s)
        started = time.perf_counter()
        bomb = http.post("/v1/documents", files={"file": ("bomb.pdf", pdf_bomb())})
        bomb_s = time.perf_counter() - started
        started = time.perf_counter()
        page = http.post("/v1/documents", files={"file": ("big.html", block_heavy_html(15 * 1024 * 1024))})
        page_s = time.perf_counter() - started
        asker.stop.set()
        asker.join()
        after = http.get("/v1/documents").json()["total"]

    # Refused at its parse budget (the message says which limit it hit), not read to its end.
    assert f"longer than {PARSE_TIMEOUT_S} s" in error_of(bomb, 422)["message"]
    assert page.status_code in (201, 422), page.text  # read within its budget, or refused saying why
    assert after == before + (page.status_code == 201)
    assert not asker.failures, asker.failures[:3]
    during, health_during = asker.ask_s[asks_before:], asker.health_s[health_before:]
    assert len(during) >= 10, len(during)
    usual = statistics.median(ordinary)
    print(f"uploads: bomb {bomb_s:.1f} s, 15 MB page {page_s:.1f} s ({page.status_code}); asks before: p50 "
          f"{usual * 1000:.0f} ms; {len(during)} asks during: p50 {statistics.median(during) * 1000:.0f} ms "
          f"p95 {p95(during) * 1000:.0f} ms; /healthz max {max(health_during) * 1000:.0f} ms")
    # Side by side: the asks during the uploads against the ordinary asks just before them.
    assert p95(during) < 10 * usual and max(health_during) < 10 * usual, (usual, p95(during), max(health_during))


def test_a_made_up_key_gets_no_bucket_of_its_own(real_settings, corpus_pipeline, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY, "GROUNDQA_RATE_LIMIT_PER_MINUTE": "3"}
    with groundqa_server(env) as (url, _):
        statuses = [httpx.get(f"{url}/v1/documents", headers={"X-API-Key": f"invented-{n}"}).status_code
                    for n in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        assert httpx.get(f"{url}/v1/documents", headers={"X-API-Key": KEY}).status_code == 200


def chunked(total_bytes: int, piece: int = 64 * 1024):
    sent = 0
    while sent < total_bytes:
        yield b"a" * piece
        sent += piece


def resident_mb(http: httpx.Client) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("process_resident_memory_bytes"):
            return float(line.split()[1]) / 2**20
    raise AssertionError("no process_resident_memory_bytes in /metrics")


def test_every_request_body_is_capped_before_parsing(server):
    url, _, _ = server
    with httpx.Client(base_url=url, timeout=60) as http:
        memory_before = resident_mb(http)
        # The client's timeout only guards against a hang; that the body is never held is the memory check below.
        streamed = http.post("/v1/ask", content=chunked(200 * 1024 * 1024), headers={"Content-Type": "application/json"})
        assert "larger than the" in error_of(streamed, 413)["message"]
        declared = http.post("/v1/ask", content=b"{" + b" " * 100_000 + b"}", headers={"Content-Type": "application/json"})
        error_of(declared, 413)
        upload = http.post("/v1/documents", headers={"X-API-Key": KEY, "Content-Type": "application/json"},
                           content=chunked(40 * 1024 * 1024))
        error_of(upload, 413)
        assert resident_mb(http) - memory_before < 50
        assert http.post("/v1/ask", json={"question": QUESTION}).status_code == 200


def test_nested_filters_and_json_get_a_422_or_400_that_says_so(server):
    url, _, _ = server
    deep_filter = '{"a":' * 1000 + "1" + "}" * 1000
    with httpx.Client(base_url=url, timeout=60) as http:
        assert "characters" in error_of(http.get("/v1/search", params={"q": "ban", "filters": deep_filter}), 422)["message"]
        shallow_deep = '{"a":' * 500 + "1" + "}" * 500  # short enough to parse, too deep to use
        assert "string, number or boolean" in error_of(http.get("/v1/search", params={"q": "ban", "filters": shallow_deep}),
                                                       422)["message"]
        many = json.dumps({f"k{n}": n for n in range(40)})
        assert "at most 32 filters" in error_of(http.get("/v1/search", params={"q": "ban", "filters": many}), 422)["message"]
        nested_body = b'{"question": "Who?", "filters": ' + b"[" * 3000 + b"]" * 3000 + b"}"
        message = error_of(http.post("/v1/ask", content=nested_body, headers={"Content-Type": "application/json"}),
                           400)["message"]
        assert "nested too deeply" in message and "UTF-8" not in message
        error_of(http.post("/v1/ask", json={"question": "Who?", "filters": {"a": {"b": 1}}}), 422)
        error_of(http.post("/v1/ask", json={"question": "Who?", "filters": {f"k{n}": n for n in range(40)}}), 422)


def test_server_paths_stay_out_of_responses(tmp_path, real_settings, corpus_pipeline):
    folder = tmp_path / "site" / "handbook"
    folder.mkdir(parents=True)
    (folder / "hours.txt").write_text("The office opens at 9 am on weekdays.")
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    indexed = subprocess.run([sys.executable, "-m", "groundqa.cli", "index", "--quiet", "--index-dir", str(index_dir),
                              str(folder)], capture_output=True, text=True, timeout=300)
    assert indexed.returncode == 0, indexed.stderr
    with groundqa_server({"GROUNDQA_INDEX_DIR": str(index_dir)}) as (url, _):
        listed = httpx.get(f"{url}/v1/documents").json()
        answer = httpx.post(f"{url}/v1/ask", json={"question": "When does the office open?"}, timeout=30).json()
        shown = httpx.get(f"{url}/v1/documents/handbook/hours.txt").json()
    assert {d["source"] for d in listed["documents"]} >= {"handbook/hours.txt"}
    assert answer["answers"][0]["citation"]["source"] == "handbook/hours.txt"
    for body in (listed, answer, shown):
        assert str(tmp_path) not in json.dumps(body)


def test_keys_and_user_text_stay_out_of_the_log(server):
    url, log_path, _ = server
    secret_text = "zebra-question-7781"
    with httpx.Client(base_url=url, timeout=60) as http:
        http.get("/v1/search", params={"q": secret_text, "api_key": "leaked-key-991"})
        http.post("/v1/ask", json={"question": f"What is {secret_text}?"})
        http.get("/healthz")
    time.sleep(0.5)
    log = log_path.read_text()
    assert "GET /v1/search?... 200" in log  # the request is logged...
    assert secret_text not in log and "leaked-key-991" not in log  # ...its text and keys are not


def test_refusals_made_before_the_app_are_in_the_error_shape(server):
    url, _, _ = server
    with httpx.Client(base_url=url, timeout=60) as http:
        preflight = http.options("/v1/ask", headers={"Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})
        assert "origin" in error_of(preflight, 400)["message"]
        allowed = http.options("/v1/ask", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
        error_of(http.get("/v1/search", params={"q": "x" * 5000}), 422)  # long, but parsed: the app refuses it
    host, port = url.removeprefix("http://").split(":")
    for request in (b"GET /v1/search?q=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",  # too long to parse
                    b"\x16\x03\x01 definitely not http\r\n\r\n"):  # not HTTP at all
        with socket.create_connection((host, int(port)), timeout=10) as raw:  # httpx refuses to send these
            raw.sendall(request)
            reply = raw.makefile("rb").read()
        head, body = reply.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 400") and b"content-type: application/json" in head.lower()
        assert "URL or headers" in json.loads(body)["error"]["message"]


def test_health_answers_while_the_models_load(real_settings, corpus_pipeline, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    started = time.monotonic()
    with groundqa_server({"GROUNDQA_INDEX_DIR": str(index_dir)}, wait_until_ready=False) as (url, first):
        listening_s = time.monotonic() - started
        health = httpx.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 200
        assert first.status_code == 503 and is_starting(first), first.text
        assert first.headers["Retry-After"]
        assert "starting" in error_of(httpx.post(f"{url}/v1/ask", json={"question": QUESTION}), 503)["code"]
        deadline = time.monotonic() + 120
        while is_starting(ready := httpx.get(f"{url}/readyz", timeout=5)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready.status_code == 200, ready.text
        ready_s = time.monotonic() - started
    print(f"listening after {listening_s:.1f} s, ready after {ready_s:.1f} s")


def test_careless_ids_and_fields_are_refused_or_normalized(server):
    url, _, _ = server
    auth = {"X-API-Key": KEY}
    with httpx.Client(base_url=url, timeout=60, headers=auth) as http:
        assert "doc_id" in error_of(http.post("/v1/documents", json={"doc_id": "", "text": "Some text."}), 422)["message"]
        empty_form_id = http.post("/v1/documents", files={"file": ("e.txt", b"Some text.")}, data={"doc_id": ""})
        assert "doc_id must not be empty" in error_of(empty_form_id, 422)["message"]
        assert http.post("/v1/documents", json={"doc_id": "memo", "text": "The memo says hello."}).status_code == 201
        conflicting = http.put("/v1/documents/memo", files={"file": ("memo.txt", b"New text.")}, data={"doc_id": "other"})
        assert "differs" in error_of(conflicting, 422)["message"]
        long_title = http.post("/v1/documents", files={"file": ("t.txt", b"Titled.")}, data={"title": "T" * 1001})
        assert "title" in error_of(long_title, 422)["message"]
        assert "bidirectional" in error_of(http.post("/v1/documents", json={"doc_id": "evil\u202etxt.exe",
                                                                           "text": "x"}), 422)["message"]
        composed, decomposed = unicodedata.normalize("NFC", "caf\u00e9"), unicodedata.normalize("NFD", "caf\u00e9")
        assert composed != decomposed
        assert http.post("/v1/documents", json={"doc_id": composed, "text": "Coffee is served."}).status_code == 201
        again = http.post("/v1/documents", json={"doc_id": decomposed, "text": "Tea is served."})
        assert error_of(again, 409)["code"] == "document_exists"  # one document, however it was spelt
        assert http.get(f"/v1/documents/{decomposed}").json()["doc_id"] == composed
        for doc_id in ("memo", composed):
            assert http.delete(f"/v1/documents/{doc_id}").status_code == 204


def test_a_stored_table_line_is_read_in_linear_time(server):
    """Issue 39, finding 1: one table-like line whose cells hold several ": " made the verifier's row
    pattern backtrack exponentially (156 s an ask, the GIL held, /healthz blocked). Asked about now,
    it costs no more than a few ordinary asks (side by side, on the same server)."""
    url, _, _ = server
    line = "Widget prices" + " | price: 10: 20" * 24 + " | see note"
    with httpx.Client(base_url=url, timeout=600, headers={"X-API-Key": KEY}) as http:
        def ask(question: str) -> float:
            started = time.perf_counter()
            assert http.post("/v1/ask", json={"question": question}).status_code == 200
            return time.perf_counter() - started

        ordinary = min(ask(QUESTION) for _ in range(3))
        written = http.post("/v1/documents", json={"doc_id": "widget-prices", "text": f"Widget price list.\n{line}\n"})
        assert written.status_code in (200, 201), written.text
        try:
            hostile = ask("What are the widget prices?")
            assert hostile < 10 * ordinary + 1, (ordinary, hostile)
            assert http.get("/healthz").status_code == 200
        finally:
            http.delete("/v1/documents/widget-prices")
