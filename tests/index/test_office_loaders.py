"""Word, Excel, CSV, PowerPoint and scanned PDF files, made by the libraries that write them, read as
the HTML loader reads a page: the same table rows, sections, lists and steps, offsets exact."""

import pytest

from groundqa.errors import InvalidDocument
from groundqa.index.chunking import ChunkingConfig, chunk_document
from groundqa.index.loaders import SUPPORTED_SUFFIXES, document_from_bytes
from groundqa.index.ocr import tesseract_available
from groundqa.service.tables import row_cells, row_label
from tests.conftest import FakeEmbedder
from tests.index import office_fixtures as make

needs_tesseract = pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")


def load(path):
    return document_from_bytes(path.read_bytes(), doc_id=path.name, source=f"docs/{path.name}", suffix=path.suffix)


def spans_hold(document, key):
    """Every [start, end, ...] of meta[key] points into the text."""
    for entry in document.meta.get(key, []):
        assert 0 <= entry[0] < entry[1] <= len(document.text)
        if key == "sections":
            assert document.text[entry[0]:entry[1]] == entry[3]


def test_every_new_type_is_supported():
    assert {".docx", ".xlsx", ".csv", ".tsv", ".pptx"} <= SUPPORTED_SUFFIXES


def test_word_paragraphs_headings_lists_steps_table_and_footnote(tmp_path):
    document = load(make.word_document(tmp_path / "handbook.docx"))
    text, meta = document.text, document.meta
    assert document.title == "Contoso Staff Handbook" and meta["format"] == "docx"
    assert "The head of security at Contoso is Dana Whitfield. Badges are issued by the front desk.[1]" in text
    headings = [(section[2], section[3]) for section in meta["sections"]]
    assert headings == [(1, "Contoso Staff Handbook"), (1, "Requesting leave"), (6, "Parking"), (2, "Plans and fees"),
                        (1, "Footnotes")]
    steps = [text[a:b] for a, b in meta["steps"]]
    assert steps == ["Open the HR portal.", "Choose the dates of your leave.", "Submit the form to your manager."]
    lists = [text[a:b] for a, b in meta["lists"]]
    assert lists[1] == "your badge\n\na signed contract", "bullets are a list, not steps"
    assert "Plan | Monthly fee | Setup fee\nBasic | Monthly fee: $10 | Setup fee: $0\nPro | Monthly fee: $25 | Setup fee: $50" in text
    pro = next(line for line in text.splitlines() if line.startswith("Pro |"))
    assert row_label(pro) == "Pro" and [(c.header, pro[c.start:c.end]) for c in row_cells(pro)] == [
        ("Monthly fee", "$25"), ("Setup fee", "$50")], "service/tables.py reads the row as an HTML table's"
    [[start, end]] = meta["footnotes"]
    assert text[start:end] == "The front desk is open from 8 a.m. to 6 p.m." and text[start - 4:start] == "[1] "
    spans_hold(document, "sections")


