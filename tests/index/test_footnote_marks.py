"""Footnote references are written "[1]" beside what they annotate, never glued onto it ("$12.00<sup>1</sup>"
was stored "$12.001"), and recorded in meta["footnote_marks"]; exponents and ordinals keep their text."""

import pytest

from groundqa.errors import InvalidDocument
from groundqa.index.loaders import document_from_bytes, documents_from_jsonl, load_html, load_markdown
from groundqa.index.sections import check_sent_structure

PRICE_PAGE = (b"<html><head><title>Travel gear</title></head><body><h1>Travel gear</h1>"
              b"<p>Every item ships from our warehouse in Leeds.</p>"
              b"<table><tr><th>Item</th><th>Price</th></tr><tr><td>Bag</td><td>$12.00<sup>1</sup></td></tr>"
              b"<tr><td>Strap</td><td>$4.50<sup><a href=\"#fn2\">2</a></sup></td></tr></table>"
              b"<p>Fees apply<sup>2</sup> daily.</p>"
              b"<footer><p><sup>1</sup> Taxes extra.</p></footer></body></html>")


def marks(extracted_or_document) -> list[str]:
    text, meta = extracted_or_document.text, extracted_or_document.meta
    return [text[start:end] for start, end in meta.get("footnote_marks", [])]


def test_a_price_in_a_table_keeps_its_value_and_its_mark_apart():
    extracted = load_html(PRICE_PAGE)
    assert "Bag: $12.00[1]" in extracted.text and "$12.001" not in extracted.text
    assert "Strap: $4.50[2]" in extracted.text, "a link to the note in a <sup> is a reference too"
    assert marks(extracted) == ["[1]", "[2]", "[2]"]


def test_a_mark_in_a_sentence_is_kept_apart_from_its_word():
    extracted = load_html(b"<p>Fees apply<sup>2</sup> daily.</p>")
    assert extracted.text == "Fees apply[2] daily."
    assert marks(extracted) == ["[2]"]


@pytest.mark.parametrize("page, text", [
    (b"<p>The room is 20 m<sup>2</sup> in all.</p>", "The room is 20 m2 in all."),
    (b"<p>Storage: 3 ft<sup>3</sup> per shelf.</p>", "Storage: 3 ft3 per shelf."),
    (b"<p>It grows as x<sup>n</sup> and 10<sup>6</sup>.</p>", "It grows as xn and 106."),
    (b"<p>Due on the 1<sup>st</sup> of May.</p>", "Due on the 1st of May."),
    (b"<p>See section <a href=\"#s2\">2</a>.</p>", "See section 2."),
])
def test_exponents_ordinals_and_plain_links_keep_todays_text(page, text):
    extracted = load_html(page)
    assert extracted.text == text
    assert "footnote_marks" not in extracted.meta


@pytest.mark.parametrize("page, text", [
    (b"<p>Fee<sup>[3]</sup> and fee<sup>*</sup></p>", "Fee[3] and fee[*]"),  # already bracketed: not doubled
    (b"<p>Plan A<sup>a</sup> costs $9<sup>\xe2\x80\xa0</sup>.</p>", "Plan A[a] costs $9[\u2020]."),
    (b'<p>Fee<a href="#fn1" class="footnote-ref" role="doc-noteref"><sup>1</sup></a> here</p>', "Fee[1] here"),
])
def test_other_reference_shapes(page, text):
    extracted = load_html(page)
    assert extracted.text == text
    assert all(mark.startswith("[") and mark.endswith("]") for mark in marks(extracted))
    assert len(marks(extracted)) == text.count("[")


def test_a_mark_in_a_heading_stays_out_of_the_title_and_offsets_survive_into_the_document():
    document = document_from_bytes(b"<h1>Pricing<sup>1</sup></h1><p>Bag: $12.00<sup>1</sup></p>", doc_id="p",
                                   source="p.html", suffix=".html")
    assert document.title == "Pricing"
    assert document.meta["sections"][0][3] == "Pricing[1]"
    assert marks(document) == ["[1]", "[1]"]


