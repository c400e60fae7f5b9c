"""A VectorStore in Milvus: Milvus Lite from a local file (`./vectors.db`), or a Milvus server or cluster
by URI (`http://host:19530`). Same contract as FaissStore: row ids are the primary keys, inner product
over unit vectors, optional restriction to allowed rows.

Added vectors go to Milvus at once (an upsert, so writing the same rows again is harmless); deleted
ones are only hidden until `commit()`, which the catalog calls once no saved document needs them. So
a crash at any point leaves at most rows no saved chunk owns, never a saved chunk without its vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from groundqa.errors import IndexNotReady

ID_FIELD, VECTOR_FIELD = "id", "vector"
BATCH = 1000


def batches(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    """Consecutive slices of at most `size` items: Milvus bounds the rows and ids one call may carry."""
    for begin in range(0, len(items), size):
        yield items[begin:begin + size]


def scan(client, collection: str, expression: str, fields: list[str]) -> list[dict]:
    """Every row matching `expression`, however many (a plain query stops at 16,384)."""
    iterator = client.query_iterator(collection, batch_size=BATCH, filter=expression, output_fields=fields)
    rows: list[dict] = []
    try:
        while batch := iterator.next():
            rows.extend(batch)
    finally:
        iterator.close()
    return rows


def ensure_collection(client, name: str, create: Callable[[], None]) -> None:
    """Create the collection unless it exists, then load it (an existing one starts released in a new
    process). Replicas starting together may both try to create it: the one that loses finds it made."""
    from pymilvus.exceptions import MilvusException

    if not client.has_collection(name):
        try:
            create()
        except MilvusException:
            if not client.has_collection(name):
                raise
    client.load_collection(name)


def ensure_json_collection(client, name: str, key_field: str, max_key_length: int) -> None:
    """A collection of JSON rows by key (`key_field`, `body`), created if need be. Milvus requires a
    vector field: a constant one."""
    from pymilvus import DataType, MilvusClient

    def create() -> None:
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field(key_field, DataType.VARCHAR, is_primary=True, max_length=max_key_length)
        schema.add_field("body", DataType.VARCHAR, max_length=65_535)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        index_params = client.prepare_index_params()
        index_params.add_index("unused", index_type="FLAT", metric_type="L2")
        client.create_collection(name, schema=schema, index_params=index_params, consistency_level="Strong")

    ensure_collection(client, name, create)


# pymilvus pings every 10 s even with no call in flight; a gRPC server with default settings (the
# `milvus-lite server` among them) counts those as abuse and drops the connection ("too_many_pings").
# Pings while calls run still detect a dead server; a replica's sync poll keeps the connection busy.
GRPC_OPTIONS = {"grpc.keepalive_permit_without_calls": 0}


class MilvusStore:
    def __init__(self, uri: str, collection: str, dimension: int | None, token: str = "") -> None:
        """`dimension` None: open an existing collection with the dimension it has."""
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        self.collection = collection
        self._pending_deletes: set[int] = set()
        try:
            # Dedicated: pymilvus otherwise hands out a connection already open to this URI, made
            # with whatever options its first user chose.
            self._client = MilvusClient(uri, token=token, grpc_options=GRPC_OPTIONS, dedicated=True)
            if dimension is None and not self._client.has_collection(collection):
                raise IndexNotReady(f"no Milvus collection {collection!r} at {uri}; build one with `groundqa index`")
            ensure_collection(self._client, collection, lambda: self._client.create_collection(
                collection, dimension=dimension, metric_type="IP", primary_field_name=ID_FIELD, id_type="int",
                vector_field_name=VECTOR_FIELD, auto_id=False, consistency_level="Strong"))
        except MilvusException as exc:
            raise IndexNotReady(f"cannot open Milvus collection {collection!r} at {uri}: {exc}") from None
        found = self._vector_dimension()
        if dimension is not None and found != dimension:
            raise IndexNotReady(f"Milvus collection {collection!r} holds {found}-dimensional vectors; "
                                f"the embedder gives {dimension}")
        self.dimension = found

    @property
    def client(self):
        """The connection, shared with the catalog beside this store (a Milvus Lite file admits one)."""
        return self._client

    def _vector_dimension(self) -> int:
        fields = self._client.describe_collection(self.collection)["fields"]
        return int(next(f for f in fields if f["name"] == VECTOR_FIELD)["params"]["dim"])

    def add(self, row_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(row_ids) != len(vectors):
            raise ValueError("one row id per vector")
        vectors = np.asarray(vectors, dtype=np.float32)
        for ids, rows in zip(batches(row_ids), batches(vectors)):  # lists built per batch: they are large
            self._client.upsert(self.collection,
                                [{ID_FIELD: int(i), VECTOR_FIELD: v.tolist()} for i, v in zip(ids, rows)])
        self._pending_deletes.difference_update(int(i) for i in row_ids)

    def delete(self, row_ids: Iterable[int]) -> None:
        self._pending_deletes.update(int(i) for i in row_ids)

    def commit(self) -> None:
        """Apply the deletes; called once the index version that no longer needs these rows is saved."""
        self._delete_now(self._pending_deletes)
        self._pending_deletes = set()

    def _delete_now(self, row_ids: Iterable[int]) -> None:
        for batch in batches(sorted(int(i) for i in row_ids)):
            self._client.delete(self.collection, ids=batch)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        if k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        # Milvus caps limit (topk) at 16384.
        options = {"limit": min(k, 16384), "search_params": {"metric_type": "IP"}, "output_fields": [ID_FIELD]}
        conditions = []
        if allowed is not None:
            conditions.append(f"{ID_FIELD} in {[int(i) for i in allowed]}")
        if self._pending_deletes:
            conditions.append(f"{ID_FIELD} not in {sorted(self._pending_deletes)}")
        if conditions:
            options["filter"] = " and ".join(conditions)
        from pymilvus.exceptions import MilvusException

        try:
            hits = self._client.search(self.collection, data=[np.asarray(query, dtype=np.float32).tolist()], **options)
        except MilvusException as exc:  # the server is down or unreachable: the caller gets a 503, not a 500
            raise IndexNotReady(f"Milvus search in {self.collection!r} failed: {exc.message}") from None
        return [(int(hit["id"]), float(hit["distance"])) for hit in hits[0]]

    def prepare_growth(self, vectors: np.ndarray) -> None:
        pass  # Milvus builds its own index

    def flush(self) -> None:
        """Vectors live in Milvus; make what was written durable there."""
        self._client.flush(self.collection)

    def ids(self) -> set[int]:
        return {int(row[ID_FIELD]) for row in scan(self._client, self.collection, "", [ID_FIELD])}

    def reconcile(self, owned_rows: set[int]) -> None:
        """Drop rows no saved chunk owns (written before a crash); refuse if a chunk's vector is missing."""
        present = self.ids()
        missing = owned_rows - present
        if missing:
            raise IndexNotReady(f"Milvus collection {self.collection!r} lacks {len(missing)} vectors the index "
                                "needs; re-index with `groundqa index`")
        self._delete_now(present - owned_rows)

    def close(self) -> None:
        self._client.close()

    def __len__(self) -> int:
        result = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(result[0]["count(*)"]) - len(self._pending_deletes)
