"""Hostile and broken files of the new types, read as `groundqa index` reads them (in the sandbox, under
the parse budget): each refused with one clear error naming its limit, well within the budget, and
nothing else lost: the other files are indexed, and a file's earlier version stays."""

import io
import time

import pytest
from pypdf import PdfReader, PdfWriter

from groundqa.index.ingest import scan, sync
from groundqa.index.office_zip import MAX_UNZIPPED_MB
from groundqa.index.sandbox import ParseBudget
from groundqa.index.sheets import MAX_ROWS, MAX_SHEET_MB
from tests.index import office_fixtures as make
from tests.index.test_ingest import new_collection
from tests.index.test_loaders import make_pdf

pytestmark = pytest.mark.slow  # a million-row workbook is made and refused: about a minute
BUDGET = ParseBudget(timeout_s=30)


@pytest.fixture(scope="module")
def million_row_workbook(tmp_path_factory):
    return make.million_rows(tmp_path_factory.mktemp("million") / "visits.xlsx")


def hostile_files(folder, million_row_workbook):
    """name -> what its error must say."""
    make.zip_bomb(folder / "bomb.docx", MAX_UNZIPPED_MB + 56)
    make.zip_bomb(folder / "bomb.xlsx", MAX_UNZIPPED_MB + 56)
    make.encrypted_office(folder / "locked.xlsx")
    make.encrypted_office(folder / "locked.docx")
    (folder / "truncated.pptx").write_bytes(make.presentation(folder / "deck.pptx").read_bytes()[:3000])
    (folder / "deck.pptx").unlink()
    (folder / "notazip.docx").write_bytes(b"Just some text with a .docx name.")
    (folder / "visits.xlsx").write_bytes(million_row_workbook.read_bytes())
    (folder / "visits.csv").write_text("Day,Visits\n" + "".join(f"{day},{day % 97}\n" for day in range(1_000_000)))
    _sixty_thousand_rows(folder / "log.xlsx")
    plain = make_pdf(folder / "plain.pdf", ["A plain page."])
    (folder / "plain.pdf").unlink()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.encrypt("secret")
    writer.write(folder / "locked.pdf")
    return {
        "bomb.docx": f"over the limit of {MAX_UNZIPPED_MB} MiB unzipped",
        "bomb.xlsx": f"over the limit of {MAX_UNZIPPED_MB} MiB unzipped",
        "locked.xlsx": "password-protected (encrypted) Excel (.xlsx) file",
        "locked.docx": "password-protected (encrypted) Word (.docx) file",
        "truncated.pptx": "corrupt or not a PowerPoint (.pptx) file",
        "notazip.docx": "corrupt or not a Word (.docx) file",
        "visits.xlsx": f"over the limit of {MAX_SHEET_MB} MiB a sheet (and {MAX_ROWS:,} rows a sheet)",
        "visits.csv": f"the file has more than {MAX_ROWS:,} rows, the limit for one sheet or CSV file",
        "log.xlsx": f"sheet 'Log' has more than {MAX_ROWS:,} rows, the limit for one sheet or CSV file",
        "locked.pdf": "encrypted PDF",
    }


def _sixty_thousand_rows(path):
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Log")
    sheet.append(["Day", "Visits"])
    for day in range(MAX_ROWS + 10_000):
        sheet.append([day, day % 97])
    book.save(path)


def test_each_hostile_file_is_refused_by_its_limit_and_nothing_else_is_lost(tmp_path, fake_embedder,
                                                                           million_row_workbook):
    docs = tmp_path / "docs"
    docs.mkdir()
    make.word_document(docs / "handbook.docx")
    make.word_document(docs / "bomb.docx")  # indexed now; a bomb by the same name later
    make.csv_file(docs / "fares.csv")
    collection = new_collection(fake_embedder)
    sync(collection, scan([docs], budget=BUDGET), fake_embedder)
    before = dict(collection.documents)

    expected = hostile_files(docs, million_row_workbook)
    started = time.monotonic()
    scanned = scan([docs], budget=BUDGET)
    took = time.monotonic() - started
    reasons = {problem.source.split("/", 1)[1]: problem.reason for problem in scanned.problems}
    assert set(reasons) == set(expected)
    for name, says in expected.items():
        assert says in reasons[name], (name, reasons[name])
        assert "longer than" not in reasons[name] and "MiB of memory" not in reasons[name], "refused by the loader"
    assert took < BUDGET.timeout_s, "all of them together, well within one file's budget"
    report = sync(collection, scanned, fake_embedder)
    assert sorted(report.upsert.unchanged) == ["docs/fares.csv", "docs/handbook.docx"] and report.removed == []
    assert collection.documents["docs/bomb.docx"] is before["docs/bomb.docx"], "its earlier version stays"


def test_a_file_over_the_parse_budget_is_stopped_by_the_sandbox(tmp_path):
    """The budget backs the loaders' own limits: a workbook that is slow to read within them is stopped
    at GROUNDQA_PARSE_TIMEOUT_S with that limit named."""
    from groundqa.errors import InvalidDocument
    from groundqa.index.sandbox import SandboxedLoader

    _sixty_thousand_rows(tmp_path / "log.xlsx")
    started = time.monotonic()
    with pytest.raises(InvalidDocument, match="longer than 0.5 s.*GROUNDQA_PARSE_TIMEOUT_S"):
        SandboxedLoader(ParseBudget(timeout_s=0.5)).load((tmp_path / "log.xlsx").read_bytes(), doc_id="log.xlsx",
                                                         source="log.xlsx", suffix=".xlsx")
    assert time.monotonic() - started < 5
