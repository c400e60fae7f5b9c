"""Files of every type a user has, made here with the libraries that write them: a Word document with
a table, lists and a footnote, a workbook of two sheets, a CSV file, a presentation with speaker notes,
a scanned PDF (an image of text, no text layer), and the hostile ones."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

_FOOTNOTES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p>'
    '</w:footnote></w:footnotes>')


def word_document(path: Path) -> Path:
    """Headings, a paragraph with a footnote, numbered steps, bullets, a bold label and a table."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.core_properties.title = "Contoso Staff Handbook"
    document.add_heading("Contoso Staff Handbook", 0)
    intro = document.add_paragraph("Welcome to Contoso. The head of security at Contoso is Dana Whitfield.")
    intro.add_run(" Badges are issued by the front desk.")
    _footnote_reference(intro.add_run(), OxmlElement, qn)
    document.add_heading("Requesting leave", 1)
    document.add_paragraph("To request leave, follow these steps:")
    for step in ("Open the HR portal.", "Choose the dates of your leave.", "Submit the form to your manager."):
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("Bring on your first day:")
    for item in ("your badge", "a signed contract"):
        document.add_paragraph(item, style="List Bullet")
    label = document.add_paragraph()
    label.add_run("Parking").bold = True
    document.add_paragraph("Staff park in lot B behind the warehouse.")
    document.add_heading("Plans and fees", 2)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["Plan", "Monthly fee", "Setup fee"], ["Basic", "$10", "$0"], ["Pro", "$25", "$50"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("All prices include VAT.")
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                _FOOTNOTES_XML.format(text="The front desk is open from 8 a.m. to 6 p.m.").encode(),
                document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    document.save(path)
    return path


def _footnote_reference(run, OxmlElement, qn) -> None:
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), "1")
    run._r.append(reference)


def workbook(path: Path) -> Path:
    """Two sheets: prices (a formula with a cached value, a currency format, a merged label) and
    opening hours."""
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title = "Nimbus Price List"
    prices = book.active
    prices.title = "Prices"
    prices.append(["Nimbus price list, 2024"])
    prices.append(["Model", "Colour", "Price", "In stock"])
    prices.append(["Nimbus T2", "White", 89, 120])
    prices.append([None, "Black", 94, 35])
    prices.append(["Nimbus T5", "White", 129, "=D3+5"])
    prices.append([None, None, None, None])
    prices.append(["Nimbus Hub", "Grey", 59.5, 0])
    prices.merge_cells("A3:A4")
    for row in prices.iter_rows(min_row=3, min_col=3, max_col=3):
        row[0].number_format = '"$"#,##0.00'
    hours = book.create_sheet("Opening hours")
    hours.append(["Store", "Weekdays", "Saturday", "Sunday"])
    hours.append(["Leeds", "9:00-18:00", "10:00-16:00", "closed"])
    hours.append(["York", "8:30-17:30", "9:00-13:00", "closed"])
    hidden = book.create_sheet("Lookup")
    hidden.append(["secret", "value"])
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_with_cached_value(buffer.getvalue(), "D5", "125"))
    return path


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    """openpyxl writes a formula without the value a spreadsheet program saves with it: add one, as
    Excel would have."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                formula = text[start:end]
                cached = formula.replace("<v></v>", "").replace("<v />", "") + f"<v>{value}</v>"
                content = (text[:start] + cached + text[end:]).encode()
            target.writestr(info, content)
    return out.getvalue()


def csv_file(path: Path) -> Path:
    path.write_text("Route,Departs,Arrives,Fare\n"
                    "Leeds to York,07:15,07:45,\u00a312.40\n"
                    "York to Hull,08:05,09:10,\u00a318.90\n"
                    "Hull to Leeds,09:30,10:50,\u00a321.00\n", encoding="utf-8")
    return path


def presentation(path: Path) -> Path:
    """Three slides: a title slide, bullets with speaker notes, a table."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Project Falcon kickoff"
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Project Falcon kickoff"
    cover.placeholders[1].text = "Engineering all-hands, March 2024"
    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Timeline"
    body = bullets.placeholders[1].text_frame
    body.text = "Design review in April"
    body.add_paragraph().text = "Beta release in June"
    body.add_paragraph().text = "General availability in September"
    bullets.notes_slide.notes_text_frame.text = ("Remind everyone that the beta release is led by Priya Raman. "
                                                "The budget for the project is 2.4 million euros.")
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "Team leads"
    table = table_slide.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(8), Inches(2)).table
    for r, row in enumerate([["Area", "Lead", "Location"], ["Backend", "Tomas Novak", "Prague"],
                             ["Mobile", "Aiko Tanaka", "Osaka"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(path)
    return path


SCANNED_LINES = ["Harbour Ferry Company", "", "The ferry to Skye Island leaves",
                 "from Pier 4 every morning at 7:40.", "The crossing takes 55 minutes."]


def scanned_pdf(path: Path, lines=SCANNED_LINES, pages: int = 1, text_page: str | None = None) -> Path:
    """An image-only PDF, as a scanner makes: text drawn into a picture with Pillow, saved as PDF
    pages without a text layer. `text_page`: a first page with a real text layer (fpdf2) before them."""
    from PIL import Image, ImageDraw, ImageFont

    images = []
    for _ in range(pages):
        image = Image.new("L", (1700, 2200), 255)  # US letter at 200 dpi
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default(size=44)
        for number, line in enumerate(lines):
            draw.text((150, 200 + number * 70), line, fill=0, font=font)
        images.append(image)
    scan = io.BytesIO()
    images[0].save(scan, "PDF", resolution=200.0, save_all=True, append_images=images[1:])
    if text_page is None:
        path.write_bytes(scan.getvalue())
        return path
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    first = FPDF()
    first.add_page()
    first.set_font("helvetica", size=12)
    first.multi_cell(0, 10, text_page)
    writer = PdfWriter()
    for source in (io.BytesIO(bytes(first.output())), scan):
        for page in PdfReader(source).pages:
            writer.add_page(page)
    writer.write(path)
    return path


def zip_bomb(path: Path, inner_mb: int) -> Path:
    """A .docx-named zip whose one member inflates to `inner_mb` MiB of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(inner_mb):
                member.write(block)
    return path


def encrypted_office(path: Path) -> Path:
    """What a password-protected Office file is: an OLE compound file (its header, then sectors)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    path.write_bytes(header + b"\0" * (512 - len(header)) + b"EncryptedPackage" + b"\xff" * 4096)
    return path


def million_rows(path: Path) -> Path:
    """A sheet of a million (and one) rows, written as openpyxl writes large sheets (write-only)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Log")
    sheet.append(["Day", "Visits"])
    for day in range(1_000_000):
        sheet.append([day])
    book.save(path)
    return path
