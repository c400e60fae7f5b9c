"""A small typed client for a groundqa server (see README, "HTTP API").

    with Client("http://127.0.0.1:8000", api_key="...") as client:
        for answer in client.ask("Who is the president of Microsoft?").answers:
            print(answer.text, answer.citation.doc_id, answer.citation.start)

Errors are the project's own (groundqa.errors), chosen by the error code the server sends:
InvalidQuestion, InvalidDocument, UnsupportedFormat, DocumentNotFound, DocumentConflict,
IndexNotReady, Starting, Overloaded, ... Each raised error also carries `status` (the HTTP status)
and `retry_after` (seconds from the Retry-After header, or None). A 422 "invalid_request" (the body
failed the server's schema) is InvalidQuestion from ask/search and InvalidDocument from writes.
Everything that exists only over HTTP (401/403 keys, 413, 429, unknown routes, 5xx, a server that
cannot be reached) is ClientError.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar
from urllib.parse import quote

import httpx

import groundqa
from groundqa import errors
from groundqa.errors import GroundQAError
from groundqa.service.feedback import Feedback

_BY_CODE: dict[str, type[GroundQAError]] = {cls.code: cls for cls in (
    errors.InvalidQuestion, errors.InvalidDocument, errors.UnsupportedFormat, errors.DocumentNotFound,
    errors.DocumentConflict, errors.IndexNotReady, errors.IndexMismatch, errors.ModelNotFound,
    errors.Overloaded, errors.Starting, errors.InvalidFeedback, errors.FeedbackFull, errors.InvalidCollection,
    errors.CollectionNotFound, errors.CollectionExists)}

T = TypeVar("T")


class ClientError(GroundQAError):
    """An HTTP-only failure: refused key (401/403), too large (413), rate limited (429), an unknown
    route or server error, or no server at all (status None, code "unreachable" or "timeout")."""

    code = "client_error"

    def __init__(self, message: str, *, status: int | None = None, code: str = "client_error",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    source: str
    start: int  # character offsets of the answer in the document's text
    end: int
    context: str  # the sentence(s) around the answer, starting at context_start
    context_start: int
    url: str | None = None  # the document's meta.url, when it is an http(s) link
    section: str | None = None  # the nearest heading before the answer


@dataclass(frozen=True)
class Answer:
    text: str
    score: float
    citation: Citation
    kind: str = "span"  # "passage": a procedure's steps, all in citation.context


@dataclass(frozen=True)
class AskResponse:
    question: str
    answers: tuple[Answer, ...]  # best first; empty when no_answer
    no_answer: bool
    timings_ms: dict[str, float]
    cached: bool
    resolved_question: str | None = None  # the question answered: a follow-up made standalone (None: an older server)


@dataclass(frozen=True)
class Passage:
    rank: int
    score: float
    doc_id: str
    chunk_id: str
    start: int
    end: int
    title: str | None = None  # search() gives title, text and section; the stream's passages leave them out
    text: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class DocumentSummary:
    doc_id: str
    title: str
    source: str
    meta: dict[str, Any]
    chars: int
    chunks: int


@dataclass(frozen=True)
class Document(DocumentSummary):
    text: str


@dataclass(frozen=True)
class DocumentPage:
    total: int
    offset: int
    limit: int
    documents: tuple[DocumentSummary, ...]


@dataclass(frozen=True)
class WriteResult:
    doc_id: str
    status: str  # "added", "updated" or "unchanged"
    chunks: int
    dropped: list[str] = field(default_factory=list)  # meta.<key> the previous version had and this one lacks


@dataclass(frozen=True)
class Readiness:
    documents: int
    chunks: int


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    documents: int
    chunks: int
    private: bool  # reading needs a key
    embedding_model: str
    reader_model: str
    chunking: dict[str, int]
    calibration: str  # which verifier decides when to answer


@dataclass(frozen=True)
class PassagesEvent:
    """First event of ask_stream: what retrieval found, before the reader runs."""
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class AnswersEvent:
    response: AskResponse


@dataclass(frozen=True)
class DoneEvent:
    """The last event; the stream ends after it."""


StreamEvent = PassagesEvent | AnswersEvent | DoneEvent
History = Iterable[tuple[str, str] | dict[str, str] | AskResponse]
Upload = str | os.PathLike | tuple[str, bytes]  # a file path, or (file name, content)


class Client:
    """One connection pool to one server; `api_key` is sent as X-API-Key (writes need it).
    `collection`: ask, search, documents and feedback of that named collection (default: the default one)."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 60.0,
                 collection: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.collection = collection
        named = collection and collection != "default"
        self._base = f"/v1/collections/{quote(collection, safe='')}" if named else "/v1"
        headers = {"User-Agent": f"groundqa-client/{groundqa.__version__}", **({"X-API-Key": api_key} if api_key else {})}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- answers ------------------------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None, filters: dict[str, Any] | None = None,
            history: History | None = None) -> AskResponse:
        """`history`: the conversation so far, oldest first, as (question, answer) pairs, dicts with
        those keys or AskResponse objects; a follow-up ("and on Sundays?") is answered as the
        standalone question the server resolves it into (`resolved_question`)."""
        return _ask_response(self._send("POST", self._base + "/ask", errors.InvalidQuestion,
                                        json=_ask_body(question, top_k, filters, history)).json())

    def ask_stream(self, question: str, top_k: int | None = None, filters: dict[str, Any] | None = None,
                   history: History | None = None) -> Iterator[StreamEvent]:
        """PassagesEvent, then AnswersEvent, then DoneEvent. The request goes out on the first next()
        and its connection is held until the stream is exhausted or closed. An error, before the
        stream or as its `error` event, is raised as ask() would raise it."""
        try:
            body = _ask_body(question, top_k, filters, history)
            with self._http.stream("POST", self._base + "/ask/stream", json=body) as response:
                if response.is_error:
                    response.read()
                    raise _error(response, errors.InvalidQuestion)
                yield from _events(response.iter_lines())
        except httpx.RequestError as exc:
            raise self._unreachable(exc) from exc

    def search(self, q: str, k: int | None = None, filters: dict[str, Any] | None = None) -> list[Passage]:
        """The passages retrieval finds; `k` of them (default: the server's GROUNDQA_TOP_K)."""
        params: dict[str, Any] = {"q": q, **({"k": k} if k else {}), **({"filters": json.dumps(filters)} if filters else {})}
        body = self._send("GET", self._base + "/search", errors.InvalidQuestion, params=params).json()
        return [_make(Passage, p) for p in body["passages"]]

    # -- documents ----------------------------------------------------------------------------
    def add_document(self, text: str | None = None, *, doc_id: str | None = None, title: str | None = None,
                     meta: dict[str, Any] | None = None, file: Upload | None = None) -> WriteResult:
        """Add a document from `text` (JSON) or `file` (an upload: txt, md, html, pdf, docx, xlsx, csv,
        tsv or pptx; its meta is the file name). Without doc_id the server makes one. DocumentConflict
        if the id exists."""
        body = _document_body(text, doc_id, title, meta, file)
        return _make(WriteResult, self._send("POST", self._base + "/documents", errors.InvalidDocument, **body).json())

    def replace_document(self, doc_id: str, text: str | None = None, *, title: str | None = None,
                         meta: dict[str, Any] | None = None, file: Upload | None = None) -> WriteResult:
        """Replace an existing document (DocumentNotFound if there is none: PUT does not create)."""
        body = _document_body(text, None, title, meta, file)
        path = self._base + _doc_path(doc_id)
        return _make(WriteResult, self._send("PUT", path, errors.InvalidDocument, **body).json())

    def patch_document(self, doc_id: str, *, text: str | None = None, title: str | None = None,
                       meta: dict[str, Any] | None = None) -> WriteResult:
        """Change some of a document: the fields given; meta merged key by key (None removes a key)."""
        changes = {name: value for name, value in (("text", text), ("title", title), ("meta", meta)) if value is not None}
        path = self._base + _doc_path(doc_id)
        return _make(WriteResult, self._send("PATCH", path, errors.InvalidDocument, json=changes).json())

    def delete_document(self, doc_id: str) -> None:
        self._send("DELETE", self._base + _doc_path(doc_id))

    def get_document(self, doc_id: str) -> Document:
        return _make(Document, self._send("GET", self._base + _doc_path(doc_id)).json())

    def list_documents(self, offset: int = 0, limit: int = 100) -> DocumentPage:
        body = self._send("GET", self._base + "/documents", params={"offset": offset, "limit": limit}).json()
        return DocumentPage(body["total"], body["offset"], body["limit"],
                            tuple(_make(DocumentSummary, d) for d in body["documents"]))

    # -- feedback -----------------------------------------------------------------------------
    def send_feedback(self, feedback: Feedback) -> Feedback:
        """Store a verdict (no key needed); returns it with the id and time the server gave it."""
        body = {name: value for name, value in feedback.to_json().items()
                if name not in ("id", "received", "sender") and value is not None}  # what the server sets
        return _make(Feedback, self._send("POST", self._base + "/feedback", errors.InvalidFeedback, json=body).json())

    def feedback(self, offset: int = 0, limit: int = 100) -> tuple[int, list[Feedback]]:
        """(total, a page of verdicts, oldest first); needs the API key."""
        body = self._send("GET", self._base + "/feedback", params={"offset": offset, "limit": limit}).json()
        return body["total"], [_make(Feedback, entry) for entry in body["feedback"]]

    # -- collections (create and delete need the admin key) -------------------------------------
    def create_collection(self, name: str, *, read_key: str | None = None, write_key: str | None = None,
                          verifier: dict[str, Any] | None = None) -> CollectionInfo:
        body = {"name": name, "read_key": read_key, "write_key": write_key, "verifier": verifier}
        return _make(CollectionInfo, self._send("POST", "/v1/collections", errors.InvalidCollection,
                                                json={k: v for k, v in body.items() if v is not None}).json())

    def list_collections(self) -> list[CollectionInfo]:
        return [_make(CollectionInfo, c) for c in self._send("GET", "/v1/collections").json()["collections"]]

    def describe_collection(self, name: str) -> CollectionInfo:
        return _make(CollectionInfo, self._send("GET", f"/v1/collections/{quote(name, safe='')}").json())

    def delete_collection(self, name: str) -> None:
        self._send("DELETE", f"/v1/collections/{quote(name, safe='')}")

    # -- operations ---------------------------------------------------------------------------
    def health(self) -> bool:
        """True when the process answers; ClientError when it does not."""
        return self._send("GET", "/healthz").json()["status"] == "ok"

    def ready(self) -> Readiness:
        """The index's size once ready; else raises Starting, IndexNotReady (or a subclass)."""
        body = self._send("GET", "/readyz").json()
        return Readiness(body["documents"], body["chunks"])

    def _send(self, method: str, path: str, invalid: type[GroundQAError] | None = None, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.RequestError as exc:
            raise self._unreachable(exc) from exc
        if response.is_error:
            raise _error(response, invalid)
        return response

    def _unreachable(self, exc: httpx.RequestError) -> ClientError:
        if isinstance(exc, httpx.TimeoutException):
            return ClientError(f"no answer from {self.url} in time ({type(exc).__name__})", code="timeout")
        return ClientError(f"cannot reach {self.url}: {exc or type(exc).__name__}", code="unreachable")


def _doc_path(doc_id: str) -> str:
    """One path segment whatever the id holds ('/', '?', '#', '%', spaces); the server decodes it."""
    if not doc_id:
        raise errors.InvalidDocument("doc_id must not be empty")
    quoted = quote(doc_id, safe="")
    return "/documents/" + (quoted.replace(".", "%2E") if quoted in (".", "..") else quoted)


def _ask_body(question: str, top_k: int | None, filters: dict[str, Any] | None,
              history: History | None = None) -> dict[str, Any]:
    return {"question": question, **({"top_k": top_k} if top_k is not None else {}),
            **({"filters": filters} if filters is not None else {}),
            **({"history": [_turn(turn) for turn in history]} if history else {})}


def _turn(turn: tuple[str, str] | dict[str, str] | AskResponse) -> dict[str, str]:
    """One turn of a history as the API takes it: {"question", "answer"} (the answer shown, or "")."""
    if isinstance(turn, AskResponse):
        best = turn.answers[0].text if turn.answers and not turn.no_answer else ""
        return {"question": turn.resolved_question or turn.question, "answer": best}
    if isinstance(turn, dict):
        return {"question": turn["question"], "answer": turn.get("answer") or ""}
    question, answer = turn
    return {"question": question, "answer": answer or ""}


def _document_body(text: str | None, doc_id: str | None, title: str | None, meta: dict[str, Any] | None,
                   file: Upload | None) -> dict[str, Any]:
    """httpx keyword arguments: a JSON body, or a multipart upload."""
    if (text is None) == (file is None):
        raise ValueError("give either text or file")
    form = {k: v for k, v in (("doc_id", doc_id), ("title", title)) if v is not None}
    if text is not None:
        return {"json": {"text": text, **form, **({"meta": meta} if meta is not None else {})}}
    if meta is not None:
        raise ValueError("meta cannot go with a file upload (the server records the file name)")
    name, content = file if isinstance(file, tuple) else (Path(file).name, Path(file).read_bytes())
    return {"files": {"file": (name, content)}, "data": form}


def _events(lines: Iterable[str]) -> Iterator[StreamEvent]:
    """Server-sent events into typed events; an `error` event is raised."""
    name, data = "", []
    for line in lines:
        if line:
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.removeprefix(" "))
            continue
        payload, event, name, data = json.loads("\n".join(data) or "{}"), name, "", []
        if event == "passages":
            yield PassagesEvent(tuple(_make(Passage, p) for p in payload["passages"]))
        elif event == "answers":
            yield AnswersEvent(_ask_response(payload))
        elif event == "error":
            raise _make_error(payload["error"]["code"], payload["error"]["message"], None, None, None)
        elif event == "done":
            yield DoneEvent()
            return
    raise ClientError("the answer stream ended before its done event", code="stream_cut")


