"""The service's state: the models (loaded once), the CPU slots, and the collections it serves.

Each collection (service/served.py) has its own index, locks, answer cache and feedback; they all
share one embedder and one reader. The default collection opens at start; named ones (service/
collections.py) open on first use and close when deleted, here or by a replica sharing Milvus, or when
more than max_open_collections are open: then the least recently used ones no request is using."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections import Counter
from typing import Iterator

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
        self._served: dict[str, ServedCollection] = {}  # open collections, least recently used first
        self._users: Counter[ServedCollection] = Counter()  # requests using each open collection now
        self._seen_at: dict[str, float] = {}  # named collection -> when its record was last seen in the shelf
        self._opening = threading.Lock()  # one collection opened or closed at a time
        self._lru = threading.Lock()  # guards _served, _users and _seen_at (held briefly)
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
        with self._lru:
            open_now = list(self._served.items())
        return {name: served.counts() for name, served in open_now}

    @property
    def shelf(self) -> Shelf:
        if self._shelf is None:
            self._shelf = make_shelf(self.settings)
        return self._shelf

    # -- collections --------------------------------------------------------------------------
    def collection(self, name: str = DEFAULT) -> ServedCollection:
        """The collection, opened on first use (CollectionNotFound if there is none by that name,
        here or, for Milvus, on the shared server). A request holds it with `using` instead, so that
        it is not closed as idle meanwhile."""
        with self.using(name) as served:
            return served

    @contextlib.contextmanager
    def using(self, name: str = DEFAULT) -> Iterator[ServedCollection]:
        """The collection, kept open until the block ends; then the least recently used idle ones
        beyond max_open_collections are closed (each opens again on its next request)."""
        served = self._take(name)
        try:
            yield served
        finally:
            self._release(served)
            self._close_idle()

    @contextlib.contextmanager
    def peek(self, name: str) -> Iterator[ServedCollection]:
        """The collection for a look at its size and models: the open one, else one opened for the
        look alone and closed after it, so that listing every collection leaves none of them open."""
        if not self.ready:
            raise self.not_ready_error()
        served = self._use(name)
        opened = served is None
        if opened:
            served = self._open(self.record(name), search=False)
        try:
            yield served
        finally:
            if opened:
                served.close()
            else:
                self._release(served)

    def _take(self, name: str) -> ServedCollection:
        if not self.ready:
            raise self.not_ready_error()
        served = self._use(name)
        if served is not None:
            if name == DEFAULT or self._still_there(served):
                return served
            self._release(served)
        validate_name(name)
        with self._opening:
            served = self._use(name)
            if served is None:
                record = self.shelf.record(name)
                if record is None:
                    raise CollectionNotFound(f"no collection {name!r}")
                served = self._open(record)
                self._add(served, users=1)
            return served

    def _use(self, name: str) -> ServedCollection | None:
        """The open collection, marked as used (now, by one more request), or None if it is not open."""
        with self._lru:
            served = self._served.pop(name, None)
            if served is not None:
                self._served[name] = served  # moved to the end: the most recently used
                self._users[served] += 1
            return served

    def _release(self, served: ServedCollection) -> None:
        with self._lru:
            self._users[served] -= 1
            if self._users[served] <= 0:
                del self._users[served]

    def _add(self, served: ServedCollection, users: int = 0) -> None:
        with self._lru:
            self._served[served.name] = served
            self._seen_at[served.name] = time.monotonic()
            if users:
                self._users[served] += users

    def _close_idle(self) -> None:
        """Close the least recently used named collections that no request is using, down to
        max_open_collections (more stay open only while requests use them)."""
        with self._lru:
            named = [name for name in self._served if name != DEFAULT]
            idle = [name for name in named if not self._users[self._served[name]]]
            doomed = idle[:max(0, len(named) - self.settings.max_open_collections)]
            closing = [self._pop(name) for name in doomed]
        for served in closing:
            served.close()

    def _pop(self, name: str) -> ServedCollection | None:
        """Take it out of the open collections (call with _lru held)."""
        self._seen_at.pop(name, None)
        return self._served.pop(name, None)

    def _still_there(self, served: ServedCollection) -> bool:
        """False once another process deleted it, or deleted it and made a new one of that name, with
        other keys and documents (looked up at most every sync_interval_s)."""
        name = served.name
        if time.monotonic() - self._seen_at.get(name, 0.0) < self.settings.sync_interval_s:
            return True
        if self.shelf.record(name) == served.record:
            self._seen_at[name] = time.monotonic()
            return True
        with self._opening:
            self._close(name, served)
        return False

    def _open(self, record: Record, search: bool = True) -> ServedCollection:
        """Its index (empty until the first write saves one), with the service's models (and BM25
        built, unless it is only opened to be described)."""
        from groundqa.service.verify import Verifier
        from groundqa.wiring import (expected_manifest, fitted_for_these_models, make_catalog, make_feedback,
                                     pipeline_config)

        default = self._served[DEFAULT].pipeline
        settings = settings_for(self.settings, record.name)
        catalog = make_catalog(settings, default.embedder.dimension)
        collection = catalog.open(expected_manifest(settings, default.embedder), create=True)
        config = pipeline_config(settings)
        if record.verifier is not None:
            origin = f"collection {record.name!r}'s verifier"
            config = dataclasses.replace(config, verifier=fitted_for_these_models(
                Verifier.from_json(record.verifier, origin), settings, origin))
        pipeline = Pipeline(default.embedder, collection, default.reader, config)
        if search:
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
                served = self._open(record)
            except BaseException:
                self.shelf.remove(record.name)
                raise
            self._close(record.name)  # one of that name another process deleted, if this one had it open
            self._add(served)
            self._keys_fresh_until = 0.0
        self._close_idle()
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

    def _close(self, name: str, only: ServedCollection | None = None) -> None:
        """Close the open collection `name` (only if it is still `only`, when given)."""
        with self._lru:
            served = self._served.get(name)
            if served is None or (only is not None and served is not only):
                return
            self._pop(name)
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
        with self._lru:
            served = self._served.get(name)
        if served is not None and self._still_there(served):
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
