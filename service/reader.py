"""The Reader seam and the extractive transformer reader: start/end logits decoded into character spans.

transformers 5 has no question-answering pipeline, so decoding lives here: windows of max_seq_len
tokens with `stride` tokens of overlap, one batched forward pass over all windows of all passages,
the n-best start and end positions per window, spans of at most max_answer_tokens.
"""

from __future__ import annotations

import functools
import hashlib

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from groundqa.errors import ModelNotFound
from groundqa.graph_cache import GraphCache, graph_key
from groundqa.hardware import Precision, torch_dtype
from groundqa.torchscript import Forward, cached_traced_forward
from groundqa.index.sections import LIST_LINE
from groundqa.index.types import Passage

MAX_QUESTION_TOKENS = 64
# The line break before a list item, read as a clause break: the reader, trained on prose, reads "- G
# for the fan\n- C for common" as one clause and answers "fan" for the C terminal (eval/BENCHMARKS.md).
_BEFORE_ITEM = re.compile(r"\n(?=" + LIST_LINE.pattern + ")")


def as_read(text: str) -> str:
    """A passage as the reader is given it: list items set apart by ";", one character for one, so
    that every offset still points into the stored text."""
    return _BEFORE_ITEM.sub(";", text)


@dataclass(frozen=True)
class Span:
    """A candidate answer: document offsets, the passage it was read from, its span logit."""

    passage: Passage
    start: int
    end: int
    logit: float
    window_null: float  # the no-answer ([CLS]) logit of the window the span was read in
    tokens: int = 1  # its length in word pieces


@dataclass(frozen=True)
class Reading:
    spans: list[Span]  # best first
    null_logit: float  # lowest [CLS] logit over all windows: how sure the model is that no answer exists

    def best_window_margin(self) -> float:
        """How far the best span beats the no-answer logit of its own window (-inf without spans)."""
        return max((span.logit - span.window_null for span in self.spans), default=float("-inf"))

    def merged(self, other: "Reading") -> "Reading":
        """One reading of both readings' passages."""
        spans = sorted(self.spans + other.spans, key=lambda span: span.logit, reverse=True)
        return Reading(spans, min(self.null_logit, other.null_logit))


class Reader(Protocol):
    def read(self, question: str, passages: Sequence[Passage]) -> Reading: ...

    def token_counts(self, question: str, passages: Sequence[Passage]) -> list[int]:
        """The word pieces (question included) reading each passage costs."""
        ...


@dataclass(frozen=True)
class ReaderConfig:
    max_seq_len: int
    stride: int
    n_best: int
    max_answer_tokens: int
    batch_size: int


