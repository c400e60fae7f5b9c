"""Turn files into Documents. Each loader raises InvalidDocument with a reason a user can act on."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path, PurePosixPath
from typing import Callable, NamedTuple

from lxml import etree
from markdown_it import MarkdownIt

from groundqa.errors import InvalidDocument, UnsupportedFormat

# pypdf logs what it repairs ("EOF marker not found") on its own; a PDF it cannot read raises, and
# that reaches the user with the file's name.
logging.getLogger("pypdf").setLevel(logging.ERROR)
from groundqa.index.footnotes import (FOOTNOTE_MARKS, MARK_CLOSE, MARK_OPEN, mark_references, markdown_notes,
                                      with_notes, without_references)
from groundqa.index.layout import clean_block
from groundqa.index.plain_headings import plain_text_headings
from groundqa.index.sections import LISTS, SECTIONS, STEPS, check_sent_structure
from groundqa.index.types import Document

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
JSONL_SUFFIXES = {".jsonl"}
WORD_SUFFIXES = {".docx"}
EXCEL_SUFFIXES = {".xlsx"}
CSV_SUFFIXES = {".csv", ".tsv"}
POWERPOINT_SUFFIXES = {".pptx"}
SUPPORTED_SUFFIXES = (TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | JSONL_SUFFIXES | WORD_SUFFIXES
                      | EXCEL_SUFFIXES | CSV_SUFFIXES | POWERPOINT_SUFFIXES)
# Read by large parsers of binary formats: `groundqa index` reads them in a child process under the
# parse budget (index/sandbox.py), as the server reads every upload.
SANDBOXED_SUFFIXES = PDF_SUFFIXES | WORD_SUFFIXES | EXCEL_SUFFIXES | POWERPOINT_SUFFIXES

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "dt", "dd", "figcaption", "hr",
    "td", "th", "caption", "nav", "main", "aside", "address", "figure", "form", "details", "summary", "dl",
}
_INVISIBLE_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe", "title"}
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


def normalize_text(text: str) -> str:
    """One space between words, one newline between lines, a blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise InvalidDocument("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(f"not valid UTF-8 text (bad byte at offset {exc.start})") from None


def _require_text(text: str) -> str:
    if not text.strip():
        raise InvalidDocument("no extractable text")
    return text


def first_line(text: str, limit: int = 200) -> str:
    """A title for a document that has none: its first line."""
    line = text.strip().split("\n", 1)[0].strip().lstrip("#").strip()
    return line[:limit]


class Extracted(NamedTuple):
    text: str
    title: str
    sections: list  # [start, end, level, heading] of each heading line (index/sections.py)
    lists: list  # [start, end] of each list (index/sections.py)
    steps: list = []  # [start, end] of each item of an ordered list (index/sections.py)
    meta: dict = {}  # more of what the loader knows: footnotes, OCR'd pages (merged into Document.meta)


# Headings and lists are marked in the extracted text with private-use characters, which survive
# normalization; taking them out afterwards gives their exact offsets in the final text.
_HEADING_OPEN = {f"h{level}": chr(0xE000 + level) for level in range(1, 7)}
_HEADING_CLOSE, _LIST_OPEN, _LIST_CLOSE = "\ue00f", "\ue010", "\ue011"
_STEP_OPEN, _STEP_CLOSE = "\ue012", "\ue013"  # an item of an ordered list (<ol><li>, Markdown "1.")
_MARKS = re.compile("([\ue000-\ue015])")  # \ue014 and \ue015 enclose a footnote reference (index/footnotes.py)


def html_to_text(html: str) -> Extracted:
    """Visible text of an HTML page, with block elements on lines of their own, its title, its
    headings and its lists. Whitespace inside a block is a space, as a browser shows it (source line
    breaks are not the text's); <br> breaks a line and <pre> keeps its lines. One iterative pass over
    lxml's tree: time grows linearly with the page, and deep nesting cannot exhaust the stack."""
    root = _parse_html(_MARKS.sub("", html))
    if root is None:
        return Extracted("", "", [], [], [])
    mark_references(root)
    text, sections, lists, steps, references = _take_marks(normalize_text("".join(_visible_pieces(root))))
    title = next((t for e in root.iter("title", "h1", "h2") if (t := without_references(_inline_text(e)))), "")
    return Extracted(text, (title or first_line(text))[:200], sections, lists, steps,
                     {FOOTNOTE_MARKS: references} if references else {})


def _take_marks(marked: str) -> tuple[str, list, list, list, list]:
    """The text without its marks, and where the marked headings, lists, steps and footnote references
    are in it. A structure mark's own line or paragraph break goes with it: whitespace after an opening
    mark and before a closing one."""
    out: list[str] = []
    length = 0
    sections: list[list[int]] = []
    lists: list[list[int]] = []
    heading: tuple[int, int] | None = None  # (start, level) of the heading being read
    list_starts: list[int] = []
    steps: list[list[int]] = []
    step_starts: list[int] = []
    references: list[list[int]] = []
    strip_next = False
    for piece in _MARKS.split(marked):
        if not piece:
            continue
        if not _MARKS.fullmatch(piece):
            if strip_next:
                piece = piece.lstrip()
            if piece:
                out.append(piece)
                length += len(piece)
                strip_next = False
            continue
        if piece == MARK_OPEN:  # a footnote reference: its text stays as written
            references.append([length, length])
            continue
        if piece == MARK_CLOSE:
            references[-1][1] = length
            continue
        if piece in (_HEADING_CLOSE, _LIST_CLOSE, _STEP_CLOSE):
            while out and out[-1] != out[-1].rstrip():
                kept = out[-1].rstrip()
                length -= len(out[-1]) - len(kept)
                out[-1] = kept
                if not kept:
                    out.pop()
        if piece == _HEADING_CLOSE:
            if heading is not None and length > heading[0]:
                sections.append([heading[0], length, heading[1]])
            heading = None
        elif piece in (_LIST_CLOSE, _STEP_CLOSE):
            starts, spans = (list_starts, lists) if piece == _LIST_CLOSE else (step_starts, steps)
            begun = starts.pop() if starts else length
            if length > begun:
                spans.append([begun, length])
        else:
            if piece == _LIST_OPEN:
                list_starts.append(length)
            elif piece == _STEP_OPEN:
                step_starts.append(length)
            else:
                heading = (length, ord(piece) - 0xE000)
            strip_next = True
    text = "".join(out)
    return text, [[a, b, level, text[a:b]] for a, b, level in sections], sorted(lists), sorted(steps), references


def _inline_text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _parse_html(html: str):
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        return etree.fromstring(html.encode("utf-8"), parser)
    except etree.ParserError:  # nothing to parse
        return None
    except etree.XMLSyntaxError as exc:  # fatal even for a forgiving parser: out of memory, for one
        raise InvalidDocument(f"HTML could not be parsed (lxml: {exc.msg})") from None


def _visible_pieces(root) -> list[str]:
    """The text pieces in document order, headings and lists marked (see _take_marks)."""
    pieces: list[str] = []
    stack = [(root, False, False)]  # (element, closing, inside <pre>)
    while stack:
        element, closing, in_pre = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else None  # None: an entity or other node
        if closing:
            if tag in _HEADING_OPEN or _is_bold_label(element, tag):
                pieces.append(_HEADING_CLOSE)
            elif tag in ("ol", "ul"):
                pieces.append(_LIST_CLOSE)
            elif _is_step(element, tag):
                pieces.append(_STEP_CLOSE)
            if tag in _BLOCK_TAGS and tag != "br":
                pieces.append("\n")
        if closing or tag is None or tag in _INVISIBLE_TAGS or _is_boilerplate(element, tag):
            if element.tail and element is not root:
                pieces.append(_as_shown(element.tail, in_pre))
            continue
        if tag == "table":  # as lines of rows, each cell beside its column's header
            pieces.append("\n" + "\n".join(table_lines(element)) + "\n")
            stack.append((element, True, in_pre))
            continue
        if tag in _BLOCK_TAGS:
            pieces.append("\n")
        if tag in _HEADING_OPEN:
            pieces.append(_HEADING_OPEN[tag])
        elif _is_bold_label(element, tag):
            pieces.append(_HEADING_OPEN["h6"])
        elif tag in ("ol", "ul"):
            pieces.append(_LIST_OPEN)
        elif _is_step(element, tag):
            pieces.append(_STEP_OPEN)
        in_pre = in_pre or tag == "pre"
        if element.text:
            pieces.append(_as_shown(element.text, in_pre))
        stack.append((element, True, in_pre and tag != "pre"))
        stack.extend((child, False, in_pre) for child in reversed(element))
    return pieces


def _is_step(element, tag: str | None) -> bool:
    parent = element.getparent()
    return tag == "li" and parent is not None and parent.tag == "ol"


def _is_bold_label(element, tag: str | None) -> bool:
    """A paragraph that is one short bold phrase ("**Nimbus T5**" above its steps): a heading in all
    but its tag, so that what follows is read under it."""
    if tag != "p" or len(element) != 1 or (element.text or "").strip():
        return False
    child = element[0]
    if child.tag not in ("strong", "b") or (child.tail or "").strip():
        return False
    parent = element.getparent()
    if parent is not None and parent.tag not in _SECTION_TAGS:  # a bold line in a list item or a cell is its content
        return False
    return looks_like_label(_inline_text(child))


def looks_like_label(label: str) -> bool:
    """A short phrase that names what follows, not a clause, a field, a number or a price."""
    return 0 < len(label) <= _MAX_LABEL and not _ENDS_CLAUSE.search(label) and ": " not in label \
        and not label[0].isdigit() and label[0] not in "$\u20ac\u00a3"


_MAX_LABEL = 80
_SECTION_TAGS = {"body", "div", "section", "article", "main", "header"}


# Page furniture, by the landmarks HTML and ARIA define for it: site navigation, footers, asides,
# and what is hidden or a cookie/consent notice. A page's own header (its title, its date) stays.
_FURNITURE_TAGS = {"nav", "footer", "aside"}
_FURNITURE_ROLES = {"navigation", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
# Notices and breadcrumb trails ("Security › Advisories › NSA-2024-003") by their id or class.
_NOTICE = re.compile(r"cookie|consent|gdpr|breadcrumb", re.IGNORECASE)
_CONTENT_TAGS = {"html", "body", "main", "article"}


def _is_boilerplate(element, tag: str) -> bool:
    if tag in _CONTENT_TAGS:  # a class such as "has-cookie-banner" on <body> does not make the page furniture
        return False
    if tag in _FURNITURE_TAGS or element.get("role", "").lower() in _FURNITURE_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden", "").lower() == "true":
        return True
    return bool(_NOTICE.search(f"{element.get('id', '')} {element.get('class', '')}"))


def table_lines(table) -> list[str]:
    """One line per row: "key: value" for two cells; with a header row of three or more cells,
    "row label | header: cell | header: cell", so that a cell is read with its row and column
    ("Opened, missing parts | Nimbus T2: 20% | Nimbus T5: 25%")."""
    lines: list[str] = []
    caption = table.find("caption")
    if caption is not None and _inline_text(caption):
        lines.append(_inline_text(caption))
    header: list[str] | None = None
    for row in table.iter("tr"):
        cells = [cell for cell in row if cell.tag in ("td", "th")]
        texts = [_inline_text(cell) for cell in cells]
        if not any(texts):
            continue
        if header is None and len(cells) >= 3 and all(cell.tag == "th" for cell in cells):
            header = texts
            lines.append(" | ".join(texts))
        elif header is not None and len(texts) == len(header):
            lines.append(" | ".join([texts[0], *(f"{h}: {t}" for h, t in zip(header[1:], texts[1:]))]))
        elif len(texts) == 2:
            lines.append(f"{texts[0]}: {texts[1]}")
        else:
            lines.append(" | ".join(texts))
    return lines


def _as_shown(text: str, in_pre: bool) -> str:
    return text if in_pre else text.replace("\n", " ")


def load_text(data: bytes) -> Extracted:
    text = _require_text(unwrap_lines(normalize_text(decode_text(data))))
    return Extracted(text, first_line(text), plain_text_headings(text), [])


def load_markdown(data: bytes) -> Extracted:
    # Tables (GitHub's pipe tables) render as HTML tables, read as labelled rows like any other.
    markdown = MarkdownIt("commonmark").enable("table")
    body, notes = markdown_notes(decode_text(data))  # footnotes: index/footnotes.py
    extracted = html_to_text(markdown.render(_fields_on_their_lines(body)))
    _require_text(extracted.text)
    return with_notes(extracted, [(label, clean_block(html_to_text(markdown.render(note)).text))
                                  for label, note in notes])


_FIELD_LINE = re.compile(r"[ \t]{0,3}(?:\*\*|__)?[A-Z][^:\n]{0,40}?:(?:\*\*|__)?[ \t]+\S")
_FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}|~{3,})")