def test_word_merged_cells_are_read_once_across_and_in_every_row_down(tmp_path):
    import docx

    word = docx.Document()
    table = word.add_table(rows=3, cols=3)
    for r, row in enumerate([["Model", "Voltage", "Warranty"], ["Nimbus T2", "24 V", "2 years"], ["", "", "3 years"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))  # "Nimbus T2" down two rows
    table.cell(2, 1).merge(table.cell(1, 1))
    path = tmp_path / "merged.docx"
    word.save(path)
    lines = load(path).text.splitlines()
    assert lines[1].startswith("Nimbus T2 | Voltage: 24 V | Warranty: 2 years")
    assert lines[2].startswith("Nimbus T2 |") and lines[2].endswith("Warranty: 3 years")


def test_word_tracked_changes_read_as_accepted(tmp_path):
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    word = docx.Document()
    paragraph = word.add_paragraph("The warranty lasts ")
    for tag, text_tag, text in (("w:del", "w:delText", "two"), ("w:ins", "w:t", "three")):
        change = OxmlElement(tag)
        change.set(qn("w:id"), "1")
        change.set(qn("w:author"), "Reviewer")
        run, text_element = OxmlElement("w:r"), OxmlElement(text_tag)
        text_element.text = text
        run.append(text_element)
        change.append(run)
        paragraph._p.append(change)
    paragraph.add_run(" years.")
    path = tmp_path / "reviewed.docx"
    word.save(path)
    assert load(path).text == "The warranty lasts three years."


def test_workbook_sheets_are_sections_rows_labelled_formulas_cached_merged_filled(tmp_path):
    document = load(make.workbook(tmp_path / "prices.xlsx"))
    text = document.text
    assert document.title == "Nimbus Price List"
    assert [section[3] for section in document.meta["sections"]] == ["Prices", "Opening hours"], "hidden sheets left out"
    assert "Model | Colour | Price | In stock\nNimbus T2 | Colour: White | Price: $89.00 | In stock: 120\n" in text
    assert "Nimbus T2 | Colour: Black | Price: $94.00 | In stock: 35" in text, "a label merged down is in every row"
    assert "Nimbus T5 | Colour: White | Price: $129.00 | In stock: 125" in text, "a formula reads as its saved value"
    assert "Nimbus Hub | Colour: Grey | Price: $59.50 | In stock: 0" in text
    assert "York | Weekdays: 8:30-17:30 | Saturday: 9:00-13:00 | Sunday: closed" in text
    assert "secret" not in text
    spans_hold(document, "sections")


def test_a_large_sheet_is_chunked_by_whole_rows_each_reading_alone(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Inventory"
    sheet.append(["Part number", "Description", "Bin", "Quantity"])
    for number in range(1, 401):
        sheet.append([f"NP-{number:04d}", f"Mounting bracket size {number}", f"B{number % 37}", number * 3])
    path = tmp_path / "inventory.xlsx"
    book.save(path)
    document = load(path)
    chunks = chunk_document(document, FakeEmbedder().token_offsets, ChunkingConfig(200, 30))
    assert len(chunks) > 10
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        assert chunk.heading_path.endswith("Inventory") or chunk.text.startswith("Inventory\n"), "the sheet's name"
        for line in chunk.text.splitlines():
            if line.startswith("NP-"):
                assert row_label(line) and [c.header for c in row_cells(line)] == ["Description", "Bin", "Quantity"]


def test_csv_rows_read_with_their_headers_and_tsv_too(tmp_path):
    document = load(make.csv_file(tmp_path / "fares.csv"))
    assert document.title == "fares" and document.meta["format"] == "csv"
    assert document.text.splitlines()[2] == "York to Hull | Departs: 08:05 | Arrives: 09:10 | Fare: \u00a318.90"
    tsv = tmp_path / "codes.tsv"
    tsv.write_text("Code\tMeaning\tAction\nE4\tSensor fault\tReplace the sensor\n\n\tUnknown\tCall support\n")
    lines = load(tsv).text.splitlines()
    assert lines == ["Code | Meaning | Action", "E4 | Meaning: Sensor fault | Action: Replace the sensor",
                     "Row 4 | Meaning: Unknown | Action: Call support"]


def test_presentation_slides_titles_notes_lists_and_tables(tmp_path):
    document = load(make.presentation(tmp_path / "kickoff.pptx"))
    text, meta = document.text, document.meta
    assert document.title == "Project Falcon kickoff"
    assert [(s[2], s[3]) for s in meta["sections"]] == [(1, "Project Falcon kickoff"), (1, "Timeline"),
                                                       (2, "Speaker notes"), (1, "Team leads")]
    assert [text[a:b] for a, b in meta["lists"]] == [
        "Design review in April\n\nBeta release in June\n\nGeneral availability in September"]
    assert "the beta release is led by Priya Raman" in text
    assert "Backend | Lead: Tomas Novak | Location: Prague" in text
    spans_hold(document, "sections")


@needs_tesseract
def test_a_scanned_pdf_is_read_by_ocr_and_says_which_pages(tmp_path):
    document = load(make.scanned_pdf(tmp_path / "ferry.pdf"))
    assert document.meta["ocr"] == [1] and "unread_pages" not in document.meta
    assert "Pier 4" in document.text and "7:40" in document.text
    mixed = load(make.scanned_pdf(tmp_path / "mixed.pdf", text_page="Timetable. Ferries sail every day."))
    assert mixed.meta["ocr"] == [2] and mixed.text.startswith("Timetable. Ferries sail every day.")


def test_without_tesseract_a_scanned_page_is_named_and_the_rest_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    mixed = load(make.scanned_pdf(tmp_path / "mixed.pdf", text_page="Timetable. Ferries sail every day."))
    assert mixed.meta["unread_pages"] == [2] and "ocr" not in mixed.meta
    assert mixed.text == "Timetable. Ferries sail every day."
    with pytest.raises(InvalidDocument, match="Tesseract"):
        load(make.scanned_pdf(tmp_path / "scan.pdf"))


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_empty_office_files_have_no_text(tmp_path, suffix):
    import docx
    import openpyxl
    from pptx import Presentation

    path = tmp_path / f"empty{suffix}"
    {".docx": lambda: docx.Document().save(path), ".xlsx": lambda: openpyxl.Workbook().save(path),
     ".pptx": lambda: Presentation().save(path)}[suffix]()
    with pytest.raises(InvalidDocument, match="no extractable text"):
        load(path)