class ExtractiveReader:
    def __init__(self, model: str, config: ReaderConfig, threads: int | None = None,
                 precision: Precision = "fp32", trace: bool = True, cache_dir: Path | None = None) -> None:
        self.model_name = model
        self.config = config
        self.threads = threads
        self.precision = precision
        self.trace = trace
        self.cache = GraphCache(cache_dir) if cache_dir is not None else None
        self._model: Forward | None = None  # the tokenizer's inputs, positionally -> (start logits, end logits)
        self._tokenizer = None
        # A fast tokenizer keeps padding/truncation settings between calls: concurrent calls would
        # see each other's settings, so tokenizing is serialized (it takes about a millisecond).
        self._tokenizer_lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        from groundqa.quantize import quantize_int8

        if self.threads:
            torch.set_num_threads(self.threads)
        if not Path(self.model_name).exists() and (self.model_name.startswith(("/", ".")) or self.model_name.count("/") > 1):
            raise ModelNotFound(f"reader model not found at {self.model_name}; set GROUNDQA_READER_MODEL")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name)
        except OSError as exc:
            raise ModelNotFound(f"cannot load reader model {self.model_name!r}: {exc}") from None

        def build():
            try:
                model = AutoModelForQuestionAnswering.from_pretrained(self.model_name, dtype=torch_dtype(self.precision))
            except OSError as exc:
                raise ModelNotFound(f"cannot load reader model {self.model_name!r}: {exc}") from None
            return quantize_int8(model) if self.precision == "int8" else model.eval()

        names = list(self._tokenizer.model_input_names)
        key = graph_key("reader", self.model_name, self.precision, names, 2) if self.cache else None
        self._model = cached_traced_forward(build, names, 2, self.trace, self.cache, key)

    def token_counts(self, question: str, passages: Sequence[Passage]) -> list[int]:
        self.warm_up()
        encoded = self._windows(question, passages)
        counts = [0] * len(passages)
        for window, passage_index in enumerate(encoded["overflow_to_sample_mapping"]):
            counts[int(passage_index)] += len(encoded["input_ids"][window])
        return counts

    def read(self, question: str, passages: Sequence[Passage]) -> Reading:
        if not passages:
            return Reading([], float("inf"))
        self.warm_up()
        encoded = self._windows(question, passages, padding="longest", return_offsets_mapping=True,
                                return_tensors="np")
        start_logits, end_logits = self._forward(encoded)
        spans: list[Span] = []
        null_logits = start_logits[:, 0] + end_logits[:, 0]
        for window, passage_index in enumerate(encoded["overflow_to_sample_mapping"]):
            passage = passages[int(passage_index)]
            context = np.array([sid == 1 for sid in encoded.sequence_ids(window)])
            spans.extend(self._decode_window(passage, start_logits[window], end_logits[window], context,
                                             encoded["offset_mapping"][window], float(null_logits[window])))
        spans.sort(key=lambda span: span.logit, reverse=True)
        return Reading(spans, float(null_logits.min()))

    def _windows(self, question: str, passages: Sequence[Passage], **options):
        """The question paired with each passage, cut into windows of max_seq_len tokens."""
        with self._tokenizer_lock:
            return self._tokenizer([self._clip_question(question)] * len(passages), [as_read(p.chunk.text) for p in passages],
                                   truncation="only_second", max_length=self.config.max_seq_len,
                                   stride=self.config.stride, return_overflowing_tokens=True, **options)

    def _clip_question(self, question: str) -> str:
        offsets = self._tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        return question if len(offsets) <= MAX_QUESTION_TOKENS else question[: offsets[MAX_QUESTION_TOKENS - 1][1]]

    def _forward(self, encoded) -> tuple[np.ndarray, np.ndarray]:
        import torch

        names = self._tokenizer.model_input_names
        starts, ends = [], []
        size = self.config.batch_size
        with torch.inference_mode():
            for begin in range(0, len(encoded["input_ids"]), size):
                start, end = self._model(*(torch.from_numpy(np.asarray(encoded[n][begin:begin + size])) for n in names))
                starts.append(start.float().numpy())
                ends.append(end.float().numpy())
        return np.concatenate(starts), np.concatenate(ends)

    def _decode_window(self, passage: Passage, start: np.ndarray, end: np.ndarray, context: np.ndarray,
                       offsets: np.ndarray, window_null: float) -> list[Span]:
        positions = np.flatnonzero(context)
        if len(positions) == 0:
            return []
        n_best = min(self.config.n_best, len(positions))
        starts = positions[np.argsort(-start[positions], kind="stable")[:n_best]]
        ends = positions[np.argsort(-end[positions], kind="stable")[:n_best]]
        length = ends[None, :] - starts[:, None]
        valid = (length >= 0) & (length < self.config.max_answer_tokens)
        base = passage.chunk.start
        spans = []
        for i, j in zip(*np.nonzero(valid)):
            s, e = int(starts[i]), int(ends[j])
            char_start, char_end = int(offsets[s][0]), int(offsets[e][1])
            if char_end > char_start:
                spans.append(Span(passage, base + char_start, base + char_end, float(start[s] + end[e]), window_null,
                                  e - s + 1))
        return spans


@functools.lru_cache(maxsize=4)
def reader_digest(location: str) -> str:
    """The reader's weights and configuration, hashed (its name where it is not a local folder): what a
    verifier was fitted for."""
    from groundqa.graph_cache import MODEL_FILES, sha256_of_file

    folder = Path(location)
    if not folder.is_dir():
        return location
    parts = [sha256_of_file(folder / name) for name in MODEL_FILES if (folder / name).is_file()]
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:16]
