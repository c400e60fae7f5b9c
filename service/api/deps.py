"""Typed dependencies: the engine, and API-key checks for writes (and reads, if configured)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from groundqa.service.api.errors import ApiError
from groundqa.service.engine import Engine

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Needed for writes.")


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def _check_key(engine: Engine, given: str | None) -> None:
    expected = engine.settings.api_key
    if expected is None:
        raise ApiError(403, "writes_disabled", "writes are disabled: start the server with GROUNDQA_API_KEY set")
    if not given or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise ApiError(401, "unauthorized", "missing or wrong API key in the X-API-Key header",
                       {"WWW-Authenticate": "X-API-Key"})


async def refuse_when_saturated(engine: EngineDep) -> None:
    """Refuse in the event loop, before a worker thread is taken, when no ask could be admitted:
    under overload the 503 then comes back at once instead of after a trip through the thread pool."""
    engine.admission.refuse_if_saturated()


def require_write_key(engine: EngineDep, key: Annotated[str | None, Depends(api_key_header)]) -> None:
    _check_key(engine, key)


def require_read_key(engine: EngineDep, key: Annotated[str | None, Depends(api_key_header)]) -> None:
    if engine.settings.read_requires_key:
        _check_key(engine, key)
