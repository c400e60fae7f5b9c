from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from groundqa.errors import InvalidDocument
from groundqa.index.loaders import document_from_bytes, documents_from_jsonl, load_html, normalize_text


def load(data: bytes, suffix: str):
    return document_from_bytes(data, doc_id="d", source="s", suffix=suffix)


def make_pdf(path: Path, lines: list[str], title: str | None = None) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path.read_bytes()


def test_text_is_normalized_and_titled_by_first_line():
    document = load("Title line\r\n\r\n\r\nFirst  para\u00a0text.\nsecond line\n".encode(), ".txt")
    assert document.text == "Title line\n\nFirst para text.\nsecond line"
    assert document.title == "Title line"
    assert document.meta["format"] == "txt"


def test_markdown_is_rendered_to_plain_text():
    document = load(b"# Heading\n\nSome **bold** and [a link](http://x).\n\n- item one\n- item two\n", ".md")
    assert document.title == "Heading"
    assert "Some bold and a link." in document.text
    assert "**" not in document.text and "](" not in document.text
    assert "item one\n" in document.text


def test_a_numbered_clause_keeps_its_own_line_in_wrapped_text():
    """Found by a new user: "GBP 500." filled its line, so "4.4 No excess ..." was joined onto it."""
    text = ("4.3 If you chose a voluntary excess when you bought the policy, it is\n"
            "added to the compulsory excess. The most you can choose is GBP 500.\n"
            "4.4 No excess applies to claims under the temporary accommodation\n"
            "section (clause 2.5). Claims are settled within 10 working days of\n"
            "the day we receive all the documents and photographs we asked for.\n") * 3
    stored = load(text.encode(), ".txt").text
    assert "GBP 500.\n4.4 No excess applies to claims under the temporary accommodation section" in stored


def test_markdown_fields_stay_on_their_lines_and_wrapped_prose_is_joined():
    source = (b"# Firmware 3.2.1\n\nReleased: May 7, 2024\n**Models:** Nimbus T2, Nimbus T5\n\n"
              b"A long sentence wrapped\nby the writer: it reads as one line.\n\n```\nA: 1\nB: 2\n```\n")
    text = load(source, ".md").text
    assert "Released: May 7, 2024\nModels: Nimbus T2, Nimbus T5" in text  # Markdown alone joins them
    assert "A long sentence wrapped by the writer: it reads as one line." in text
    assert "A: 1\nB: 2" in text


def test_html_drops_scripts_and_keeps_inline_text_together():
    html = (b"<html><head><title>Page</title><style>p{color:red}</style></head><body>"
            b"<script>alert(1)</script><h1>Head</h1><p>Microsoft President <b>Brad Smith</b> said.</p>"
            b"<div>Next block</div></body></html>")
    document = load(html, ".html")
    assert document.title == "Page"
    assert "Microsoft President Brad Smith said." in document.text
    assert "alert" not in document.text and "color" not in document.text
    assert document.text == "Head\n\nMicrosoft President Brad Smith said.\n\nNext block"


def test_html_that_is_all_script_is_rejected():
    with pytest.raises(InvalidDocument, match="no extractable text"):
        load(b"<html><script>var x = 1;</script></html>", ".html")


def test_pdf_text_is_extracted(tmp_path):
    data = make_pdf(tmp_path / "a.pdf", ["The launch code is 4417.", "Second line here."], title="Codes")
    document = load(data, ".pdf")
    assert "The launch code is 4417." in document.text
    assert document.title == "Codes"


def test_encrypted_pdf_is_rejected(tmp_path):
    make_pdf(tmp_path / "a.pdf", ["secret"])
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "a.pdf"))
    writer.encrypt("password")
    writer.write(tmp_path / "enc.pdf")
    with pytest.raises(InvalidDocument, match="encrypted"):
        load((tmp_path / "enc.pdf").read_bytes(), ".pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n1 0 obj<<>>garbage", b"not a pdf at all", b""])
def test_corrupt_pdf_is_rejected_with_reason(data):
    with pytest.raises(InvalidDocument, match="PDF"):
        load(data, ".pdf")


