"""Named collections over a real loopback server with fake models (fast): each answers only from
its own documents, keys open only their own collection, deleting one removes its index and nothing
else, a restart keeps them all. Replicas sharing Milvus: tests/api/test_replicas.py."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from groundqa.cli import main as groundqa
from groundqa.client import Client
from groundqa.errors import CollectionNotFound
from tests.api.fast_server import API_KEY, fast_server

ADMIN = {"X-API-Key": API_KEY}
ACME_READ, ACME_WRITE = "acme-read-key-0123456789", "acme-write-key-0123456789"
GLOBEX_READ = "globex-read-key-0123456789"
ACME_DOC = {"doc_id": "manual", "text": "The Acme rocket skates reach forty miles an hour. Refunds take ten days."}
GLOBEX_DOC = {"doc_id": "manual", "text": "The Globex hammock holds two hundred kilograms. Refunds take three weeks."}


@pytest.fixture
def server(tmp_path):
    with fast_server(tmp_path / "index", sync_interval_s=0.0) as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def make_two(http):
    acme = http.post("/v1/collections", headers=ADMIN,
                     json={"name": "acme", "read_key": ACME_READ, "write_key": ACME_WRITE})
    assert acme.status_code == 201, acme.text
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "globex", "read_key": GLOBEX_READ}).status_code == 201
    assert http.post("/v1/collections/acme/documents", json=ACME_DOC, headers={"X-API-Key": ACME_WRITE}).status_code == 201
    assert http.post("/v1/collections/globex/documents", json=GLOBEX_DOC, headers=ADMIN).status_code == 201


def best(http, collection, question, key):
    path = "/v1/ask" if collection is None else f"/v1/collections/{collection}/ask"
    response = http.post(path, json={"question": question}, headers={"X-API-Key": key} if key else {})
    assert response.status_code == 200, response.text
    body = response.json()
    return None if body["no_answer"] else (body["answers"][0]["text"], body["answers"][0]["citation"]["doc_id"])


def test_each_collection_answers_only_from_its_own_documents(http):
    make_two(http)
    assert best(http, "acme", "How long until refunds arrive?", ACME_READ) == ("Refunds take ten days", "manual")
    assert best(http, "globex", "How long until refunds arrive?", GLOBEX_READ) == ("Refunds take three weeks", "manual")
    assert best(http, None, "How long until refunds arrive?", None) is None, "the default collection holds neither"
    assert best(http, "acme", "How much does the hammock hold?", ACME_READ) is None
    found = http.get("/v1/collections/globex/search", params={"q": "rocket skates"},
                     headers={"X-API-Key": GLOBEX_READ}).json()["passages"]
    assert all("rocket" not in p["text"] for p in found)
    assert http.get("/v1/collections/acme/documents/manual", headers=ADMIN).json()["text"] == ACME_DOC["text"]
    assert http.get("/v1/documents/manual").status_code == 404


def test_keys_open_their_own_collection_only(http):
    make_two(http)
    ask = {"question": "How long until refunds arrive?"}
    # a private collection the key may not read answers as an unknown one would (tests/api/test_hostile_collections.py)
    assert http.post("/v1/collections/globex/ask", json=ask, headers={"X-API-Key": ACME_READ}).status_code == 404
    assert http.post("/v1/collections/acme/ask", json=ask, headers={"X-API-Key": GLOBEX_READ}).status_code == 404
    assert http.get("/v1/collections/globex/documents", headers={"X-API-Key": ACME_WRITE}).status_code == 404
    assert http.post("/v1/collections/acme/ask", json=ask).status_code == 404, "private: no key, no answer"
    assert http.post("/v1/collections/acme/ask", json=ask, headers={"X-API-Key": "made-up-key-0123456789"}).status_code == 404
    refused = http.post("/v1/collections/acme/documents", json={**ACME_DOC, "doc_id": "x"},
                        headers={"X-API-Key": ACME_READ})
    assert refused.status_code == 403 and "not change it" in refused.json()["error"]["message"]
    assert http.post("/v1/collections/globex/documents", json={**GLOBEX_DOC, "doc_id": "y"},
                     headers={"X-API-Key": GLOBEX_READ}).status_code == 403
    assert http.post("/v1/documents", json={"text": "x"}, headers={"X-API-Key": ACME_WRITE}).status_code == 403
    assert http.post("/v1/collections", json={"name": "mine"}, headers={"X-API-Key": ACME_WRITE}).status_code == 401
    assert http.delete("/v1/collections/acme", headers={"X-API-Key": ACME_WRITE}).status_code == 401
    # Feedback to a private collection needs its key; reading it, its write key.
    verdict = {"question": "How long until refunds arrive?", "verdict": "correct"}
    assert http.post("/v1/collections/acme/feedback", json=verdict).status_code == 404
    assert http.post("/v1/collections/acme/feedback", json=verdict, headers={"X-API-Key": ACME_READ}).status_code == 201
    assert http.get("/v1/collections/acme/feedback", headers={"X-API-Key": ACME_READ}).status_code == 403
    assert http.get("/v1/collections/acme/feedback", headers={"X-API-Key": ACME_WRITE}).json()["total"] == 1
    assert http.get("/v1/feedback", headers=ADMIN).json()["total"] == 0, "feedback stays in its collection"


def test_listing_shows_what_the_key_may_read(http):
    make_two(http)
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "public_faq"}).status_code == 201

    def names(headers):
        response = http.get("/v1/collections", headers=headers)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["collections"]]

    assert names({}) == ["default", "public_faq"]
    assert names({"X-API-Key": ACME_READ}) == ["acme", "default", "public_faq"]
    assert names(ADMIN) == ["acme", "default", "globex", "public_faq"]
    acme = http.get("/v1/collections/acme", headers={"X-API-Key": ACME_READ}).json()
    assert acme["documents"] == 1 and acme["chunks"] >= 1 and acme["private"] is True
    assert acme["calibration"].startswith("no verifier")
    assert http.get("/v1/collections/acme").status_code == 404


def test_deleting_a_collection_removes_its_index_and_nothing_else(server, http):
    make_two(http)
    folder = server.index_dir / "collections" / "acme"
    assert (folder / "collection.json").is_file() and any(folder.glob("v*")), "saved in its own directory"
    default_before = http.get("/v1/documents").json()["total"]
    assert http.delete("/v1/collections/acme", headers=ADMIN).status_code == 204
    assert not folder.exists()
    for path in ("/v1/collections/acme", "/v1/collections/acme/documents"):
        assert http.get(path, headers=ADMIN).status_code == 404
    assert http.post("/v1/collections/acme/ask", json={"question": "Refunds?"}).json()["error"]["code"] == \
        "collection_not_found"
    assert best(http, "globex", "How long until refunds arrive?", GLOBEX_READ) == ("Refunds take three weeks", "manual")
    assert http.get("/v1/documents").json()["total"] == default_before
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "acme"}).status_code == 201
    assert http.get("/v1/collections/acme/documents").json()["total"] == 0, "a new collection of that name is empty"


def test_a_restart_keeps_every_collection(tmp_path):
    index_dir = tmp_path / "index"
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        make_two(http)
        assert http.post("/v1/collections", headers=ADMIN, json={"name": "empty_one"}).status_code == 201
    with fast_server(index_dir) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert [c["name"] for c in http.get("/v1/collections", headers=ADMIN).json()["collections"]] == [
            "acme", "default", "empty_one", "globex"]
        assert best(http, "acme", "How long until refunds arrive?", ACME_READ) == ("Refunds take ten days", "manual")
        assert http.post("/v1/collections/globex/ask", json={"question": "x?"},
                         headers={"X-API-Key": ACME_READ}).status_code == 404, "keys survive too"


@pytest.mark.parametrize("body, status, code", [
    ({"name": "Acme"}, 422, "invalid_collection"),
    ({"name": "a-b"}, 422, "invalid_collection"),
    ({"name": "x" * 49}, 422, "invalid_collection"),
    ({"name": "default"}, 409, "collection_exists"),
    ({"name": "ok", "read_key": "short"}, 422, "invalid_request"),
    ({"name": "ok", "verifier": {"feature_version": -1}}, 422, "invalid_collection"),
])
def test_bad_collections_are_refused(http, body, status, code):
    response = http.post("/v1/collections", json=body, headers=ADMIN)
    assert response.status_code == status and response.json()["error"]["code"] == code, response.text
    assert [c["name"] for c in http.get("/v1/collections").json()["collections"]] == ["default"]


def test_the_default_collection_cannot_be_deleted_and_unknown_ones_are_404(http):
    assert http.delete("/v1/collections/default", headers=ADMIN).status_code == 422
    assert http.delete("/v1/collections/nope", headers=ADMIN).status_code == 404
    assert http.post("/v1/collections/nope/ask", json={"question": "x?"}).status_code == 404
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "twice"}).status_code == 201
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "twice"}).status_code == 409


def test_a_collections_own_verifier_is_used_and_described(http):
    from groundqa.wiring import SHIPPED_VERIFIER

    verifier = json.loads(SHIPPED_VERIFIER.read_text())
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "calibrated", "verifier": verifier}).status_code == 201
    described = http.get("/v1/collections/calibrated").json()
    assert described["calibration"].startswith("its own verifier (fitted on ")
    assert http.get("/v1/collections/default").json()["calibration"].startswith("no verifier")


def test_a_verifier_fitted_for_another_reader_is_refused_when_the_collection_is_made(http):
    from groundqa.wiring import SHIPPED_VERIFIER

    verifier = json.loads(SHIPPED_VERIFIER.read_text())
    verifier["fitted_for"] = {**verifier["fitted_for"], "reader": "0123456789abcdef"}
    response = http.post("/v1/collections", headers=ADMIN, json={"name": "misfit", "verifier": verifier})
    assert response.status_code == 422 and "fitted for the reader 0123456789abcdef" in response.text
    assert http.get("/v1/collections/misfit", headers=ADMIN).status_code == 404


def test_a_write_to_one_collection_does_not_hold_up_asks_on_another(server, http):
    make_two(http)
    acme = server.engine.collection("acme")
    held, release = threading.Event(), threading.Event()

    def long_write():
        with acme._lock.writing():  # as a write applying a large batch would
            held.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    held.wait(5)
    try:
        answer = best(http, "globex", "How long until refunds arrive?", GLOBEX_READ)
        assert answer == ("Refunds take three weeks", "manual")
        assert writer.is_alive(), "answered while acme's write still held its lock"
        with pytest.raises(httpx.ReadTimeout):  # while acme itself waits for its write
            http.post("/v1/collections/acme/ask", json={"question": "How fast are the skates?"},
                      headers={"X-API-Key": ACME_READ}, timeout=1.0)
    finally:
        release.set()
        writer.join()


def test_client_and_metrics_work_per_collection(server, http):
    make_two(http)
    with Client(server.url, api_key=ACME_READ, collection="acme") as acme:
        assert acme.ask("How long until refunds arrive?").answers[0].text == "Refunds take ten days"
        assert [d.doc_id for d in acme.list_documents().documents] == ["manual"]
    with Client(server.url, api_key=API_KEY) as admin:
        assert [c.name for c in admin.list_collections()] == ["acme", "default", "globex"]
        admin.delete_collection("globex")
        with pytest.raises(CollectionNotFound):
            admin.describe_collection("globex")
    metrics = http.get("/metrics").text
    assert 'groundqa_asks_total{collection="acme",outcome="answered"} 1.0' in metrics
    assert 'groundqa_index_documents{collection="acme"} 1.0' in metrics
    assert 'route="/v1/collections/{collection}/ask"' in metrics


def test_cli_manages_collections_without_a_model(server, http, capsys):
    make_two(http)
    index = ["--index-dir", str(server.index_dir)]
    assert groundqa(["collections", "list", "--json", *index]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(c["name"], c["documents"], c["private"]) for c in listed] == [
        ("default", 3, False), ("acme", 1, True), ("globex", 1, True)]
    assert groundqa(["collections", "create", "staff", *index]) == 0
    assert http.get("/v1/collections/staff/documents").json()["total"] == 0, "the server sees it at once"
    assert groundqa(["documents", "list", "--collection", "acme", *index]) == 0
    assert capsys.readouterr().out.startswith("created collection staff")  # then acme's one document
    assert groundqa(["documents", "list", "--collection", "nope", *index]) == 2
    assert "no collection 'nope'" in capsys.readouterr().err
    assert groundqa(["collections", "rm", "globex", *index]) == 0
    assert http.get("/v1/collections/globex", headers=ADMIN).status_code == 404, "nor does the server serve it"
    assert groundqa(["collections", "rm", "default", *index]) == 2


def test_eval_runs_on_a_named_collection_over_http(server, http, tmp_path, capsys):
    make_two(http)
    gold = tmp_path / "acme-gold.jsonl"
    gold.write_text(json.dumps({"id": "a1", "question": "How long until refunds arrive?",
                                "answers": ["Refunds take ten days"]}) + "\n")
    report = tmp_path / "report.json"
    assert groundqa(["eval", str(gold), "--url", server.url, "--collection", "acme", "--api-key", ACME_READ,
                     "--report", str(report), "--quiet"]) == 0
    summary = json.loads(report.read_text())["summary"]
    assert summary["n"] == 1 and summary["em"] == 100.0, "asked of acme, not of the default collection"
    assert groundqa(["eval", str(gold), "--url", server.url, "--collection", "acme", "--quiet"]) == 2
    assert "API key" in capsys.readouterr().err, "a private collection without its key: refused, said why"


def test_a_write_that_outlives_its_collection_leaves_nothing_behind(server, http):
    from groundqa.errors import CollectionNotFound
    from groundqa.index.types import Document

    make_two(http)
    late = server.engine.collection("acme")  # a request that got the collection just before the delete
    assert http.delete("/v1/collections/acme", headers=ADMIN).status_code == 204
    with pytest.raises(CollectionNotFound, match="was deleted"):
        late.put_document(Document("late", "Late", "api", "Written after the delete."), replace=False)
    assert not (server.index_dir / "collections" / "acme").exists()
    assert http.post("/v1/collections", headers=ADMIN, json={"name": "acme"}).status_code == 201
    assert http.get("/v1/collections/acme/documents", headers=ADMIN).json()["total"] == 0


def test_a_collection_deleted_and_made_again_elsewhere_is_not_served_from_memory(server, http):
    """Another process (a replica, `groundqa collections`) deletes acme and creates it again with new
    keys: this server must not keep answering with the old keys and documents."""
    from groundqa.service.collections import DirectoryShelf, Record

    make_two(http)
    assert best(http, "acme", "How long until refunds arrive?", ACME_READ) is not None
    shelf = DirectoryShelf(server.settings)
    shelf.remove("acme")
    shelf.add(Record.new("acme", read_key="acme-new-read-key-0123"))
    ask = {"question": "How long until refunds arrive?"}
    assert http.post("/v1/collections/acme/ask", json=ask, headers={"X-API-Key": ACME_READ}).status_code == 404
    fresh = http.post("/v1/collections/acme/ask", json=ask, headers={"X-API-Key": "acme-new-read-key-0123"})
    assert fresh.status_code == 200 and fresh.json()["no_answer"] is True, "the old documents are gone"


def test_listing_opens_no_collection_the_key_may_not_read(server, http):
    make_two(http)
    server.engine._close("acme")
    server.engine._close("globex")
    assert [c["name"] for c in http.get("/v1/collections").json()["collections"]] == ["default"]
    assert sorted(server.engine.open_counts()) == ["default"], "private collections were not loaded to list them"


def test_patching_the_text_drops_the_loaders_offsets(http):
    upload = http.post("/v1/documents", headers=ADMIN, files={"file": (
        "guide.md", b"# Guide\n\n## Install\n\n1. Drill holes.\n2. Mount it.\n", "text/markdown")})
    assert upload.status_code == 201, upload.text
    meta = http.get("/v1/documents/guide.md").json()["meta"]
    assert "sections" in meta and "lists" in meta
    http.patch("/v1/documents/guide.md", headers=ADMIN, json={"text": "Entirely new text without headings."})
    assert set(http.get("/v1/documents/guide.md").json()["meta"]) == {"format", "filename"}


def test_a_document_with_malformed_structure_meta_still_answers(http):
    doc = {"doc_id": "odd", "text": "Step one: drill holes. Then mount the plate on the wall.",
           "meta": {"lists": [["a", "b"], [0.0, 10.5]], "sections": [[0, "x", 1, "H"], "junk"]}}
    assert http.post("/v1/documents", headers=ADMIN, json=doc).status_code == 201
    response = http.post("/v1/ask", json={"question": "How do I mount the plate?"})
    assert response.status_code == 200, response.text
