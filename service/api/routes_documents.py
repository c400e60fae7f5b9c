"""Add, replace, delete, list and read documents, and the viewer. Writes need the API key.

The viewer is at /view/{doc_id}, outside /documents/, so that no document id can shadow it (an id may
end in "/view"); an old link /documents/{doc_id}/view is sent there when no document has that id."""

from __future__ import annotations

import dataclasses
from pathlib import PurePath
from urllib.parse import quote
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from groundqa.errors import DocumentNotFound, InvalidDocument
from groundqa.index.loaders import check_format, first_line, normalize_text
from groundqa.index.sections import check_sent_structure
from groundqa.index.types import Document
from groundqa.service import viewer
from groundqa.service.api.deps import CollectionDep, EngineDep, require_read_key, require_write_key
from groundqa.service.api.errors import ApiError
from groundqa.service.api.schemas import (MAX_TITLE_CHARS, DocumentIn, DocumentOut, DocumentPage, DocumentPatch,
                                          DocumentWritten, error_responses)
from groundqa.service.engine import Engine
from groundqa.service.ids import content_doc_id, normalize_doc_id, validate_doc_id, validate_title

router = APIRouter(tags=["documents"])
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
DELETE_ERRORS = error_responses(401, 403, 404, 429, 503)
READ_ERRORS = error_responses(401, 403, 404, 422, 429, 503)
UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": DocumentIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "txt, md, html, pdf, docx, xlsx, csv, tsv or pptx"},
        "doc_id": {"type": "string"}, "title": {"type": "string"}}}}}}}


@router.post("/documents", status_code=201, response_model=DocumentWritten, responses=WRITE_ERRORS,
             openapi_extra=UPLOAD_BODY, dependencies=[Depends(require_write_key)],
             summary="Add a document (JSON or file upload)")
async def create_document(request: Request, engine: EngineDep, served: CollectionDep) -> dict:
    document = await _document_from_request(request, engine, doc_id=None)
    return dataclasses.asdict(await run_in_threadpool(served.put_document, document, replace=False))


@router.put("/documents/{doc_id:path}", response_model=DocumentWritten, responses=WRITE_ERRORS,
            openapi_extra=UPLOAD_BODY, dependencies=[Depends(require_write_key)],
            summary="Replace a document whole (fields left out are not kept: `dropped` lists them; PATCH changes some)")
async def replace_document(doc_id: str, request: Request, engine: EngineDep, served: CollectionDep) -> dict:
    document = await _document_from_request(request, engine, doc_id=doc_id)
    return dataclasses.asdict(await run_in_threadpool(served.put_document, document, replace=True))


@router.patch("/documents/{doc_id:path}", response_model=DocumentWritten, responses=WRITE_ERRORS,
              dependencies=[Depends(require_write_key)],
              summary="Change some of a document: the fields given; meta keys merged, a null value removes one")
async def patch_document(doc_id: str, request: Request, served: CollectionDep) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "unsupported_media_type", "send application/json")
    changes = _parse(DocumentPatch, await request.body())
    validate_title(changes.title or "")
    if not changes.model_fields_set:
        raise ApiError(422, "invalid_request", "give at least one of title, text, meta")
    return dataclasses.asdict(await run_in_threadpool(served.patch_document, doc_id, changes.apply))


@router.delete("/documents/{doc_id:path}", status_code=204, responses=DELETE_ERRORS,
               dependencies=[Depends(require_write_key)], summary="Remove a document and its chunks")
async def delete_document(doc_id: str, served: CollectionDep) -> Response:
    await run_in_threadpool(served.delete_document, doc_id)
    return Response(status_code=204)


@router.get("/documents", response_model=DocumentPage, responses=READ_ERRORS, dependencies=[Depends(require_read_key)],
            summary="List documents, sorted by id")
