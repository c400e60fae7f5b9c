"""Named collections: create, list, describe, delete. The routes of one collection are those of the
default collection under /v1/collections/{collection}/ (ask, search, documents, feedback)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from groundqa.errors import CollectionNotFound, InvalidCollection
from groundqa.service.api.deps import (CollectionDep, EngineDep, KeyDep, check_access, is_admin, require_admin_key,
                                       require_read_key)
from groundqa.service.api.errors import ApiError
from groundqa.service.api.schemas import error_responses
from groundqa.service.collections import DEFAULT, MIN_KEY_CHARS, Record
from groundqa.service.engine import Engine
from groundqa.service.served import ServedCollection
from groundqa.service.verify import Verifier, VerifierMismatch
from groundqa.wiring import fitted_for_these_models

router = APIRouter(prefix="/v1/collections", tags=["collections"])
ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429, 503)


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "acme_docs"},
        {"name": "customer_42", "read_key": "a-long-random-read-key", "write_key": "a-long-random-write-key"}]})
    name: str = Field(description="lower-case letters, digits and '_', starting with a letter; at most 48")
    read_key: str | None = Field(None, min_length=MIN_KEY_CHARS, description=(
        "set: the collection is private; reading it needs this key, its write key or the admin key"))
    write_key: str | None = Field(None, min_length=MIN_KEY_CHARS, description=(
        "a key that may write (and read) this collection only; the admin key always may"))
    verifier: dict[str, Any] | None = Field(None, description=(
        "the answer verifier for this collection: a file `groundqa calibrate` wrote (default: the server's)"))


class CollectionOut(BaseModel):
    name: str
    documents: int
    chunks: int
    private: bool = Field(description="reading needs a key")
    embedding_model: str
    reader_model: str
    chunking: dict[str, int]
    calibration: str = Field(description="the verifier that decides when to answer: its own, the server's, or "
                                         "none (the no-answer margin)")


class CollectionList(BaseModel):
    collections: list[CollectionOut]


def describe(engine: Engine, served: ServedCollection) -> dict:
    manifest = served.pipeline.collection.manifest
    documents, chunks = served.counts()
    record = served.record
    verifier = served.pipeline.config.verifier
    if record is not None and record.verifier is not None:
        calibration = f"its own verifier ({_fitted_on(verifier)})"
    elif verifier is not None:
        calibration = f"the server's verifier ({_fitted_on(verifier)})"
    else:
        calibration = f"no verifier: the no-answer margin {engine.settings.no_answer_margin}"
    return {"name": served.name, "documents": documents, "chunks": chunks,
            "private": bool(record and record.private), "embedding_model": manifest.embedding_model,
            "reader_model": engine.settings.reader_model.rsplit("/", 1)[-1],
            "chunking": dataclasses.asdict(manifest.chunking),
            "calibration": calibration}


def _fitted_on(verifier: Verifier) -> str:
    fitted = verifier.about.get("fitted_on") if verifier.about else None
    if isinstance(fitted, list):
        fitted = "; ".join(map(str, fitted))
    return f"fitted on {fitted}" if fitted else "fitted by groundqa calibrate"


@router.post("", status_code=201, response_model=CollectionOut, responses=ERRORS,
             dependencies=[Depends(require_admin_key)], summary="Create a named collection (admin key)")
async def create_collection(body: CollectionIn, engine: EngineDep) -> dict:
    if body.verifier is not None:
        try:
            fitted_for_these_models(Verifier.from_json(body.verifier, "the verifier given"), engine.settings,
                                    "the verifier given")
        except VerifierMismatch as exc:
            raise InvalidCollection(str(exc)) from None
    record = Record.new(body.name, body.read_key, body.write_key, body.verifier)
    served = await run_in_threadpool(engine.create_collection, record)
    return describe(engine, served)


@router.get("", response_model=CollectionList, responses=ERRORS,
            summary="The collections this key may read (private ones only with their key or the admin key)")
def list_collections(engine: EngineDep, key: KeyDep) -> dict:
    readable = []
    for name in engine.collection_names():
        try:
            check_access(engine, name, key, write=False)
            with engine.peek(name) as served:  # described without being kept open
                readable.append(describe(engine, served))
        except (ApiError, CollectionNotFound):  # not this key's to see (or gone meanwhile)
            continue
    if not readable and key and not is_admin(engine, key) and engine.key_collection(key) is None:
        check_access(engine, DEFAULT, key, write=False)  # a wrong key: say so rather than list nothing
    return {"collections": readable}


@router.get("/{collection}", response_model=CollectionOut, responses=ERRORS,
            dependencies=[Depends(require_read_key)], summary="A collection: its size, models and calibration")
def describe_collection(collection: str, engine: EngineDep, served: CollectionDep) -> dict:
    return describe(engine, served)


@router.delete("/{collection}", status_code=204, responses=ERRORS, dependencies=[Depends(require_admin_key)],
               summary="Delete a named collection: its documents, index and feedback (admin key)")
async def delete_collection(collection: str, engine: EngineDep) -> Response:
    await run_in_threadpool(engine.delete_collection, collection)
    return Response(status_code=204)
