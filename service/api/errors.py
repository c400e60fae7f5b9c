"""The one place where errors become HTTP responses: {"error": {"code", "message"}}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from groundqa import errors

STATUS = {
    errors.UnsupportedFormat: 415,
    errors.InvalidQuestion: 422,
    errors.InvalidDocument: 422,
    errors.InvalidFeedback: 422,
    errors.FeedbackFull: 507,
    errors.DocumentNotFound: 404,
    errors.DocumentConflict: 409,
    errors.InvalidCollection: 422,
    errors.CollectionNotFound: 404,
    errors.CollectionExists: 409,
    errors.IndexNotReady: 503,
    errors.Overloaded: 503,
    errors.ModelNotFound: 503,
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.GroundQAError)
    async def core_error(_: Request, exc: errors.GroundQAError) -> JSONResponse:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        retry_after = "1" if isinstance(exc, errors.Overloaded) else "5"
        return error_response(status, exc.code, str(exc), {"Retry-After": retry_after} if status == 503 else None)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if message == "There was an error parsing the body":  # FastAPI's words for any body it cannot decode
            message = _unreadable_body(exc.__cause__)
        return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), message, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("groundqa").exception("unhandled error")
        return error_response(500, "internal_error", "internal error; see the server log")


def _unreadable_body(cause: BaseException | None) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "request body could not be read: send UTF-8 JSON"
    if isinstance(cause, RecursionError):
        return "request body JSON is nested too deeply"
    return "request body could not be read as JSON"
