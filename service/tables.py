"""Tables as the loaders write them (index/loaders.py, table_lines): a line per row, the row's label
first, then each column's header with its cell: "Opened, missing parts | Nimbus T2: 20% | Nimbus T5: 25%"."""

from __future__ import annotations

from dataclasses import dataclass

from groundqa.index.terms import STOP_WORDS, holds, words
from groundqa.service.measures import measure

SEPARATOR = " | "


def in_a_row(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether text[start:end] holds a cell separator: a table row's line (or a part of one)."""
    return text.find(SEPARATOR, start, len(text) if end is None else end) >= 0


def cell_end(text: str, start: int, end: int) -> int:
    """Where the cell holding text[start:end] ends within it: before the next separator, else `end`."""
    found = text.find(SEPARATOR, start, end)
    return found if found > start else end


def label_end(line: str) -> int:
    """Where a table row's label (its first cell) ends; -1 for a line that is no row."""
    return line.find(SEPARATOR)


def cell_and_label(line: str, at: int) -> str:
    """The row's label and the cell holding offset `at` of a table row's line, joined by a space;
    the whole line where it is no row."""
    if not in_a_row(line):
        return line
    before = line.rfind(SEPARATOR, 0, at)
    after = line.find(SEPARATOR, at)
    cell = line[0 if before < 0 else before + len(SEPARATOR):len(line) if after < 0 else after]
    return f"{line[:label_end(line)]} {cell}"


def row_label(line: str) -> str | None:
    """The label of a table row as the loaders write it, every cell after it "header: value"; None for
    any other line (a header row, prose with a pipe in it). Parsed by splitting, in linear time: the
    pattern it replaces backtracked exponentially on cells holding several ": " (issue 39)."""
    line = line.strip()
    if "\n" in line:
        return None
    label, *cells = line.split(SEPARATOR)
    if not label or not cells or "|" in label or any("|" in cell or ": " not in cell for cell in cells):
        return None
    return label.strip()


@dataclass(frozen=True)
class Cell:
    label: str  # the row's label
    header: str  # the column's header
    start: int  # where the cell's value is in the text
    end: int


def asked_cell(text: str, start: int, end: int, asked: frozenset[str],
               wanted: frozenset[str] = frozenset()) -> tuple[int, int]:
    """For a span inside a table cell, the cell whose row label and column header hold more of the
    question's words (`asked`) than its own do: the reader read the row "Opened, complete with all parts"
    for "an opened T2 with missing parts"; the row "Opened, missing parts or packaging" is asked about.
    Then, where that cell is no measure the question wants (`wanted`: service/measures.py) and another
    cell of its row is, that one: "Price: $14.95", not "Delivery time: 1 to 2 business days", for what
    Express delivery costs. Any other span is returned as it is."""
    terms = [term for term in asked if term not in STOP_WORDS]
    if not terms or not in_a_row(text, text.rfind("\n", 0, start) + 1, _line_end(text, start)):
        return start, end
    table = _table_at(text, start)
    own = next((cell for cell in table if cell.start <= start and end <= cell.end), None)
    if own is None:
        return start, end

    def named(cell: Cell) -> tuple[int, bool, bool]:
        """Question words its row and column hold; on a tie, the reader's own row, then its column."""
        held = frozenset(words(f"{cell.label} {cell.header}"))
        return sum(holds(held, term) for term in terms), cell.label == own.label, cell.header == own.header

    best = max(table, key=named)
    chosen = best if named(best)[0] > named(own)[0] else own
    if wanted and not measure(text[chosen.start:chosen.end]) & wanted:
        in_row = [cell for cell in table if cell.label == chosen.label]
        chosen = next((cell for cell in in_row if measure(text[cell.start:cell.end]) & wanted), chosen)
    return (start, end) if chosen is own else (chosen.start, chosen.end)


def _table_at(text: str, at: int) -> list[Cell]:
    """The cells of the table whose row holds `at`."""
    line_start = text.rfind("\n", 0, at) + 1
    while line_start > 0:  # back to the table's first row
        before = text.rfind("\n", 0, line_start - 1) + 1
        if not in_a_row(text, before, line_start - 1):
            break
        line_start = before
    cells = []
    while line_start < len(text) and in_a_row(text, line_start, _line_end(text, line_start)):
        line_end = _line_end(text, line_start)
        cells.extend(_row_cells(text, line_start, line_end))
        line_start = line_end + 1
    return cells


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def row_cells(line: str) -> list[Cell]:
    """The "header: value" cells of a table row as the loaders write it, offsets in `line`."""
    return _row_cells(line, 0, len(line)) if row_label(line) is not None else []


def _row_cells(text: str, line_start: int, line_end: int) -> list[Cell]:
    """The "header: value" cells of a row line; none for a header row or a row of bare cells."""
    label_end = text.find(SEPARATOR, line_start, line_end)
    label = text[line_start:label_end]
    cells = []
    at = label_end
    while at >= 0:
        cell_start = at + len(SEPARATOR)
        cell_end = text.find(SEPARATOR, cell_start, line_end)
        cell_end = line_end if cell_end < 0 else cell_end
        colon = text.find(": ", cell_start, cell_end)
        if colon >= 0 and cell_end > colon + 2:
            cells.append(Cell(label, text[cell_start:colon], colon + 2, _before_note_mark(text, colon + 2, cell_end)))
        at = cell_end if cell_end < line_end else -1
    return cells


def _before_note_mark(text: str, start: int, end: int) -> int:
    """A cell's value ends before the footnote mark the loaders write after it ("$12.00[1]":
    index/footnotes.py)."""
    if end - start > 3 and text[end - 1] == "]":
        opening = text.rfind("[", max(start + 1, end - 8), end - 1)
        if opening > start and " " not in text[opening:end]:
            return len(text[:opening].rstrip()) if text[start:opening].strip() else opening
    return end
