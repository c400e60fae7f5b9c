"""Whole answers: a span the reader cut inside a word, from its unit, or short of a range's end is
completed from the document text around it. Offsets only grow, so `text[start:end]` stays the answer.

The reader works in word pieces and picks the span its logits like best; on product documents that is
often "@nimbushome" for "support@nimbushome.example", "45" for "45 days", "3.0" for "3.0 through
3.2.1". Each rule below looks only at the characters next to the span.
"""

from __future__ import annotations

import re

# Characters a word may continue with (e-mail addresses, versions, ids, prices, paths).
_INNER = re.compile(r"[\w@.\-/:+%$#]")
_EDGE_PUNCTUATION = ".,;:!?)]}\"'\u201d\u2019"
_OPENING = "([{\"'\u201c\u2018"
_UNIT = re.compile(
    r"[ \t]+(?:(?:business|calendar|working)[ \t]+)?(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?|percent|"
    r"times|mm|cm|km|inch(?:es)?|ft|feet|lbs?|kg|mb|gb|tb|kb|ghz|mhz|watts?|volts?|°[fc]|degrees?)\b",
    re.IGNORECASE)
_RANGE = re.compile(r"[ \t]*(?:through|to|thru|until|and|-|\u2013|\u2014)[ \t]*[\w$.][\w@.\-/:%$]*", re.IGNORECASE)
_NUMBER_END = re.compile(r"[\d%]$")
_LIST_MARKER = re.compile(r"[-*\u2022\u2013]\s+|\d{1,3}[.)]\s+(?=\D)")


def complete(text: str, start: int, end: int) -> tuple[int, int]:
    """The span cut to its first line and without a list marker, grown to whole words, then over a
    unit that follows a number, then over a range's end."""
    start, end = _first_line(text, start, end)
    start, end = _whole_words(text, start, end)
    unit = _UNIT.match(text, end)
    if unit and _NUMBER_END.search(text[start:end]):
        end = unit.end()
    ranged = _RANGE.match(text, end)
    if ranged and _NUMBER_END.search(text[start:end]) and re.search(r"\d", text[end:ranged.end()]):
        end = ranged.end()
        unit = _UNIT.match(text, end)
        end = unit.end() if unit else end
    return _trim(text, start, end)


def _first_line(text: str, start: int, end: int) -> tuple[int, int]:
    """An answer does not run over a line break: on structured documents (table rows, list items,
    a name above an e-mail line) the next line is another field, not more of the answer. A span of
    whitespace alone stays as it is."""
    first, last = start, end
    while first < last and text[first].isspace():
        first += 1
    newline = text.find("\n", first, last)
    if newline > first:
        last = newline
    while last > first and text[last - 1].isspace():
        last -= 1
    if first == last:
        return start, end
    marker = _LIST_MARKER.match(text, first, last)
    if marker and marker.end() < last:
        first = marker.end()
    return first, last


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Out to the ends of the words the span cuts. Punctuation joins only between word characters
    (support@nimbushome.example, 3.2.1), a hyphen only before a digit (1-800-555-0142): "24-yard"
    and "New York-based" keep their words apart, a citation mark after "Sekulić.:32" stays outside."""
    def joins(index: int, step: int) -> bool:
        char, beyond = text[index], index + step
        if char.isalnum() or char == "_":
            return True
        if not _INNER.match(char) or not 0 <= beyond < len(text):
            return False
        return text[beyond].isdigit() if char == "-" else text[beyond].isalnum()

    while start > 0 and _INNER.match(text[start]) and joins(start - 1, -1):
        start -= 1
    while end < len(text) and end > start and _INNER.match(text[end - 1]) and joins(end, +1):
        end += 1
    return start, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without sentence punctuation at the end or an opening quote or bracket at the start."""
    while end > start + 1 and text[end - 1] in _EDGE_PUNCTUATION:
        if text[end - 1] in ")]}" and text.count("(", start, end) > text.count(")", start, end) - 1:
            break  # a closing bracket whose opening one is inside the answer stays
        end -= 1
    while start < end - 1 and text[start] in _OPENING:
        start += 1
    return start, end
