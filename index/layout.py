"""Stored text for loaders that read structure from a library (Word, Excel, PowerPoint, CSV): blocks
written the way the HTML loader writes them, with their offsets recorded as they are written.

Paragraphs, headings and list items are blocks of their own, a blank line apart; a table is one block,
a line per row, each cell beside its column's header ("Basic | Monthly fee: $10 | Setup fee: $0",
two-cell rows "Severity: High"), as index/loaders.py's table_lines writes HTML tables and
service/tables.py reads them. Headings, lists and steps go into meta as index/sections.py defines
them; footnotes as [start, end] of each note's text, and references to them ("[1]", written by the
loader between index/footnotes.py's marks) as [start, end] of each."""

from __future__ import annotations

import re
from typing import NamedTuple, Sequence

from groundqa.index.footnotes import take_marks

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
# Private-use characters mark structure in the HTML loader; text from a file must not carry them in.
_MARKS = re.compile("[\ue000-\ue013]")


def clean_line(text: str) -> str:
    """One line: whitespace runs (line breaks included) become one space."""
    return " ".join(_MARKS.sub("", text).split())


def clean_block(text: str) -> str:
    """A block that may hold line breaks of its own (a <br>, a soft return): each line cleaned, empty
    lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in _MARKS.sub("", text).replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


class Item(NamedTuple):
    text: str
    level: int  # 0 for an outer item, 1 for an item of a list inside it, ...
    ordered: bool  # numbered (a step) or bulleted


class TextBuilder:
    """Blocks appended in reading order; `sections`, `lists`, `steps`, `footnotes` and
    `footnote_marks` hold their offsets into `text`."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.sections: list[list] = []
        self.lists: list[list[int]] = []
        self.steps: list[list[int]] = []
        self.footnotes: list[list[int]] = []
        self.footnote_marks: list[list[int]] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def _block(self, text: str) -> tuple[int, int] | None:
        text, references = take_marks(text)
        if not text:
            return None
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self.footnote_marks.extend([start + a, start + b] for a, b in references)
        self._parts.append(text)
        self._length += len(text)
        return start, self._length

    def paragraph(self, text: str) -> tuple[int, int] | None:
        return self._block(clean_block(text))

    def heading(self, text: str, level: int) -> None:
        span = self._block(clean_line(text))
        if span:
            self.sections.append([span[0], span[1], min(max(level, 1), 6), self._parts[-1]])

    def footnote(self, mark: str, text: str) -> None:
        """A note as its own block, "[1] text"; its text's offsets (without the mark) in `footnotes`."""
        body = clean_block(text)
        span = self._block(f"{mark} {body}") if body else None
        if span:
            self.footnotes.append([span[0] + len(mark) + 1, span[1]])

    def items(self, items: Sequence[Item]) -> None:
        """One list: its span in `lists`, each run of deeper items under an item as a list of its own
        (a nested list), and each numbered item in `steps`, running over the deeper items under it, as
        an HTML <li> holds its nested list."""
        written = [(span, item) for item in items if (span := self._block(clean_block(item.text)))]
        if not written:
            return
        self.lists.append([written[0][0][0], written[-1][0][1]])
        for i, ((start, end), item) in enumerate(written):
            last = i
            while last + 1 < len(written) and written[last + 1][1].level > item.level:
                last += 1
            if last > i:
                self.lists.append([written[i + 1][0][0], written[last][0][1]])
            if item.ordered:
                self.steps.append([start, written[last][0][1]])

    def table(self, lines: Sequence[str]) -> None:
        lines = [line for line in (clean_line(line) for line in lines) if line]
        self._block("\n".join(lines))


def table_lines(rows: Sequence[Sequence[str]], header_first: bool, min_header_cells: int = 3) -> list[str]:
    """A table's rows (cells as text, a merged cell's text where it spans) as the HTML loader writes
    them: with a header row (the first row, when `header_first` and it has `min_header_cells` cells,
    none empty) a row is "label | header: cell | ..."; without, a two-cell row is "key: value" and
    any other row its cells joined by " | ". Empty cells are left out of a row."""
    rows = [[clean_line(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    header = None
    if rows and header_first and len(rows[0]) >= min_header_cells and all(rows[0]):
        header = rows[0]
    lines = [" | ".join(header)] if header else []
    for row in rows[1:] if header else rows:
        if header is not None and len(row) == len(header):
            lines.append(labelled_row(row, header))
        elif len(row) == 2 and all(row):
            lines.append(f"{row[0]}: {row[1]}")
        else:
            lines.append(" | ".join(cell for cell in row if cell))
    return lines


def labelled_row(row: Sequence[str], header: Sequence[str], label: str = "") -> str:
    """ "label | header: cell | header: cell" for the row's non-empty cells; the label is the first
    cell (or `label` where that is empty; with neither, the first labelled cell leads)."""
    cells = [f"{name}: {cell}" for name, cell in zip(header[1:], row[1:]) if cell]
    first = row[0] if row and row[0] else label
    return " | ".join([first, *cells] if first else cells)
