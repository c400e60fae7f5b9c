"""Atomic save and load of a Collection.

Layout of an index directory:
    CURRENT            name of the live version directory (replaced atomically)
    v<ns>/             manifest.json, documents.jsonl, vectors.faiss
    .lock              held while writing, so two writers never interleave
A version is written in full under a temporary name, renamed, and only then named in CURRENT;
a crash at any point leaves the previous version live. Older versions are removed after the switch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

from groundqa.errors import IndexNotReady
from groundqa.index.chunking import heading_path
from groundqa.index.collection import Collection, Manifest
from groundqa.index.store import EXACT, FaissLayout, FaissStore
from groundqa.index.types import Chunk, Document

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
FOLDERS = "folders.json"


def exists(index_dir: Path) -> bool:
    return (index_dir / CURRENT).is_file()


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(collection: Collection, index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    version = f"v{time.time_ns()}"
    staging = index_dir / f".tmp-{version}"
    staging.mkdir()
    (staging / MANIFEST).write_text(json.dumps(collection.manifest.to_json(), indent=2))
    (staging / FOLDERS).write_text(json.dumps(collection.folders, indent=2))
    with open(staging / DOCUMENTS, "w", encoding="utf-8") as handle:
        for doc_id in collection.documents:
            handle.write(document_record(collection, doc_id) + "\n")
    collection.store.write(staging)
    for path in staging.iterdir():
        _fsync(path)
    os.rename(staging, index_dir / version)
    _fsync(index_dir)
    pointer = index_dir / f".{CURRENT}.tmp"
    pointer.write_text(version)
    _fsync(pointer)
    os.replace(pointer, index_dir / CURRENT)
    _fsync(index_dir)
    _remove_stale(index_dir, keep=version)
    return index_dir / version


def load(index_dir: Path, expected: Manifest | None = None, layout: FaissLayout = EXACT) -> Collection:
    """The live version, checked against `expected` when given."""
    if not exists(index_dir):
        raise IndexNotReady(f"no index at {index_dir}; build one with `groundqa index`")
    version_dir = index_dir / (index_dir / CURRENT).read_text().strip()
    try:
        manifest = Manifest.from_json(json.loads((version_dir / MANIFEST).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexNotReady(f"index manifest at {version_dir} is unreadable: {exc}") from None
    if expected is not None:
        manifest.check_compatible(expected)
    collection = Collection(manifest, FaissStore.load(version_dir, manifest.dimension, layout))
    with open(version_dir / DOCUMENTS, encoding="utf-8") as handle:
        for line in handle:
            restore_record(collection, line)
    if (version_dir / FOLDERS).exists():  # indexes saved before folders were recorded have none
        collection.folders = json.loads((version_dir / FOLDERS).read_text())
    if len(collection.store) != collection.chunk_count:
        raise IndexNotReady(f"index at {version_dir} is inconsistent: {len(collection.store)} vectors "
                            f"for {collection.chunk_count} chunks; re-index with `groundqa index`")
    return collection


def document_record(collection: Collection, doc_id: str) -> str:
    """One document with its chunks' rows and offsets, as one line of JSON."""
    document = collection.documents[doc_id]
    chunks = [[row, collection.chunks[row].chunk_id, collection.chunks[row].start, collection.chunks[row].end]
              for row in collection.doc_rows[doc_id]]
    return json.dumps({"doc_id": doc_id, "title": document.title, "source": document.source,
                       "text": document.text, "meta": document.meta, "chunks": chunks}, ensure_ascii=False)


def restore_record(collection: Collection, line: str) -> Document:
    """Re-attach a document written by `document_record`; its vectors are already in the store."""
    record = json.loads(line)
    document = Document(record["doc_id"], record["title"], record["source"], record["text"], record["meta"])
    rows = [row for row, _, _, _ in record["chunks"]]
    chunks = [Chunk(chunk_id, document.doc_id, start, end, document.text[start:end], heading_path(document, start))
              for _, chunk_id, start, end in record["chunks"]]
    collection.restore(document, rows, chunks)
    return document


def _remove_stale(index_dir: Path, keep: str) -> None:
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("v") or path.name.startswith(".tmp-")):
            shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
