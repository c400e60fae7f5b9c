"""Turn files into Documents. Each loader raises InvalidDocument with a reason a user can act on."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Callable

from lxml import etree
from markdown_it import MarkdownIt

from groundqa.errors import InvalidDocument, UnsupportedFormat

# pypdf logs what it repairs ("EOF marker not found") on its own; a PDF it cannot read raises, and
# that reaches the user with the file's name.
logging.getLogger("pypdf").setLevel(logging.ERROR)
from groundqa.index.types import Document

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | JSONL_SUFFIXES

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


def html_to_text(html: str) -> tuple[str, str]:
    """Visible text of an HTML page, with block elements on lines of their own; and its title.
    One iterative pass over lxml's tree: time grows linearly with the page, and deep nesting
    cannot exhaust the stack."""
    root = _parse_html(html)
    if root is None:
        return "", ""
    text = normalize_text("".join(_visible_pieces(root)))
    title = next((_inline_text(e) for e in root.iter("title", "h1", "h2") if _inline_text(e)), "")
    return text, (title or first_line(text))[:200]


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
    pieces: list[str] = []
    stack = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else None  # None: an entity or other node
        if closing or tag is None or tag in _INVISIBLE_TAGS:
            if closing and tag in _BLOCK_TAGS:
                pieces.append("\n")
            if element.tail and element is not root:
                pieces.append(element.tail)
            continue
        if tag in _BLOCK_TAGS:
            pieces.append("\n")
        if element.text:
            pieces.append(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return pieces


def load_text(data: bytes) -> tuple[str, str]:
    text = _require_text(normalize_text(decode_text(data)))
    return text, first_line(text)


def load_markdown(data: bytes) -> tuple[str, str]:
    html = MarkdownIt("commonmark").render(decode_text(data))
    text, title = html_to_text(html)
    return _require_text(text), title


def load_html(data: bytes) -> tuple[str, str]:
    text, title = html_to_text(decode_text(data))
    return _require_text(text), title


def load_pdf(data: bytes) -> tuple[str, str]:
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
    text = normalize_text("\n\n".join(pages))
    if not text:
        raise InvalidDocument("PDF has no extractable text (scanned images need OCR first)")
    return text, str(meta_title).strip() or first_line(text)


_LOADERS: dict[str, Callable[[bytes], tuple[str, str]]] = {
    **{s: load_text for s in TEXT_SUFFIXES},
    **{s: load_markdown for s in MARKDOWN_SUFFIXES},
    **{s: load_html for s in HTML_SUFFIXES},
    **{s: load_pdf for s in PDF_SUFFIXES},
}


def check_format(suffix: str) -> str:
    """`suffix` if a loader reads it, else UnsupportedFormat naming those that do."""
    if suffix.lower() not in _LOADERS:
        supported = ", ".join(sorted(_LOADERS))
        raise UnsupportedFormat(f"unsupported file type {suffix or '(none)'!r}; supported: {supported}")
    return suffix


def document_from_bytes(data: bytes, *, doc_id: str, source: str, suffix: str, meta: dict | None = None) -> Document:
    """One file's bytes to one Document; raises InvalidDocument."""
    text, title = _LOADERS[check_format(suffix).lower()](data)
    return Document(doc_id=doc_id, title=title, source=source, text=text,
                    meta={"format": suffix.lower().lstrip("."), **(meta or {})})


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
    doc_id = str(record.get("id") or fallback_id)
    text = normalize_text(text)
    return Document(doc_id=doc_id, title=str(title or first_line(text)), source=source, text=text, meta=meta)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES
