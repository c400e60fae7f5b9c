"""From settings to objects: the one place that reads Settings to build the typed configs, the
models, the catalog and the pipeline. Every default lives in Settings; the configs have none."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import groundqa.service
from groundqa.errors import IndexNotReady
from groundqa.hardware import resolve_precision
from groundqa.index.catalog import Catalog, DirectoryCatalog
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Manifest
from groundqa.index.embedder import Embedder, SentenceTransformerEmbedder
from groundqa.index.hybrid import RetrievalConfig
from groundqa.index.store import FaissLayout
from groundqa.service.answers import AnswerConfig
from groundqa.service.feedback import FeedbackStore, MilvusFeedback, SqliteFeedback
from groundqa.service.pipeline import Pipeline, PipelineConfig
from groundqa.service.reader import ExtractiveReader, ReaderConfig, reader_digest
from groundqa.service.verify import Verifier
from groundqa.settings import Settings


def chunking(settings: Settings) -> ChunkingConfig:
    return ChunkingConfig(settings.chunk_max_tokens, settings.chunk_overlap_tokens)


def retrieval(settings: Settings) -> RetrievalConfig:
    return RetrievalConfig(settings.retrieval_mode, settings.retrieval_depth, settings.fusion, settings.rrf_k,
                           settings.dense_weight)


def answers(settings: Settings) -> AnswerConfig:
    return AnswerConfig(settings.no_answer_margin, settings.max_answers, settings.min_alternative_score,
                        settings.answer_retrieval_weight, settings.answer_length_penalty)


def reader_config(settings: Settings) -> ReaderConfig:
    return ReaderConfig(settings.reader_max_seq_len, settings.reader_stride, settings.reader_n_best,
                        settings.reader_max_answer_tokens, settings.reader_batch_size)


def faiss_layout(settings: Settings) -> FaissLayout:
    return FaissLayout(ivf_from=settings.faiss_ivf_from_chunks, nprobe=settings.faiss_nprobe)


def pipeline_config(settings: Settings) -> PipelineConfig:
    checking = verifier(settings)
    if checking is not None and checking.cross_check is not None:
        checking.cross_check.model()  # loaded with the other models, not by the first question
    return PipelineConfig(settings.top_k, settings.max_question_chars, settings.read_score_gap,
                          settings.early_exit_margin, settings.max_read_tokens, retrieval(settings),
                          answers(settings), checking, settings.early_exit_probability)


SHIPPED_VERIFIER = Path(groundqa.service.__file__).parent / "verifier.json"


def verifier(settings: Settings) -> Verifier | None:
    if settings.verifier == "off":
        return None
    path = SHIPPED_VERIFIER if settings.verifier == "shipped" else Path(settings.verifier)
    loaded = fitted_for_these_models(Verifier.load(path), settings, f"the verifier file {path}")
    if settings.answer_threshold is None:
        return loaded
    return dataclasses.replace(loaded, threshold=settings.answer_threshold)


def models_fitted_for(settings: Settings) -> dict[str, str]:
    """What a verifier fitted with these settings is fitted for: the reader's digest and the precision."""
    return {"reader": reader_digest(settings.reader_model), "precision": resolve_precision(settings.precision)}


def fitted_for_these_models(loaded: Verifier, settings: Settings, origin: str) -> Verifier:
    """The verifier, refused (VerifierMismatch) when fitted for another reader or precision than these."""
    models = models_fitted_for(settings)
    loaded.check_fitted_for(models["reader"], models["precision"], origin)
    return loaded


def decision_threshold(settings: Settings) -> float:
    """The score an answer must reach: the verifier's probability threshold, else the margin."""
    found = verifier(settings)
    return found.threshold if found is not None else settings.no_answer_margin


def expected_manifest(settings: Settings, embedder: Embedder) -> Manifest:
    return Manifest(embedding_model=embedder.name, dimension=embedder.dimension, chunking=chunking(settings))


def quiet_model_loading() -> None:
    """transformers' progress bars and notices off: commands say themselves what they load."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    quiet_model_loading()
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embed_batch_size,
                                       precision=resolve_precision(settings.precision), trace=settings.trace_models,
                                       cache_dir=settings.model_cache_dir)


def make_reader(settings: Settings) -> ExtractiveReader:
    quiet_model_loading()
    return ExtractiveReader(settings.reader_model, reader_config(settings), threads=settings.threads,
                            precision=resolve_precision(settings.precision), trace=settings.trace_models,
                            cache_dir=settings.model_cache_dir)


def make_catalog(settings: Settings, dimension: int | None) -> Catalog:
    """Where the index lives: the index directory (FAISS), or Milvus (see README, "Vector store").
    `dimension` None: an existing index, opened to read or delete from without the embedder."""
    if settings.vector_store == "faiss":
        return DirectoryCatalog(settings.index_dir, faiss_layout(settings))
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        raise IndexNotReady("GROUNDQA_VECTOR_STORE=milvus needs pymilvus: pip install 'groundqa[milvus]'") from None
    from groundqa.index.milvus_catalog import MilvusCatalog

    return MilvusCatalog(settings.milvus_uri, settings.milvus_collection, dimension,
                         settings.milvus_token.get_secret_value() if settings.milvus_token else "")


def make_feedback(settings: Settings, catalog: Catalog) -> FeedbackStore:
    """Where users' verdicts are kept: beside the index (see service/feedback.py)."""
    if settings.vector_store == "milvus":
        return MilvusFeedback(catalog.store.client, settings.milvus_collection, settings.feedback_max_entries)
    return SqliteFeedback(settings.index_dir / "feedback.sqlite3", settings.feedback_max_entries)


def build_pipeline(settings: Settings, create_missing: bool = False) -> tuple[Pipeline, Catalog]:
    """The models loaded and the stored index opened: the pipeline, and the catalog that saves it."""
    embedder = make_embedder(settings)
    embedder.warm_up()
    catalog = make_catalog(settings, embedder.dimension)
    collection = catalog.open(expected_manifest(settings, embedder), create=create_missing)
    reader = make_reader(settings)
    reader.warm_up()
    return Pipeline(embedder, collection, reader, pipeline_config(settings)), catalog
