"""Split documents into sentence-aligned, overlapping chunks with exact character offsets.

Invariant: for every chunk c of document d, d.text[c.start:c.end] == c.text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from groundqa.index.sections import headings_above
from groundqa.index.types import Chunk, Document

# Offsets (start, end) of each word piece of a text, without special tokens.
TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "corp", "no", "fig", "u.s", "u.k", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "gen", "gov", "sen", "rep", "rev", "mt", "ft", "approx", "dept", "est",
    # "8 a.m. to 8 p.m. Eastern Time": a time of day is followed by a capital more often than it ends a sentence.
    "a.m", "p.m",
}
# End punctuation, optional closing quotes/brackets, then whitespace before the next sentence. Tried
# only where a run of end punctuation begins, and never given back (possessive): a 20 KB run of dots
# once cost quadratic time, holding the GIL (issue 39).
_SENTENCE_END = re.compile(r"(?<![.!?\u2026])[.!?\u2026]++[\"'\u201d\u2019)\]]*+(?=\s++[\"'\u201c\u2018(\[]?[A-Z0-9])")
_LINE_BREAK = re.compile(r"\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, whitespace trimmed, in order, never empty."""
    spans: list[tuple[int, int]] = []
    block_start = 0
    for block_end in [m.start() for m in _LINE_BREAK.finditer(text)] + [len(text)]:
        start = block_start
        for match in _SENTENCE_END.finditer(text, block_start, block_end):
            word = _word_before(text, start, match.start())
            if word.lower().rstrip(".") in _ABBREVIATIONS or (len(word) == 1 and "A" <= word <= "Z"):
                continue
            _append_trimmed(text, start, match.end(), spans)
            start = match.end()
        _append_trimmed(text, start, block_end, spans)
        block_start = block_end
    return spans


def _word_before(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of text[start:end], read back from `end` only: the words
    before successive sentence ends are disjoint, so the whole scan stays linear."""
    while end > start and text[end - 1].isspace():
        end -= 1
    word_start = end
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    return text[word_start:end]


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


@dataclass(frozen=True)
class ChunkingConfig:
    max_tokens: int
    overlap_tokens: int


# What is embedded and searched for a chunk (Manifest.searched_text_version); 2: its heading path, then
# its text. Indexes built before keep their vectors (the same model's, so still comparable).
SEARCHED_TEXT_VERSION = 2
# At most about 40 word pieces, as many as chunks overlap by default: the embedder reads 256 pieces,
# so a full chunk's last few are left out of its vector and mostly lie in the next chunk's overlap.
HEADING_PATH_MAX_CHARS = 150


def heading_path(document: Document, start: int) -> str:
    """The title and the headings of the sections holding a chunk that starts at `start`, but for a
    heading (or the title) the chunk itself begins with; at most HEADING_PATH_MAX_CHARS, the outermost
    parts dropped first."""
    parts = [document.plain_title.strip(), *(heading.strip() for heading in headings_above(document.meta, start))]
    if document.text.startswith(parts[0], start):
        parts = parts[1:]
    parts = list(dict.fromkeys(part for part in parts if part))
    while len(parts) > 1 and len(" / ".join(parts)) > HEADING_PATH_MAX_CHARS:
        parts.pop(0)
    path = " / ".join(parts)
    return path if len(path) <= HEADING_PATH_MAX_CHARS else path[:HEADING_PATH_MAX_CHARS].rsplit(" ", 1)[0]


def chunk_document(document: Document, token_offsets: TokenOffsets, config: ChunkingConfig) -> list[Chunk]:
    """Greedy packing of whole sentences up to max_tokens (what the reader reads at once); each chunk
    repeats the previous one's last sentences (up to overlap_tokens). A sentence longer than
    max_tokens is cut at word pieces. Each chunk carries its heading path (Chunk.searched_text)."""
    text = document.text
    tokens = list(token_offsets(text))
    units = _units(split_sentences(text), tokens, config.max_tokens)
    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last, size = first, units[first][2]
        while last + 1 < len(units) and size + units[last + 1][2] <= config.max_tokens:
            last += 1
            size += units[last][2]
        start, end = units[first][0], units[last][1]
        chunks.append(Chunk(f"{document.doc_id}#{len(chunks)}", document.doc_id, start, end, text[start:end],
                            heading_path(document, start)))
        if last + 1 >= len(units):
            break
        first = _overlap_start(units, first, last, config.overlap_tokens)
    return chunks


def _overlap_start(units: list[tuple[int, int, int]], first: int, last: int, overlap_tokens: int) -> int:
    """The first unit of the next chunk: as many trailing units as fit in the overlap, always progressing."""
    next_first, carried = last + 1, 0
    while next_first - 1 > first and carried + units[next_first - 1][2] <= overlap_tokens:
        next_first -= 1
        carried += units[next_first][2]
    return next_first


def _units(sentences: list[tuple[int, int]], tokens: list[tuple[int, int]], max_tokens: int) -> list[tuple[int, int, int]]:
    """(start, end, n_tokens) per sentence; sentences over max_tokens become several pieces."""
    units: list[tuple[int, int, int]] = []
    token_index = 0
    for start, end in sentences:
        while token_index < len(tokens) and tokens[token_index][0] < start:
            token_index += 1
        inside = []
        while token_index < len(tokens) and tokens[token_index][0] < end:
            inside.append(tokens[token_index])
            token_index += 1
        if len(inside) <= max_tokens:
            units.append((start, end, max(len(inside), 1)))
            continue
        for piece_start in range(0, len(inside), max_tokens):
            piece = inside[piece_start:piece_start + max_tokens]
            piece_begin = start if piece_start == 0 else piece[0][0]
            piece_end = end if piece_start + max_tokens >= len(inside) else piece[-1][1]
            units.append((piece_begin, piece_end, len(piece)))
    return units
