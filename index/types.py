"""Core value types of the indexing side. Frozen: they are shared freely between threads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

Scalar = str | int | float | bool
# Equality on doc_id, source, title or any meta key; every pair must hold. Data rather than a
# function, so that a store able to filter by itself could take it as it is.
Filters = Mapping[str, Scalar]
MAX_FILTERS = 32


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    source: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def plain_title(self) -> str:
        """The title with underscores as spaces: file and SQuAD titles write spaces as underscores."""
        return self.title.replace("_", " ")

    @cached_property
    def content_hash(self) -> str:
        """Changes whenever anything that is indexed or shown (source included) changes. Computed
        once: saves compare every document's hash."""
        payload = json.dumps([self.title, self.source, self.text, self.meta], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    # The document's title and the headings above the chunk ("Nimbus firmware / Release notes /
    # Firmware 3.1", index/chunking.py heading_path): what the chunk is about where its text does not
    # say. Embedded and searched with the text, never shown or cited.
    heading_path: str = ""

    @property
    def searched_text(self) -> str:
        return f"{self.heading_path}\n{self.text}" if self.heading_path else self.text


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float
    rank: int


def matches(document: Document, filters: Filters) -> bool:
    for key, value in filters.items():
        found = getattr(document, key) if key in ("doc_id", "source", "title") else document.meta.get(key)
        if found != value:
            return False
    return True