def _make(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass from the JSON object's fields it knows (fields a newer server adds are skipped)."""
    return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})  # type: ignore[call-arg]


def _ask_response(body: dict[str, Any]) -> AskResponse:
    answers = tuple(Answer(a["text"], a["score"], _make(Citation, a["citation"]), a.get("kind", "span"))
                    for a in body["answers"])
    return AskResponse(body["question"], answers, body["no_answer"], body["timings_ms"], body.get("cached", False),
                       body.get("resolved_question"))


def _error(response: httpx.Response, invalid: type[GroundQAError] | None) -> GroundQAError:
    try:
        detail = response.json()["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):  # not the server's error shape (a proxy, say)
        code, message = f"http_{response.status_code}", f"HTTP {response.status_code} {response.reason_phrase}"
    seconds = response.headers.get("Retry-After", "")  # seconds; an HTTP date is left as None
    retry_after = float(seconds) if seconds.replace(".", "", 1).isdigit() else None
    return _make_error(code, message, response.status_code, retry_after, invalid)


def _make_error(code: str, message: str, status: int | None, retry_after: float | None,
                invalid: type[GroundQAError] | None) -> GroundQAError:
    cls = _BY_CODE.get(code) or (invalid if code == "invalid_request" else None)
    if cls is None:
        return ClientError(message, status=status, code=code, retry_after=retry_after)
    error = cls(message)
    error.status, error.retry_after = status, retry_after  # type: ignore[attr-defined]
    return error
