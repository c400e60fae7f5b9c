"""Answer verification: the probability that a candidate answer is right, from evidence the reader's
logits do not see, and the decision to answer or abstain.

A question whose key identifier (a version, a ticket or CVE id, a model number) or rare term is
missing from the passage is a near miss however sure the reader is; so the features compare the
question with the passage and the answer, beside the reader's and retriever's scores. A logistic
regression over them, fitted by `groundqa calibrate` and shipped as a small JSON file, turns them
into a calibrated probability; below the file's threshold the service says "not found".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from groundqa.errors import GroundQAError
from groundqa.index.terms import TermStats, words
from groundqa.service.answers import Candidate
from groundqa.service.reader import Reading

FEATURE_VERSION = 1
FEATURES = (
    "reader_margin",  # best span logit over the lowest no-answer logit, clipped
    "window_margin",  # span logit over its own window's no-answer logit, clipped
    "evidence_share",  # the answer's share of the reader's probability mass over all spans
    "retrieval_score",  # the passage's fused retrieval score (0..1)
    "passage_rank",  # 1 for the best passage
    "covered_passage",  # IDF-weighted share of the question's terms found in the passage
    "covered_sentence",  # ... found in the answer's sentence(s)
    "identifier_missing",  # the question names an identifier (has a digit) the passage lacks
    "rarest_missing",  # IDF of the rarest question term the passage lacks, over the highest IDF
    "answer_words",  # log of the answer's length in words
    "type_mismatch",  # a how-many/when question answered without a digit
    "answer_in_question",  # share of the answer's words already in the question
)
_STOP = frozenset("""a an the of in on at to for from by with about as is are was were be been being do does did
what which who whom whose when where why how many much long often is it its this that these those there their
they them he she his her i you your we our my me and or not no can could should would will may might must has
have had than then into onto over under any some all each per if so such""".split())
_NUMERIC_QUESTION = re.compile(r"^\s*(how (many|much|long|far|old|often|big|large|high|tall)|when|what (year|date|time|version|percentage))\b", re.I)


class VerifierMismatch(GroundQAError):
    code = "verifier_mismatch"


@dataclass(frozen=True)
class Evidence:
    """What the verifier looks at for one candidate answer."""

    question: str
    answer: str
    passage_text: str
    sentence: str  # the answer's sentence(s) in the document
    reader_margin: float
    window_margin: float
    evidence_share: float
    retrieval_score: float
    passage_rank: int


def feature_vector(evidence: Evidence, stats: TermStats) -> np.ndarray:
    terms = [t for t in dict.fromkeys(words(evidence.question)) if t not in _STOP]
    passage, sentence = set(words(evidence.passage_text)), set(words(evidence.sentence))
    weights = {t: stats.idf(t) for t in terms}
    total = sum(weights.values()) or 1.0
    missing = [t for t in terms if t not in passage]
    identifiers = [t for t in terms if any(c.isdigit() for c in t)]
    top_idf = stats.idf("") or 1.0  # a word in no document: the highest IDF there is
    answer_words = words(evidence.answer)
    question_words = set(words(evidence.question))
    return np.array([
        max(-20.0, min(evidence.reader_margin, 40.0)),
        max(-20.0, min(evidence.window_margin, 40.0)),
        evidence.evidence_share,
        evidence.retrieval_score,
        float(evidence.passage_rank),
        sum(weights[t] for t in terms if t in passage) / total,
        sum(weights[t] for t in terms if t in sentence) / total,
        float(any(t not in passage for t in identifiers)),
        max((weights[t] for t in missing), default=0.0) / top_idf,
        math.log(1 + len(answer_words)),
        float(bool(_NUMERIC_QUESTION.search(evidence.question)) and not any(c.isdigit() for c in evidence.answer)),
        sum(w in question_words for w in answer_words) / max(1, len(answer_words)),
    ], dtype=np.float64)


@dataclass(frozen=True)
class Verifier:
    """Standardize, then logistic regression; answer when the probability reaches `threshold`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    about: Mapping[str, object]  # what it was fitted on and how it scored, for people

    def probability(self, features: np.ndarray) -> float:
        z = float(((features - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(z, 30.0))))

    def to_json(self) -> dict:
        return {"feature_version": FEATURE_VERSION, "features": list(FEATURES), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept,
                "threshold": self.threshold, "about": dict(self.about)}

    @classmethod
    def load(cls, path: Path) -> "Verifier":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise VerifierMismatch(f"cannot read the verifier file {path}: {exc}") from None
        return cls.from_json(data, f"the verifier file {path}")

    @classmethod
    def from_json(cls, data: object, origin: str) -> "Verifier":
        """`origin` names where it came from, for the error."""
        if not isinstance(data, dict) or data.get("feature_version") != FEATURE_VERSION \
                or tuple(data.get("features", ())) != FEATURES:
            version = data.get("feature_version") if isinstance(data, dict) else None
            raise VerifierMismatch(f"{origin} was fitted on feature version {version!r}; this groundqa computes "
                                   f"version {FEATURE_VERSION}: refit it with `groundqa calibrate`")
        try:
            return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]),
                       float(data["intercept"]), float(data["threshold"]), data.get("about", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise VerifierMismatch(f"{origin} is not a verifier groundqa wrote: {exc}") from None


def evidence_of(question: str, candidate: Candidate, reading: Reading) -> Evidence:
    span = candidate.span
    return Evidence(question=question, answer=candidate.answer.text, passage_text=span.passage.chunk.text,
                    sentence=candidate.answer.citation.context, reader_margin=span.logit - reading.null_logit,
                    window_margin=span.logit - span.window_null, evidence_share=candidate.share,
                    retrieval_score=span.passage.score, passage_rank=span.passage.rank)
