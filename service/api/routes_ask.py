"""POST /v1/ask and GET /v1/search."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service.api.deps import EngineDep, require_read_key
from service.api.errors import ApiError
from service.api.schemas import AskRequest, AskResponse, ErrorBody, SearchResponse

router = APIRouter(prefix="/v1", tags=["answers"], dependencies=[Depends(require_read_key)])
ERRORS = {code: {"model": ErrorBody} for code in (401, 422, 503)}


@router.post("/ask", response_model=AskResponse, responses=ERRORS,
             summary="Answer a question with spans copied from the documents, each with its citation")
def ask(body: AskRequest, engine: EngineDep, request: Request) -> dict:
    result = engine.ask(body.question, body.top_k, body.filters)
    request.app.state.metrics.observe_stages(result.timings_ms)
    return result.to_json()


@router.get("/search", response_model=SearchResponse, responses=ERRORS,
            summary="The passages retrieval finds for a query, with scores and character offsets")
def search(engine: EngineDep, q: Annotated[str, Query(description="the query", max_length=100_000)],
           k: Annotated[int, Query(ge=1, le=100)] = 5,
           filters: Annotated[str | None, Query(description='JSON object, e.g. {"format": "pdf"}')] = None) -> dict:
    passages, documents = engine.search(q, k, _parse_filters(filters))
    return {"query": q, "passages": [
        {"rank": p.rank, "score": round(p.score, 4), "doc_id": p.chunk.doc_id, "chunk_id": p.chunk.chunk_id,
         "title": documents[p.chunk.doc_id].title, "start": p.chunk.start, "end": p.chunk.end, "text": p.chunk.text}
        for p in passages]}


def _parse_filters(raw: str | None) -> dict | None:
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(422, "invalid_request", "filters must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise ApiError(422, "invalid_request", "filters must be a JSON object")
    return parsed
