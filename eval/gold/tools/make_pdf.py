"""Render a benchmark set's PDF from a plain source file (fpdf2; no models).

Usage: .venv/bin/python eval/gold/tools/make_pdf.py SOURCE.txt OUTPUT.pdf

Source format, one line each:
  "# Title"               the document title (first line; also the running header on every page)
  "## Heading", "### Sub"  section headings
  "- item", "1. step"     list items and numbered steps, one line each
  "| a | b | c |"          a table row; consecutive rows form one table, the first row its header
  "Label: value"           any other line is body text; consecutive body lines form one paragraph
  blank line              ends a paragraph
Pages carry the title as a running header and "Page N of M" as a footer. Text must be Latin-1
(curly quotes and dashes are converted); anything else is an error naming the line.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                        "\u2026": "...", "\u00a0": " ", "\u2022": "-"})


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.running_title = title
        self.set_creation_date(datetime(2025, 1, 1, tzinfo=timezone.utc))
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 22, 20)

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.set_y(10)
        self.cell(0, 5, self.running_title, align="L")
        self.ln(10)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _latin1(line: str, number: int) -> str:
    text = line.translate(_PLAIN)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as error:
        raise SystemExit(f"line {number}: character {text[error.start]!r} is not Latin-1") from None
    return text


def render(source: Path, output: Path) -> None:
    lines = [_latin1(line.rstrip(), n) for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)]
    if not lines or not lines[0].startswith("# "):
        raise SystemExit("the first line must be '# Title'")
    pdf = _Pdf(lines[0][2:].strip())
    pdf.add_page()
    paragraph: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, " ".join(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            paragraph.clear()
        if table:
            pdf.set_font("Helvetica", "", 9)
            with pdf.table(first_row_as_headings=True, line_height=5) as grid:
                for cells in table:
                    row = grid.row()
                    for cell in cells:
                        row.cell(cell)
            pdf.ln(3)
            table.clear()

    for line in lines:
        if line.startswith("|"):
            if paragraph:
                flush()
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if table:
            flush()
        if not line.strip():
            flush()
        elif line.startswith(("# ", "## ", "### ")):
            flush()
            level = line.index(" ")
            pdf.set_font("Helvetica", "B", {1: 16, 2: 13, 3: 11}[level])
            pdf.multi_cell(0, 7, line[level + 1:].strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif line.lstrip().startswith("- ") or line.split(" ", 1)[0].rstrip(".").isdigit():
            flush()
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, line.strip(), new_x="LMARGIN", new_y="NEXT")
        else:
            paragraph.append(line.strip())
    flush()
    pdf.output(str(output))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    render(Path(sys.argv[1]), Path(sys.argv[2]))
