"""Bad input gets a precise 4xx in the one error shape and changes nothing; security controls hold."""

import io

import httpx
import pytest

from groundqa.index import persistence
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow


def documents_on_disk(settings):
    return persistence.load(settings.index_dir).documents


def assert_error(response, status, code, fragment=""):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert fragment in body["error"]["message"]


def test_invalid_utf8_and_wrong_types(client, api_settings):
    before = documents_on_disk(api_settings)
    response = client.post("/v1/ask", content=b'{"question": "\xff\xfe who?"}', headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422) and "UTF-8" in response.json()["error"]["message"]
    assert_error(client.post("/v1/ask", json=["Who?"]), 422, "invalid_request")
    assert_error(client.post("/v1/ask", json={"question": "Who?", "top_k": "five"}), 422, "invalid_request", "top_k")
    assert_error(client.post("/v1/ask", json={"question": None}), 422, "invalid_request", "question")
    assert documents_on_disk(api_settings) == before


def test_unknown_document_ids(client, auth, api_settings):
    before = documents_on_disk(api_settings)
    assert_error(client.get("/v1/documents/nope"), 404, "document_not_found", "nope")
    assert_error(client.delete("/v1/documents/nope", headers=auth), 404, "document_not_found")
    assert_error(client.put("/v1/documents/nope", json={"text": "x"}, headers=auth), 404, "document_not_found")
    assert documents_on_disk(api_settings) == before


def encrypted_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Secret memo.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


@pytest.mark.parametrize("filename, data, form, status, code, fragment", [
    ("memo.pdf", "encrypted", {}, 422, "invalid_document", "encrypted"),
    ("scan.pdf", b"%PDF-1.4\n%%EOF", {}, 422, "invalid_document", ""),
    ("notes.txt", b"text", {"doc_id": "../../etc/passwd"}, 422, "invalid_document", ".."),
    ("notes.txt", b"text", {"doc_id": "a\x00b"}, 422, "invalid_document", "doc_id"),
    ("x" * 300 + ".txt", b"some text", {}, 422, "invalid_document", "doc_id"),
    ("x" * 5000 + ".txt", b"some text", {}, 400, "bad_request", "file name"),
    ("notes.txt", b"text", {"doc_id": "keeper"}, 409, "document_exists", "PUT"),
])
def test_bad_uploads_are_refused_and_change_nothing(client, auth, api_settings, filename, data, form, status, code,
                                                    fragment):
    client.post("/v1/documents", json={"doc_id": "keeper", "text": "Kept."}, headers=auth)
    before = documents_on_disk(api_settings)
    data = encrypted_pdf() if data == "encrypted" else data
    response = client.post("/v1/documents", files={"file": (filename, io.BytesIO(data))}, data=form, headers=auth)
    assert_error(response, status, code, fragment)
    assert documents_on_disk(api_settings) == before


def test_file_names_never_become_paths(client, auth, api_settings, tmp_path):
    response = client.post("/v1/documents", files={"file": ("../../outside/evil.txt", b"The vault code is 7341.")},
                           headers=auth)
    assert response.status_code == 201 and response.json()["doc_id"] == "evil.txt"
    assert not (api_settings.index_dir.parent / "outside").exists()
    document = client.get("/v1/documents/evil.txt").json()
    assert document["meta"]["filename"] == "evil.txt"


def test_keys_are_not_logged_and_rate_limit_and_cors_hold(real_settings, corpus_pipeline, tmp_path):
    import shutil

    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    log_path = tmp_path / "server.log"
    secret = "s3cret-key-never-in-logs"
    env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": secret,
           "GROUNDQA_RATE_LIMIT_PER_MINUTE": "4", "GROUNDQA_CORS_ORIGINS": '["https://allowed.example"]'}
    with groundqa_server(env, log_path=str(log_path)) as (url, _):
        with httpx.Client(base_url=url, timeout=60) as http:
            written = http.post("/v1/documents", json={"doc_id": "n", "text": "Note."}, headers={"X-API-Key": secret})
            wrong = http.post("/v1/documents", json={"doc_id": "m", "text": "No."},
                              headers={"X-API-Key": secret + "-wrong"})
            assert written.status_code == 201 and wrong.status_code == 401
            # The right key has used 1 of its 4. A wrong key counts against this IP address, as requests
            # without a key do, so made-up keys buy no requests.
            statuses = [http.get("/v1/documents").status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            limited = http.get("/v1/documents", headers={"X-API-Key": "made-up-key-1"})
            assert_error(limited, 429, "rate_limited", "a minute")
            assert int(limited.headers["Retry-After"]) >= 1
            assert http.get("/healthz").status_code == 200  # operations are not limited
            assert http.get("/v1/documents", headers={"X-API-Key": secret}).status_code == 200  # own bucket

            allowed = http.options("/v1/ask", headers={"Origin": "https://allowed.example",
                                                       "Access-Control-Request-Method": "POST"})
            other = http.options("/v1/ask", headers={"Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})
            assert allowed.headers.get("access-control-allow-origin") == "https://allowed.example"
            assert "access-control-allow-origin" not in other.headers
            csp = http.get("/").headers["content-security-policy"]
            assert "default-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0]
    log = log_path.read_text()
    assert "POST /v1/documents" in log  # the log was written...
    assert secret not in log  # ...and never holds the key, right or wrong
