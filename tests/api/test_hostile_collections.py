"""Issue 39, findings 8 and 9: a hostile client against collections, ids and the access log, each
through a real loopback server with fake models (tests/api/fast_server.py)."""

from __future__ import annotations

import logging
import os
import re
import time

import httpx
import pytest

from tests.api.fast_server import API_KEY, HANDBOOK, fast_server

ADMIN = {"X-API-Key": API_KEY}
SECRET_READ, SECRET_WRITE = "secret-read-key-0123456789", "secret-write-key-0123456789"
OTHER_READ = "other-read-key-0123456789"


def open_descriptors() -> int:
    """The server's open file descriptors: the fast server runs in this process."""
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


@pytest.fixture
def server(tmp_path):
    with fast_server(tmp_path / "index", rate_limit_per_minute=0) as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


# -- finding 8: descriptors grow with collections ------------------------------------------------
def test_descriptors_stay_bounded_however_many_collections_exist(tmp_path):
    """306 collections once took the server from 19 to 935 descriptors (each open collection kept
    its feedback database open, and listing opened them all), then writes failed with EMFILE."""
    with fast_server(tmp_path / "index", rate_limit_per_minute=0, feedback_per_hour=0, max_open_collections=10) \
            as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        verdict = {"question": "Is anything here?", "verdict": "not_found_but_should"}
        before = open_descriptors()
        for number in range(150):
            created = http.post("/v1/collections", headers=ADMIN, json={"name": f"c{number}"})
            assert created.status_code == 201, created.text
            sent = http.post(f"/v1/collections/c{number}/feedback", json=verdict)  # opens its database
            assert sent.status_code == 201, sent.text
        created_all = open_descriptors()
        listed = http.get("/v1/collections", headers=ADMIN)
        assert listed.status_code == 200 and len(listed.json()["collections"]) == 151
        after_listing = open_descriptors()
        print(f"descriptors: {before} before, {created_all} after 150 collections, {after_listing} after listing")
        # at most 10 open collections with 3 descriptors each (SQLite, WAL, shared memory), and slack
        assert created_all - before <= 3 * 10 + 10
        assert after_listing <= created_all + 2, "listing keeps no collection open"
        assert len(server.engine.open_counts()) <= 1 + 10
        # a closed collection opens again on its next request, with what it held
        assert http.post("/v1/collections/c0/documents", headers=ADMIN,
                         json={"doc_id": "x", "text": "The pier opens at dawn."}).status_code == 201
        assert http.get("/v1/collections/c0/feedback", headers=ADMIN).json()["total"] == 1
        assert http.post("/v1/collections", headers=ADMIN, json={"name": "one_more"}).status_code == 201
        assert open_descriptors() - before <= 3 * 10 + 10


def test_a_collection_in_use_is_not_closed_as_idle(tmp_path):
    with fast_server(tmp_path / "index", rate_limit_per_minute=0, max_open_collections=1) as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        for name in ("first", "second"):
            assert http.post("/v1/collections", headers=ADMIN, json={"name": name}).status_code == 201
        with server.engine.using("first") as first:  # a request holding it, as a slow upload would
            assert http.get("/v1/collections/second/documents").status_code == 200
            assert not first.closed, "in use: kept open beyond the bound"
        assert http.get("/v1/collections/second/documents").status_code == 200
        deadline = time.monotonic() + 5  # idle ones are closed once a response is sent: soon after
        while not first.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.closed and sorted(server.engine.open_counts()) == ["default", "second"]
        assert server.engine.settings.max_open_collections == 1


def test_the_open_collection_bound_has_a_sensible_default():
    from groundqa.settings import Settings

    assert 8 <= Settings().max_open_collections <= 256


