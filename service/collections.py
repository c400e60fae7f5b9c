"""Named collections: several document sets in one service, each with its own index, BM25, answer
cache, feedback, verifier calibration and keys; one loaded copy of each model serves them all.

The default collection is the index as it always was (GROUNDQA_INDEX_DIR, or the Milvus collections
named by GROUNDQA_MILVUS_COLLECTION). A named collection NAME lives beside it:
    FAISS   <index_dir>/collections/NAME/ (an index directory of its own) and its collection.json
    Milvus  the collections <prefix>_c_NAME_chunks|_documents|_feedback, and a row of <prefix>_collections
so every existing piece (catalogs, feedback stores) works on a named collection through
`settings_for`. What a collection adds (keys, a verifier) is its Record, kept by a Shelf.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Protocol

from groundqa.errors import CollectionExists, CollectionNotFound, InvalidCollection
from groundqa.index import persistence
from groundqa.settings import Settings

DEFAULT = "default"
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_NAME = re.compile(NAME_PATTERN)
MIN_KEY_CHARS = 16


def validate_name(name: str) -> str:
    if name == DEFAULT:
        return name
    if not _NAME.fullmatch(name):  # fullmatch: `$` alone lets "abc\n" through
        raise InvalidCollection("a collection name is 1 to 48 characters: lower-case letters, digits and '_', "
                                "starting with a letter")
    return name


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Record:
    """What a named collection holds besides its index. Keys are kept as SHA-256 hashes only."""

    name: str
    created: float = 0.0
    read_key_sha256: str | None = None  # set: reading needs this key (or the write key, or the admin key)
    write_key_sha256: str | None = None  # set: this key may also write (the admin key always may)
    verifier: dict | None = None  # a file `groundqa calibrate` wrote; None: the server's GROUNDQA_VERIFIER

    @classmethod
    def new(cls, name: str, read_key: str | None = None, write_key: str | None = None,
            verifier: dict | None = None) -> Record:
        for label, key in (("read_key", read_key), ("write_key", write_key)):
            if key is not None and len(key) < MIN_KEY_CHARS:
                raise InvalidCollection(f"{label} must be at least {MIN_KEY_CHARS} characters")
        return cls(validate_name(name), time.time(), read_key and key_hash(read_key),
                   write_key and key_hash(write_key), verifier)

    @property
    def private(self) -> bool:
        return self.read_key_sha256 is not None

    def key_grants(self, key: str, write: bool) -> bool:
        """Whether this collection's own keys let `key` read (or write)."""
        given = key_hash(key)
        own = [self.write_key_sha256] if write else [self.read_key_sha256, self.write_key_sha256]
        return any(expected is not None and hmac.compare_digest(given, expected) for expected in own)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def settings_for(settings: Settings, name: str) -> Settings:
    """The settings that make every index piece (catalog, feedback store) work on collection `name`."""
    if name == DEFAULT:
        return settings
    return settings.model_copy(update={"index_dir": settings.index_dir / "collections" / name,
                                       "milvus_collection": f"{settings.milvus_collection}_c_{name}",
                                       "collection": name})


class Shelf(Protocol):
    """Where the named collections' records are: which exist, and what each adds."""

    def names(self) -> list[str]: ...

    def record(self, name: str) -> Record | None:
        """The record, or None if no such collection exists."""

    def add(self, record: Record) -> None:
        """Record a new collection (CollectionExists if the name is taken)."""

    def remove(self, name: str) -> None:
        """Remove the collection: its record and its whole index (CollectionNotFound if none)."""


class DirectoryShelf:
    RECORD = "collection.json"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.index_dir / "collections"

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = (path.parent.name for path in self.root.glob(f"*/{self.RECORD}"))
        return sorted(name for name in names if _NAME.fullmatch(name))

    def record(self, name: str) -> Record | None:
        try:
            return Record(**json.loads((self.root / name / self.RECORD).read_text()))
        except FileNotFoundError:
            return None

    def add(self, record: Record) -> None:
        folder = self.root / record.name
        if folder.is_dir() and not (folder / self.RECORD).exists():
            self._discard(folder)  # an index without a record: what a write racing a delete left behind
        folder.mkdir(parents=True, exist_ok=True)
        written = folder / f".{self.RECORD}.{uuid.uuid4().hex[:8]}"
        written.write_text(json.dumps(record.to_json()))
        try:
            os.link(written, folder / self.RECORD)  # atomic, and of two creators only one wins
        except FileExistsError:
            raise CollectionExists(f"collection {record.name!r} already exists") from None
        finally:
            written.unlink()

    def remove(self, name: str) -> None:
        folder = self.root / name
        if not (folder / self.RECORD).is_file():
            raise CollectionNotFound(f"no collection {name!r}")
        with persistence.write_lock(folder):  # after a `groundqa index` writing into it
            (folder / self.RECORD).unlink()
        self._discard(folder)

    def _discard(self, folder: Path) -> None:
        doomed = self.root / f".deleted-{folder.name}-{uuid.uuid4().hex[:8]}"
        folder.rename(doomed)  # gone at once for everyone; the files go after
        shutil.rmtree(doomed, ignore_errors=True)


class MilvusShelf:
    """Records in the Milvus collection <prefix>_collections, so replicas sharing the server see each
    other's collections come and go."""

    def __init__(self, settings: Settings) -> None:
        from pymilvus import MilvusClient

        from groundqa.index.milvus_store import GRPC_OPTIONS, ensure_json_collection

        self.settings = settings
        token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
        self._client = MilvusClient(settings.milvus_uri, token=token, grpc_options=GRPC_OPTIONS, dedicated=True)
        self._name = f"{settings.milvus_collection}_collections"
        ensure_json_collection(self._client, self._name, "name", 64)

    def names(self) -> list[str]:
        from groundqa.index.milvus_store import scan

        return sorted(row["name"] for row in scan(self._client, self._name, 'name != ""', ["name"]))

    def record(self, name: str) -> Record | None:
        rows = self._client.get(self._name, ids=[name], output_fields=["body"])
        return Record(**json.loads(rows[0]["body"])) if rows else None

    def add(self, record: Record) -> None:
        if self.record(record.name) is not None:
            raise CollectionExists(f"collection {record.name!r} already exists")
        self._client.insert(self._name, [{"name": record.name, "body": json.dumps(record.to_json()),
                                          "unused": [0.0, 0.0]}])

    def remove(self, name: str) -> None:
        if self.record(name) is None:
            raise CollectionNotFound(f"no collection {name!r}")
        self._client.delete(self._name, ids=[name])  # gone for every replica from here on
        prefix = settings_for(self.settings, name).milvus_collection
        for suffix in ("chunks", "documents", "feedback"):
            if self._client.has_collection(f"{prefix}_{suffix}"):
                self._client.drop_collection(f"{prefix}_{suffix}")

    def close(self) -> None:
        self._client.close()


def make_shelf(settings: Settings) -> Shelf:
    return MilvusShelf(settings) if settings.vector_store == "milvus" else DirectoryShelf(settings)
