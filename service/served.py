"""One collection as the service serves it: its pipeline (sharing the service's models), a
readers-writer lock, its answer cache and feedback store, persistence after every write.

Asks and searches hold the read lock for their whole run, so an answer never cites a document
deleted meanwhile and never sees a half-applied update. Writes embed outside the lock (slow),
then apply and persist under it (fast). A write to one collection never holds up asks on another:
each has its own locks; only the CPU slots (admission) are shared."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from typing import Callable, Iterator, Sequence

from groundqa.errors import CollectionNotFound, DocumentConflict, DocumentNotFound, GroundQAError, InvalidFeedback
from groundqa.hardware import share_cores
from groundqa.index.catalog import Catalog
from groundqa.index.types import Document, Filters, Passage
from groundqa.service.admission import Admission
from groundqa.service.answer_cache import AnswerCache, cache_key
from groundqa.service.collections import Record
from groundqa.service.feedback import Feedback, FeedbackStore
from groundqa.service.followup import Turn, embedder_similarity
from groundqa.service.followup_choice import Readings, chosen, readings
from groundqa.service.ids import normalize_doc_id, validate_doc_id
from groundqa.service.pipeline import Pipeline, validate_filters, validate_question, validate_top_k
from groundqa.service.rwlock import ReadWriteLock
from groundqa.service.types import AskResult
from groundqa.settings import Settings

log = logging.getLogger("groundqa")
_END_OF_STAGES = object()


@dataclasses.dataclass(frozen=True)
class Written:
    doc_id: str
    status: str  # added, updated or unchanged
    chunks: int
    dropped: list[str]  # what the previous version had and this one lacks (meta.<key>)


class ServedCollection:
    def __init__(self, name: str, settings: Settings, pipeline: Pipeline, catalog: Catalog, feedback: FeedbackStore,
                 admission: Admission, record: Record | None = None) -> None:
        self.name = name
        self.settings = settings  # this collection's (settings_for): its index directory or Milvus prefix
        self.pipeline, self.catalog, self.feedback = pipeline, catalog, feedback
        self.admission = admission  # the service's CPU slots, shared by every collection
        self.record = record  # None: the default collection
        self._lock = ReadWriteLock()
        self._writes = threading.Lock()
        self._next_poll = 0.0
        self.answers = AnswerCache(settings.answer_cache_size)
        self.closed = False

    def _synced_pipeline(self) -> Pipeline:
        """The pipeline, after taking in what other replicas of a shared index saved since the last
        look (at most every sync_interval_s; it may poll the store and take the write lock)."""
        if time.monotonic() >= self._next_poll:
            self._take_in_others_writes(self.pipeline)
        return self.pipeline

    def _take_in_others_writes(self, pipeline: Pipeline) -> None:
        self._next_poll = time.monotonic() + self.settings.sync_interval_s
        if not self._writes.acquire(blocking=False):
            return  # this process is writing; look next time rather than hold up a read
        try:
            refresh = self.catalog.poll()
            if refresh is not None:
                with self._changing(pipeline):
                    self.catalog.apply(pipeline.collection, refresh)
        except Exception:  # the shared store is unreachable: answer from what this replica holds
            log.exception("could not take in changes from %s", self.catalog.location)
        finally:
            self._writes.release()

    # -- reads ------------------------------------------------------------------------------
    def ask(self, question: str, top_k: int | None, filters: Filters | None,
            history: Sequence[Turn] = ()) -> AskResult:
        """The answer; with `history` (the conversation so far, oldest first) to a follow-up resolved
        into a standalone question first, which the result's `question` is (and the cache's key). A
        follow-up the rules may have misread is also asked as a plain combination with the previous
        question, the verifier choosing (followup_choice); each reading is cached on its own."""
        pipeline = self._synced_pipeline()
        read = self._readings(pipeline, question, history)
        by_rules = self._ask_one(pipeline, read.resolved, top_k, filters)
        if read.alternative is None:
            return by_rules
        return chosen(by_rules, self._ask_one(pipeline, read.alternative, top_k, filters), read.previous_answer)

    def _ask_one(self, pipeline: Pipeline, question: str, top_k: int | None, filters: Filters | None) -> AskResult:
        key = cache_key(question, top_k, filters)
        started = time.perf_counter()
        cached = self.answers.get(key)
        if cached is not None:
            return dataclasses.replace(cached, cached=True, timings_ms={"total": (time.perf_counter() - started) * 1000})
        with self._inference_slot(), self._lock.reading():
            generation = self.answers.generation
            result = pipeline.ask(question, top_k, filters)
        self.answers.put(key, result, generation)
        return result

    def ask_stream(self, question: str, top_k: int | None, filters: Filters | None,
                   history: Sequence[Turn] = ()) -> Iterator[tuple[Passage, ...] | AskResult]:
        """Pipeline.stages, holding the read lock from retrieval to the last citation. Bad input
        raises here, before anything streams; a follow-up is resolved as `ask` resolves it (one with
        two readings streams its passages once both are answered, the chosen reading's)."""
        pipeline = self._synced_pipeline()
        validate_top_k(top_k)
        validate_filters(filters)
        read = self._readings(pipeline, question, history)

        def work(stages: queue.SimpleQueue) -> None:
            try:
                with self._inference_slot(), self._lock.reading():
                    if read.alternative is None:
                        for stage in pipeline.stages(read.resolved, top_k, filters):
                            stages.put(stage)
                    else:
                        result = chosen(pipeline.ask(read.resolved, top_k, filters),
                                        pipeline.ask(read.alternative, top_k, filters), read.previous_answer)
                        stages.put(tuple(result.passages))
                        stages.put(result)
            except BaseException as exc:  # handed to the reader of the stream, raised there
                stages.put(exc)
            finally:
                stages.put(_END_OF_STAGES)

        def stream() -> Iterator[tuple[Passage, ...] | AskResult]:
            # The stages run in a thread of their own, so the slot and the lock are released when the
            # work ends, whether or not the client is still reading: a generator suspended inside them
            # held both until garbage collection once its client had gone (issue 39).
            stages: queue.SimpleQueue = queue.SimpleQueue()
            threading.Thread(target=work, args=(stages,), name="ask-stream", daemon=True).start()
            while (stage := stages.get()) is not _END_OF_STAGES:
                if isinstance(stage, BaseException):
                    raise stage
                yield stage

        return stream()

    def _readings(self, pipeline: Pipeline, question: str, history: Sequence[Turn]) -> Readings:
        """The question checked, and read against `history` when there is one (the embedder, when the
        rules need it, runs in an inference slot like any model run)."""
        question = validate_question(question, self.settings.max_question_chars)
        if not history:
            return Readings(question, None, "")
        similar = embedder_similarity(pipeline.embedder)

        def similarity(text: str, others: Sequence[str]) -> Sequence[float]:
            with self._inference_slot():
                return similar(text, others)

        return readings(question, history, similarity, self.settings.max_question_chars)

    def search(self, query: str, k: int, filters: Filters | None) -> tuple[list[Passage], dict[str, Document]]:
        pipeline = self._synced_pipeline()
        query = validate_question(query, self.settings.max_question_chars)
        filters = validate_filters(filters)
        with self._inference_slot():
            vector = pipeline.embedder.embed([query])[0]
        with self._lock.reading():
            passages = pipeline.search(vector, query, k, filters)
            return passages, {p.chunk.doc_id: pipeline.collection.documents[p.chunk.doc_id] for p in passages}

    @contextlib.contextmanager
    def _inference_slot(self) -> Iterator[None]:
        """Admitted (or Overloaded), with this thread's share of the cores for the model runs."""
        with self.admission.admit() as running:
            share_cores(running, self.settings.threads)
            yield

    def list_documents(self, offset: int, limit: int) -> tuple[int, list[tuple[Document, int]]]:
        collection = self._synced_pipeline().collection
        with self._lock.reading():
            ids = sorted(collection.documents)
            page = ids[offset:offset + limit]
            return len(ids), [(collection.documents[i], len(collection.doc_rows[i])) for i in page]

    def get_document(self, doc_id: str) -> tuple[Document, int]:
        collection = self._synced_pipeline().collection
        doc_id = normalize_doc_id(doc_id)
        with self._lock.reading():
            return collection.document(doc_id), len(collection.doc_rows[doc_id])

    # -- feedback ---------------------------------------------------------------------------
    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Stored, once its answer is checked to be the text it cites (InvalidFeedback if not)."""
        feedback = dataclasses.replace(feedback, question=validate_question(feedback.question,
                                                                            self.settings.max_question_chars))
        if feedback.answer is not None:
            try:
                document, _ = self.get_document(feedback.doc_id)
            except DocumentNotFound:
                raise InvalidFeedback(f"no document with id {feedback.doc_id!r}: the answer cites nothing") from None
            if document.text[feedback.start:feedback.end] != feedback.answer:
                raise InvalidFeedback(f"the answer is not the text of {feedback.doc_id!r} at {feedback.start}.."
                                      f"{feedback.end}: send the citation the service gave")
        with self._writes:
            self._refuse_if_closed()
            return self.feedback.add(feedback)

    # -- writes -----------------------------------------------------------------------------
    def put_document(self, document: Document, *, replace: bool) -> Written:
        """Add a document (replace=False: 409 if the id exists) or replace one whole (replace=True:
        404 if it does not exist)."""
        doc_id = validate_doc_id(document.doc_id)

        def whole(current: Document | None) -> Document:
            if current is not None and not replace:
                raise DocumentConflict(f"document {doc_id!r} already exists; use PUT to replace it")
            if current is None and replace:
                raise DocumentNotFound(f"no document with id {doc_id!r}; use POST to add it")
            return dataclasses.replace(document, doc_id=doc_id)

        return self._write(doc_id, whole)

    def patch_document(self, doc_id: str, change: Callable[[Document], Document]) -> Written:
        """Replace a document with `change` of its current version (404 if there is none)."""
        doc_id = normalize_doc_id(doc_id)

        def changed(current: Document | None) -> Document:
            if current is None:
                raise DocumentNotFound(f"no document with id {doc_id!r}; use POST to add it")
            return change(current)

        return self._write(doc_id, changed)

    def _write(self, doc_id: str, make: Callable[[Document | None], Document]) -> Written:
        """One writer at a time: the new version from the current one, embedded, applied, saved."""
        pipeline = self._synced_pipeline()
        with self._writes:
            self._refuse_if_closed()
            collection = pipeline.collection
            current = collection.documents.get(doc_id)
            document = make(current)
            share_cores(2, self.settings.threads)  # a write embeds on half the cores; asks keep the rest
            prepared = collection.prepare([document], pipeline.embedder)
            with self._changing(pipeline):
                report = collection.apply(prepared)
                self._persist()
            status = "added" if report.added else "updated" if report.updated else "unchanged"
            dropped = sorted(f"meta.{key}" for key in (current.meta if current else {}) if key not in document.meta)
            return Written(doc_id, status, len(collection.doc_rows[doc_id]), dropped)

    def delete_document(self, doc_id: str) -> None:
        pipeline = self._synced_pipeline()
        doc_id = normalize_doc_id(doc_id)
        with self._writes:
            self._refuse_if_closed()
            if doc_id not in pipeline.collection.documents:
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            with self._changing(pipeline):
                pipeline.collection.delete([doc_id])
                self._persist()

    @contextlib.contextmanager
    def _changing(self, pipeline: Pipeline) -> Iterator[None]:
        """Around every change to the collection: asks wait (write lock), the answer cache is emptied
        before they resume, and BM25 is rebuilt after, outside the lock, so that no ask pays for it."""
        with self._lock.writing():
            try:
                yield
            finally:
                self.answers.invalidate()
        pipeline.prepare_search()

    def _persist(self) -> None:
        """Save, or on failure go back to what is stored, so memory and storage never disagree."""
        pipeline = self.pipeline
        try:
            with self.catalog.writing():
                self.catalog.save(pipeline.collection)
        except BaseException:
            log.exception("saving the index failed; reloading the last saved version")
            try:
                pipeline.collection = self.catalog.open(pipeline.collection.manifest)
            except GroundQAError as exc:
                log.error("could not reload the index: %s", exc)
            raise

    def counts(self) -> tuple[int, int]:
        return len(self.pipeline.collection), self.pipeline.collection.chunk_count

    def close(self) -> None:
        """Once the asks and writes in flight are done; later writes get CollectionNotFound (a write
        after its collection was deleted must not leave an index behind for a new one of that name)."""
        with self._writes, self._lock.writing():
            self.closed = True
            self.feedback.close()
            self.catalog.close()

    def _refuse_if_closed(self) -> None:
        if self.closed:
            raise CollectionNotFound(f"collection {self.name!r} was deleted")
