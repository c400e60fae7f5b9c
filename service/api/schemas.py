"""Request and response bodies (pydantic lives only here and in Settings)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from groundqa.errors import InvalidDocument
from groundqa.index.loaders import normalize_text
from groundqa.index.sections import STRUCTURE_KEYS, check_sent_structure
from groundqa.index.types import MAX_FILTERS, Document, Scalar
from groundqa.service.followup import MAX_ANSWER_CHARS, MAX_TURNS, Turn
from groundqa.settings import MAX_TOP_K

MAX_TITLE_CHARS = 1000


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Its length limit is max_question_chars, as the question's, checked by the engine.
    question: str = Field(description="A question asked earlier in the conversation.")
    answer: str = Field(default="", max_length=MAX_ANSWER_CHARS,
                        description="The answer shown to it (empty when none was found).")

    def to_turn(self) -> Turn:
        return Turn(self.question, self.answer)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "Who is the president of Microsoft?", "top_k": 5},
        {"question": "Who is the new CEO of IBM?", "filters": {"format": "txt"}},
        {"question": "and of IBM?", "history": [{"question": "Who is the president of Microsoft?",
                                                 "answer": "Brad Smith"}]},
    ]})
    # Its length limit is a setting (max_question_chars), checked by the engine and shown in the schema.
    question: str = Field(description="A question in plain language.")
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K, description="Passages to read (default from settings).")
    filters: dict[str, Scalar] | None = Field(default=None, max_length=MAX_FILTERS,
                                              description="Equality on doc_id, source, title or meta keys.")
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS, description=(
        "The conversation so far, oldest first (at most the last few turns): a follow-up question "
        "(\"and on weekends?\", \"who signs it?\") is resolved against it into a standalone question, "
        "which the answer gives as resolved_question."))

    def turns(self) -> list[Turn]:
        return [turn.to_turn() for turn in self.history]


class CitationOut(BaseModel):
    doc_id: str
    title: str
    source: str
    start: int = Field(description="Character offset of the answer in the document text.")
    end: int
    context: str = Field(description="The sentence(s) around the answer.")
    context_start: int
    url: str | None = Field(None, description="The document's meta.url when it is an http(s) link; else see "
                                              "GET /v1/view/{doc_id}?start=&end= to check the citation.")
    section: str | None = Field(None, description="The nearest heading before the answer (HTML and Markdown "
                                                  "documents), e.g. \"Refunds\"")


class AnswerOut(BaseModel):
    text: str
    score: float = Field(description="The answer verifier's estimate (0..1) of the probability that this answer "
                                     "is right, calibrated by `groundqa calibrate` on gold questions; the service "
                                     "answers only at or above the verifier's threshold (GET /v1/collections/{name} "
                                     "shows it). With GROUNDQA_VERIFIER=off: the reader's share of its evidence.")
    kind: str = Field("span", description='"span": the answer is its text; "passage": one item of a list '
                                          "(a procedure's steps for \"how do I ...\", the things asked for by "
                                          "\"which items ...\"), the whole list in citation.context")
    citation: CitationOut


class AskResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "question": "Who is the president of Microsoft?",
        "resolved_question": "Who is the president of Microsoft?",
        "answers": [{"text": "Brad Smith", "score": 0.95, "citation": {
            "doc_id": "corpus/microsoft-joins-facial-recognition-ban.txt",
            "title": "Microsoft Joins Ban on Sale of Facial Recognition Tech to Police",
            "source": "/app/corpus/microsoft-joins-facial-recognition-ban.txt", "start": 417, "end": 427,
            "context": "In a statement released Thursday by Microsoft President Brad Smith, he said ...",
            "context_start": 361}}],
        "no_answer": False,
        "timings_ms": {"embed": 8.1, "search": 0.2, "read": 95.0, "verify": 0.8, "total": 104.2}}]})
    question: str
    resolved_question: str = Field(description="The question answered: the question itself, or a follow-up "
                                               "resolved against the history into a standalone question")
    answers: list[AnswerOut]
    no_answer: bool
    timings_ms: dict[str, float]
    cached: bool = Field(False, description="answered from the cache of recent answers; the index has not "
                                            "changed since, so the answer is the one it gives now")


class PassageOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    chunk_id: str
    title: str
    section: str | None = Field(None, description="the heading of the section the passage starts in")
    start: int
    end: int
    text: str


class SearchResponse(BaseModel):
    query: str
    passages: list[PassageOut]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"doc_id": "faq/returns", "title": "Returns", "text": "Items can be returned within 30 days.",
         "meta": {"lang": "en"}}]})
    doc_id: str | None = Field(default=None, min_length=1, description="Stable id; default: a hash of the text.")
    title: str = Field(default="", max_length=MAX_TITLE_CHARS)
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)


class DocumentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Items can be returned within 60 days."}, {"meta": {"lang": "en", "draft": None}}]})
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    text: str | None = Field(default=None, min_length=1)
    meta: dict[str, Any] | None = Field(default=None, description="merged into the document's meta; null removes a key")

    def apply(self, current: Document) -> Document:
        """The document with these changes: text normalized as a new document's is."""
        check_sent_structure({key: value for key, value in (self.meta or {}).items() if value is not None})
        meta = dict(current.meta)
        for key, value in (self.meta or {}).items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        text = normalize_text(self.text) if self.text is not None else current.text
        if not text:
            raise InvalidDocument("document text is empty")
        if text != current.text:  # a loader's offsets point into the old text
            for key in STRUCTURE_KEYS - set(self.meta or {}):
                meta.pop(key, None)
        return dataclasses.replace(current, title=self.title.strip() if self.title else current.title, text=text,
                                   meta=meta)


class DocumentWritten(BaseModel):
    doc_id: str
    status: str = Field(description="added, updated or unchanged")
    chunks: int
    dropped: list[str] = Field(default_factory=list, description=(
        "what the previous version had and this one lacks (meta.<key>): PUT replaces a document whole"))


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    source: str
    meta: dict[str, Any]
    chars: int
    chunks: int


class DocumentOut(DocumentSummary):
    text: str


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*codes: int) -> dict[int, dict]:
    """OpenAPI `responses` for error statuses: the one JSON error shape, also on routes that answer
    HTML when they succeed."""
    return {code: {"model": ErrorBody, "content": {"application/json": {}}} for code in codes}
