"""POST /v1/ask and GET /v1/search."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from groundqa.errors import GroundQAError
from groundqa.index.sections import section_at
from groundqa.index.types import Passage
from groundqa.service.types import AskResult

from groundqa.service.api.deps import CollectionDep, refuse_when_saturated, require_read_key
from groundqa.service.api.errors import ApiError
from groundqa.service.api.schemas import AskRequest, AskResponse, SearchResponse, error_responses
from groundqa.settings import MAX_TOP_K

router = APIRouter(tags=["answers"],
                   dependencies=[Depends(require_read_key), Depends(refuse_when_saturated)])
ERRORS = error_responses(400, 401, 403, 404, 413, 422, 429, 503)
MAX_FILTERS_CHARS = 4096


@router.post("/ask", response_model=AskResponse, responses=ERRORS,
             summary="Answer a question with spans copied from the documents, each with its citation")
def ask(body: AskRequest, served: CollectionDep, request: Request) -> dict:
    result = served.ask(body.question, body.top_k, body.filters, body.turns())
    metrics = request.app.state.metrics
    metrics.observe_ask(result.no_answer, served.name)
    if result.cached:
        metrics.cached_answers.inc()
    else:
        metrics.observe_stages(result.timings_ms)
    return _answered(body, result)


@router.post("/ask/stream", response_class=StreamingResponse, responses={
    **ERRORS, 200: {"content": {"text/event-stream": {"example": (
        'event: passages\ndata: {"passages": [{"rank": 1, "score": 0.93, "doc_id": "...", "chunk_id": "...", '
        '"start": 0, "end": 640}]}\n\nevent: answers\ndata: {"question": "...", "answers": [...], '
        '"resolved_question": "...", "no_answer": false, "timings_ms": {...}}\n\nevent: done\ndata: {}\n\n')}}}},
    summary="Answer as server-sent events: the retrieved passages, then the answers, then done")
def ask_stream(body: AskRequest, served: CollectionDep, request: Request) -> StreamingResponse:
    stages = served.ask_stream(body.question, body.top_k, body.filters, body.turns())
    metrics = request.app.state.metrics

    def events():
        try:
            for stage in stages:
                if isinstance(stage, AskResult):
                    metrics.observe_ask(stage.no_answer, served.name)
                    metrics.observe_stages(stage.timings_ms)
                    yield _event("answers", _answered(body, stage))
                else:
                    yield _event("passages", {"passages": [_passage_json(p) for p in stage]})
        except GroundQAError as exc:
            yield _event("error", {"error": {"code": exc.code, "message": str(exc)}})
        yield _event("done", {})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _answered(body: AskRequest, result: AskResult) -> dict:
    """The answer as JSON, with the question as asked and the standalone question answered."""
    return {**result.to_json(), "question": body.question.strip(), "resolved_question": result.question}


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/search", response_model=SearchResponse, responses=ERRORS,
            summary="The passages retrieval finds for a query, with scores and character offsets")
def search(served: CollectionDep, q: Annotated[str, Query(description="the query (at most GROUNDQA_MAX_QUESTION_CHARS)")],
           k: Annotated[int | None, Query(ge=1, le=MAX_TOP_K, description="passages (default: GROUNDQA_TOP_K)")] = None,
           filters: Annotated[str | None, Query(description='JSON object, e.g. {"format": "pdf"}')] = None) -> dict:
    passages, documents = served.search(q, k or served.settings.top_k, _parse_filters(filters))
    return {"query": q, "passages": [
        {**_passage_json(p), "title": documents[p.chunk.doc_id].title, "text": p.chunk.text,
         "section": section_at(documents[p.chunk.doc_id].meta, p.chunk.start)} for p in passages]}


def _passage_json(passage: Passage) -> dict:
    chunk = passage.chunk
    return {"rank": passage.rank, "score": round(passage.score, 4), "doc_id": chunk.doc_id,
            "chunk_id": chunk.chunk_id, "start": chunk.start, "end": chunk.end}


def _parse_filters(raw: str | None) -> dict | None:
    """The query parameter as a JSON object; what it may hold is checked with every other route's."""
    if raw is None:
        return None
    if len(raw) > MAX_FILTERS_CHARS:
        raise ApiError(422, "invalid_request", f"filters: at most {MAX_FILTERS_CHARS} characters")
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(422, "invalid_request", "filters must be a flat JSON object") from None
    if not isinstance(parsed, dict):
        raise ApiError(422, "invalid_request", "filters must be a flat JSON object")
    return parsed