def test_markdown_references_and_their_notes():
    source = ("# Plans\n\nThe Pro plan costs $25[^1] per month with support[^note].\n\n"
              "| Plan | Price |\n|---|---|\n| Pro | $25[^1] |\n\nIn code: `a[^1]` stays.\n\nUndefined[^x] stays.\n\n"
              "[^1]: Prices exclude **VAT**.\n    Billed yearly.\n[^note]: Support is by e-mail.\n")
    extracted = load_markdown(source.encode())
    text = extracted.text
    assert "costs $25[1] per month with support[note]." in text and "Pro: $25[1]" in text
    assert "a[^1]" in text and "Undefined[^x] stays." in text
    assert marks(extracted) == ["[1]", "[note]", "[1]"]
    notes = [text[start:end] for start, end in extracted.meta["footnotes"]]
    assert notes == ["Prices exclude VAT. Billed yearly.", "Support is by e-mail."]
    assert text.endswith("Footnotes\n\n[1] Prices exclude VAT. Billed yearly.\n\n[note] Support is by e-mail.")
    assert "[^" not in text.split("Footnotes")[1]
    heading = extracted.sections[-1]
    assert heading[2:] == [1, "Footnotes"] and text[heading[0]:heading[1]] == "Footnotes"


def test_markdown_without_notes_is_read_as_before():
    source = b"# Guide\n\nA link [text](http://x) and [^1] with no note.\n"
    extracted = load_markdown(source)
    assert extracted.text == "Guide\n\nA link text and [^1] with no note."
    assert "footnote_marks" not in extracted.meta and "footnotes" not in extracted.meta


def _docx_with_footnote_after_a_price(path):
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from tests.index.office_fixtures import _FOOTNOTES_XML

    document = docx.Document()
    document.add_heading("Travel gear", 1)
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["Item", "Price"], ["Bag", "$12.00"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), "1")
    table.cell(1, 1).paragraphs[0].add_run()._r.append(reference)
    document.add_paragraph("Fees apply daily.")
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                _FOOTNOTES_XML.format(text="Taxes extra.").encode(), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    document.save(path)
    return path


def test_word_references_are_recorded(tmp_path):
    path = _docx_with_footnote_after_a_price(tmp_path / "gear.docx")
    document = document_from_bytes(path.read_bytes(), doc_id="g", source="gear.docx", suffix=".docx")
    text = document.text
    assert "Bag: $12.00[1]" in text
    assert marks(document) == ["[1]"]
    [[start, end]] = document.meta["footnotes"]
    assert text[start:end] == "Taxes extra." and text[start - 4:start] == "[1] "


def test_sent_footnote_offsets_are_bounded_like_other_structure():
    check_sent_structure({"footnote_marks": [[0, 3]], "footnotes": [[4, 9]]})
    with pytest.raises(InvalidDocument, match="footnote_marks"):
        check_sent_structure({"footnote_marks": "[0, 3]"})
    with pytest.raises(InvalidDocument, match="footnote_marks"):
        check_sent_structure({"footnote_marks": [[0, 3]] * 2001})
    _, problems = documents_from_jsonl(b'{"text": "x", "meta": {"footnote_marks": 3}}', source="s", id_prefix="p")
    assert problems and "footnote_marks" in problems[0]


@pytest.mark.slow
def test_the_price_answered_is_the_value_without_its_mark(tmp_path, real_pipeline_over):
    """Found by a user: "$12.00<sup>1</sup>" in a price table was answered "$12.001"."""
    (tmp_path / "gear.html").write_bytes(PRICE_PAGE)
    pipeline = real_pipeline_over(tmp_path)
    collection = pipeline.collection
    result = pipeline.ask("How much is the bag?")
    assert not result.no_answer, result.judged[:3]
    best = result.answers[0]
    assert best.text == "$12.00", result.judged[:3]
    document = collection.document(best.citation.doc_id)
    for answer in result.answers:
        c = answer.citation
        assert document.text[c.start:c.end] == answer.text
        assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
