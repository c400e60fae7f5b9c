"""The one answering path, used by the CLI, the HTTP API and the eval harness alike."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator

from groundqa.errors import IndexNotReady, InvalidQuestion
from groundqa.hardware import resolve_precision
from groundqa.settings import Settings
from groundqa.index.catalog import Catalog, DirectoryCatalog
from groundqa.index.collection import Collection, Manifest
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.embedder import Embedder, SentenceTransformerEmbedder
from groundqa.index.hybrid import RetrievalConfig
from groundqa.index.store import FaissLayout
from groundqa.index.types import Document, Passage
from groundqa.service.answers import select_answers
from groundqa.service.reader import ExtractiveReader, Reader, ReaderConfig, Reading
from groundqa.service.types import AskResult


@dataclass
class Pipeline:
    embedder: Embedder
    collection: Collection
    reader: Reader
    settings: Settings
    catalog: Catalog | None = None  # where writes are saved; None: the settings' index directory

    def __post_init__(self) -> None:
        if self.catalog is None:
            self.catalog = DirectoryCatalog(self.settings.index_dir, faiss_layout(self.settings))

    def ask(self, question: str, top_k: int | None = None,
            doc_filter: Callable[[Document], bool] | None = None) -> AskResult:
        *_, result = self.stages(question, top_k, doc_filter)
        return result

    def stages(self, question: str, top_k: int | None = None,
               doc_filter: Callable[[Document], bool] | None = None) -> Iterator[tuple[Passage, ...] | AskResult]:
        """The answering path in steps, for streaming: yields the retrieved passages, then the result."""
        question = validate_question(question, self.settings.max_question_chars)
        top_k = self.settings.top_k if top_k is None else validate_top_k(top_k)
        clock = _Stopwatch()
        vector = self.embedder.embed([question])[0]
        clock.lap("embed")
        passages = self.search(vector, question, top_k, doc_filter)
        clock.lap("search")
        yield tuple(passages)
        reading = self._read(question, worth_reading(passages, self.settings.read_score_gap))
        answers, best_margin = select_answers(reading, self.collection.document,
                                              margin=self.settings.no_answer_margin,
                                              max_answers=self.settings.max_answers,
                                              min_alternative_score=self.settings.min_alternative_score,
                                              retrieval_weight=self.settings.answer_retrieval_weight,
                                              length_penalty=self.settings.answer_length_penalty)
        clock.lap("read")
        yield AskResult(question=question, answers=answers, no_answer=not answers,
                         timings_ms=clock.timings(), best_margin=best_margin, passages=tuple(passages))


    def _read(self, question: str, passages: list[Passage]) -> Reading:
        """Read the passages; with early_exit_margin set, read the best one first and stop there
        when the reader is that sure of a span in it (eval/BENCHMARKS.md, "Speed")."""
        threshold = self.settings.early_exit_margin
        if threshold is None or len(passages) < 2:
            return self.reader.read(question, passages)
        first = self.reader.read(question, passages[:1])
        if first.best_window_margin() >= threshold:
            return first
        return first.merged(self.reader.read(question, passages[1:]))

    def prepare_search(self) -> None:
        """Build BM25 now, after loading or a change, so that no ask waits for it (a rebuild takes
        about 0.2 s at 2,000 chunks and grows with the corpus)."""
        if self.settings.retrieval_mode != "dense":
            self.collection.sparse.refresh(self.collection.chunks)

    def search(self, vector, question: str, k: int,
               doc_filter: Callable[[Document], bool] | None = None) -> list[Passage]:
        """Retrieval as configured (dense, BM25 or both) for an already embedded question."""
        return self.collection.search(vector, k, doc_filter, question, retrieval_config(self.settings))


def worth_reading(passages: list[Passage], score_gap: float | None) -> list[Passage]:
    """The passages scoring within `score_gap` of the best one. Answers are ranked with the retrieval
    score (times answer_retrieval_weight) added, so a passage far below the best rarely wins, and
    reading is most of the cost of an answer (eval/BENCHMARKS.md, "Speed")."""
    if score_gap is None or not passages:
        return passages
    best = max(p.score for p in passages)
    return [p for p in passages if best - p.score <= score_gap]


def validate_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str):
        raise InvalidQuestion("question must be a string")
    question = question.strip()
    if not question:
        raise InvalidQuestion("question is empty")
    if len(question) > max_chars:
        raise InvalidQuestion(f"question is {len(question)} characters long; the limit is {max_chars}")
    return question


def validate_top_k(top_k: int | None) -> int | None:
    if top_k is not None and not 1 <= top_k <= 100:
        raise InvalidQuestion(f"top_k must be between 1 and 100, got {top_k}")
    return top_k


class _Stopwatch:
    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._laps[stage] = (now - self._last) * 1000
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total": (self._last - self._start) * 1000}


def retrieval_config(settings: Settings) -> RetrievalConfig:
    return RetrievalConfig(settings.retrieval_mode, settings.retrieval_depth, settings.fusion,
                           settings.rrf_k, settings.dense_weight)


def expected_manifest(settings: Settings, embedder: Embedder) -> Manifest:
    return Manifest(embedding_model=embedder.name, dimension=embedder.dimension,
                    chunking=ChunkingConfig(settings.chunk_max_tokens, settings.chunk_overlap_tokens))


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embed_batch_size,
                                       precision=resolve_precision(settings.precision), trace=settings.trace_models)


def make_reader(settings: Settings) -> ExtractiveReader:
    config = ReaderConfig(settings.reader_max_seq_len, settings.reader_stride, settings.reader_n_best,
                          settings.reader_max_answer_tokens, settings.reader_batch_size)
    return ExtractiveReader(settings.reader_model, config, threads=settings.threads,
                            precision=resolve_precision(settings.precision), trace=settings.trace_models)


def faiss_layout(settings: Settings) -> FaissLayout:
    return FaissLayout(ivf_from=settings.faiss_ivf_from_chunks, nprobe=settings.faiss_nprobe)


def make_catalog(settings: Settings, dimension: int) -> Catalog:
    """Where the index lives: the index directory (FAISS), or Milvus (see README, "Vector store")."""
    if settings.vector_store == "faiss":
        return DirectoryCatalog(settings.index_dir, faiss_layout(settings))
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        raise IndexNotReady("GROUNDQA_VECTOR_STORE=milvus needs pymilvus: pip install 'groundqa[milvus]'") from None
    from groundqa.index.milvus_catalog import MilvusCatalog

    return MilvusCatalog(settings.milvus_uri, settings.milvus_collection, dimension,
                         settings.milvus_token.get_secret_value() if settings.milvus_token else "")


def build_pipeline(settings: Settings, create_missing: bool = False) -> Pipeline:
    embedder = make_embedder(settings)
    embedder.warm_up()
    catalog = make_catalog(settings, embedder.dimension)
    collection = catalog.open(expected_manifest(settings, embedder), create=create_missing)
    reader = make_reader(settings)
    reader.warm_up()
    return Pipeline(embedder, collection, reader, settings, catalog)
