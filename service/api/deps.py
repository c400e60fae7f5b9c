"""Typed dependencies: the engine, the collection a request is about, and who may read or write it.

Keys: the admin key (GROUNDQA_API_KEY) may do everything. A named collection may have its own read
key and write key (a write key also reads); they open that collection only. Without a key, a collection
is readable unless it has a read key (or GROUNDQA_READ_REQUIRES_KEY is set); writes always need a key.
A named collection the key may not read answers as one that does not exist (404), so that a client
cannot probe which names exist; one it may read refuses a write with 401 or 403."""

from __future__ import annotations

import hmac
from typing import Annotated, Iterator

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from groundqa.errors import CollectionNotFound
from groundqa.service.api.errors import ApiError
from groundqa.service.collections import DEFAULT
from groundqa.service.engine import Engine
from groundqa.service.served import ServedCollection

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="Needed for writes, and for reads of a private collection.")


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]
KeyDep = Annotated[str | None, Depends(api_key_header)]


def collection_name(request: Request) -> str:
    """The {collection} of /v1/collections/{collection}/..., else the default collection."""
    return request.path_params.get("collection", DEFAULT)


def get_collection(request: Request, engine: EngineDep) -> Iterator[ServedCollection]:
    """The collection, kept open (not closed as idle) until the response is sent."""
    with engine.using(collection_name(request)) as served:
        yield served


CollectionDep = Annotated[ServedCollection, Depends(get_collection)]


def is_admin(engine: Engine, given: str | None) -> bool:
    expected = engine.settings.api_key
    return bool(given and expected and hmac.compare_digest(given.encode(), expected.get_secret_value().encode()))


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "missing or wrong API key in the X-API-Key header",
                    {"WWW-Authenticate": "X-API-Key"})


def _hidden(name: str) -> CollectionNotFound:
    """What a client gets for a collection that does not exist or that its key may not read: the same."""
    return CollectionNotFound(f"no collection {name!r} that this request may read (a private collection "
                              "needs its API key in X-API-Key)")


def check_access(engine: Engine, name: str, key: str | None, write: bool) -> None:
    if is_admin(engine, key):
        return
    try:
        record = engine.record(name)
    except CollectionNotFound:
        raise _hidden(name) from None
    public = not (record is not None and record.private) and not engine.settings.read_requires_key
    if record is not None and not public and not (key and record.key_grants(key, write=False)):
        raise _hidden(name)
    if write and engine.settings.api_key is None and (record is None or record.write_key_sha256 is None):
        raise ApiError(403, "writes_disabled", "writes are disabled: start the server with GROUNDQA_API_KEY set")
    if key and record is not None and record.key_grants(key, write):
        return
    if not write and public:
        return  # anyone may read it: a key adds nothing, and takes nothing away
    if key:
        owner = engine.key_collection(key)
        if owner == name:
            raise ApiError(403, "forbidden", f"this key may read collection {name!r}, not change it")
        if owner is not None:
            raise ApiError(403, "forbidden", f"this key is for another collection, not {name!r}")
    elif not write and record is None and engine.settings.api_key is None:
        raise ApiError(403, "writes_disabled", "reads need a key but none is configured: set GROUNDQA_API_KEY")
    raise _unauthorized()


async def refuse_when_saturated(engine: EngineDep) -> None:
    """Refuse in the event loop, before a worker thread is taken, when no ask could be admitted:
    under overload the 503 then comes back at once instead of after a trip through the thread pool."""
    engine.admission.refuse_if_saturated()


def require_write_key(request: Request, engine: EngineDep, key: KeyDep) -> None:
    check_access(engine, collection_name(request), key, write=True)


def require_read_key(request: Request, engine: EngineDep, key: KeyDep) -> None:
    check_access(engine, collection_name(request), key, write=False)


def require_admin_key(engine: EngineDep, key: KeyDep) -> None:
    if engine.settings.api_key is None:
        raise ApiError(403, "writes_disabled", "managing collections needs GROUNDQA_API_KEY set on the server")
    if not is_admin(engine, key):
        raise _unauthorized()