def list_documents(served: CollectionDep, offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    total, page = served.list_documents(offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "documents": [_summary(d, n) for d, n in page]}


@router.get("/view/{doc_id:path}", response_class=HTMLResponse, dependencies=[Depends(require_read_key)],
            responses={200: {"content": {"text/html": {}}}, **READ_ERRORS},
            summary="The document as a page, the span start..end highlighted and scrolled into view")
def view_document(doc_id: str, served: CollectionDep, start: Annotated[int | None, Query(ge=0)] = None,
                  end: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    document, _ = served.get_document(doc_id)
    if (start is None) != (end is None):
        raise ApiError(422, "invalid_request", "give both start and end, or neither")
    if end is not None and not start < end <= len(document.text):
        raise ApiError(422, "invalid_request", f"need start < end <= {len(document.text)} (the document's length)")
    return HTMLResponse(viewer.render(document, start, end), headers={
        "Content-Security-Policy": viewer.CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache"})


@router.get("/documents/{doc_id:path}", response_model=DocumentOut, dependencies=[Depends(require_read_key)],
            responses={307: {"description": "An old viewer link (…/documents/{doc_id}/view, where no document has "
                                            "that id): sent to the viewer"}, **READ_ERRORS},
            summary="A document's text and meta, to show a citation in context")
def get_document(doc_id: str, served: CollectionDep, request: Request) -> dict | Response:
    try:
        document, chunks = served.get_document(doc_id)
    except DocumentNotFound:
        viewed = doc_id.removesuffix("/view")
        if viewed == doc_id:
            raise
        served.get_document(viewed)  # 404 unless the old link names a document
        return RedirectResponse(_viewer_url(request, doc_id, viewed), status_code=307)
    return {**_summary(document, chunks), "text": document.text}


def _viewer_url(request: Request, doc_id: str, viewed: str) -> str:
    """Where the old link …/documents/{viewed}/view (this request) now goes: …/view/{viewed}."""
    prefix = request.url.path.removesuffix("/documents/" + doc_id)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{prefix}/view/{quote(viewed, safe='/')}{query}"


def _summary(document: Document, chunks: int) -> dict:
    return {"doc_id": document.doc_id, "title": document.title, "source": document.source,
            "meta": document.meta, "chars": len(document.text), "chunks": chunks}


async def _document_from_request(request: Request, engine: Engine, doc_id: str | None) -> Document:
    """The document a POST or PUT carries: the body is read here (its size capped by the body limit),
    everything slow (parsing, normalizing) happens off the event loop."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _from_upload(request, engine, doc_id)
    if content_type.split(";")[0].strip() != "application/json":
        raise ApiError(415, "unsupported_media_type", "send application/json or a multipart/form-data file upload")
    body = await request.body()
    return await run_in_threadpool(_from_json, body, doc_id, engine.settings.max_upload_bytes)


def _from_json(body: bytes, url_id: str | None, limit: int) -> Document:
    if len(body) > limit:
        raise ApiError(413, "payload_too_large", f"request body is larger than the {limit}-byte limit")
    payload = _parse(DocumentIn, body)
    validate_title(payload.title)
    check_sent_structure(payload.meta)
    _refuse_conflicting_ids(url_id, payload.doc_id)
    text = normalize_text(payload.text)
    if not text:
        raise InvalidDocument("document text is empty")
    final_id = validate_doc_id(url_id or payload.doc_id or content_doc_id(text))
    return Document(final_id, payload.title.strip() or first_line(text), "api", text, payload.meta)


async def _from_upload(request: Request, engine: Engine, url_id: str | None) -> Document:
    limit = engine.settings.max_upload_bytes
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise ApiError(400, "bad_request", f"multipart upload could not be parsed ({exc.detail}); check its fields "
                                          "(at most 10) and file name (overly long names are refused)") from None
    upload, form_id, title = form.get("file"), form.get("doc_id"), form.get("title") or ""
    if upload is None or isinstance(upload, str):
        raise ApiError(422, "invalid_request", "multipart upload needs a 'file' field")
    if not isinstance(form_id, (str, type(None))) or not isinstance(title, str):
        raise ApiError(422, "invalid_request", "doc_id and title must be text fields, not files")
    if len(title) > MAX_TITLE_CHARS:
        raise ApiError(422, "invalid_request", f"title: at most {MAX_TITLE_CHARS} characters")
    validate_title(title)
    _refuse_conflicting_ids(url_id, form_id)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "payload_too_large", f"file is larger than the {limit}-byte limit")
    name = PurePath((upload.filename or "upload").replace("\\", "/")).name or "upload"
    final_id = validate_doc_id(url_id or form_id or name)
    suffix = check_format(PurePath(name).suffix)
    document = await run_in_threadpool(engine.loader.load, data, doc_id=final_id, source=f"upload:{name}",
                                       suffix=suffix, meta={"filename": name})
    return dataclasses.replace(document, title=title.strip() or document.title)


def _parse(model: type[BaseModel], body: bytes):
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(422, "invalid_request", f"{where}: {first['msg']}") from None


def _refuse_conflicting_ids(url_id: str | None, body_id: str | None) -> None:
    if body_id is not None and not body_id:
        raise ApiError(422, "invalid_request", "doc_id must not be empty (leave it out to have one made)")
    if url_id and body_id and normalize_doc_id(body_id) != normalize_doc_id(url_id):
        raise ApiError(422, "invalid_request", "doc_id in the body differs from the one in the URL")
