"""The FastAPI app: models load once at start-up (lifespan); `groundqa serve` runs it with uvicorn."""

from __future__ import annotations

import contextlib
import logging
import time

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

import groundqa
from groundqa.hardware import limit_malloc_arenas
from groundqa.settings import Settings
from service.api import errors, ratelimit, routes_ask, routes_documents, routes_pages
from service.api.metrics import Metrics
from service.engine import Engine

log = logging.getLogger("groundqa")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = engine or Engine(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if engine.pipeline is None:
            await run_in_threadpool(engine.start)
        yield

    app = FastAPI(title="groundqa", version=groundqa.__version__, lifespan=lifespan,
                  description="Answers copied from your documents, each with a citation you can check.")
    app.state.engine = engine
    app.state.metrics = Metrics()
    errors.install(app)
    app.include_router(routes_ask.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_pages.router)
    _add_operations(app)
    ratelimit.install(app, settings.rate_limit_per_minute)
    _add_request_metrics(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=600)
    return app


def _add_operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Models loaded and index ready (503 says why not)")
    def readyz() -> JSONResponse:
        engine: Engine = app.state.engine
        documents, chunks = engine.counts()
        if not engine.ready:
            return JSONResponse({"status": "not_ready", "reason": engine.not_ready_reason}, status_code=503)
        return JSONResponse({"status": "ready", "documents": documents, "chunks": chunks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics",
             responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}})
    def metrics() -> Response:
        documents, chunks = app.state.engine.counts()
        app.state.metrics.documents.set(documents)
        app.state.metrics.chunks.set(chunks)
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _add_request_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def count(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        app.state.metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        app.state.metrics.request_seconds.labels(path).observe(time.perf_counter() - started)
        return response


def run_server(settings: Settings) -> int:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    limit_malloc_arenas(settings.malloc_arenas)
    engine = Engine(settings)
    engine.start()
    if not engine.ready:
        log.error("starting anyway; /readyz reports: %s", engine.not_ready_reason)
    log.info("serving %d documents on http://%s:%d (API docs at /docs)", engine.counts()[0], settings.host, settings.port)
    uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port, log_level="info")
    return 0
