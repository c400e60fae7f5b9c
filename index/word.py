"""Word (.docx) files, read with python-docx: paragraphs, headings as sections, bulleted and numbered
lists (numbered items as steps), tables as labelled rows, footnotes at the end.

The body is read in order, paragraphs and tables alike. A heading is a paragraph whose style is (or is
based on) "Title" or "Heading N"; a paragraph that is one short bold phrase is a sub-heading, as in
HTML. A list item is a paragraph with numbering (its own or its style's): numbered when its level's
format is a number or letter, bulleted otherwise. A footnote's mark stays where it is in the text
("[1]", its offsets in meta["footnote_marks"]) and its note is written under "Footnotes" at the end.
Tracked insertions are read, tracked deletions not; headers, footers, comments and text boxes are left
out, as a reader of the page does not read them as the body."""

from __future__ import annotations

import io

from groundqa.errors import InvalidDocument
from groundqa.index.footnotes import FOOTNOTE_MARKS, FOOTNOTES, marked, strip_marks, without_references
from groundqa.index.layout import Item, TextBuilder, clean_line, table_lines
from groundqa.index.loaders import Extracted, first_line, looks_like_label
from groundqa.index.office_zip import check_office_zip, library_error

KIND = "Word (.docx)"
_UNNUMBERED = {"bullet", "none", ""}
_FOOTNOTES_RELTYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def load_docx(data: bytes) -> Extracted:
    check_office_zip(data, KIND)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        builder, title = _read(document)
    except MemoryError:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... on damaged files
        raise library_error(exc, KIND) from None
    text = builder.text
    if not text.strip():
        raise InvalidDocument("no extractable text")
    notes = {FOOTNOTES: builder.footnotes, FOOTNOTE_MARKS: builder.footnote_marks}
    return Extracted(text, (title or first_line(text))[:200], builder.sections, builder.lists, builder.steps,
                     {key: spans for key, spans in notes.items() if spans})


def _read(document) -> tuple[TextBuilder, str]:
    from docx.table import Table

    builder = TextBuilder()
    numbering = _Numbering(document)
    notes = _footnotes(document)
    marks: dict[str, int] = {}  # footnote id -> its number, in the order the text refers to them
    pending: list[Item] = []
    title = clean_line(document.core_properties.title or "")

    def flush() -> None:
        builder.items(pending)
        pending.clear()

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            flush()
            builder.table(table_lines(_table_rows(block, notes, marks), header_first=True))
            continue
        text = _paragraph_text(block, notes, marks)
        level = _heading_level(block.style)
        listed = numbering.of(block)
        if level:
            flush()
            builder.heading(text, level)
            title = title or clean_line(without_references(text))
        elif listed is not None:
            pending.append(Item(text, *listed))
        else:
            flush()
            if _is_bold_label(block, text):
                builder.heading(text, 6)
            else:
                builder.paragraph(text)
    flush()
    _write_footnotes(builder, notes, marks)
    return builder, title


# A paragraph's runs in order: its own, a hyperlink's, and those a tracked insertion, a simple field or
# a smart tag wraps (python-docx's own text leaves the last three out; a tracked deletion stays out).
_RUNS = "./w:r | ./w:hyperlink | ./w:ins/w:r | ./w:fldSimple/w:r | ./w:smartTag/w:r"


def _paragraph_text(paragraph, notes: dict[str, str], marks: dict[str, int]) -> str:
    """The paragraph's text, with "[n]" where a footnote is referred to."""
    from docx.text.hyperlink import Hyperlink
    from docx.text.run import Run

    pieces = []
    for element in paragraph._p.xpath(_RUNS):
        if element.tag == f"{_W}hyperlink":
            pieces.append(strip_marks(Hyperlink(element, paragraph).text))
            continue
        pieces.append(strip_marks(Run(element, paragraph).text))
        for reference in element.iterchildren(f"{_W}footnoteReference"):
            note_id = reference.get(f"{_W}id")
            if note_id in notes:
                marks.setdefault(note_id, len(marks) + 1)
                pieces.append(marked(str(marks[note_id])))
    return "".join(pieces)


