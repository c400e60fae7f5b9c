"""Footnote references written as "[1]" right after what they annotate, never glued onto it: a price
"$12.00<sup>1</sup>" is stored "$12.00[1]", not "$12.001". As in Word files (index/word.py), each
reference's [start, end] goes into meta["footnote_marks"] and each note's text into meta["footnotes"].

A loader wraps each mark it writes in MARK_OPEN and MARK_CLOSE, private-use characters that survive
normalization; taking them out (index/loaders.py _take_marks, index/layout.py TextBuilder) gives
their exact offsets in the final text, as for headings and lists.

HTML: a <sup> (or a link to a note: <sup><a href="#fn1">1</a></sup>) is a reference when its text is
shaped like one (1 to 3 digits, a symbol * † ‡ § ¶, one lower-case letter) and it is no exponent: a
digit or letter right after a unit or a one-letter name ("m<sup>2</sup>", "x<sup>n</sup>") or after
"10" ("10<sup>6</sup>"), a letter after a bare integer ("2<sup>n</sup>"), raises what it follows and
keeps today's text; after a price or a word it is a reference ("$12.00<sup>1</sup>").
"1<sup>st</sup>" is shaped like no reference. Markdown: "[^1]" and "[^note]" refer to the notes a
"[^1]: text" line defines."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from groundqa.index.loaders import Extracted

FOOTNOTE_MARKS = "footnote_marks"  # meta: [start, end] of each reference ("[1]") in the text
FOOTNOTES = "footnotes"  # meta: [start, end] of each note's text, without its mark
MARK_OPEN, MARK_CLOSE = "\ue014", "\ue015"
NOTES_HEADING = "Footnotes"
_MAX_LABEL = 20

_SHAPE = re.compile(r"\d{1,3}|[*\u2020\u2021\u00a7\u00b6]{1,3}|[a-z]")
_EXPLICIT_SHAPE = re.compile(r"[^\s\[\]]{1,%d}" % _MAX_LABEL)  # a reference its markup names as one
_NOTE_HINT = re.compile(r"fn|note|foot|cite|ref", re.IGNORECASE)
# What a digit or a letter raised after it is a power of: squared and cubed units, a one-letter name.
_POWER_UNITS = frozenset({"mm", "cm", "dm", "km", "nm", "\u00b5m", "\u03bcm", "in", "ft", "yd", "mi", "sec"})
_TRAILING_LETTERS = re.compile(r"(?<![^\W\d_])[^\W\d_]+\Z")  # tried only where a word starts: linear
_TRAILING_INTEGER = re.compile(r"(?<![\d.,$\u20ac\u00a3\u00a5])\d+\Z")
_INLINE_TAGS = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
                          "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
                          "u", "var"})
_MAX_WALK = 32  # elements climbed or descended to find the text before a mark (deep nesting stays cheap)


def marked(label: str) -> str:
    """A reference as a loader writes it: "[label]", wrapped in the marks that record its offsets."""
    return f"{MARK_OPEN}[{label}]{MARK_CLOSE}"


def strip_marks(text: str) -> str:
    """Text from a file without the characters that mark a reference: only a loader writes them."""
    return text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def without_references(text: str) -> str:
    """Text with its marked references taken out whole (a title: "Pricing", not "Pricing[1]")."""
    return _MARKED.sub("", text)


_MARKED = re.compile(f"{MARK_OPEN}[^{MARK_OPEN}{MARK_CLOSE}]*{MARK_CLOSE}")
_MARK = re.compile(f"([{MARK_OPEN}{MARK_CLOSE}])")


def take_marks(text: str) -> tuple[str, list[list[int]]]:
    """`text` without the reference marks, and [start, end] of each marked reference in it."""
    out: list[str] = []
    spans: list[list[int]] = []
    length, start = 0, None
    for piece in _MARK.split(text):
        if piece == MARK_OPEN:
            start = length
        elif piece == MARK_CLOSE:
            if start is not None and length > start:
                spans.append([start, length])
            start = None
        else:
            out.append(piece)
            length += len(piece)
    return "".join(out), spans


# HTML


def mark_references(root) -> None:
    """Each footnote reference of an lxml HTML tree holds its marked text ("[1]") alone, so that every
    reader of the tree (blocks, table cells) writes it apart from the word before it. All are found
    before any is changed: each is judged on the page as written. Attributes stay (a hidden one stays
    hidden)."""
    found = [(element, label) for element in root.iter("sup", "a") if (label := reference_label(element))]
    for element, label in found:
        for child in list(element):  # at most the one <a> or <sup> inside, with no tail
            element.remove(child)
        element.text = marked(label)


def reference_label(element) -> str | None:
    """The label ("1", "*", "a") of a <sup> or <a> that is a footnote reference, else None."""
    parent = element.getparent()
    if parent is not None and parent.tag in ("sup", "a") and _only_child(parent) is element:
        return None  # <sup><a>1</a></sup>: the outer element is the reference
    inner = _only_child(element)
    if len(element) and (inner is None or inner.tag not in ("sup", "a") or len(inner)):
        return None
    raw = (inner if inner is not None else element).text or ""
    label = raw.strip()
    bracketed = label.startswith("[") and label.endswith("]")
    label = label[1:-1].strip() if bracketed else label
    if _is_explicit(element) or (inner is not None and _is_explicit(inner)):
        return label if _EXPLICIT_SHAPE.fullmatch(label) else None
    if not _SHAPE.fullmatch(label):
        return None
    if element.tag == "a" or (inner is not None and inner.tag == "a"):  # a link to a note
        href = (element if element.tag == "a" else inner).get("href") or ""
        linked = inner is not None or (href.startswith("#") and _NOTE_HINT.search(href))
        return label if linked else None
    if bracketed or label[0] in "*\u2020\u2021\u00a7\u00b6":
        return label
    return None if _raises(text_before(element), label) else label


def _only_child(element):
    """The one child of an element with no text of its own beside it, else None."""
    if len(element) != 1 or (element.text or "").strip() or (element[0].tail or "").strip():
        return None
    return element[0]


def _is_explicit(element) -> bool:
    """Markup that names a note reference: pandoc's and markdown-it's class, the DPUB-ARIA role."""
    return "footnote-ref" in (element.get("class") or "") or "doc-noteref" in (element.get("role") or "")


def _raises(before: str, label: str) -> bool:
    """Whether a digit or letter raised right after `before` is an exponent of it."""
    if not before or before[-1].isspace():
        return False
    letters = _TRAILING_LETTERS.search(before[-12:])
    if letters:  # a whole word when shorter than the 12 characters searched
        word = letters.group()
        return (len(word) == 1 and word.islower()) or word in _POWER_UNITS
    number = _TRAILING_INTEGER.search(before[-12:])
    return bool(number) and (label.isalpha() or number.group() == "10")


def text_before(element) -> str:
    """The text right before `element` within its block: the tail of what precedes it, or the end of
    an inline element before it, or its inline parent's own text. A block's start gives ""."""
    node = element
    for _ in range(_MAX_WALK):
        previous = node.getprevious()
        if previous is not None:
            return previous.tail or _last_text(previous)
        parent = node.getparent()
        if parent is None:
            return ""
        if parent.text or parent.tag not in _INLINE_TAGS:
            return parent.text or ""
        node = parent
    return ""


def _last_text(element) -> str:
    for _ in range(_MAX_WALK):
        if not isinstance(element.tag, str) or element.tag not in _INLINE_TAGS:
            return ""
        if not len(element):
            return element.text or ""
        if element[-1].tail:
            return element[-1].tail
        element = element[-1]
    return ""


# Markdown

_DEFINITION = re.compile(r" {0,3}\[\^([^\s\[\]^]{1,%d})\]:[ \t]*(.*)" % _MAX_LABEL)
_REFERENCE = re.compile(r"\[\^([^\s\[\]^]{1,%d})\]" % _MAX_LABEL)
_CONTINUED = re.compile(r"(?: {4}|\t)\s*\S")
_FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}|~{3,})")


def markdown_notes(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """The Markdown without its note definitions, each reference to a defined note written as the
    <sup> pandoc writes, and the notes (label, Markdown text) in the order the text first refers to
    them, those it never refers to last. Code (fenced blocks, `spans`) is left as written."""
    body: list[str] = []
    notes: dict[str, str] = {}
    current: str | None = None
    in_code = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_code, current = not in_code, None
        definition = None if in_code else _DEFINITION.fullmatch(line)
        if definition:
            current = definition.group(1)
            notes.setdefault(current, definition.group(2))
        elif current is not None and _CONTINUED.match(line):
            notes[current] += " " + line.strip()
        else:
            current = None
            body.append(line)
    if not notes:
        return markdown, []
    order: dict[str, None] = {}
    in_code = False
    for i, line in enumerate(body):
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and "[^" in line:
            body[i] = _with_references(line, notes, order)
    labels = [*order, *(label for label in notes if label not in order)]
    return "\n".join(body), [(label, notes[label]) for label in labels]


def _with_references(line: str, notes: dict[str, str], order: dict[str, None]) -> str:
    def sup(match: re.Match) -> str:
        label = match.group(1)
        if label not in notes:
            return match.group()
        order.setdefault(label)
        return f'<sup class="footnote-ref">{html.escape(label)}</sup>'

    parts = line.split("`")  # the odd parts are inside `code`
    return "`".join(_REFERENCE.sub(sup, part) if i % 2 == 0 else part for i, part in enumerate(parts))


def with_notes(extracted: Extracted, notes: Sequence[tuple[str, str]]) -> Extracted:
    """The extracted text with its notes after it, under a heading "Footnotes", each "[label] text",
    as the Word loader writes them; their texts' offsets in meta["footnotes"]."""
    notes = [(label, text) for label, text in notes if text]
    if not notes:
        return extracted
    text = extracted.text
    heading_start = len(text) + 2 if text else 0
    text = f"{text}\n\n{NOTES_HEADING}" if text else NOTES_HEADING
    spans = []
    for label, note in notes:
        mark = f"[{label}] "
        spans.append([len(text) + 2 + len(mark), len(text) + 2 + len(mark) + len(note)])
        text += f"\n\n{mark}{note}"
    sections = [*extracted.sections, [heading_start, heading_start + len(NOTES_HEADING), 1, NOTES_HEADING]]
    return extracted._replace(text=text, sections=sections, meta={**extracted.meta, FOOTNOTES: spans})
