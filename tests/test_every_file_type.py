"""Every file a user has (issue 38), through the real path with the real models: a Word document with a
table, a workbook of two sheets, a CSV file, a presentation with speaker notes, a scanned PDF and a
three-page web site with a sitemap, indexed with the README's command (`groundqa index PATH`, `groundqa
index URL`), each answering a question with a citation that is exactly the answer's place in the
stored text. The same files uploaded over HTTP, and the hostile ones refused there too."""

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from groundqa.index import persistence
from groundqa.index.ocr import tesseract_available
from tests.index import office_fixtures as make
from tests.index.site_server import help_site, serving
from tests.test_cli import groundqa

pytestmark = pytest.mark.slow
needs_tesseract = pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")

# question -> (the document it is answered from, the answer)
QUESTIONS = {
    "Who is the head of security at Contoso?": ("docs/handbook.docx", "Dana Whitfield"),
    "What is the setup fee for the Pro plan?": ("docs/handbook.docx", "$50"),
    "How much does the Nimbus T5 cost?": ("docs/prices.xlsx", "$129.00"),
    "What are the Saturday opening hours in York?": ("docs/prices.xlsx", "9:00-13:00"),
    "What is the fare from York to Hull?": ("docs/fares.csv", "\u00a318.90"),
    "What is the budget for Project Falcon?": ("docs/kickoff.pptx", "2.4 million euros"),
    "Who is the mobile lead?": ("docs/kickoff.pptx", "Aiko Tanaka"),
    "How long does the ferry crossing take?": ("docs/ferry.pdf", "55 minutes"),
    "What is the late payment fee?": ("/help/billing.html", "$7.50"),
    "How many days do I have to return an unopened thermostat?": ("/help/returns.html", "45 days"),
}


def every_file(folder):
    folder.mkdir()
    make.word_document(folder / "handbook.docx")
    make.workbook(folder / "prices.xlsx")
    make.csv_file(folder / "fares.csv")
    make.presentation(folder / "kickoff.pptx")
    make.scanned_pdf(folder / "ferry.pdf")
    return folder


@needs_tesseract
def test_every_type_indexed_with_the_readme_commands_answers_with_exact_citations(tmp_path):
    index_dir = tmp_path / "index"
    every_file(tmp_path / "docs")
    with serving() as site:
        help_site(site)
        files = groundqa("index", tmp_path / "docs", "--quiet", index_dir=index_dir)
        assert "added 5, updated 0, unchanged 0, removed 0 documents" in files.stdout
        crawled = groundqa("index", f"{site.url}/help/", "--quiet", "--delay", "0.05", index_dir=index_dir)
        assert "added 3," in crawled.stdout and "robots.txt does not allow" in crawled.stderr
        again = groundqa("index", f"{site.url}/help/", "--quiet", "--delay", "0.05", index_dir=index_dir)
        assert "added 0, updated 0, unchanged 3, removed 0 documents; embedded 0 chunks" in again.stdout
        assert site.requested("/help/billing.html")[-1].headers.get("If-None-Match"), "asked again conditionally"
    (tmp_path / "questions.txt").write_text("\n".join(QUESTIONS) + "\n")
    asked = groundqa("ask", "--file", tmp_path / "questions.txt", "--json", index_dir=index_dir)
    stored = persistence.load(index_dir).documents
    assert stored[f"{site.url}/help/billing.html"].meta["url"] == f"{site.url}/help/billing.html"
    assert stored["docs/ferry.pdf"].meta["ocr"] == [1]
    for line in asked.stdout.splitlines():
        result = json.loads(line)
        doc_id, expected = QUESTIONS[result["question"]]
        assert not result["no_answer"], result["question"]
        best = result["answers"][0]
        citation = best["citation"]
        assert citation["doc_id"].endswith(doc_id) and expected in best["text"], (result["question"], best)
        assert stored[citation["doc_id"]].text[citation["start"]:citation["end"]] == best["text"]


@needs_tesseract
def test_uploads_take_every_type_and_refuse_hostile_files(tmp_path, real_settings, real_embedder, real_reader):
    from groundqa.index.catalog import DirectoryCatalog
    from groundqa.service.app import create_app
    from groundqa.service.engine import Engine
    from groundqa.service.pipeline import Pipeline
    from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config

    settings = real_settings.model_copy(update={"index_dir": tmp_path / "index", "api_key": SecretStr("k")})
    engine = Engine(settings)
    catalog = DirectoryCatalog(settings.index_dir, faiss_layout(settings))
    collection = catalog.open(expected_manifest(settings, real_embedder), create=True)
    engine.attach(Pipeline(real_embedder, collection, real_reader, pipeline_config(settings)), catalog)
    folder = every_file(tmp_path / "docs")
    auth = {"X-API-Key": "k"}
    with TestClient(create_app(settings, engine)) as client:
        for path in sorted(folder.iterdir()):
            response = client.post("/v1/documents", files={"file": (path.name, path.read_bytes())}, headers=auth)
            assert response.status_code == 201, response.text
        hostile = {"bomb.docx": make.zip_bomb(tmp_path / "bomb.docx", 210),
                   "locked.xlsx": make.encrypted_office(tmp_path / "locked.xlsx")}
        for name, path in hostile.items():
            response = client.post("/v1/documents", files={"file": (name, path.read_bytes())}, headers=auth)
            assert response.status_code == 422, response.text
            assert ("200 MiB" if name.startswith("bomb") else "password") in response.json()["error"]["message"]
        assert client.get("/v1/documents").json()["total"] == 5
        for question in ("What is the fare from York to Hull?", "How long does the ferry crossing take?"):
            answer = client.post("/v1/ask", json={"question": question}).json()["answers"][0]
            document = client.get(f"/v1/documents/{answer['citation']['doc_id']}").json()
            assert document["text"][answer["citation"]["start"]:answer["citation"]["end"]] == answer["text"]
            assert answer["text"] in ("\u00a318.90", "55 minutes")
