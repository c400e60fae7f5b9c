"""Edges of the HTTP server that no route sees: body size limits, refusals made before the app runs
(malformed HTTP, CORS preflights), and an access log that keeps secrets and user text out."""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from groundqa.service.api.errors import error_response

access_log = logging.getLogger("groundqa.access")
UPLOAD_PATHS = re.compile(r"/v1/(collections/[^/]+/)?documents(/|\Z)")  # the default collection's and named ones'
MULTIPART_OVERHEAD = 64 * 1024  # field names, boundaries and small fields around an uploaded file
_SECRET_NAME = re.compile(r"key|token|secret|passw|auth|sig", re.IGNORECASE)


class BodyLimit:
    """Refuse a request body over its route's limit before anything parses it: at once when
    Content-Length says so, or as soon as a streamed (chunked) body goes past it."""

    def __init__(self, app: ASGIApp, *, default_bytes: int, upload_bytes: int) -> None:
        self.app, self.default_bytes, self.upload_bytes = app, default_bytes, upload_bytes + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_bytes if UPLOAD_PATHS.match(scope["path"]) else self.default_bytes
        message = f"request body is larger than the {limit}-byte limit of {scope['path']}"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await error_response(413, "payload_too_large", message)(scope, receive, send)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            event = await receive()
            received += len(event.get("body", b""))
            if received > limit:
                raise HTTPException(413, message)  # FastAPI lets its HTTPException through body parsing
            return event

        await self.app(scope, limited_receive, send)


class JsonCORSMiddleware(CORSMiddleware):
    """CORS, with refused preflights in the API's error shape instead of Starlette's plain text."""

    def preflight_response(self, request_headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = response.body.decode().removeprefix("Disallowed CORS ")
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return error_response(400, "cors_refused", f"CORS preflight refused: {refused} not allowed for this server "
                                                   "(GROUNDQA_CORS_ORIGINS)", headers)


_MALFORMED = json.dumps({"error": {"code": "bad_request", "message": (
    "the request could not be read as HTTP: a malformed request line or header, or a URL or headers "
    "longer than the server accepts (about 64 KB)")}}).encode()


def _send_json_400(protocol) -> None:
    head = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n"
            b"content-length: " + str(len(_MALFORMED)).encode() + b"\r\n\r\n")
    protocol.transport.write(head + _MALFORMED)
    protocol.transport.close()


class JsonErrorsHttpTools(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, answering requests it cannot parse in the API's error shape."""

    def send_400_response(self, msg: str) -> None:
        _send_json_400(self)


class JsonErrorsH11(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        _send_json_400(self)


def http_protocol() -> type:
    try:
        import httptools  # noqa: F401  (uvicorn[standard]'s faster parser)

        return JsonErrorsHttpTools
    except ImportError:
        return JsonErrorsH11


def log_access(method: str, path: str, query: str, status: int, started: float, *, with_query: bool) -> None:
    """One line per request. The query string (search text, stray keys) is left out unless
    `with_query`, and even then every parameter named like a secret is redacted."""
    shown = printable(path)
    if query:
        shown += "?" + (redact_query(query) if with_query else "...")
    access_log.info('%s %s %d %.1f ms', printable(method), shown, status, (time.perf_counter() - started) * 1000)


def printable(text: str) -> str:
    """Control and format characters, line separators and backslashes escaped as Python writes them
    (\\x1b, \\u202e): a request path cannot colour the terminal, forge a log line or hide text."""
    return "".join(ascii(char)[1:-1] if _escaped(char) else char for char in text)


def _escaped(char: str) -> bool:
    category = unicodedata.category(char)
    return char == "\\" or category[0] == "C" or category in ("Zl", "Zp")


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, "REDACTED" if _SECRET_NAME.search(name) else value) for name, value in pairs])
