"""problem+json (RFC 9457) errors: every 4xx says what to fix, and nothing answers a bare 500."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("tradingstack.errors")

# Problem types (RFC 9457 `type`): a client branches on these, not on the status code alone.
# The same problem has the same type and status in every service that passes it on.
PROBLEM_TYPE_PREFIX = "urn:tradingstack:problem:"
UNKNOWN_SYMBOL = PROBLEM_TYPE_PREFIX + "unknown-symbol"  # 404
NO_DATA = PROBLEM_TYPE_PREFIX + "no-data"  # 404: the symbol exists, no provider has these bars
MODEL_NOT_TRAINED = PROBLEM_TYPE_PREFIX + "model-not-trained"  # 404: a POST trains or fits it
UPSTREAM_UNAVAILABLE = PROBLEM_TYPE_PREFIX + "upstream-unavailable"  # 503, with Retry-After
UPSTREAM_FAILED = PROBLEM_TYPE_PREFIX + "upstream-failed"  # 502: it answered something wrong
# 503 with Retry-After and a `job` extension (core.jobs.Job): the model is being trained or
# fitted in the background; ask again later instead of waiting on the request
MODEL_PREPARING = PROBLEM_TYPE_PREFIX + "model-being-prepared"
# seconds a client should wait before asking again after an upstream outage
RETRY_AFTER_SECONDS = 30


class FieldProblem(BaseModel):
    field: str = Field(description="where, e.g. `query.limit` or `symbol`")
    message: str
    type: str | None = Field(default=None, description="pydantic's error type")


class Problem(BaseModel):
    """The body of every error answer (RFC 9457 problem details, `application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="the problem type (a URI)")
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do about it")
    instance: str | None = Field(default=None, description="the path that was requested")
    errors: list[FieldProblem] | None = Field(
        default=None, description="each invalid field (422 only)"
    )


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route beyond the kit's own, for FastAPI's `responses=`.

    The kit documents 422 (validation) on every operation with input, 401 on every mutating
    one and 404 on every one with a path parameter; a route names the rest (409, 503, ...).
    Every error answer is documented as `application/problem+json` with the `Problem` schema.
    """
    return {code: {"description": HTTPStatus(code).phrase} for code in codes}


MUTATING_METHODS = frozenset({"post", "put", "patch", "delete"})


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document say what the kit answers on errors: problem+json bodies with
    the `Problem` schema (not FastAPI's JSON `HTTPValidationError`), 422 where there is input,
    401 and 403 (another web origin, no token) where the method changes data, 404 and 400 (the
    gateway refuses control characters and dot segments in a path) where the path has a
    parameter."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    schema["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "the stack's API token (TS_API_TOKEN); needed by every mutating request",
    }
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if method not in MUTATING_METHODS | {"get", "head", "options"}:
                continue
            responses = op.setdefault("responses", {})
            codes = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            if op.get("parameters") or op.get("requestBody"):
                codes.add(422)
            if op.get("requestBody"):
                codes.add(400)  # a body that does not parse (JSON, multipart)
            if method in MUTATING_METHODS:
                codes |= {401, 403}
                op["security"] = [{"bearer": []}]
            if "{" in path:
                codes |= {400, 404}
            for code in sorted(codes):
                described = responses.get(str(code), {}).get("description")
                responses[str(code)] = {
                    "description": described or HTTPStatus(code).phrase,
                    "content": content,
                }
    return schema


class ProblemError(Exception):
    """Raise from a route to answer a problem+json document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = type_
        self.headers = headers
        self.extensions = extensions


def upstream_unavailable(detail: str, upstream: str, **extensions: Any) -> ProblemError:
    """Another service of the stack (or a provider) is down: 503 `upstream-unavailable`, with
    Retry-After, so a client waits instead of giving up or hammering it."""
    return ProblemError(
        503,
        detail,
        title=f"{upstream.capitalize()} unavailable",
        type_=UPSTREAM_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        upstream=upstream,
        **extensions,
    )


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or [str(p) for p in loc]
    return ".".join(parts)


def validation_text(exc: ValidationError | RequestValidationError, limit: int = 5) -> str:
    """A pydantic error on one line: `field.path: message; ...` (the first `limit`)."""
    return "; ".join(f"{_location(e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:limit])


def install_error_handlers(app: FastAPI) -> None:
    """Answer problem+json for our errors, HTTP errors, validation errors and crashes."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            type_=exc.type,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}; see /docs for the API."
        return problem_response(
            exc.status_code,
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _location(e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        summary = validation_text(exc)
        return problem_response(
            422,
            f"Invalid request: {summary}",
            title="Unprocessable Content",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Starlette re-raises after this answer and the server then drops the connection; said
        # here, a client opens a new one instead of sending its next request into the closed one
        return problem_response(
            500,
            "Internal error; the service log has the details.",
            instance=request.url.path,
            headers={"Connection": "close"},
        )
