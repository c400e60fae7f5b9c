"""Headings of plain text and PDF text, which mark them only by their shape: a short line of its own
that is not a sentence, a field or a list item ("Tools you will need", "3. HOW LONG WE KEEP YOUR
INFORMATION"), after a finished line and before body text. Sections found this way name a citation's
part of the document and keep answers from starting in a heading, as the HTML and Markdown loaders'
headings do (index/sections.py)."""

from __future__ import annotations

import re
from collections import Counter

MAX_CHARS = 70
MAX_WORDS = 10
_LINE = re.compile(r"\S(?:[^\n]*\S)?")  # a line that is not blank, without its edge spaces
_NUMBERED = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[IVX]{1,4}\.)\s+")  # "3. ", "2.1 ", "IV. "
# Numbered as a heading is, wherever it stands: "6. ", "2.1 ", "IV. " (not a count: "2 USB-C").
_NUMBERED_HEADING = re.compile(r"(?:\d{1,2}[.)]|\d{1,2}(?:\.\d{1,2})+\.?|[IVX]{1,4}\.)\s+")
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|\u2026")  # a table of contents' "SCOPE ........ 2"
_ITEM = re.compile(r"(?:[-*\u2022\u2013]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-z0-9]\))\s")  # as loaders' list items
_ENDS_OPEN = re.compile(r"([.,;:!?]|\b(?:and|or|the|of|to|a|an|with|for|in|on|at|by))$", re.I)
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.I)  # page furniture: "Page 1 of 2"
_FINISHED = re.compile(r"[.!?:)\"'\u201d\u2019]$|^[=\-_*#~]{3,}$")


def plain_text_headings(text: str) -> list[list]:
    """[start, end, level, heading] of each heading line, level 1 for ALL CAPS ones, else 2."""
    lines = [match.span() for match in _LINE.finditer(text)]
    # A line met more than once is a page's running header or footer, not a section of its own.
    repeated = {line for line, count in Counter(text[s:e] for s, e in lines).items() if count > 1}
    sections = []
    for index, (start, end) in enumerate(lines[:-1]):
        line, following = text[start:end], text[lines[index + 1][0]:lines[index + 1][1]]
        if line in repeated or not _heading_shaped(line):
            continue
        # A numbered heading in capitals ("6. CONTACT") is one wherever it stands, unless the next line
        # is numbered too. Other short lines in a row are an address, a signature or a price list (so is
        # a line under a heading with no body text after it: "6. CONTACT" then the library's name and
        # address); a lower-case start, a sentence wrapped mid-way.
        if _NUMBERED_HEADING.match(line):
            if _heading_shaped(following) and _NUMBERED.match(following):  # "1. THERMOSTAT\n2. WALL PLATE": a list
                continue
        else:
            if _heading_shaped(following) or (following[0].islower() and not _ITEM.match(following)):
                continue
            if index and not _after_finished_line(text, lines[index - 1], start):
                continue
            if index and text[lines[index - 1][1] - 1] == ":":
                continue  # what a colon introduces: "should be sent to:" then an address's first line
            under_a_heading = sections and sections[-1][0] == lines[index - 1][0]
            if under_a_heading and not (_FINISHED.search(following) or len(following) > MAX_CHARS):
                continue  # the first line of an address, not a sub-heading over body text
        sections.append([start, end, 1 if _upper(line) else 2, line])
    return sections


def _heading_shaped(line: str) -> bool:
    if (len(line) > MAX_CHARS or len(line.split()) > MAX_WORDS or ": " in line or _PAGE_NUMBER.match(line)
            or _DOT_LEADER.search(line)):
        return False
    numbered = _NUMBERED.match(line)
    if numbered:  # "3. SCOPE" is a heading, "3. Remove the old thermostat" a step
        return _upper(line[numbered.end():]) and not _ENDS_OPEN.search(line)
    return not _ITEM.match(line) and line[:1].isupper() and not _ENDS_OPEN.search(line)


def _after_finished_line(text: str, previous: tuple[int, int], start: int) -> bool:
    """Whether the line before ends a sentence, is a rule or a page number, or a blank line parts them."""
    before = text[previous[0]:previous[1]]
    return bool(_FINISHED.search(before) or _PAGE_NUMBER.match(before)) or "\n\n" in text[previous[1]:start]


def _upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)
