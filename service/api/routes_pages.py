"""The chat widget script and the demo page that embeds it."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from groundqa.service.api.deps import EngineDep

STATIC = Path(__file__).resolve().parent.parent / "static"
DEMO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

router = APIRouter(tags=["widget"])


@lru_cache(maxsize=None)
def _asset(name: str) -> tuple[bytes, str]:
    data = (STATIC / name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


def _serve(request: Request, name: str, media_type: str, headers: dict[str, str]) -> Response:
    data, etag = _asset(name)
    headers = {**headers, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@router.get("/widget.js", responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Not modified"}},
            summary="The chat widget: add it to any page with one script tag")
def widget(request: Request) -> Response:
    return _serve(request, "widget.js", "text/javascript; charset=utf-8",
                  {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*",
                   "X-Content-Type-Options": "nosniff"})


@router.get("/", responses={200: {"content": {"text/html": {}}}, 304: {"description": "Not modified"}},
            summary="Demo page about the default corpus, with the widget", include_in_schema=True)
def demo(request: Request) -> Response:
    return _serve(request, "index.html", "text/html; charset=utf-8",
                  {"Cache-Control": "no-cache", "Content-Security-Policy": DEMO_CSP,
                   "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


@router.get("/v1/widget/config", summary="The widget's greeting and example questions (GROUNDQA_WIDGET_*)")
def widget_config(engine: EngineDep) -> dict:
    return {"greeting": engine.settings.widget_greeting, "suggestions": engine.settings.widget_suggestions}