def _fields_on_their_lines(markdown: str) -> str:
    """Lines of one paragraph that are each a field ("Released: May 7, 2024" then "Models: Nimbus T2")
    end in a hard break, so they stay lines as written; Markdown would join them into one line of text
    ("Released: May 7, 2024 Models: ..."). Code blocks are left alone."""
    lines = markdown.split("\n")
    in_code = False
    for i, line in enumerate(lines[:-1]):
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and _FIELD_LINE.match(line) and _FIELD_LINE.match(lines[i + 1]):
            lines[i] = line.rstrip() + "  "
    return "\n".join(lines)


def load_html(data: bytes) -> Extracted:
    extracted = html_to_text(decode_text(data))
    _require_text(extracted.text)
    return extracted


_ENDS_CLAUSE = re.compile(r"[.!?:;]['\"\u201d\u2019)\]]*$")
# A list item, a rule line, or a numbered clause ("4.4 No excess applies ...").
_LIST_ITEM = re.compile(r"^(?:[-*\u2022\u2013]\s|\d{1,3}[.)]\s|\d{1,3}(?:\.\d{1,3})+\s+[A-Z]|[a-zA-Z][.)]\s|[=\-_*#]{3,}$)")
MIN_LINES_FOR_WIDTH = 8
_CONTINUES = re.compile(r"^[a-z0-9(\"'\u201c\u2018]")


