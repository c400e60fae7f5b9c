"""The service's state: the models (loaded once), the CPU slots, and the collections it serves.

Each collection (service/served.py) has its own index, locks, answer cache and feedback; they all
share one embedder and one reader. The default collection opens at start; named ones (service/
collections.py) open on first use and close when deleted, here or by a replica sharing Milvus."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from groundqa.errors import (CollectionExists, CollectionNotFound, GroundQAError, IndexNotReady, InvalidCollection,
                             Starting)
from groundqa.index.catalog import Catalog
from groundqa.index.sandbox import ParseBudget, SandboxedLoader
from groundqa.service.admission import Admission
from groundqa.service.collections import (DEFAULT, Record, Shelf, key_hash, make_shelf, settings_for,
                                          validate_name)
from groundqa.service.ids import without_paths
from groundqa.service.pipeline import Pipeline
from groundqa.service.served import ServedCollection
from groundqa.settings import Settings

log = logging.getLogger("groundqa")


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.starting = True
        self.not_ready_reason = "starting: loading the models and the index"
        self._not_ready_type: type[GroundQAError] = IndexNotReady
        self.loader = SandboxedLoader(ParseBudget(settings.parse_timeout_s, settings.parse_memory_mb))
        self.admission = Admission(settings.max_concurrent_asks, settings.max_queued_asks, settings.queue_wait_s)
        self._served: dict[str, ServedCollection] = {}
        self._seen_at: dict[str, float] = {}  # named collection -> when its record was last seen in the shelf
        self._opening = threading.Lock()
        self._shelf: Shelf | None = None
        self._key_owners: dict[str, str] = {}  # key hash -> the named collection it opens
        self._keys_fresh_until = 0.0

    def start(self) -> None:
        from groundqa.wiring import build_pipeline

        try:
            pipeline, catalog = build_pipeline(self.settings, create_missing=True)
            pipeline.prepare_search()
        except GroundQAError as exc:
            log.error("not ready: %s", exc)
            self._failed(without_paths(str(exc)), type(exc))
            return
        except BaseException:
            self._failed("the models or the index failed to load; see the server log", IndexNotReady)
            raise
        self.attach(pipeline, catalog)  # "starting" ends only once the collection is served
        if not len(pipeline.collection):
            log.warning("index in %s is empty: add documents with `groundqa index` or POST /v1/documents",
                        catalog.location)
        log.info("ready: %d documents, %d chunks", *self.counts())

    def _failed(self, reason: str, error: type[GroundQAError]) -> None:
        self.not_ready_reason, self._not_ready_type = reason, error
        self.starting = False

    def attach(self, pipeline: Pipeline, catalog: Catalog) -> None:
        """Serve `pipeline` as the default collection, saving writes to `catalog`; named collections
        share its models (start does this; tests may too)."""
        from groundqa.wiring import make_feedback

        self._served = {DEFAULT: ServedCollection(DEFAULT, self.settings, pipeline, catalog,
                                                  make_feedback(self.settings, catalog), self.admission)}
        self.starting, self.not_ready_reason = False, ""

    def not_ready_error(self) -> GroundQAError:
        """What a request gets while the service is not ready (HTTP 503): the reason, without the
        server's paths."""
        if self.starting:
            return Starting(f"service starting: {self.not_ready_reason.removeprefix('starting: ')}; retry shortly")
        return self._not_ready_type(f"service not ready: {self.not_ready_reason}")

    @property
    def ready(self) -> bool:
        return DEFAULT in self._served and not self.not_ready_reason

    @property
    def pipeline(self) -> Pipeline | None:
        """The default collection's pipeline (None until started)."""
        served = self._served.get(DEFAULT)
        return served.pipeline if served else None

    def counts(self) -> tuple[int, int]:
        """Documents and chunks of the default collection."""
        served = self._served.get(DEFAULT)
        return served.counts() if served else (0, 0)

    def open_counts(self) -> dict[str, tuple[int, int]]:
        """Documents and chunks of each collection open in this process."""
        return {name: served.counts() for name, served in list(self._served.items())}

    @property
    def shelf(self) -> Shelf:
        if self._shelf is None:
            self._shelf = make_shelf(self.settings)
        return self._shelf

    # -- collections --------------------------------------------------------------------------
    def collection(self, name: str = DEFAULT) -> ServedCollection:
        """The collection, opened on first use (CollectionNotFound if there is none by that name,
        here or, for Milvus, on the shared server)."""
        if not self.ready:
            raise self.not_ready_error()
        served = self._served.get(name)
        if served is not None and (name == DEFAULT or self._still_there(name)):
            return served
        validate_name(name)
        with self._opening:
            served = self._served.get(name)
            if served is not None:
                return served
            record = self.shelf.record(name)
            if record is None:
                raise CollectionNotFound(f"no collection {name!r}")
            served = self._served[name] = self._open(record)
            self._seen_at[name] = time.monotonic()
            return served

    def _still_there(self, name: str) -> bool:
        """False once another process deleted it, or deleted it and made a new one of that name, with
        other keys and documents (looked up at most every sync_interval_s)."""
        if time.monotonic() - self._seen_at.get(name, 0.0) < self.settings.sync_interval_s:
            return True
        if self.shelf.record(name) == self._served[name].record:
            self._seen_at[name] = time.monotonic()
            return True
        with self._opening:
            self._close(name)
        return False

    def _open(self, record: Record) -> ServedCollection:
        """Its index (empty until the first write saves one), with the service's models."""
        from groundqa.service.verify import Verifier
        from groundqa.wiring import expected_manifest, make_catalog, make_feedback, pipeline_config

        default = self._served[DEFAULT].pipeline
        settings = settings_for(self.settings, record.name)
        catalog = make_catalog(settings, default.embedder.dimension)
        collection = catalog.open(expected_manifest(settings, default.embedder), create=True)
        config = pipeline_config(settings)
        if record.verifier is not None:
            config = dataclasses.replace(config, verifier=Verifier.from_json(record.verifier,
                                                                             f"collection {record.name!r}"))
        pipeline = Pipeline(default.embedder, collection, default.reader, config)
        pipeline.prepare_search()
        return ServedCollection(record.name, settings, pipeline, catalog, make_feedback(settings, catalog),
                                self.admission, record)

    def create_collection(self, record: Record) -> ServedCollection:
        if not self.ready:
            raise self.not_ready_error()
        if record.name == DEFAULT:
            raise CollectionExists("the default collection always exists")
        with self._opening:
            self.shelf.add(record)
            try:
                served = self._served[record.name] = self._open(record)
            except BaseException:
                self.shelf.remove(record.name)
                raise
            self._seen_at[record.name] = time.monotonic()
            self._keys_fresh_until = 0.0
            return served

    def delete_collection(self, name: str) -> None:
        """Its index, feedback and record removed; asks on it in flight finish first."""
        if name == DEFAULT:
            raise InvalidCollection("the default collection cannot be deleted (remove its documents instead)")
        self.record(name)  # 404 if there is none, without loading its index to throw it away
        with self._opening:
            self._close(name)
            self.shelf.remove(name)
            self._keys_fresh_until = 0.0

    def _close(self, name: str) -> None:
        served = self._served.pop(name, None)
        self._seen_at.pop(name, None)
        if served is not None:
            served.close()

    def collection_names(self) -> list[str]:
        if not self.ready:
            raise self.not_ready_error()
        return sorted([DEFAULT, *self.shelf.names()])

    def record(self, name: str) -> Record | None:
        """A named collection's record (keys, verifier), without opening its index (CollectionNotFound
        if there is none); None for the default one."""
        if name == DEFAULT:
            return None
        if not self.ready:
            raise self.not_ready_error()
        served = self._served.get(name)
        if served is not None and self._still_there(name):
            return served.record
        record = self.shelf.record(validate_name(name))
        if record is None:
            raise CollectionNotFound(f"no collection {name!r}")
        return record

    def key_collection(self, key: str) -> str | None:
        """The named collection whose read or write key this is, if any (the keys of every collection
        are looked up again at most every sync_interval_s, and after a create or delete here)."""
        if time.monotonic() >= self._keys_fresh_until:
            self._keys_fresh_until = time.monotonic() + self.settings.sync_interval_s
            try:
                records = [self.shelf.record(name) for name in self.shelf.names()]
            except Exception:  # the shelf unreadable for now (Milvus away): keep the keys last read
                log.exception("could not read the collections' keys; using those read before")
            else:
                self._key_owners = {digest: record.name for record in records if record is not None
                                    for digest in (record.read_key_sha256, record.write_key_sha256) if digest}
        return self._key_owners.get(key_hash(key))