# -- finding 9 -----------------------------------------------------------------------------------
def test_a_name_with_a_trailing_newline_is_refused(http):
    from groundqa.errors import InvalidCollection
    from groundqa.service.collections import validate_name

    refused = http.post("/v1/collections", headers=ADMIN, json={"name": "abc\n"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_collection", refused.text
    with pytest.raises(InvalidCollection):
        validate_name("abc\n")
    assert http.get("/v1/collections/abc%0A/documents", headers=ADMIN).status_code == 422
    assert [c["name"] for c in http.get("/v1/collections", headers=ADMIN).json()["collections"]] == ["default"]


def test_uploads_to_a_named_collection_get_the_upload_limit(tmp_path):
    with fast_server(tmp_path / "index", max_upload_bytes=300_000) as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:
        assert http.post("/v1/collections", headers=ADMIN, json={"name": "files"}).status_code == 201
        text = (HANDBOOK + "\n") * (100_000 // len(HANDBOOK))  # about 100 KB: over 64 KiB, under the limit
        assert 64 * 1024 < len(text) < 300_000
        upload = http.post("/v1/collections/files/documents", headers=ADMIN,
                           files={"file": ("big.txt", text.encode(), "text/plain")})
        assert upload.status_code == 201, upload.text
        as_json = http.post("/v1/collections/files/documents", headers=ADMIN, json={"doc_id": "big", "text": text})
        assert as_json.status_code == 201, as_json.text
        too_big = http.post("/v1/collections/files/documents", headers=ADMIN,
                            files={"file": ("huge.txt", b"x" * 400_000, "text/plain")})
        assert too_big.status_code == 413
        asked = http.post("/v1/collections/files/ask", json={"question": "x" * 70_000})  # not an upload
        assert asked.status_code == 413


def test_control_characters_from_the_path_are_escaped_in_the_access_log(http, caplog):
    caplog.set_level(logging.INFO, logger="groundqa.access")
    assert http.get("/v1/documents/evil%1b%5b31mRED%0d%0aGET%20/fake%20200%e2%80%aegnp.exe").status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "groundqa.access"]
    line = next(line for line in lines if "evil" in line)
    assert not re.search(r"[\x00-\x1f\x7f\u202e]", line), line
    # CR and LF never get this far (Starlette's request.url drops them); ESC and U+202E do, escaped
    assert "/v1/documents/evil\\x1b[31mREDGET /fake 200\\u202egnp.exe 404" in line


def test_unknown_and_private_collections_answer_alike_without_the_key(http):
    assert http.post("/v1/collections", headers=ADMIN,
                     json={"name": "secret", "read_key": SECRET_READ, "write_key": SECRET_WRITE}).status_code == 201
    other = {"name": "other", "read_key": OTHER_READ}
    assert http.post("/v1/collections", headers=ADMIN, json=other).status_code == 201
    assert http.post("/v1/collections/secret/documents", headers=ADMIN,
                     json={"doc_id": "plan", "text": "The plan is secret."}).status_code == 201
    requests = [("GET", "", None), ("GET", "/documents", None), ("GET", "/documents/plan", None),
                ("GET", "/view/plan", None), ("POST", "/ask", {"question": "What is the plan?"}),
                ("POST", "/ask/stream", {"question": "What is the plan?"}), ("GET", "/search?q=plan", None),
                ("POST", "/documents", {"doc_id": "x", "text": "x"}), ("DELETE", "/documents/plan", None),
                ("PATCH", "/documents/plan", {"text": "y"}), ("GET", "/feedback", None),
                ("POST", "/feedback", {"question": "Plan?", "verdict": "wrong"})]
    for headers in ({}, {"X-API-Key": "made-up-key-0123456789"}, {"X-API-Key": OTHER_READ}):
        for method, tail, body in requests:
            private = http.request(method, f"/v1/collections/secret{tail}", json=body, headers=headers)
            unknown = http.request(method, f"/v1/collections/nosuch{tail}", json=body, headers=headers)
            where = f"{method} {tail} with {headers}"
            assert private.status_code == unknown.status_code == 404, where
            assert private.text.replace("secret", "nosuch") == unknown.text, where
            assert dict(private.headers).keys() == dict(unknown.headers).keys(), where
    assert http.get("/v1/collections/secret/documents/plan", headers={"X-API-Key": SECRET_READ}).status_code == 200
    refused = http.post("/v1/collections/secret/documents", headers={"X-API-Key": SECRET_READ},
                        json={"doc_id": "x", "text": "x"})
    assert refused.status_code == 403, "a key that reads it knows it exists: told why it may not write"
    assert http.delete("/v1/collections/secret/documents/plan", headers={"X-API-Key": SECRET_WRITE}).status_code == 204


def test_zero_width_and_full_width_twins_are_one_document_or_refused(http):
    report = {"doc_id": "report", "text": "The report is due."}
    assert http.post("/v1/documents", headers=ADMIN, json=report).status_code == 201
    full_width = http.post("/v1/documents", headers=ADMIN, json={"doc_id": "ｒｅｐｏｒｔ", "text": "A twin."})
    assert full_width.status_code == 409, full_width.text
    assert http.get("/v1/documents/ｒｅｐｏｒｔ").json()["doc_id"] == "report"
    upload = http.post("/v1/documents", headers=ADMIN, data={"doc_id": "ｒｅｐｏｒｔ"},
                       files={"file": ("ｒｅｐｏｒｔ.txt", b"A twin.", "text/plain")})
    assert upload.status_code == 409, upload.text
    for twin in ("re\u200bport", "report\u200d", "\ufeffreport", "re\u00adport", "re\u2060port"):
        refused = http.post("/v1/documents", headers=ADMIN, json={"doc_id": twin, "text": "A twin."})
        assert refused.status_code == 422 and "format characters" in refused.json()["error"]["message"], twin
        assert http.put(f"/v1/documents/{twin}", headers=ADMIN, json={"text": "A twin."}).status_code in (404, 422)
    ids = [d["doc_id"] for d in http.get("/v1/documents").json()["documents"]]
    assert [i for i in ids if "port" in i] == ["report"]
    replaced = http.put("/v1/documents/ｒｅｐｏｒｔ", headers=ADMIN, json={"text": "Replaced."})
    assert replaced.status_code == 200 and replaced.json()["doc_id"] == "report"
    # titles refuse bidirectional controls as ids do
    for sent in ({"json": {"doc_id": "t1", "title": "Invoice\u202efdp.exe", "text": "x"}},
                 {"files": {"file": ("t2.txt", b"x", "text/plain")}, "data": {"title": "a\u2066b"}}):
        refused = http.post("/v1/documents", headers=ADMIN, **sent)
        assert refused.status_code == 422 and "title" in refused.json()["error"]["message"], refused.text
    patched = http.patch("/v1/documents/report", headers=ADMIN, json={"title": "\u202egnp.exe"})
    assert patched.status_code == 422
    assert http.get("/v1/documents/report").json()["title"] != "\u202egnp.exe"


def test_an_id_ending_in_view_is_fetchable_and_so_is_its_viewer(http):
    assert http.post("/v1/documents", headers=ADMIN,
                     json={"doc_id": "notes/view", "text": "The view from the tower is wide."}).status_code == 201
    fetched = http.get("/v1/documents/notes/view")
    assert fetched.status_code == 200 and fetched.json()["doc_id"] == "notes/view", fetched.text
    page = http.get("/v1/view/notes/view", params={"start": 4, "end": 8})
    assert page.status_code == 200 and '<mark id="cited">view</mark>' in page.text
    # the same in a named collection
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "towers"}).status_code == 201
    assert http.post("/v1/collections/towers/documents", headers=ADMIN,
                     json={"doc_id": "a/view", "text": "Tower A."}).status_code == 201
    assert http.get("/v1/collections/towers/documents/a/view").json()["doc_id"] == "a/view"
    assert "Tower A." in http.get("/v1/collections/towers/view/a/view").text
    # old viewer links still work where no document has the longer id
    old = http.get("/v1/documents/guide/handbook/view", params={"start": 0, "end": 7})
    assert old.status_code == 307 and old.headers["location"] == "/v1/view/guide/handbook?start=0&end=7"
    followed = http.get("/v1/documents/guide/handbook/view", params={"start": 0, "end": 7}, follow_redirects=True)
    assert followed.status_code == 200 and '<mark id="cited">Welcome</mark>' in followed.text
    assert http.get("/v1/collections/towers/documents/a/view/view").headers["location"] == \
        "/v1/collections/towers/view/a/view"
    assert http.get("/v1/documents/no/such/view").status_code == 404
    assert http.get("/v1/view/no/such").status_code == 404
