"""Excel (.xlsx) workbooks, read with openpyxl, and CSV files, read with Python's csv: each visible
sheet (or the file) a table under a heading of the sheet's name.

Each row is a line of its own that reads alone, as HTML table rows are written (index/layout.py):
"Nimbus T5 | Price: $129.00 | In stock: 40", the first cell the row's label (or "Row 12" where it is
empty), every other filled cell beside its column's header; the header is the sheet's first row of two
or more filled cells unless those are all numbers. Chunks hold whole lines, so a chunk of a large
sheet reads alone too, and the sheet's name is in its heading path. Formulas are read as the values
Excel saved with them (a workbook never opened in a spreadsheet program has none: those cells read
as empty); a cell merged across columns is read once, one merged down the rows in every row it spans.

Limits, each an error naming it: MAX_ROWS filled rows a sheet, MAX_CELLS cells a workbook,
MAX_COLUMNS columns a row, MAX_SHEET_MB of XML a sheet."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile

from lxml import etree

from groundqa.errors import InvalidDocument
from groundqa.index.cell_format import cell_text
from groundqa.index.layout import TextBuilder, clean_line, labelled_row
from groundqa.index.loaders import Extracted, decode_text
from groundqa.index.office_zip import check_office_zip, library_error

KIND = "Excel (.xlsx)"
MAX_ROWS = 50_000
MAX_CELLS = 1_000_000
MAX_COLUMNS = 1_000
MAX_SHEET_MB = 32  # a sheet's XML, unzipped
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NUMERIC = re.compile(r"[-+(]?[$\u20ac\u00a3\u00a5]?\d[\d,.\s]*%?\)?")


def load_xlsx(data: bytes) -> Extracted:
    check_office_zip(data, KIND)
    _check_part_sizes(data)
    import openpyxl

    builder = TextBuilder()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of every extension it does not read
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            cells = _Count()
            for sheet in workbook.worksheets:
                if sheet.sheet_state == "visible":
                    _write_sheet(builder, sheet.title, _sheet_rows(workbook, sheet, cells))
            title = clean_line(workbook.properties.title or "")
        finally:
            workbook.close()
    except (InvalidDocument, MemoryError):
        raise
    except Exception as exc:  # openpyxl raises KeyError, ValueError, zip and XML errors on damaged files
        raise library_error(exc, KIND) from None
    if not builder.text.strip():
        raise InvalidDocument("no extractable text (every sheet is empty)")
    return Extracted(builder.text, title, builder.sections, [], [])


def load_csv(data: bytes) -> Extracted:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:16384], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows, filled = [], 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            filled += any(cell.strip() for cell in row)
            if filled > MAX_ROWS:
                raise InvalidDocument(_too_many_rows("the file"))
            if len(row) > MAX_COLUMNS:
                raise InvalidDocument(f"row {number} has {len(row):,} columns, over the limit of {MAX_COLUMNS:,}")
            rows.append((number, row))
    except csv.Error as exc:
        raise InvalidDocument(f"not a readable CSV file ({exc})") from None
    builder = TextBuilder()
    builder.table(sheet_lines(rows))
    if not builder.text.strip():
        raise InvalidDocument("no extractable text")
    return Extracted(builder.text, "", [], [], [])


def sheet_lines(rows: list[tuple[int, list[str]]]) -> list[str]:
    """A sheet's rows (row number, cells as text) as lines: rows before the header as they are (a
    title), the header joined by " | ", each row after it labelled (index/layout.py)."""
    lines: list[str] = []
    header: list[str] | None = None
    bare = False  # the first row of several cells held numbers only: a table without a header
    for number, row in rows:
        cells = [clean_line(cell) for cell in row]
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if header is None and not bare and len(filled) >= 2:
            if all(_NUMERIC.fullmatch(cell) for cell in filled):
                bare = True
            else:
                header = [cell or f"Column {_column_letter(i)}" for i, cell in enumerate(cells)]
                lines.append(" | ".join(filled))
                continue
        if header is None:
            lines.append(f"{filled[0]}: {filled[1]}" if len(filled) == 2 else " | ".join(filled))
        else:
            names = header + [f"Column {_column_letter(i)}" for i in range(len(header), len(cells))]
            lines.append(labelled_row(cells, names, label=f"Row {number}"))
    return lines


def _write_sheet(builder: TextBuilder, name: str, rows: list[tuple[int, list[str]]]) -> None:
    lines = sheet_lines(rows)
    if lines:
        builder.heading(name, 1)
        builder.table(lines)


def _check_part_sizes(data: bytes) -> None:
    """A sheet's XML over MAX_SHEET_MB (as its zip declares it) is refused before openpyxl reads it:
    openpyxl reads a sheet that does not declare its size (its "dimension") whole before the first
    row, and one of a million rows takes longer than the parse budget."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sizes = [member.file_size for member in archive.infolist()
                 if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")]
        strings = sum(member.file_size for member in archive.infolist() if member.filename == "xl/sharedStrings.xml")
    largest = max(sizes, default=0)
    if largest > MAX_SHEET_MB * 1024 * 1024:
        raise InvalidDocument(f"a sheet of this workbook unzips to {largest / 2**20:,.0f} MiB, over the limit of "
                              f"{MAX_SHEET_MB} MiB a sheet (and {MAX_ROWS:,} rows a sheet); split it, or index the "
                              "rows you need")
    if strings > 2 * MAX_SHEET_MB * 1024 * 1024:
        raise InvalidDocument(f"the workbook's text unzips to {strings / 2**20:,.0f} MiB, over the limit of "
                              f"{2 * MAX_SHEET_MB} MiB for one document")


