"""Pages of a PDF that have no text layer (scans, photographed pages), read by OCR: pypdfium2 renders
the page to an image, Tesseract (through pytesseract) reads it.

Tesseract is a program of its own (Debian's tesseract-ocr and tesseract-ocr-eng; README, "Scanned
PDFs"). Without it such pages are not read, and the loader says which (meta "unread_pages"), so that
the rest of the file is still indexed."""

from __future__ import annotations

import os
import shutil

from groundqa.errors import InvalidDocument

DPI = 300
# A page is rendered at DPI unless that makes more pixels than this (A3 at 300 dpi is 17 million):
# a page declared a few metres wide must not take gigabytes.
MAX_PIXELS = 25_000_000
PAGE_TIMEOUT_S = 120  # one page; the parse budget (GROUNDQA_PARSE_TIMEOUT_S) bounds the whole file
LANGUAGES = "eng"


def tesseract_available() -> bool:
    try:
        import pytesseract
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def read_pages(data: bytes, numbers: list[int]) -> tuple[dict[int, str], list[int]]:
    """The text of pages `numbers` (1-based) of the PDF `data`, by OCR, and the pages left unread
    (all of them when Tesseract is not installed)."""
    if not numbers or not tesseract_available():
        return {}, list(numbers)
    import pypdfium2
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core a page: the server keeps the others for asks
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise InvalidDocument(f"scanned PDF could not be rendered for OCR ({exc})") from None
    found: dict[int, str] = {}
    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                width, height = page.get_size()
                scale = min(DPI / 72, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
                image = page.render(scale=scale, grayscale=True).to_pil()
                found[number] = pytesseract.image_to_string(image, lang=LANGUAGES, timeout=PAGE_TIMEOUT_S)
            except (pytesseract.TesseractError, RuntimeError, pypdfium2.PdfiumError) as exc:
                raise InvalidDocument(f"page {number} has no text layer and OCR failed on it "
                                      f"({str(exc).strip()[:200]})") from None
            finally:
                page.close()
    finally:
        pdf.close()
    return found, []
