"""A PDF's running headers, footers and page numbers: printed on every page, part of no sentence.

Left in, they land mid-passage ("...do not reconnect it. Page 1 of 2 Nimbus T2 and T5 Installation Guide -
NIM-IG-05 Rev C The Nimbus wall plate..."), split sentences that run across a page break, and can be
read as answers. A line is furniture when it sits among the first or last lines of its page and the same
line, numbers aside, sits there on other pages too; or when it is a bare page number there.
"""

from __future__ import annotations

import math
import re

EDGE_LINES = 2  # lines looked at from each end of a page
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-\u2013(\[]?\s*\d{1,4}\s*[-\u2013)\]]?(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)


def without_furniture(pages: list[str]) -> list[str]:
    """Each page's text without the running lines at its top and bottom."""
    seen_on: dict[tuple[str, str], int] = {}
    for page in pages:
        for where in {(end, _shape(line)) for end, line in _edges(page)}:
            seen_on[where] = seen_on.get(where, 0) + 1
    # At the same end of most pages, and of two at least: a heading that happens to open two pages of
    # a long document, or to end one and open the next, is not furniture.
    needed = max(2, math.ceil(0.6 * len(pages)))
    running = {where for where, count in seen_on.items() if count >= needed}
    return [_strip(page, running) for page in pages]


def _lines(page: str) -> list[str]:
    return [line.strip() for line in page.split("\n") if line.strip()]


def _edges(page: str) -> list[tuple[str, str]]:
    lines = _lines(page)
    return [("top", line) for line in lines[:EDGE_LINES]] + [("bottom", line) for line in lines[-EDGE_LINES:]]


def _shape(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def _strip(page: str, running: set[tuple[str, str]]) -> str:
    lines = page.split("\n")
    kept = [i for i, line in enumerate(lines) if line.strip()]
    drop = set()
    for end, edge in (("top", kept[:EDGE_LINES]), ("bottom", reversed(kept[-EDGE_LINES:]))):
        for i in edge:  # from the page's edge inwards, stopping at the first line of content
            if (end, _shape(lines[i])) not in running and not _PAGE_NUMBER.fullmatch(lines[i].strip()):
                break
            drop.add(i)
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
