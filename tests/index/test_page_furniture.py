from pathlib import Path

from fpdf import FPDF

from groundqa.index.loaders import document_from_bytes
from groundqa.index.page_furniture import without_furniture


def test_running_headers_footers_and_page_numbers_are_dropped_from_each_page():
    pages = [
        "ACME Manual - Rev C\nInstallation\nTurn off the power.\nPage 1 of 3",
        "ACME Manual - Rev C\nWiring\nConnect R to power.\nPage 2 of 3",
        "ACME Manual - Rev C\nSupport\nCall us any day.\n- 3 -",
    ]
    assert without_furniture(pages) == ["Installation\nTurn off the power.", "Wiring\nConnect R to power.",
                                        "Support\nCall us any day."]


def test_content_stays_when_it_repeats_on_too_few_pages_or_away_from_the_edges():
    pages = [
        "Overview\nThe device has 3 modes.\nIt runs on 24 V.\nMore below.\nWarranty\nTwo years.",
        "Setup\nWarranty\nStep one.\nStep two.\nStep three.\nStep four.",
        "Settings\nPick a mode.\nThe device has 4 modes.\nDone.",
        "Contact\nWrite to us.\nWe reply in a day.\nThanks.",
    ]
    # "Warranty" opens one page and sits mid-page on another; "The device has N modes." is mid-page.
    assert without_furniture(pages) == pages


def test_one_page_keeps_everything_but_a_bare_page_number():
    assert without_furniture(["Report 2024\nSales rose by 12 percent.\n1"]) == ["Report 2024\nSales rose by 12 percent."]


class _Manual(FPDF):
    def header(self):
        self.set_font("helvetica", size=9)
        self.cell(0, 8, "Nimbus Installation Guide - NIM-IG-05 Rev C", new_x="LMARGIN", new_y="NEXT")

    def footer(self):
        self.set_y(-15)
        self.set_font("helvetica", size=9)
        self.cell(0, 8, f"Page {self.page_no()} of 2")


def test_a_pdf_is_read_without_its_running_header_and_footer(tmp_path: Path):
    """Through the real loader: the header and page numbers of every page are gone, the body stays whole
    and a sentence broken over the page break reads as one."""
    pdf = _Manual()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Wiring terminals", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, "G for the fan", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(0, 10, "Use 18 to 22 AWG thermostat wire.", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "guide.pdf"
    pdf.output(str(path))

    document = document_from_bytes(path.read_bytes(), doc_id="g", source="g", suffix=".pdf")
    assert "Rev C" not in document.text and "Page" not in document.text
    assert document.text == "Wiring terminals\nG for the fan\nUse 18 to 22 AWG thermostat wire."