def _heading_level(style) -> int:
    """1 for "Title", N for "Heading N", following the styles a style is based on."""
    for _ in range(8):
        if style is None:
            return 0
        name = (style.name or "").strip().lower()
        if name == "title":
            return 1
        if name.startswith("heading ") and name[8:].isdigit():
            return min(max(int(name[8:]), 1), 6)
        style = style.base_style
    return 0


def _is_bold_label(paragraph, text: str) -> bool:
    """A paragraph of bold runs alone (no link), short, not a sentence: "Nimbus T5" above its steps."""
    runs = [run for run in paragraph.runs if run.text.strip()]
    if not runs or "".join(run.text for run in paragraph.runs) != text:
        return False
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    return all(run.bold or (run.bold is None and style_bold) for run in runs) and looks_like_label(clean_line(text))


class _Numbering:
    """Whether a paragraph is a list item: its level and whether it is numbered."""

    def __init__(self, document) -> None:
        try:
            self._numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            self._numbering = None

    def of(self, paragraph) -> tuple[int, bool] | None:
        num_pr = _num_pr(paragraph)
        if num_pr is None or num_pr.numId is None or num_pr.numId.val == 0:
            return None
        level = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return level, self._format(num_pr.numId.val, level) not in _UNNUMBERED

    def _format(self, num_id: int, level: int) -> str:
        if self._numbering is None:
            return ""
        try:
            abstract_id = self._numbering.num_having_numId(num_id).abstractNumId.val
        except (KeyError, AttributeError):
            return ""
        formats = self._numbering.xpath(f'./w:abstractNum[@w:abstractNumId="{int(abstract_id)}"]'
                                        f'/w:lvl[@w:ilvl="{int(level)}"]/w:numFmt/@w:val')
        return str(formats[0]) if formats else ""


def _num_pr(paragraph):
    """The paragraph's own numbering, else its style's (or a style it is based on)."""
    p_pr = paragraph._p.pPr
    if p_pr is not None and p_pr.numPr is not None:
        return p_pr.numPr
    style = paragraph.style
    for _ in range(8):
        if style is None:
            return None
        s_pr = style.element.pPr
        if s_pr is not None and s_pr.numPr is not None:
            return s_pr.numPr
        style = style.base_style
    return None


def _table_rows(table, notes: dict[str, str], marks: dict[str, int]) -> list[list[str]]:
    """Cells as text, one per column of the table's grid: a cell merged across columns in the first
    of them (the others empty), one merged down the rows in each (a label stays with every row)."""
    rows = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            text = " ".join(_paragraph_text(paragraph, notes, marks) for paragraph in cell.paragraphs)
            cells.append("" if cell is previous else text)
            previous = cell
        rows.append(cells)
    return rows


def _footnotes(document) -> dict[str, str]:
    """Footnote id -> its text, read from the footnotes part through python-docx's XML classes."""
    from docx.oxml import parse_xml
    from docx.text.paragraph import Paragraph

    part = next((rel.target_part for rel in document.part.rels.values()
                 if rel.reltype == _FOOTNOTES_RELTYPE and not rel.is_external), None)
    if part is None:
        return {}
    root = parse_xml(part.blob)
    notes = {}
    for note in root.iterchildren(f"{_W}footnote"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = strip_marks("\n".join(Paragraph(p, None).text for p in note.iterchildren(f"{_W}p")))
        if text.strip():
            notes[note.get(f"{_W}id")] = text
    return notes


def _write_footnotes(builder: TextBuilder, notes: dict[str, str], marks: dict[str, int]) -> None:
    """The notes under a heading "Footnotes", in the order the text refers to them ("[1] ..."); notes
    the text never refers to after them."""
    if not notes:
        return
    order = sorted(notes, key=lambda note_id: marks.get(note_id, len(marks) + 1 + list(notes).index(note_id)))
    builder.heading("Footnotes", 1)
    for number, note_id in enumerate(order, start=1):
        builder.footnote(f"[{marks.get(note_id, number)}]", notes[note_id])
