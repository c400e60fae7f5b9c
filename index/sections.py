"""A document's headings and lists with their character offsets (meta["sections"], meta["lists"]),
so that a citation can name the part of the document it comes from, an answer never starts with a
heading, and a procedure's answer can show all its steps.

Loaders that see structure (HTML, and Markdown through its HTML) record each heading as
[start, end, level, text] with text[start:end] the heading, each list as [start, end], and each item
of an ordered list (a step) as [start, end]."""

from __future__ import annotations

import re
from typing import Any, Mapping

from groundqa.errors import InvalidDocument
from groundqa.index.footnotes import FOOTNOTE_MARKS, FOOTNOTES

SECTIONS = "sections"
LISTS = "lists"  # [start, end] of each HTML/Markdown list, from its first item's line to its last's
STEPS = "steps"  # [start, end] of each item of an HTML/Markdown ordered list
# Offsets into the text like sections: checked when a client sends them, dropped when the text changes.
STRUCTURE_KEYS = frozenset({SECTIONS, LISTS, STEPS, FOOTNOTES, FOOTNOTE_MARKS})
# Structure a client sends with a document (the loaders' own is never refused): every lookup walks it,
# so its size is bounded like every other input (issue 39: 5,000 sections made one ask take 16 s).
MAX_SENT_STRUCTURE = 2000
_SENTENCE_BREAK = re.compile(r"[.!?]\s")
LIST_LINE = re.compile(r"[ \t]*(?:\d{1,3}[.)]|[-*\u2022\u2013])\s")  # a list item's line: "1. ", "- "


def check_sent_structure(meta: Mapping[str, Any]) -> None:
    """Refuse structure keys a client sent that are no list, or longer than MAX_SENT_STRUCTURE."""
    for key in sorted(STRUCTURE_KEYS & set(meta)):
        value = meta[key]
        if not isinstance(value, list):
            raise InvalidDocument(f"meta.{key} must be a list")
        if len(value) > MAX_SENT_STRUCTURE:
            raise InvalidDocument(f"meta.{key} has {len(value)} entries; at most {MAX_SENT_STRUCTURE} are accepted")


def _valid(meta: Mapping[str, Any]) -> list[list[Any]]:
    """The well-formed entries of meta.sections (meta is also what users send: never trust its shape)."""
    sections = meta.get(SECTIONS)
    if not isinstance(sections, list):
        return []
    return [s for s in sections if isinstance(s, list) and len(s) == 4 and _offsets(s[0], s[1])
            and isinstance(s[3], str)]


def _offsets(start: object, end: object, length: int | None = None) -> bool:
    return (type(start) is int and type(end) is int and 0 <= start < end
            and (length is None or end <= length))


def section_at(meta: Mapping[str, Any], offset: int) -> str | None:
    """The heading of the section holding `offset`: the last one that starts at or before it."""
    current = None
    for start, _, _, heading in _valid(meta):
        if start > offset:
            break
        current = heading
    return current


def section_span(meta: Mapping[str, Any], offset: int, length: int) -> tuple[int, int]:
    """Where the innermost section holding `offset` runs: from its heading to the next heading of any
    level (the whole text of `length` where there are none)."""
    start, end = 0, length
    for heading_start, _, _, _ in _valid(meta):
        if heading_start > offset:
            end = min(heading_start, length)
            break
        start = heading_start
    return start, end


def headings_at(meta: Mapping[str, Any], offset: int) -> list[str]:
    """The headings of every section holding `offset`, outermost first ("Release notes", "Firmware 3.0")."""
    return [heading for _, heading in _chain_at(meta, offset)]


def headings_above(meta: Mapping[str, Any], offset: int) -> list[str]:
    """headings_at without a heading that starts at `offset` (text from there begins with it)."""
    return [heading for start, heading in _chain_at(meta, offset) if start < offset]


def _chain_at(meta: Mapping[str, Any], offset: int) -> list[tuple[int, str]]:
    chain: list[tuple[int, int, str]] = []
    for start, _, level, heading in _valid(meta):
        if start > offset:
            break
        level = min(max(level, 1), 6) if type(level) is int else 6  # HTML's six: the chain stays short
        chain = [(lvl, at, text) for lvl, at, text in chain if lvl < level] + [(level, start, heading)]
    return [(at, text) for _, at, text in chain]


def after_headings(meta: Mapping[str, Any], text: str, start: int, end: int) -> int:
    """`start` moved past a heading line that text[start:end] begins in, and the space after it,
    when text of the span remains."""
    for heading_start, heading_end, _, _ in _valid(meta):
        if heading_start <= start < heading_end:
            body = heading_end
            while body < end and text[body].isspace():
                body += 1
            return body if body < end else start
    return start


def part_of_a_heading(meta: Mapping[str, Any], text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a label cut from a heading's start ("Tools" of "Tools you will
    need"): the heading's first words but not all of it, without a number or a name ("Firmware
    3.2.2" and "Nimbus Care" are answers)."""
    words = text[start:end].split()
    if any(char.isdigit() for char in text[start:end]) or any(word[:1].isupper() for word in words[1:]):
        return False
    return any(heading_start == start < end < heading_end for heading_start, heading_end, _, _ in _valid(meta))


def list_around(meta: Mapping[str, Any], text: str, offset: int) -> tuple[int, int] | None:
    """The list holding `offset`: one the loader recorded (HTML, Markdown), else the run of lines
    marked as list items ("1. ", "- ") around it (text, PDF). None outside a list."""
    for span in meta.get(LISTS, []) if isinstance(meta.get(LISTS), list) else []:
        if isinstance(span, list) and len(span) == 2 and _offsets(*span, len(text)) and span[0] <= offset < span[1]:
            return span[0], span[1]
    line_start = text.rfind("\n", 0, offset) + 1
    if not LIST_LINE.match(text, line_start):
        return None
    start = line_start
    while start > 0:
        previous = text.rfind("\n", 0, start - 1) + 1
        if not LIST_LINE.match(text, previous):
            break
        start = previous
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    while end < len(text) and LIST_LINE.match(text, end + 1):
        following = text.find("\n", end + 1)
        end = len(text) if following < 0 else following
    return start, end


def list_after_lead_in(meta: Mapping[str, Any], text: str, offset: int) -> tuple[int, int] | None:
    """The list that a lead-in line ending in a colon introduces ("To request leave, follow these
    steps:"), where `offset` is on that line; None when the line is no lead-in or no list follows."""
    line_end = text.find("\n", offset)
    rest = text[offset:line_end] if line_end >= 0 else ""
    # The answer's own sentence must be the lead-in: "Leave is approved by your manager. To cancel, do this:"
    if not rest.rstrip().endswith(":") or _SENTENCE_BREAK.search(rest):
        return None
    following = line_end
    while following < len(text) and text[following].isspace():
        following += 1
    return list_around(meta, text, following) if following < len(text) else None
