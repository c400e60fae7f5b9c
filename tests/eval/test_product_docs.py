"""The product-documents gold set (eval/gold/product-docs.jsonl: Markdown, HTML, text and a PDF)
through the real loaders, embedder, index and reader: every citation is document text, no answer
starts with a heading or holds page furniture, HTML and Markdown answers name their section, and
no answer holds a line break. Its answers' quality is measured with the other train sets
(tests/eval/test_benchmark_floors.py): no test here pins one of its questions."""

import pytest

from groundqa.eval.gold import load_gold
from groundqa.index.collection import Collection
from groundqa.index.ingest import scan, sync
from groundqa.index.sections import SECTIONS
from groundqa.index.store import FaissStore
from groundqa.service.pipeline import Pipeline
from groundqa.wiring import expected_manifest, pipeline_config
from tests.conftest import REPO

pytestmark = pytest.mark.slow
DOCS = REPO / "eval" / "gold" / "product-docs"
FURNITURE = ("Home | Shop | Support", "We use cookies", "All rights reserved", "Terms of Sale", "Cart (0)",
             "Security \u203a Advisories")


@pytest.fixture(scope="module")
def product_pipeline(real_settings, real_embedder, real_reader):
    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, scan([DOCS]), real_embedder, progress=False)
    pipeline = Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))
    pipeline.prepare_search()
    return pipeline


def test_loaders_keep_structure_and_drop_furniture(product_pipeline):
    documents = product_pipeline.collection.documents
    returns = documents["product-docs/returns-policy.html"]
    assert not any(furniture in returns.text for furniture in FURNITURE)
    advisory = documents["product-docs/security-advisory.html"].text
    assert not any(furniture in advisory for furniture in FURNITURE), "a breadcrumb trail is furniture"
    headings = [heading for _, _, _, heading in returns.meta[SECTIONS]]
    assert headings[:4] == ["Returns & Refunds", "How to start a return", "Refunds", "Exchanges"]
    for start, end, _, heading in returns.meta[SECTIONS]:
        assert returns.text[start:end] == heading
    assert "Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%" in returns.text
    policy = documents["product-docs/data-policy.txt"].text
    assert "collects through Nimbus T2 and Nimbus T5 thermostats, Nimbus Remote Sensors and the Nimbus Home app" \
        in policy, "hard-wrapped lines read as one sentence"
    guide = documents["product-docs/install-guide.pdf"].text
    assert "Working on live wires can damage the thermostat, your HVAC equipment, or you." in guide
    assert "\n- W1 for heat\n" in guide, "list items keep their lines"


def test_every_answer_cites_document_text_without_furniture(product_pipeline):
    questions = [q for q in load_gold(REPO / "eval" / "gold" / "product-docs.jsonl") if q.answers]
    with_section = 0
    for gold in questions:
        result = product_pipeline.ask(gold.question)
        for answer in result.answers:
            document = product_pipeline.collection.document(answer.citation.doc_id)
            c = answer.citation
            assert document.text[c.start:c.end] == answer.text
            assert "\n" not in answer.text and not any(f in answer.text for f in FURNITURE), answer.text
            starts = {start for start, _, _, _ in document.meta.get(SECTIONS, [])}
            assert c.start not in starts or answer.text == c.section, f"{answer.text!r} starts with a heading"
            with_section += c.section is not None
            if document.meta.get("format") in ("md", "html"):
                assert c.section, f"{answer.text!r} in {document.doc_id} names no section"
    assert with_section > 0