def unwrap_lines(text: str) -> str:
    """Text and PDF files break lines where the page ran out, not where the writer did: such a break
    becomes a space, so sentences read whole. A break was the page's when the next line's first word
    would not have fitted on the line (the text's width is its longest lines', the 95th percentile;
    not before a short line after a full stop: a heading), or when a line of at least half the width
    ends mid-clause and the next plainly continues it (lower case, a digit, an opening bracket or
    quote). Breaks before a list item or a rule line, and after a short line, always stay."""
    lengths = sorted(len(line) for line in text.split("\n") if line)
    if not lengths:
        return text
    # A width needs lines to measure it on; with a few, the longest would seem wrapped.
    width = lengths[int(0.95 * len(lengths))] if len(lengths) >= MIN_LINES_FOR_WIDTH else float("inf")
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        joined = lines[0]
        for before, after in zip(lines, lines[1:]):
            first_word = after.split(" ", 1)[0]
            ends_clause = _ENDS_CLAUSE.search(before)
            heading = len(after) < width / 2 and not _ENDS_CLAUSE.search(after)  # "Installation steps"
            wrapped = len(before) + 1 + len(first_word) > width and not (ends_clause and heading)
            continued = _CONTINUES.match(after) and not ends_clause and len(before) >= width / 2
            soft = (wrapped or continued) and not _LIST_ITEM.match(after)
            joined += (" " if soft else "\n") + after
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def load_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidDocument("encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except InvalidDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise InvalidDocument(f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many internal types on damaged files
        raise InvalidDocument(f"corrupt or unreadable PDF ({exc.__class__.__name__})") from None
    pages, meta = _read_scanned_pages(data, pages)
    text = unwrap_lines(normalize_text("\n\n".join(pages)))
    if not text and meta.get(UNREAD_PAGES):
        raise InvalidDocument("PDF has no text layer (a scan) and Tesseract, which reads scanned pages, is not "
                              "installed (see README: Scanned PDFs)")
    if not text:
        raise InvalidDocument("PDF has no extractable text, not even by OCR")
    return Extracted(text, str(meta_title).strip() or first_line(text), plain_text_headings(text), [], [], meta)


OCR_PAGES = "ocr"  # meta: the pages (1-based) read by OCR
UNREAD_PAGES = "unread_pages"  # meta: pages without a text layer left unread (no Tesseract)


def _read_scanned_pages(data: bytes, pages: list[str]) -> tuple[list[str], dict]:
    """Pages without a text layer read by OCR (index/ocr.py), and what meta says of them."""
    blank = [number for number, page in enumerate(pages, start=1) if not page.strip()]
    if not blank:
        return pages, {}
    from groundqa.index.ocr import read_pages

    found, unread = read_pages(data, blank)
    pages = [found.get(number, page) for number, page in enumerate(pages, start=1)]
    read = sorted(number for number, page in found.items() if page.strip())
    return pages, {**({OCR_PAGES: read} if read else {}), **({UNREAD_PAGES: unread} if unread else {})}


def load_docx(data: bytes) -> Extracted:
    from groundqa.index.word import load_docx as read

    return read(data)


def load_xlsx(data: bytes) -> Extracted:
    from groundqa.index.sheets import load_xlsx as read

    return read(data)


def load_csv(data: bytes) -> Extracted:
    from groundqa.index.sheets import load_csv as read

    return read(data)


def load_pptx(data: bytes) -> Extracted:
    from groundqa.index.slides import load_pptx as read

    return read(data)


_LOADERS: dict[str, Callable[[bytes], Extracted]] = {
    **{s: load_text for s in TEXT_SUFFIXES},
    **{s: load_markdown for s in MARKDOWN_SUFFIXES},
    **{s: load_html for s in HTML_SUFFIXES},
    **{s: load_pdf for s in PDF_SUFFIXES},
    **{s: load_docx for s in WORD_SUFFIXES},
    **{s: load_xlsx for s in EXCEL_SUFFIXES},
    **{s: load_csv for s in CSV_SUFFIXES},
    **{s: load_pptx for s in POWERPOINT_SUFFIXES},
}


def check_format(suffix: str) -> str:
    """`suffix` if a loader reads it, else UnsupportedFormat naming those that do."""
    if suffix.lower() not in _LOADERS:
        supported = ", ".join(sorted(_LOADERS))
        raise UnsupportedFormat(f"unsupported file type {suffix or '(none)'!r}; supported: {supported}")
    return suffix


def document_from_bytes(data: bytes, *, doc_id: str, source: str, suffix: str, meta: dict | None = None) -> Document:
    """One file's bytes to one Document; raises InvalidDocument."""
    extracted = _LOADERS[check_format(suffix).lower()](data)
    return document_from_extracted(extracted, doc_id=doc_id, source=source, format=suffix.lower().lstrip("."),
                                   meta=meta)


def document_from_extracted(extracted: Extracted, *, doc_id: str, source: str, format: str,
                            meta: dict | None = None) -> Document:
    """A loader's output as a Document; one with no title of its own (a CSV file) is titled by its
    file's name."""
    text, title, sections, lists, steps, more = extracted
    # Steps go with lists: a document with lists and no "steps" key was indexed before steps were
    # recorded (index/sections.py, steps_in).
    structure = {**({SECTIONS: sections} if sections else {}), **({LISTS: lists, STEPS: steps} if lists else {})}
    title = title or PurePosixPath(source.removeprefix("upload:")).stem or first_line(text)
    return Document(doc_id=doc_id, title=title, source=source, text=text,
                    meta={"format": format, **structure, **more, **(meta or {})})


def documents_from_jsonl(data: bytes, *, source: str, id_prefix: str) -> tuple[list[Document], list[str]]:
    """One Document per line ({"id", "title", "text", "meta"}); bad lines come back as messages."""
    documents, problems = [], []
    for number, line in enumerate(decode_text(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(_jsonl_document(line, source=f"{source}#L{number}", fallback_id=f"{id_prefix}#L{number}"))
        except InvalidDocument as exc:
            problems.append(f"line {number}: {exc}")
    return documents, problems


def _jsonl_document(line: str, *, source: str, fallback_id: str) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidDocument(f"invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise InvalidDocument("expected a JSON object")
    text, title, meta = record.get("text"), record.get("title"), record.get("meta", {})
    if not isinstance(text, str) or not text.strip():
        raise InvalidDocument("missing or empty 'text'")
    if not isinstance(meta, dict):
        raise InvalidDocument("'meta' must be an object")
    check_sent_structure(meta)
    doc_id = str(record.get("id") or fallback_id)
    text = normalize_text(text)
    return Document(doc_id=doc_id, title=str(title or first_line(text)), source=source, text=text, meta=meta)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES
