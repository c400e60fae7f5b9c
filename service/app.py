"""The FastAPI app: models load once at start-up (lifespan); `groundqa serve` runs it with uvicorn."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import groundqa
from groundqa.hardware import limit_malloc_arenas
from groundqa.settings import Settings
from groundqa.service.api import (errors, ratelimit, routes_ask, routes_collections, routes_documents, routes_feedback,
                                  routes_pages)
from groundqa.service.api.deps import is_admin
from groundqa.service.api.guards import BodyLimit, JsonCORSMiddleware, http_protocol, log_access
from groundqa.service.api.metrics import Metrics
from groundqa.service.api.schemas import ErrorBody
from groundqa.service.collections import NAME_PATTERN
from groundqa.service.engine import Engine

log = logging.getLogger("groundqa")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app; an engine not yet started starts in the background once the server is up, so that
    /healthz answers at once and /readyz says "starting" until the models and index are loaded."""
    settings = settings or Settings()
    engine = engine or Engine(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if engine.pipeline is None and engine.starting:
            threading.Thread(target=engine.start, name="groundqa-start", daemon=True).start()
        yield

    app = FastAPIOffline(title="groundqa", version=groundqa.__version__, lifespan=lifespan,
                         description="Answers copied from your documents, each with a citation you can check.")
    app.state.engine = engine
    app.state.metrics = Metrics()
    errors.install(app)
    app.include_router(routes_collections.router)
    for module in COLLECTION_MODULES:  # the default collection, then a named one
        app.include_router(module.router, prefix="/v1")
        app.include_router(module.router, prefix=COLLECTION_PREFIX, generate_unique_id_function=_named_operation_id)
    app.include_router(routes_pages.router)
    _add_operations(app)
    _show_limits_in_schema(app, settings)
    # Innermost, so that its 413 reaches FastAPI as raised (outer http middlewares wrap it in a group).
    app.add_middleware(BodyLimit, default_bytes=settings.max_request_bytes, upload_bytes=settings.max_upload_bytes)
    ratelimit.install(app, settings.rate_limit_per_minute, lambda key: _known_key(engine, key))
    _observe_requests(app, settings.log_questions)
    if settings.cors_origins:
        app.add_middleware(JsonCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=600)
    return app


COLLECTION_PREFIX = "/v1/collections/{collection}"
COLLECTION_PARAMETER = {"name": "collection", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": NAME_PATTERN},
                        "description": "a named collection (GET /v1/collections lists them)"}


COLLECTION_MODULES = (routes_ask, routes_documents, routes_feedback)
COLLECTION_ROUTES = {id(route) for module in COLLECTION_MODULES for route in module.router.routes}


def _named_operation_id(route) -> str:
    return "collection_" + route.name


def _known_key(engine: Engine, key: str) -> bool:
    """The admin key or a collection's: such a client gets a rate-limit bucket of its own."""
    return is_admin(engine, key) or (engine.ready and engine.key_collection(key) is not None)


def _add_operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Models loaded and index ready (503 says why not)",
             responses={503: {"model": ErrorBody}})
    def readyz() -> JSONResponse:
        engine: Engine = app.state.engine
        if not engine.ready:
            raise engine.not_ready_error()
        documents, chunks = engine.counts()
        return JSONResponse({"status": "ready", "documents": documents, "chunks": chunks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics",
             responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}})
    def metrics() -> Response:
        for name, (documents, chunks) in app.state.engine.open_counts().items():
            app.state.metrics.documents.labels(name).set(documents)
            app.state.metrics.chunks.labels(name).set(chunks)
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _show_limits_in_schema(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI schema states the limits this server applies, settings included."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            schema["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] = \
                settings.max_question_chars
            for path in ("/v1/search", COLLECTION_PREFIX + "/search"):
                for parameter in schema["paths"][path]["get"]["parameters"]:
                    if parameter["name"] == "q":
                        parameter["schema"]["maxLength"] = settings.max_question_chars
            for path, operations in schema["paths"].items():
                if path.startswith(COLLECTION_PREFIX):
                    for operation in operations.values():
                        parameters = [p for p in operation.get("parameters", []) if p["name"] != "collection"]
                        operation["parameters"] = [COLLECTION_PARAMETER, *parameters]
        return app.openapi_schema

    app.openapi = openapi


def _observe_requests(app: FastAPI, log_queries: bool) -> None:
    """Count and time every request by route, and write the access log line."""
    @app.middleware("http")
    async def observe(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        path = _route_of(request, response.status_code)
        app.state.metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        app.state.metrics.request_seconds.labels(path).observe(time.perf_counter() - started)
        log_access(request.method, request.url.path, request.url.query, response.status_code, started,
                   with_query=log_queries)
        return response


def _route_of(request: Request, status: int) -> str:
    """The route's template (/v1/documents/{doc_id}), for a bounded set of metric labels: FastAPI
    routes name themselves; the docs' static files count as one; a 404 is "unmatched"."""
    route = request.scope.get("route")
    if route is not None:
        if id(route) in COLLECTION_ROUTES:  # included at two prefixes: name the one this request came by
            return (COLLECTION_PREFIX if "collection" in request.path_params else "/v1") + route.path
        return route.path
    if status == 404:
        return "unmatched"
    path = request.url.path
    return "/static-offline-docs" if path.startswith("/static-offline-docs/") else path


def run_server(settings: Settings) -> int:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    limit_malloc_arenas(settings.malloc_arenas)
    log.info("listening on http://%s:%d (API docs at /docs); loading the models and the index", settings.host,
             settings.port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                access_log=False, http=http_protocol())
    return 0
