"""`groundqa index` with the new types and web sites, run in-process with the fake embedder: what it
prints for a scanned page it cannot read, a hostile file and a site, and its mistakes (exit 2)."""

import pytest

from groundqa import cli, wiring
from groundqa.index import persistence
from tests.conftest import FakeEmbedder
from tests.index import office_fixtures as make
from tests.index.site_server import help_site, serving


@pytest.fixture
def index_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDQA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setattr(wiring, "make_embedder", lambda settings: FakeEmbedder())
    return tmp_path / "index"


def test_a_scanned_page_without_tesseract_is_one_line_naming_it(tmp_path, index_dir, monkeypatch, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    make.scanned_pdf(docs / "timetable.pdf", text_page="Ferries sail every day of the year.")
    make.zip_bomb(docs / "bomb.docx", 230)
    make.csv_file(docs / "fares.csv")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert cli.main(["index", str(docs), "--quiet"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "timetable.pdf" in line] == [
        "warning: docs/timetable.pdf: page 2 has no text layer (scanned) and was not read: reading scans needs "
        "Tesseract (README, Scanned PDFs); the rest of the file is indexed"]
    assert [line for line in err if "bomb.docx" in line] == [
        "could not read docs/bomb.docx: Word (.docx) file would inflate to 230 MiB, over the limit of 200 MiB "
        "unzipped (a zip bomb?); nothing was read"]
    stored = persistence.load(index_dir).documents
    assert sorted(stored) == ["docs/fares.csv", "docs/timetable.pdf"]
    assert stored["docs/timetable.pdf"].meta["unread_pages"] == [2]


def test_a_web_site_is_indexed_by_its_url(index_dir, capsys):
    with serving() as site:
        help_site(site)
        assert cli.main(["index", f"{site.url}/help/", "--quiet", "--delay", "0", "--max-pages", "2"]) == 0
        out = capsys.readouterr()
        assert "added 2, updated 0, unchanged 0, removed 0 documents" in out.out
        assert "stopped at 2 pages (--max-pages)" in out.err
        assert cli.main(["index", f"{site.url}/help/", "--quiet", "--delay", "0"]) == 0
        assert "added 1, updated 0, unchanged 2, removed 0 documents" in capsys.readouterr().out
        del site.pages["/help/billing.html"]
        assert cli.main(["index", f"{site.url}/help/", "--quiet", "--delay", "0"]) == 0
        assert "removed 1 documents" in capsys.readouterr().out
    stored = persistence.load(index_dir)
    assert sorted(stored.documents) == [f"{site.url}/help/", f"{site.url}/help/returns.html"]
    assert stored.folders == {f"{site.url}/help": f"{site.url}/help"}


@pytest.mark.parametrize("arguments, says", [
    (["https://help.example.com/", "--as", "help"], "--as names a folder"),
    (["https://user:pw@help.example.com/"], "not a web address groundqa can index"),
    (["https://help.example.com/", "--max-pages", "0"], "--max-pages must be at least 1"),
])
def test_mistakes_come_back_at_once(arguments, says, index_dir, capsys):
    assert cli.main(["index", *arguments]) == 2
    assert says in capsys.readouterr().err
