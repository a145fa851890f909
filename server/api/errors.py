"""Every failure answers in one shape, with words for people and a code for programs."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.protocol.models import ErrorBody, ErrorDetail
from server.services.errors import DomainError
from server.store.db import unavailable

log = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "the request is malformed"),
        (401, "no valid token"),
        (403, "the token may not do this"),
        (404, "unknown site, service, counter or ticket"),
        (409, "the state forbids it now (closed service, quota reached, counter paused…)"),
        (422, "the request does not validate"),
        (503, "the database is busy or unreachable; retry after Retry-After seconds with "
              "the same Idempotency-Key"),
    )
}

_HTTP_WORDS = {
    400: ("Permintaan tidak dapat dibaca.", "bad_request"),
    401: ("Silakan masuk terlebih dahulu.", "unauthorized"),
    403: ("Anda tidak berwenang.", "forbidden"),
    404: ("Alamat tidak ditemukan.", "not_found"),
    405: ("Metode tidak diizinkan untuk alamat ini.", "method_not_allowed"),
    406: ("Format jawaban tidak didukung.", "not_acceptable"),
    413: ("Permintaan terlalu besar.", "too_large"),
    415: ("Jenis isi permintaan tidak didukung; kirim JSON.", "unsupported_media_type"),
}


def error_response(status: int, code: str, message: str, message_en: str,
                   details: dict[str, object] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, message_en=message_en,
                                       details=details or {}))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _describe(error: dict[str, Any], indonesian: bool = False) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    context = error.get("ctx") or {}
    words = context.get("message_id") if indonesian and isinstance(context, dict) else None
    message = words or error.get("msg", "invalid")
    return f"{where}: {message}" if where else str(message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(AnswerEveryFailure)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return error_response(exc.status, exc.code, exc.message, exc.message_en,
                              {k: v for k, v in exc.details.items()}, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_describe(e) for e in exc.errors()][:10]
        problems_id = [_describe(e, indonesian=True) for e in exc.errors()][:10]
        return error_response(422, "invalid_request", "Data permintaan tidak valid: "
                              + "; ".join(problems_id), "The request is not valid: "
                              + "; ".join(problems), {"problems": problems})

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        message, code = _HTTP_WORDS.get(exc.status_code, ("Permintaan ditolak.", "http_error"))
        return error_response(exc.status_code, code, message, str(exc.detail),
                              headers=getattr(exc, "headers", None))


RETRY_AFTER_SECONDS = 2


def unavailable_response() -> JSONResponse:
    """The database cannot serve now (see ``server.store.db.unavailable``): try again soon."""
    return error_response(
        503, "database_unavailable",
        "Server sedang sibuk atau basis datanya tidak terjangkau; coba lagi sebentar.",
        "The database is busy or unreachable; retry shortly with the same Idempotency-Key.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def internal_error_response() -> JSONResponse:
    return error_response(500, "internal_error",
                          "Terjadi kesalahan di server; petugas TI sudah dicatatkan.",
                          "The server failed; the error is in its log.")


class AnswerEveryFailure:
    """ASGI middleware, inside Starlette's own error middleware: an exception no handler took
    becomes our JSON error (503 with Retry-After when the database cannot serve, else 500),
    on a connection that stays open. Left to Starlette and uvicorn it became a plain-text 500
    and uvicorn closed the connection, so that a client's next request on it, sent before it
    saw the close, was reset."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if started:
                raise  # a streamed answer broke off: only closing the connection can say so
            if unavailable(exc):
                log.error("database unavailable for %s %s: %s", scope.get("method"),
                          scope.get("path"), _words_of(exc))
                response = unavailable_response()
            else:
                log.exception("%s %s failed", scope.get("method"), scope.get("path"))
                response = internal_error_response()
            await response(scope, receive, send)


def _words_of(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    return f"{type(error).__name__}: {orig if orig is not None else error}"
