"""A collection kept entirely in Milvus, so several `groundqa serve` replicas share one index.

Two Milvus collections, named from one prefix:
    <prefix>_chunks     the vectors (MilvusStore), one row per chunk, keyed by row id
    <prefix>_documents  rows keyed by a string:
        meta:manifest            the manifest (embedder, chunking), checked on open
        meta:generation          a fresh token after every save, so replicas notice a change cheaply
        meta:folders             folder name -> the folder `groundqa index` read it from (never served)
        head:<doc>               the live version of a document and how many parts it has
        part:<doc><version><i>   its record (text, metadata, chunk rows and offsets) in slices
<doc> is a hash of the doc id and <version> its content hash: hex, safe inside Milvus filters.

A save writes vectors and parts first, then the head, and removes the old version last; so a head
always names a complete version, and a crash leaves only rows no head names. Those are skipped by
search; with a Milvus Lite file (one process) they are removed on open. Two replicas writing the same
document at once: the last head written wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from typing import ContextManager

from groundqa.errors import IndexNotReady
from groundqa.index import persistence
from groundqa.index.catalog import Refresh, take_in
from groundqa.index.collection import Collection, Manifest
from groundqa.index.milvus_store import MilvusStore, batches, ensure_collection, scan

PART_CHARS = 16_000  # at most 4 bytes each in UTF-8: under Milvus's 65,535-byte VARCHAR
ROWS_PER_CALL = 50
MANIFEST, GENERATION, FOLDERS, HEAD, PART = "meta:manifest", "meta:generation", "meta:folders", "head:", "part:"
# Milvus Lite returns no MVCC timestamp, so pymilvus's query iterator warns on every scan, then falls
# back to a client-side one (correct here): keep it out of the server log.
logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)


def doc_key(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32]


def part_key(key: str, version: str, index: int) -> str:
    return f"{PART}{key}{version}{index:06d}"


class MilvusCatalog:
    def __init__(self, uri: str, prefix: str, dimension: int | None, token: str = "") -> None:
        from pymilvus.exceptions import MilvusException

        self.location = f"Milvus collections {prefix}_chunks and {prefix}_documents at {uri}"
        self.local_file = "://" not in uri
        self.store = MilvusStore(uri, f"{prefix}_chunks", dimension, token)
        self._client = self.store.client
        self._documents = f"{prefix}_documents"
        try:
            ensure_collection(self._client, self._documents, self._create_documents_collection)
        except MilvusException as exc:
            raise IndexNotReady(f"cannot open Milvus collection {self._documents!r} at {uri}: {exc}") from None
        self._versions: dict[str, str] = {}  # doc key -> the version this process holds
        self._doc_ids: dict[str, str] = {}
        self._generation: str | None = None

    def _create_documents_collection(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("version", DataType.VARCHAR, max_length=128)
        schema.add_field("parts", DataType.INT64)
        schema.add_field("body", DataType.VARCHAR, max_length=65_535)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
        index_params = self._client.prepare_index_params()
        index_params.add_index("unused", index_type="FLAT", metric_type="L2")
        self._client.create_collection(self._documents, schema=schema, index_params=index_params,
                                       consistency_level="Strong")

    # -- the Catalog protocol ---------------------------------------------------------------------
    def open(self, expected: Manifest | None, create: bool = False) -> Collection:
        found = self._get([MANIFEST]).get(MANIFEST)
        if found is None:
            if not create or expected is None:
                raise IndexNotReady(f"no index in {self.location}; build one with `groundqa index`")
            self._upsert([self._row(MANIFEST, body=json.dumps(expected.to_json()))])
            manifest = expected
        else:
            manifest = Manifest.from_json(json.loads(found["body"]))
            if expected is not None:
                manifest.check_compatible(expected)
        collection = Collection(manifest, self.store)
        folders = self._get([FOLDERS]).get(FOLDERS)
        collection.folders = json.loads(folders["body"]) if folders else {}
        self._versions, self._doc_ids, self._generation = {}, {}, None
        refresh = self.poll()
        if refresh is not None:
            self.apply(collection, refresh)
        if self.local_file:  # no other process can be writing: clear what a crash left behind
            self.store.reconcile(set(collection.chunks))
            self._delete_parts_except(self._versions)
        return collection

    def writing(self) -> ContextManager[None]:
        return contextlib.nullcontext()  # Milvus has no locks; concurrent writes of one document: the last one wins

    def save(self, collection: Collection) -> None:
        held = {doc_key(doc_id): doc_id for doc_id in collection.documents}
        changed = [key for key, doc_id in held.items()
                   if self._versions.get(key) != collection.documents[doc_id].content_hash]
        removed = [key for key in self._versions if key not in held]
        part_rows, heads = [], []
        for key in changed:
            doc_id = held[key]
            version = collection.documents[doc_id].content_hash
            record = persistence.document_record(collection, doc_id)
            slices = [record[i:i + PART_CHARS] for i in range(0, len(record), PART_CHARS)]
            part_rows += [self._row(part_key(key, version, i), version, body=body) for i, body in enumerate(slices)]
            heads.append(self._row(HEAD + key, version, parts=len(slices)))
        self.store.flush()  # vectors durable before any head names them
        self._upsert(part_rows + [self._row(FOLDERS, body=json.dumps(collection.folders))])
        self._upsert(heads)
        self._delete_keys([HEAD + key for key in removed])
        self.store.commit()  # vectors of old versions and removed documents
        for key in changed + removed:
            if key in self._versions:
                self._client.delete(self._documents, filter=f'key like "{PART}{key}{self._versions[key]}%"')
        # A fresh generation tells the other replicas; this one keeps the generation it last read, so
        # its next poll still sees what others saved in between (its own documents compare unchanged).
        self._upsert([self._row(GENERATION, uuid.uuid4().hex)])
        for key in removed:
            self._versions.pop(key)
            self._doc_ids.pop(key, None)
        for key in changed:
            self._versions[key] = collection.documents[held[key]].content_hash
            self._doc_ids[key] = held[key]

    def poll(self) -> Refresh | None:
        generation = self._get([GENERATION]).get(GENERATION, {}).get("version", "")
        if generation == self._generation:
            return None
        heads = {row["key"][len(HEAD):]: (row["version"], row["parts"]) for row in self._scan(f'key like "{HEAD}%"')}
        changed = {key: head for key, head in heads.items() if self._versions.get(key) != head[0]}
        wanted = [part_key(key, version, i) for key, (version, parts) in changed.items() for i in range(parts)]
        bodies = {key: row["body"] for key, row in self._get(wanted).items()}
        removed_keys = [key for key in self._versions if key not in heads]
        refresh = Refresh(removed=[self._doc_ids[key] for key in removed_keys])
        complete = True
        versions = {}
        for key, (version, parts) in changed.items():
            slices = [bodies.get(part_key(key, version, i)) for i in range(parts)]
            if None in slices:  # replaced again while we read: take it on the next poll
                complete = False
                continue
            refresh.records.append("".join(slices))
            versions[key] = version
        if complete and not refresh.removed and not refresh.records:
            self._generation = generation  # only this replica's own saves since it last looked
            return None
        refresh.generation = generation if complete else None
        refresh.versions = versions
        return refresh

    def apply(self, collection: Collection, refresh: Refresh) -> None:
        for doc_id in take_in(collection, refresh):
            self._doc_ids[doc_key(doc_id)] = doc_id
        for doc_id in refresh.removed:
            self._versions.pop(doc_key(doc_id), None)
            self._doc_ids.pop(doc_key(doc_id), None)
        self._versions.update(refresh.versions)
        self._generation = refresh.generation

    def close(self) -> None:
        self.store.close()

    # -- Milvus rows ------------------------------------------------------------------------------
    @staticmethod
    def _row(key: str, version: str = "", parts: int = 0, body: str = "") -> dict:
        return {"key": key, "version": version, "parts": parts, "body": body, "unused": [0.0, 0.0]}

    def _upsert(self, rows: list[dict]) -> None:
        for batch in batches(rows, ROWS_PER_CALL):
            self._client.upsert(self._documents, batch)

    def _delete_keys(self, keys: list[str]) -> None:
        for batch in batches(keys, ROWS_PER_CALL):
            self._client.delete(self._documents, ids=batch)

    def _get(self, keys: list[str]) -> dict[str, dict]:
        fields = ["key", "version", "parts", "body"]
        return {row["key"]: row for batch in batches(keys, ROWS_PER_CALL)
                for row in self._client.get(self._documents, ids=batch, output_fields=fields)}

    def _scan(self, expression: str, fields: tuple[str, ...] = ("key", "version", "parts")) -> list[dict]:
        return scan(self._client, self._documents, expression, list(fields))

    def _delete_parts_except(self, live: dict[str, str]) -> None:
        """Remove parts of versions no head names (a save that crashed before its head)."""
        stale = [row["key"] for row in self._scan(f'key like "{PART}%"', ("key",))
                 if live.get(row["key"][len(PART):len(PART) + 32]) != row["key"][len(PART) + 32:-6]]
        self._delete_keys(stale)