class _Count:
    cells = 0


def _sheet_rows(workbook, sheet, count: _Count) -> list[tuple[int, list[str]]]:
    """The sheet's rows as text, merged cells filled down, within the limits. The size the sheet
    declares (its "dimension") is not trusted: it is reset, and rows are read as they come; merged
    ranges are read once the rows are known to be within the limits."""
    sheet.reset_dimensions()
    rows: dict[int, list[str]] = {}
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if len(row) > MAX_COLUMNS:
            raise InvalidDocument(f"sheet {sheet.title!r}: row {number} has {len(row):,} columns, over the limit "
                                  f"of {MAX_COLUMNS:,}")
        count.cells += len(row)
        if count.cells > MAX_CELLS:
            raise InvalidDocument(f"the workbook has more than {MAX_CELLS:,} cells, the limit for one document")
        texts = [cell_text(cell) for cell in row]
        if any(texts):
            rows[number] = texts
            if len(rows) > MAX_ROWS:
                raise InvalidDocument(_too_many_rows(f"sheet {sheet.title!r}"))
    for (first, column), last in _merged_down(workbook, sheet).items():
        anchor = rows.get(first, [])
        if column <= len(anchor) and anchor[column - 1]:
            for number in range(first + 1, last + 1):
                texts = rows.get(number)
                if texts is not None:  # an empty row stays empty
                    texts.extend([""] * (column - len(texts)))
                    texts[column - 1] = texts[column - 1] or anchor[column - 1]
    return sorted(rows.items())


def _too_many_rows(where: str) -> str:
    return (f"{where} has more than {MAX_ROWS:,} rows, the limit for one sheet or CSV file; split it, or "
            "index the rows you need")


def _merged_down(workbook, sheet) -> dict[tuple[int, int], int]:
    """(row, column) of the first cell of each range merged down several rows -> the range's last row.
    Read-only openpyxl does not read merged ranges: they are taken from the sheet's XML (its
    <mergeCell ref="A2:A4"> elements) in one streaming pass that keeps nothing else."""
    from openpyxl.utils.cell import range_boundaries

    path = getattr(sheet, "_worksheet_path", None)
    if path is None:
        return {}
    down = {}
    with workbook._archive.open(path) as source:
        for _, element in etree.iterparse(source, events=("end",), tag=(f"{_SHEET_NS}row", f"{_SHEET_NS}mergeCell"),
                                          resolve_entities=False, no_network=True, huge_tree=False):
            ref = element.get("ref") if element.tag.endswith("mergeCell") else None
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            if ref:
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                if max_row > min_row and min_col is not None:
                    down[(min_row, min_col)] = max_row
                if len(down) > MAX_ROWS:
                    break
    return down


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
