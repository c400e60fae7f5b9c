"""PowerPoint (.pptx) files, read with python-pptx: each slide a section headed by its title ("Slide 3"
where it has none), its text in reading order (top to bottom, then left to right), its tables as
labelled rows (index/layout.py), then its speaker notes under "Speaker notes".

A text box of several paragraphs is a list, as a slide shows it (bullets); its paragraphs numbered
automatically are steps. Pictures, charts and slides marked hidden are left out."""

from __future__ import annotations

import io

from groundqa.errors import InvalidDocument
from groundqa.index.layout import Item, TextBuilder, clean_line, table_lines
from groundqa.index.loaders import Extracted, first_line
from groundqa.index.office_zip import check_office_zip, library_error

KIND = "PowerPoint (.pptx)"
MAX_SLIDES = 2_000
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def load_pptx(data: bytes) -> Extracted:
    check_office_zip(data, KIND)
    try:
        from pptx import Presentation

        presentation = Presentation(io.BytesIO(data))
        if len(presentation.slides) > MAX_SLIDES:
            raise InvalidDocument(f"presentation has {len(presentation.slides):,} slides, over the limit of "
                                  f"{MAX_SLIDES:,} for one document")
        builder = TextBuilder()
        titles = [_write_slide(builder, slide, number) for number, slide in enumerate(presentation.slides, start=1)
                  if slide._element.get("show") not in ("0", "false")]
        title = clean_line(presentation.core_properties.title or "") or next((t for t in titles if t), "")
    except (InvalidDocument, MemoryError):
        raise
    except Exception as exc:  # python-pptx raises KeyError, ValueError, lxml errors... on damaged files
        raise library_error(exc, KIND) from None
    if not builder.text.strip():
        raise InvalidDocument("no extractable text")
    return Extracted(builder.text, (title or first_line(builder.text))[:200], builder.sections, builder.lists,
                     builder.steps)


def _write_slide(builder: TextBuilder, slide, number: int) -> str:
    """Write one slide; its title."""
    title_shape = slide.shapes.title
    title = clean_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    builder.heading(title or f"Slide {number}", 1)
    for shape in _in_reading_order(slide.shapes):
        if shape is title_shape or (title_shape is not None and shape.shape_id == title_shape.shape_id):
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            builder.table(table_lines(_table_rows(shape.table), header_first=shape.table.first_row))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            _write_text(builder, shape.text_frame, _bulleted(shape))
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = slide.notes_slide.notes_text_frame.text
        if notes.strip():
            builder.heading("Speaker notes", 2)
            for paragraph in notes.split("\n"):
                builder.paragraph(paragraph)
    return title


def _in_reading_order(shapes) -> list:
    """Shapes top to bottom, then left to right; a group's shapes where the group is."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    found = []
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            found.extend(_in_reading_order(shape.shapes))
        else:
            found.append(shape)
    return sorted(found, key=lambda shape: (shape.top or 0, shape.left or 0))


def _write_text(builder: TextBuilder, frame, bulleted: bool) -> None:
    """A text frame's paragraphs: a list where they are bullets or numbered (two or more), else
    paragraphs."""
    paragraphs = [(text, p) for p in frame.paragraphs if (text := clean_line(p.text))]
    marks = [_bullet(p) for _, p in paragraphs]
    if len(paragraphs) >= 2 and ((bulleted and "none" not in marks) or {"number", "bullet"} & set(marks)):
        builder.items([Item(text, p.level, _bullet(p) == "number") for text, p in paragraphs])
    else:
        for text, _ in paragraphs:
            builder.paragraph(text)


def _bulleted(shape) -> bool:
    """A body placeholder: its paragraphs are bullets unless they say otherwise."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    return shape.is_placeholder and shape.placeholder_format.type in (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)


def _bullet(paragraph) -> str:
    """"number" for a paragraph numbered automatically (<a:buAutoNum>), "bullet" for one with a
    bullet character of its own, "none" for one without (<a:buNone>), "" where its shape decides."""
    properties = paragraph._p.pPr
    if properties is None:
        return ""
    if properties.find(f"{_A}buAutoNum") is not None:
        return "number"
    if properties.find(f"{_A}buNone") is not None:
        return "none"
    return "bullet" if properties.find(f"{_A}buChar") is not None else ""


def _table_rows(table) -> list[list[str]]:
    """Cells as text; a cell that another spans is empty, so the spanning cell is read once."""
    return [["" if cell.is_spanned else cell.text for cell in row.cells] for row in table.rows]
