"""Every error leaves the API in one of two shapes, chosen by the route family.

* SDK routes (``/api/v1``, ``/api/v2``): the v2 SDK throws ``Error(body.error)``, and
  the v2 CLI reads ``error`` too, so the body is ``{"error": text, "message": text,
  "code": code}``: ``error`` for the SDK, ``message`` for tools that read that key,
  ``code`` for machines.
* kongflow's own routes: ``{"error": {"code", "message", "details"}}``.

Nothing here returns a stack trace; an unexpected exception is logged with the
request id and answered with a generic 500.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kongflow.errors import KongflowError

logger = logging.getLogger(__name__)

SDK_PREFIXES = ("/api/v1/", "/api/v2/")

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def error_body(path: str, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error body for a request to ``path``, in its route family's shape."""
    if path.startswith(SDK_PREFIXES):
        body: dict[str, Any] = {"error": message, "message": message, "code": code}
        if details is not None:
            body["details"] = details
        return body
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    request: Request, status: int, code: str, message: str, details: Any = None
) -> JSONResponse:
    """Render an error in the shape the route family's clients expect."""
    body = error_body(request.url.path, code, message, details)
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # pydantic's ``ctx`` may hold exception objects and ``input`` echoes whole bodies.
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]


async def _kongflow_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KongflowError)
    return error_response(request, exc.status_code, exc.code, exc.message, exc.details)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    if any(error["type"] == "json_invalid" for error in details):
        return error_response(request, 400, "invalid_json", "The request body is not valid JSON.")
    return error_response(
        request, 422, "validation_failed", "The request does not match the expected shape.", details
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route {request.method} {request.url.path}"
    response = error_response(request, exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal_error", "Internal server error.")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure one of the two shapes."""
    app.add_exception_handler(KongflowError, _kongflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
