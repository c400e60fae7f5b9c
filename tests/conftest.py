"""Shared fixtures. Fakes implement the real seams; the real models load once per test session."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
CORPUS_DOC_ID = "corpus/microsoft-joins-facial-recognition-ban.txt"


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: texts sharing words are near each other."""

    name = "fake-hashing"
    dimension = 64

    def __init__(self) -> None:
        self.embedded = 0

    def embed(self, texts, progress=False):
        self.embedded += len(texts)
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in zip(rows, texts):
            for word in re.findall(r"\w+", text.lower()):
                row[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            row /= max(np.linalg.norm(row), 1e-9)
        return rows

    def token_offsets(self, text):
        return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


STOP_WORDS = frozenset(
    "a an and are as at be by did do does for from has have how in is it its of on or the this that to "
    "was were what when where which who whom whose why will with".split())


class FakeReader:
    """A deterministic extractive reader implementing the real Reader seam, for tests without models.

    It answers with a whole sentence: for each passage, the first sentence sharing the most question
    words (lower-cased, stop words ignored) becomes one span with logit 20 + that count over a
    no-answer logit of 0, so the reader-margin early exit and the abstention margin (defaults 20 and
    10, with the verifier off) accept it. A passage sharing no question word still yields its first
    sentence, but with logit -5 under a no-answer logit of 5: when no passage shares a word, the
    pipeline abstains (no_answer).
    Span offsets are document offsets (the chunk's start plus the sentence's offset in the chunk),
    as ExtractiveReader gives them. `calls` counts read() calls (an answer from the cache makes none).
    """

    def __init__(self) -> None:
        self.calls = 0

    def warm_up(self) -> None:
        pass

    @staticmethod
    def content_words(text: str) -> set[str]:
        return {word for word in re.findall(r"\w+", text.lower()) if word not in STOP_WORDS}

    def token_counts(self, question, passages):
        return [len(question.split()) + len(p.chunk.text.split()) for p in passages]

    def read(self, question, passages):
        from groundqa.index.chunking import split_sentences
        from groundqa.service.reader import Reading, Span

        self.calls += 1
        if not passages:
            return Reading([], float("inf"))
        wanted = self.content_words(question)
        spans = []
        for passage in passages:
            chunk = passage.chunk
            sentences = split_sentences(chunk.text)
            if not sentences:
                continue
            shared = [len(wanted & self.content_words(chunk.text[s:e])) for s, e in sentences]
            best = max(range(len(sentences)), key=lambda i: (shared[i], -i))  # most shared words, first on ties
            start, end = sentences[best]
            logit, null = (20.0 + shared[best], 0.0) if shared[best] else (-5.0, 5.0)
            tokens = len(re.findall(r"\w+|[^\w\s]", chunk.text[start:end]))
            spans.append(Span(passage, chunk.start + start, chunk.start + end, logit, null, tokens))
        spans.sort(key=lambda span: span.logit, reverse=True)
        return Reading(spans, min((span.window_null for span in spans), default=float("inf")))


@pytest.fixture
def fake_reader() -> FakeReader:
    return FakeReader()


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    from groundqa.settings import Settings

    return Settings(index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from groundqa.wiring import make_embedder

    embedder = make_embedder(real_settings)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def real_reader(real_settings):
    from groundqa.wiring import make_reader

    reader = make_reader(real_settings)
    reader.warm_up()
    return reader


@pytest.fixture(scope="session")
def corpus_pipeline(real_settings, real_embedder, real_reader):
    """The real pipeline over the shipped corpus, indexed with the real embedder."""
    from groundqa.index import persistence
    from groundqa.index.collection import Collection
    from groundqa.index.ingest import sync
    from groundqa.index.store import FaissStore
    from groundqa.service.pipeline import Pipeline
    from groundqa.wiring import expected_manifest, pipeline_config

    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, [CORPUS], real_embedder)
    persistence.save(collection, real_settings.index_dir)
    return Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))


@pytest.fixture
def real_pipeline_over(real_settings, real_embedder, real_reader):
    """A function: the real pipeline (shipped settings, real models) over the documents of a folder."""
    from groundqa.index.collection import Collection
    from groundqa.index.ingest import scan, sync
    from groundqa.index.store import FaissStore
    from groundqa.service.pipeline import Pipeline
    from groundqa.wiring import expected_manifest, pipeline_config

    def over(folder):
        collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
        sync(collection, scan([folder]), real_embedder, progress=False)
        return Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))

    return over


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory):
    """A Milvus server for the session (`milvus-lite server`); tests keep apart by collection names."""
    pytest.importorskip("pymilvus")
    from tests.servers import milvus_server

    with milvus_server(str(tmp_path_factory.mktemp("milvus-data"))) as uri:
        yield uri


def dense():
    """Dense retrieval alone, for tests of the collection itself."""
    from groundqa.index.hybrid import RetrievalConfig

    return RetrievalConfig("dense")


def faiss_collection(manifest):
    """An empty collection over an exact FAISS store."""
    from groundqa.index.collection import Collection
    from groundqa.index.store import FaissStore

    return Collection(manifest, FaissStore(manifest.dimension))
