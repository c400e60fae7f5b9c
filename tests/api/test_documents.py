import pytest

from groundqa.index import persistence
from tests.index.test_loaders import make_pdf

pytestmark = pytest.mark.slow

ZEBRA = {"doc_id": "zoo/zebra", "title": "Zebra facts", "text": "The zebra named Ziggy lives in the Serengeti.",
         "meta": {"kind": "animal"}}


def ask(client, question, **extra):
    return client.post("/v1/ask", json={"question": question, **extra}).json()


def test_writes_need_the_key(client, api_settings):
    assert client.post("/v1/documents", json=ZEBRA).status_code == 401
    wrong = client.post("/v1/documents", json=ZEBRA, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    assert client.delete("/v1/documents/anything").status_code == 401
    assert client.get("/v1/documents").json()["total"] == 1, "nothing was written"


def test_json_document_lifecycle(client, auth, api_settings):
    created = client.post("/v1/documents", json=ZEBRA, headers=auth)
    assert created.status_code == 201 and created.json() == {"doc_id": "zoo/zebra", "status": "added", "chunks": 1, "dropped": []}
    body = ask(client, "Where does Ziggy the zebra live?")
    assert body["answers"][0]["text"] == "the Serengeti" or body["answers"][0]["text"] == "Serengeti"
    assert body["answers"][0]["citation"]["doc_id"] == "zoo/zebra"
    assert ask(client, "Where does Ziggy live?", filters={"kind": "animal"})["answers"][0]["citation"]["doc_id"] == "zoo/zebra"

    duplicate = client.post("/v1/documents", json=ZEBRA, headers=auth)
    assert duplicate.status_code == 409 and "use PUT" in duplicate.json()["error"]["message"]

    replaced = client.put("/v1/documents/zoo/zebra", json={"text": "Ziggy the zebra moved to the Kalahari."}, headers=auth)
    assert replaced.json()["status"] == "updated"
    assert "Kalahari" in ask(client, "Where does Ziggy the zebra live?")["answers"][0]["text"]
    assert client.get("/v1/documents/zoo/zebra").json()["text"] == "Ziggy the zebra moved to the Kalahari."

    page = client.get("/v1/documents", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["documents"]) == 1
    second = client.get("/v1/documents", params={"offset": 1, "limit": 1}).json()["documents"]
    assert {page["documents"][0]["doc_id"], second[0]["doc_id"]} == {"zoo/zebra", "corpus/microsoft-joins-facial-recognition-ban.txt"}

    assert client.delete("/v1/documents/zoo/zebra", headers=auth).status_code == 204
    after = ask(client, "Where does Ziggy the zebra live?")
    assert all(a["citation"]["doc_id"] != "zoo/zebra" for a in after["answers"])
    assert client.get("/v1/documents/zoo/zebra").status_code == 404
    assert client.delete("/v1/documents/zoo/zebra", headers=auth).json()["error"]["code"] == "document_not_found"
    assert sorted(persistence.load(api_settings.index_dir).documents) == ["corpus/microsoft-joins-facial-recognition-ban.txt"]


def test_pdf_upload_then_ask_then_delete(client, auth, tmp_path):
    data = make_pdf(tmp_path / "memo.pdf", ["Quarterly memo.", "The warehouse manager is Priya Raman."])
    response = client.post("/v1/documents", files={"file": ("memo.pdf", data, "application/pdf")}, headers=auth)
    assert response.status_code == 201, response.text
    doc_id = response.json()["doc_id"]
    assert doc_id == "memo.pdf"
    answer = ask(client, "Who is the warehouse manager?")["answers"][0]
    assert answer["text"] == "Priya Raman" and answer["citation"]["doc_id"] == "memo.pdf"
    assert client.delete(f"/v1/documents/{doc_id}", headers=auth).status_code == 204
    assert all(a["citation"]["doc_id"] != "memo.pdf" for a in ask(client, "Who is the warehouse manager?")["answers"])


@pytest.mark.parametrize("name, data, status, code", [
    ("broken.pdf", b"%PDF-1.4 truncated", 422, "invalid_document"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00", 415, "unsupported_format"),
    ("binary.txt", b"\x00\x01\x02", 422, "invalid_document"),
    ("empty.md", b"   ", 422, "invalid_document"),
    ("script.html", b"<script>alert(1)</script>", 422, "invalid_document"),
])
def test_bad_uploads_change_nothing(client, auth, api_settings, name, data, status, code):
    before = persistence.load(api_settings.index_dir).documents
    response = client.post("/v1/documents", files={"file": (name, data)}, headers=auth)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert name in response.json()["error"]["message"] or response.json()["error"]["message"]
    assert client.get("/v1/documents").json()["total"] == 1
    assert persistence.load(api_settings.index_dir).documents == before


def test_bad_json_documents(client, auth):
    cases = [({"text": ""}, 422), ({"title": "no text"}, 422), ({"text": "x", "doc_id": "../etc/passwd"}, 422),
             ({"text": "x", "doc_id": "a\x00b"}, 422), ({"text": "x", "doc_id": "y" * 300}, 422),
             ({"text": 5}, 422)]
    for payload, status in cases:
        response = client.post("/v1/documents", json=payload, headers=auth)
        assert response.status_code == status, payload
        assert set(response.json()) == {"error"}
    wrong_type = client.post("/v1/documents", content=b"plain", headers={**auth, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert client.put("/v1/documents/missing", json={"text": "x"}, headers=auth).status_code == 404
    assert client.get("/v1/documents").json()["total"] == 1


def test_oversize_upload_is_refused(client, auth, engine):
    engine.settings = engine.settings.model_copy(update={"max_upload_bytes": 2048})
    response = client.post("/v1/documents", files={"file": ("big.txt", b"word " * 2000)}, headers=auth)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_writes_disabled_without_a_configured_key(client, engine):
    engine.settings = engine.settings.model_copy(update={"api_key": None})
    response = client.post("/v1/documents", json=ZEBRA, headers={"X-API-Key": "anything"})
    assert response.status_code == 403 and "GROUNDQA_API_KEY" in response.json()["error"]["message"]


def test_bm25_is_rebuilt_by_the_write_not_by_the_next_ask(client, auth, engine):
    sparse = engine.pipeline.collection.sparse
    assert client.post("/v1/documents", json=ZEBRA, headers=auth).status_code == 201
    assert not sparse.stale
    found = client.get("/v1/search", params={"q": "Ziggy Serengeti"}).json()["passages"]
    assert found[0]["doc_id"] == "zoo/zebra"
    assert client.delete("/v1/documents/zoo/zebra", headers=auth).status_code == 204
    assert not sparse.stale


def test_a_started_engine_has_bm25_built(api_settings):
    from groundqa.service.engine import Engine

    engine = Engine(api_settings)
    engine.start()
    assert engine.ready and not engine.pipeline.collection.sparse.stale


def test_a_question_asked_again_is_answered_from_the_cache_until_the_index_changes(client, auth):
    question = {"question": "Where does Ziggy the zebra live?"}
    first = client.post("/v1/ask", json=question).json()
    again = client.post("/v1/ask", json=question).json()
    assert first["cached"] is False and again["cached"] is True
    assert again["answers"] == first["answers"] and again["no_answer"] == first["no_answer"]
    assert client.post("/v1/ask", json={**question, "top_k": 2}).json()["cached"] is False

    assert client.post("/v1/documents", json=ZEBRA, headers=auth).status_code == 201
    after_write = client.post("/v1/ask", json=question).json()
    assert after_write["cached"] is False
    assert "Serengeti" in after_write["answers"][0]["text"]
    assert client.delete("/v1/documents/zoo/zebra", headers=auth).status_code == 204
    after_delete = client.post("/v1/ask", json=question).json()
    assert after_delete["cached"] is False
    assert all(a["citation"]["doc_id"] != "zoo/zebra" for a in after_delete["answers"])
    assert "groundqa_answer_cache_hits_total 1.0" in client.get("/metrics").text
