"""Value types of the answering side, and their JSON shape (the same for CLI and HTTP)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def safe_url(value: object) -> str | None:
    """A link users may follow: http(s) only (a javascript: URL in a document's meta would run on click)."""
    if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
        return value
    return None


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    source: str
    start: int
    end: int
    context: str
    context_start: int
    url: str | None = None  # the document's meta.url, when it is an http(s) link
    section: str | None = None  # the heading of the part of the document the answer is in


@dataclass(frozen=True)
class Answer:
    text: str
    score: float
    citation: Citation
    # "span": the answer is the text; "passage": one of a list (a procedure's steps, the things asked
    # for), the answer's context holds them all
    kind: str = "span"

    def to_json(self) -> dict:
        return {"text": self.text, "score": round(self.score, 4), "kind": self.kind, "citation": asdict(self.citation)}


@dataclass(frozen=True)
class AskResult:
    question: str
    answers: list[Answer]
    no_answer: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The best candidate's decision score, also when abstaining: its verified probability (or without
    # a verifier its margin over no-answer). For calibration and eval; not part of the API.
    best_margin: float | None = None
    passages: tuple = ()
    judged: tuple = ()  # each candidate's (text, verifier features), best first: for calibration, not the API
    cached: bool = False  # answered from the answer cache (service/answer_cache.py)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answers": [answer.to_json() for answer in self.answers],
            "no_answer": self.no_answer,
            "timings_ms": {stage: round(ms, 2) for stage, ms in self.timings_ms.items()},
            "cached": self.cached,
        }
