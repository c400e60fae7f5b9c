"""POST /v1/feedback (anyone: users' thumbs from the widget) and GET /v1/feedback (the API key).

Each verdict records its sender, hashed: a key holder (a key that may write the collection) by key,
anyone else by IP address (an IPv6 one by its /64, which one machine commonly holds whole). A sender
may send settings.feedback_per_hour verdicts an hour, then gets 429 with Retry-After."""

from __future__ import annotations

import hashlib
import ipaddress
import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from groundqa.service.api.deps import (CollectionDep, EngineDep, KeyDep, check_access, collection_name,
                                       require_read_key, require_write_key)
from groundqa.service.api.errors import ApiError
from groundqa.service.api.ratelimit import TokenBuckets
from groundqa.service.api.schemas import error_responses
from groundqa.service.feedback import Feedback

router = APIRouter(prefix="/feedback", tags=["feedback"])
MAX_ANSWER_CHARS = 2000
MAX_NOTE_CHARS = 2000
MAX_OFFSET = 2**31 - 1  # SQLite takes 64-bit offsets; beyond any store's size anyway


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "Who is the president of Microsoft?", "answer": "Brad Smith",
         "doc_id": "corpus/microsoft-joins-facial-recognition-ban.txt", "start": 417, "end": 427,
         "verdict": "correct"},
        {"question": "What is the capital of France?", "verdict": "correct"},
        {"question": "When did IBM stop selling face recognition?", "verdict": "not_found_but_should",
         "note": "the article says June 2020"}]})
    # Its length limit is the questions' (max_question_chars), checked by the engine.
    question: str = Field(min_length=1)
    answer: str | None = Field(default=None, min_length=1, max_length=MAX_ANSWER_CHARS,
                               description="the answer judged, with its citation; left out: the verdict is on "
                                           "a \"not found\"")
    doc_id: str | None = None
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    verdict: Literal["correct", "wrong", "not_found_but_should"] = Field(description=(
        "correct: the answer (or the \"not found\") is right; wrong: the answer is wrong; "
        "not_found_but_should: the service said not found, the documents do answer it"))
    note: str = Field(default="", max_length=MAX_NOTE_CHARS, description="what was wrong, in the user's words")

    @model_validator(mode="after")
    def citation_fits_verdict(self) -> "FeedbackIn":
        cited = [self.doc_id, self.start, self.end]
        if self.answer is None:
            if any(part is not None for part in cited):
                raise ValueError("doc_id, start and end come with an answer")
            if self.verdict == "wrong":
                raise ValueError('a "not found" is judged correct or not_found_but_should, not wrong')
        else:
            if any(part is None for part in cited):
                raise ValueError("an answer needs its citation: doc_id, start and end")
            if self.end <= self.start:
                raise ValueError("end must be greater than start")
            if self.verdict == "not_found_but_should":
                raise ValueError("not_found_but_should judges a \"not found\": leave out the answer")
        return self


class FeedbackOut(BaseModel):
    id: str
    received: float = Field(description="Unix time the server received it")
    question: str
    answer: str | None
    doc_id: str | None
    start: int | None
    end: int | None
    verdict: str
    note: str
    sender: str | None = Field(description="who sent it, hashed: key:... a key holder, ip:... an address; "
                                           "null for verdicts stored before senders were recorded")


class FeedbackPage(BaseModel):
    total: int
    offset: int
    limit: int
    feedback: list[FeedbackOut]


def verdict_sender(request: Request, engine: EngineDep, key: KeyDep) -> str:
    if key:
        try:
            check_access(engine, collection_name(request), key, write=True)
            return "key:" + _digest(key)
        except ApiError:
            pass  # a read key, or a wrong one: counted by address
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
        if address.version == 6:
            host = str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        pass
    return "ip:" + _digest(host)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _take_quota(request: Request, sender: str) -> None:
    """Called in the event loop, so the buckets are made once."""
    state = request.app.state
    per_hour = state.engine.settings.feedback_per_hour
    if not per_hour:
        return
    if not hasattr(state, "feedback_quota"):
        state.feedback_quota = TokenBuckets(per_hour)  # a bucket of per_hour verdicts per sender,
        state.feedback_quota.rate = per_hour / 3600.0  # refilled over an hour, not a minute
    wait = state.feedback_quota.take(sender)
    if wait:
        seconds = math.ceil(wait)
        raise ApiError(429, "rate_limited", f"more than {per_hour} verdicts an hour from this client; "
                                            f"retry in {seconds} s", {"Retry-After": str(seconds)})


@router.post("", status_code=201, response_model=FeedbackOut, dependencies=[Depends(require_read_key)],
             responses=error_responses(400, 401, 403, 404, 413, 422, 429, 503, 507),
             summary="Mark an answer right or wrong (no key needed: the widget's thumbs; a private "
                     "collection's read key for its answers)")
async def add_feedback(body: FeedbackIn, served: CollectionDep, request: Request,
                       sender: Annotated[str, Depends(verdict_sender)]) -> dict:
    _take_quota(request, sender)
    entry = Feedback(**body.model_dump(), sender=sender)
    stored = await run_in_threadpool(served.add_feedback, entry)
    request.app.state.metrics.feedback.labels(stored.verdict, served.name).inc()
    return stored.to_json()


@router.get("", response_model=FeedbackPage, dependencies=[Depends(require_write_key)],
            responses=error_responses(401, 403, 404, 422, 429, 503),
            summary="Users' verdicts, oldest first (needs the API key: they hold users' questions)")
def list_feedback(served: CollectionDep, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    total, page = served.feedback.page(offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "feedback": [entry.to_json() for entry in page]}