def test_truncated_pdf_is_rejected(tmp_path):
    data = make_pdf(tmp_path / "a.pdf", ["Some text"])
    with pytest.raises(InvalidDocument):
        load(data[: len(data) // 3], ".pdf")


def test_binary_and_bad_utf8_are_rejected():
    with pytest.raises(InvalidDocument, match="binary"):
        load(b"\x89PNG\r\n\x1a\n\x00\x00\x00", ".txt")
    with pytest.raises(InvalidDocument, match="UTF-8"):
        load(b"caf\xe9 au lait", ".txt")


def test_empty_and_unsupported_are_rejected():
    with pytest.raises(InvalidDocument, match="no extractable text"):
        load(b"  \n\n ", ".txt")
    with pytest.raises(InvalidDocument, match="unsupported file type '.odt'"):
        load(b"PK..", ".odt")


def test_jsonl_reports_bad_lines_and_keeps_good_ones():
    data = (b'{"id": "a", "title": "A", "text": "Alpha text.", "meta": {"lang": "en"}}\n'
            b'not json\n'
            b'{"title": "no text"}\n'
            b'\n'
            b'{"text": "Untitled body."}\n')
    documents, problems = documents_from_jsonl(data, source="f.jsonl", id_prefix="f.jsonl")
    assert [d.doc_id for d in documents] == ["a", "f.jsonl#L5"]
    assert documents[0].meta == {"lang": "en"} and documents[0].title == "A"
    assert documents[1].title == "Untitled body."
    assert problems == ["line 2: invalid JSON (Expecting value)", "line 3: missing or empty 'text'"]


def test_normalize_text_is_idempotent():
    text = "a \t b\n\n\n c \n"
    assert normalize_text(normalize_text(text)) == normalize_text(text) == "a b\n\nc"


def test_html_parsing_time_grows_linearly_with_the_page():
    import time

    from tests.hardening.hostile import block_heavy_html

    def seconds(size: int) -> float:
        """The best of three runs: the least disturbed by whatever else the machine is doing."""
        page = block_heavy_html(size, text_every=1)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            text = load_html(page).text
            runs.append(time.perf_counter() - started)
        assert text.count("listing") == page.count(b">listing<")  # every block's text, once
        return min(runs)

    small, large = seconds(256 * 1024), seconds(2 * 1024 * 1024)
    assert large / small < 16, (small, large)  # 8 times the page: about 8 times the time (quadratic: 64)


def test_html_table_cells_stay_apart_each_row_a_line_each_cell_with_its_header():
    text = load_html(b"<table><tr><th>Fee</th><td>10%</td><td>15%</td></tr></table><p>x</p>").text
    assert text.split("\n\n") == ["Fee | 10% | 15%", "x"]
    fees = load_html(b"<table><caption>Restocking fees</caption><thead><tr><th>Condition</th><th>T2</th><th>T5</th>"
                     b"</tr></thead><tr><td>Opened</td><td>10%</td><td>15%</td></tr>"
                     b"<tr><td>Damaged</td><td colspan=2>Not accepted</td></tr></table>").text
    assert fees.split("\n") == ["Restocking fees", "Condition | T2 | T5", "Opened | T2: 10% | T5: 15%",
                                "Damaged: Not accepted"]
    key_value = load_html(b"<table><tr><th>CVE ID</th><td>CVE-2024-38112</td></tr>"
                          b"<tr><th>Severity</th><td>High</td></tr></table>").text
    assert key_value == "CVE ID: CVE-2024-38112\nSeverity: High"


def test_a_markdown_table_is_read_as_labelled_rows_like_an_html_one():
    page = ("# Plans\n\n| Plan | Monthly price | Annual price |\n|---|---|---|\n| Starter | \u20ac3.99 | \u20ac39 |\n"
            "| Family | \u20ac9.99 | \u20ac99 |\n\nAfter the table.\n").encode()
    text = document_from_bytes(page, doc_id="m", source="m", suffix=".md").text
    assert "Family | Monthly price: \u20ac9.99 | Annual price: \u20ac99" in text, text
    assert "|---|" not in text


def test_page_furniture_is_dropped_and_the_pages_own_header_kept():
    page = (b"<html><body><div id='cookie-banner'>We use cookies. <button>Accept</button></div>"
            b"<nav><a href='/'>Home</a> | <a href='/shop'>Shop</a></nav>"
            b"<div class='breadcrumbs'><a href='/help'>Help</a> &rsaquo; Returns</div>"
            b"<header><h1>Returns</h1><p>Effective April 1, 2024</p></header>"
            b"<main><p>Return it within\n  45 days.</p><aside>Related: gift cards</aside>"
            b"<div role='navigation'>Next page</div><p hidden>draft text</p></main>"
            b"<footer>&copy; 2024 Nimbus. All rights reserved.</footer></body></html>")
    text = load_html(page).text
    assert text == "Returns\n\nEffective April 1, 2024\n\nReturn it within 45 days."


def test_html_whitespace_is_what_a_browser_shows():
    text = load_html(b"<p>one\ntwo<br>three</p><pre>a\n  b</pre>").text
    assert text == "one two\nthree\n\na\nb", "source breaks are spaces, <br> breaks a line, <pre> keeps lines"


@pytest.mark.parametrize("data, suffix", [
    (b"# Guide\n\nIntro text.\n\n## Install\n\nDrill two holes.\n\n## Reset\n\nHold the button.\n", ".md"),
    (b"<h1>Guide</h1><p>Intro text.</p><h2>Install</h2><p>Drill two holes.</p><h2>Reset</h2>"
     b"<p>Hold the button.</p>", ".html"),
])
def test_headings_become_sections_with_exact_offsets(data, suffix):
    from groundqa.index.sections import SECTIONS, after_headings, section_at

    document = document_from_bytes(data, doc_id="g", source="g", suffix=suffix)
    sections = document.meta[SECTIONS]
    assert [(level, heading) for _, _, level, heading in sections] == [(1, "Guide"), (2, "Install"), (2, "Reset")]
    for start, end, _, heading in sections:
        assert document.text[start:end] == heading
    assert section_at(document.meta, document.text.index("Drill")) == "Install"
    assert section_at(document.meta, document.text.index("Hold")) == "Reset"
    reset = document.text.index("Reset\n")
    assert document.text[after_headings(document.meta, document.text, reset, len(document.text)):].startswith("Hold")


@pytest.mark.parametrize("data, suffix", [
    (b"## Reset\n\nIt erases your schedule.\n\n**Nimbus T5**\n\n1. Tap Menu.\n2. Tap Reset.\n\n**Nimbus T2**\n\n"
     b"1. Pull it off.\n2. Hold the button.\n\n**Note:** a restart keeps your schedule.\n\n## Updates\n\nAutomatic.\n", ".md"),
    (b"<h2>Reset</h2><p>It erases your schedule.</p><p><b>Nimbus T5</b></p><ol><li>Tap Menu.</li><li>Tap Reset.</li>"
     b"</ol><p><strong>Nimbus T2</strong></p><ol><li>Pull it off.</li><li>Hold the button.</li></ol><p><b>Note:</b> "
     b"a restart keeps your schedule.</p><h2>Updates</h2><p>Automatic.</p>", ".html"),
])
def test_a_paragraph_of_one_short_bold_phrase_is_a_sub_heading(data, suffix):
    from groundqa.index.sections import SECTIONS, headings_at

    document = document_from_bytes(data, doc_id="g", source="g", suffix=suffix)
    text = document.text
    assert [heading for *_, heading in document.meta[SECTIONS]] == ["Reset", "Nimbus T5", "Nimbus T2", "Updates"]
    assert headings_at(document.meta, text.index("Tap Reset")) == ["Reset", "Nimbus T5"]
    assert headings_at(document.meta, text.index("Hold the button")) == ["Reset", "Nimbus T2"]
    assert headings_at(document.meta, text.index("Automatic")) == ["Updates"]
    assert "Note: a restart keeps your schedule." in text, "bold words that begin a sentence are no heading"
    for start, end, _, heading in document.meta[SECTIONS]:
        assert text[start:end] == heading


def test_bold_text_inside_a_list_or_cell_or_a_bold_value_is_no_heading():
    from groundqa.index.sections import SECTIONS

    page = (b"<h2>Prices</h2><ul><li><p><b>Nimbus T5</b></p></li></ul><table><tr><td><p><b>T2</b></p></td>"
            b"<td>$129</td></tr></table><p><b>Total: $129</b></p><p><b>$249</b></p><p>Both ship in the EU.</p>")
    document = document_from_bytes(page, doc_id="b", source="b", suffix=".html")
    assert [heading for *_, heading in document.meta[SECTIONS]] == ["Prices"]


def test_text_wrapped_by_the_page_is_joined_and_structure_kept():
    wrapped = ("POLICY\n\n"
               "This policy explains what information we collect through our thermostats,\n"
               "Nimbus Remote Sensors and the app, how long we keep it, and how you can\n"
               "exercise your rights. It replaces version 4.1 of this policy, dated 15\n"
               "August 2022. The retention periods follow in the next part of the text.\n\n"
               "Steps:\n- Turn off power at the breaker before you start working.\n"
               "- Remove the old thermostat from the wall and label the wires.\n"
               "Tools\n"
               "You need a screwdriver and a drill with a five millimetre bit today.\n")
    text = document_from_bytes(wrapped.encode(), doc_id="p", source="p", suffix=".txt").text
    assert ("This policy explains what information we collect through our thermostats, Nimbus Remote Sensors and "
            "the app, how long we keep it, and how you can exercise your rights. It replaces version 4.1 of this "
            "policy, dated 15 August 2022.") in text
    assert "Steps:\n- Turn off power" in text and "breaker before you start working.\n- Remove" in text
    assert "wires.\nTools\nYou need" in text, "a heading after a full stop keeps its line"
    assert document_from_bytes(b"Title\n\nFirst line.\nsecond line\n", doc_id="s", source="s",
                               suffix=".txt").text == "Title\n\nFirst line.\nsecond line", "too few lines to judge"


PLAIN = ("PRIVACY POLICY\nVersion 4.2\n\n1. SCOPE\n\n"
         "This policy explains what we collect through the thermostats and the app.\n\n"
         "2. INFORMATION WE COLLECT\n\n   a) Account information: your name, email address and postal code.\n\n"
         "Tools you will need\nYou will need a Phillips screwdriver and a drill with a 5 mm bit today.\n"
         "Phone: 1-800-555-0142\n3. Remove the old thermostat\nLabel each wire with the sticker of its letter.\n"
         "Page 1 of 2\nWiring terminals\n- R for power, the wire that powers the thermostat and the system.\n")


@pytest.mark.parametrize("suffix", [".txt", ".pdf"])
def test_plain_text_and_pdf_headings_become_sections(suffix, tmp_path):
    """Text files and PDFs mark headings only by their shape; fields, steps and page numbers are none."""
    from groundqa.index.sections import SECTIONS, part_of_a_heading, section_at

    data = PLAIN.encode() if suffix == ".txt" else make_pdf(tmp_path / "p.pdf", PLAIN.split("\n"))
    document = document_from_bytes(data, doc_id="p", source="p", suffix=suffix)
    headings = [(level, heading) for _, _, level, heading in document.meta[SECTIONS]]
    # Not "PRIVACY POLICY" and "Version 4.2": short lines in a row, no body text after either.
    assert headings == [(1, "1. SCOPE"), (1, "2. INFORMATION WE COLLECT"), (2, "Tools you will need"),
                        (2, "Wiring terminals")]
    for start, end, _, heading in document.meta[SECTIONS]:
        assert document.text[start:end] == heading
    assert section_at(document.meta, document.text.index("Phillips")) == "Tools you will need"
    assert section_at(document.meta, document.text.index("R for power")) == "Wiring terminals"
    tools = document.text.index("Tools you will need")
    assert part_of_a_heading(document.meta, document.text, tools, tools + len("Tools")), "a label, no answer"
    assert not part_of_a_heading(document.meta, document.text, tools, tools + len("Tools you will need"))
    scope = document.text.index("1. SCOPE")
    assert not part_of_a_heading(document.meta, document.text, scope, scope + 1), "a number is an answer"


@pytest.mark.parametrize("text", [
    "The thermostat works.\nWith Nimbus Care\nyour warranty grows.\n",  # a sentence wrapped mid-way
    "It works.\nSee the Support page and\nThe app.\n",
    "Thanks for the report.\n\nBest regards\nJohn Smith\nSenior Engineer\n",  # a signature
    "Our prices:\nNimbus T2 $129\nNimbus T5 $199\nAll prices include tax.\n",  # a price list
    "Write to us.\nData Protection Officer\nMargaret Okafor\n2200 Alder Street, Suite 410\n",  # an address
    "Big News Today\nBy Jane Doe\nMarch 3, 2024\nThe company said on Monday that it would close.\n",  # a byline
    "Contents\nIntroduction\nInstallation\nReturns\n\n1. Set the thermostat up as the app shows you.\n",
    "Guide - Rev C\nIt works.\nGuide - Rev C\nIt still works.\n",  # a page's running header
])
def test_lines_shaped_like_headings_but_without_a_section_are_none(text):
    from groundqa.index.plain_headings import plain_text_headings

    assert plain_text_headings(text) == []


def test_a_numbered_capitals_heading_over_an_address_is_the_heading_not_the_address():
    from groundqa.index.plain_headings import plain_text_headings

    text = ("5. WI-FI\n\nSessions last 4 hours.\n\n6. CONTACT\n\nNorthbridge Municipal Library\n14 Market Street\n"
            "Telephone: 01632 960 418\n")
    assert [heading for *_, heading in plain_text_headings(text)] == ["5. WI-FI", "6. CONTACT"]


@pytest.mark.parametrize("text, headings", [
    ("Read below.\n\n2 USB-C\n1 HDMI\n1 RJ45\n\nThat is all.\n", []),  # counts, not numbered headings
    ("It ships with:\n1. THERMOSTAT\n2. WALL PLATE\n3. SCREWS\n\nInstall it.\n", ["3. SCREWS"]),  # a list
    ("Contents\n1. SCOPE ........ 2\n2. RIGHTS ........ 3\n\n1. SCOPE\n\nThis policy covers it.\n",
     ["Contents", "1. SCOPE"]),  # a table of contents' entries are none
    ("2. INSTALLATION\n\nTools you will need\n\nA drill and a screwdriver are needed.\n",
     ["2. INSTALLATION", "Tools you will need"]),  # a sub-heading over body text stays one
    ("8. CONTACTING US\n\nWrite to:\n\nBrightwater Fitness Member Services\n220 Canal Road, Suite 4\nLeeds LS3 1BY\n\n"
     "Phone: 0113 496 0725\n", ["8. CONTACTING US"]),  # what a colon introduces is no heading
])
def test_numbered_lines_are_headings_only_where_they_head_something(text, headings):
    from groundqa.index.plain_headings import plain_text_headings

    assert [heading for *_, heading in plain_text_headings(text)] == headings


def test_headings_are_found_where_they_are_not_in_a_table_of_contents():
    from groundqa.index.sections import LISTS, SECTIONS, section_at

    page = b"# Guide\n\nContents:\n\n- Installation\n- Returns\n\n## Installation\n\nDrill holes.\n\n## Returns\n\nSend it back.\n"
    document = document_from_bytes(page, doc_id="t", source="t", suffix=".md")
    assert section_at(document.meta, document.text.index("Drill")) == "Installation"
    assert section_at(document.meta, document.text.index("Send")) == "Returns"
    [(start, end)] = document.meta[LISTS]
    assert document.text[start:end] == "Installation\n\nReturns"
    assert "\n\n\n" not in document.text and [s[3] for s in document.meta[SECTIONS]] == ["Guide", "Installation",
                                                                                        "Returns"]


@pytest.mark.parametrize("data, suffix, steps", [
    (b"<ol><li>Turn it off.</li><li>Hold the button<br>for 15 s.</li><li>Let go.</li></ol>", ".html",
     ["Turn it off.", "Hold the button\nfor 15 s.", "Let go."]),  # a step is its whole item
    (b"<ul><li>If it blinks, check the breaker.</li><li>If it is dark, replace the batteries.</li></ul>", ".html", []),
    (b"1. Pull it off.\n2. Press reset:\n   - hold 15 s\n   - let go\n3. Snap it back.\n", ".md",
     ["Pull it off.", "Press reset:\nhold 15 s\n\nlet go", "Snap it back."]),  # nested items stay in their step
])
def test_the_steps_of_an_ordered_list_are_recorded(data, suffix, steps):
    from groundqa.index.sections import STEPS

    document = document_from_bytes(data, doc_id="d", source="d" + suffix, suffix=suffix)
    assert [document.text[a:b] for a, b in document.meta[STEPS]] == steps


def test_a_cookie_class_on_the_body_does_not_drop_the_page():
    page = b"<html><body class='has-cookie-banner'><div class='cookie-notice'>We use cookies.</div><p>Real text.</p>"
    assert load_html(page).text == "Real text."


def test_short_lines_keep_their_breaks_in_wrapped_text():
    from groundqa.index.loaders import unwrap_lines

    lines = ["A paragraph of running text that is wrapped by the page at about seventy", "characters so that"] * 5
    text = "\n".join(lines) + "\n\nVersion history\n2.0 added sharding\n1.9 fixed a leak\nport 8080"
    unwrapped = unwrap_lines(text)
    assert unwrapped.endswith("\n\nVersion history\n2.0 added sharding\n1.9 fixed a leak\nport 8080")
    assert "seventy characters so that" in unwrapped
