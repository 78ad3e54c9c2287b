"""problem+json (RFC 9457) errors: every 4xx says what to fix, and nothing answers a bare 500."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("tradingstack.errors")

# Problem types (RFC 9457 `type`): a client branches on these, not on the status code alone.
# The same problem has the same type and status in every service that passes it on; the table
# (PROBLEM_TYPES) is written out in docs/problems.md and in the OpenAPI's `Problem` schema.
PROBLEM_TYPE_PREFIX = "urn:tradingstack:problem:"
# seconds a client should wait before asking again after an upstream outage
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its stable `type` URI, the one status it answers with everywhere,
    what it means and what a client should do about it."""

    slug: str
    status: int
    title: str
    meaning: str
    action: str
    retry_after: bool = False

    @property
    def uri(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.slug


PROBLEM_TYPES: tuple[ProblemType, ...] = (
    ProblemType(
        "invalid-request",
        422,
        "Invalid request",
        "The request is well-formed but a value is wrong (each field in `errors`, or a rule "
        "such as start before end, a CSV row, an indicator name).",
        "Fix the named values; the same request will fail again.",
    ),
    ProblemType(
        "not-found",
        404,
        "Not found",
        "The named resource (a strategy, document, training job, chat session) does not exist.",
        "List the collection for the ids there are; create it first.",
    ),
    ProblemType(
        "unknown-symbol",
        404,
        "Unknown symbol",
        "The stack has no such symbol.",
        "List the symbols (data `GET /api/v1/symbols`) or add it (`POST /api/v1/symbols`).",
    ),
    ProblemType(
        "no-data",
        404,
        "No data",
        "The symbol exists, but no provider and no import has bars for it in this timeframe.",
        "Import a CSV of bars, set the symbol's `provider_symbols`, or pick another timeframe; "
        "asking again will not help.",
    ),
    ProblemType(
        "no-data-in-range",
        404,
        "No data in range",
        "The symbol has bars in this timeframe, but none between the requested start and end.",
        "Widen the range or ask without start and end (the newest bars).",
    ),
    ProblemType(
        "model-not-trained",
        404,
        "Model not trained",
        "No model is saved for this symbol and timeframe (or none at all).",
        "Train or fit it with the service's POST (the detail says which), then ask again.",
    ),
    ProblemType(
        "model-corrupt",
        409,
        "Model corrupt",
        "A model is saved but cannot be loaded (a damaged or incompatible file). 409, not 503: "
        "waiting does not repair it, and the client can, through the API.",
        "Train it again (which replaces the file) or delete it.",
    ),
    ProblemType(
        "model-being-prepared",
        503,
        "Model being prepared",
        "The model is being trained or fitted in the background; `job` holds that job "
        "(core.jobs.Job) with its progress.",
        "Ask again after Retry-After seconds, or follow the job's progress.",
        retry_after=True,
    ),
    ProblemType(
        "conflict",
        409,
        "Conflict",
        "The request clashes with the resource's state: it exists already, or a job on it runs.",
        "Change the existing one instead (PUT), or wait for the job to end.",
    ),
    ProblemType(
        "embedding-model-mismatch",
        409,
        "Embedding model mismatch",
        "The embedder's vectors do not fit the knowledge base's index (another model built it).",
        "Use the index's embedding model, or start a new knowledge base (TS_RAG_DIR).",
    ),
    ProblemType(
        "too-large",
        413,
        "Content too large",
        "The body (a file, a document, a batch) is over the service's limit, which the detail "
        "names.",
        "Split it or send less.",
    ),
    ProblemType(
        "storage-unavailable",
        503,
        "Storage unavailable",
        "The service's own storage cannot be used (a damaged file, not opened yet).",
        "An operator restores or rebuilds it (rag: `POST /api/v1/index/rebuild` for the index); "
        "retrying alone will not help.",
    ),
    ProblemType(
        "upstream-unavailable",
        503,
        "Upstream unavailable",
        "Another service of the stack, or every market-data provider, is down or unreachable; "
        "`upstream` names it.",
        "Ask again after Retry-After seconds.",
        retry_after=True,
    ),
    ProblemType(
        "upstream-failed",
        502,
        "Upstream failed",
        "Another service answered, but with a failure or an answer that breaks its contract; "
        "`upstream` names it.",
        "Not the request's fault: report it with the detail; a retry may not help.",
    ),
)
_BY_SLUG = {p.slug: p for p in PROBLEM_TYPES}
INVALID_REQUEST = _BY_SLUG["invalid-request"].uri
NOT_FOUND = _BY_SLUG["not-found"].uri
UNKNOWN_SYMBOL = _BY_SLUG["unknown-symbol"].uri
NO_DATA = _BY_SLUG["no-data"].uri
NO_DATA_IN_RANGE = _BY_SLUG["no-data-in-range"].uri
MODEL_NOT_TRAINED = _BY_SLUG["model-not-trained"].uri
MODEL_CORRUPT = _BY_SLUG["model-corrupt"].uri
MODEL_PREPARING = _BY_SLUG["model-being-prepared"].uri
CONFLICT = _BY_SLUG["conflict"].uri
EMBEDDING_MODEL_MISMATCH = _BY_SLUG["embedding-model-mismatch"].uri
TOO_LARGE = _BY_SLUG["too-large"].uri
STORAGE_UNAVAILABLE = _BY_SLUG["storage-unavailable"].uri
UPSTREAM_UNAVAILABLE = _BY_SLUG["upstream-unavailable"].uri
UPSTREAM_FAILED = _BY_SLUG["upstream-failed"].uri


def problem_types_markdown() -> str:
    """The problem types as a Markdown table (docs/problems.md holds it; a test keeps them
    equal)."""
    rows = [
        "| type | status | meaning | what the client should do |",
        "| --- | --- | --- | --- |",
    ]
    for p in PROBLEM_TYPES:
        status = f"{p.status}" + (" + Retry-After" if p.retry_after else "")
        rows.append(f"| `{p.uri}` | {status} | {p.meaning} | {p.action} |")
    return "\n".join(rows) + "\n"


class FieldProblem(BaseModel):
    field: str = Field(description="where, e.g. `query.limit` or `symbol`")
    message: str
    type: str | None = Field(default=None, description="pydantic's error type")


class Problem(BaseModel):
    """The body of every error answer (RFC 9457 problem details, `application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        default="about:blank",
        description="the problem type (a URI): branch on it, not on the status alone. One of "
        "the types in docs/problems.md, or about:blank for a plain HTTP error (401, 403, 405, "
        "no such route, an internal error)",
        examples=[p.uri for p in PROBLEM_TYPES],
    )
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do about it")
    instance: str | None = Field(default=None, description="the path that was requested")
    errors: list[FieldProblem] | None = Field(
        default=None, description="each invalid field (422 only)"
    )


def problems(*answers: int | type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route beyond the kit's own, for FastAPI's `responses=`: status
    codes, or domain errors (documented by their status, title and type).

    The kit documents 422 (validation) on every operation with input, 401 on every mutating
    one and 404 on every one with a path parameter; a route names the rest (409, 503, ...).
    Every error answer is documented as `application/problem+json` with the `Problem` schema.
    """
    said: dict[int, list[str]] = {}
    for answer in answers:
        if isinstance(answer, int):
            said.setdefault(answer, [])
        elif answer.problem is not None:
            kind = answer.problem
            said.setdefault(kind.status, []).append(f"{kind.title} (`{kind.uri}`)")
    return {
        code: {"description": "; ".join(words) or HTTPStatus(code).phrase}
        for code, words in said.items()
    }


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


class DomainError(Exception):
    """A problem of the domain, raised by domain code that knows nothing of HTTP; the kit's one
    handler (`install_error_handlers`) answers it as problem+json with its type's status.

    `detail` says what went wrong for people (no URLs, no methods: what to do is the type's
    `action`, in docs/problems.md); keyword arguments become the problem's extensions (e.g.
    `upstream`, `reasons`, `job`)."""

    problem: ClassVar[ProblemType | None] = None

    def __init__(self, detail: str, *, title: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        kind = self.problem
        self.detail = detail
        self.status: int = kind.status if kind else 500
        self.type: str = kind.uri if kind else "about:blank"
        self.title: str = title or (kind.title if kind else HTTPStatus(self.status).phrase)
        self.headers: dict[str, str] | None = (
            {"Retry-After": str(RETRY_AFTER_SECONDS)} if kind and kind.retry_after else None
        )
        self.extensions: dict[str, Any] = extensions


class InvalidRequest(DomainError):
    problem = _BY_SLUG["invalid-request"]


class NotFound(DomainError):
    problem = _BY_SLUG["not-found"]


class UnknownSymbol(NotFound):
    problem = _BY_SLUG["unknown-symbol"]


class NoData(NotFound):
    problem = _BY_SLUG["no-data"]


class NoDataInRange(NoData):
    """A kind of `NoData`: code that tolerates no data (`except NoData`) tolerates this too."""

    problem = _BY_SLUG["no-data-in-range"]


class ModelNotTrained(NotFound):
    problem = _BY_SLUG["model-not-trained"]


class ModelCorrupt(DomainError):
    problem = _BY_SLUG["model-corrupt"]


class ModelPreparing(DomainError):
    """503 with Retry-After and the `job` (a core.jobs.Job, or its JSON) that prepares the
    model; `retry_after` (seconds) defaults to the job's ETA when it has one."""

    problem = _BY_SLUG["model-being-prepared"]

    def __init__(
        self, detail: str, *, job: Any, retry_after: float | None = None, **extensions: Any
    ) -> None:
        body = job.model_dump(mode="json") if hasattr(job, "model_dump") else job
        super().__init__(detail, job=body, **extensions)
        eta = (body.get("progress") or {}).get("eta_seconds") if isinstance(body, dict) else None
        wait = retry_after if retry_after is not None else eta
        if wait is not None:
            self.headers = {"Retry-After": str(max(1, math.ceil(wait)))}


class Conflict(DomainError):
    problem = _BY_SLUG["conflict"]


class EmbeddingModelMismatch(Conflict):
    problem = _BY_SLUG["embedding-model-mismatch"]


class TooLarge(DomainError):
    problem = _BY_SLUG["too-large"]


class StorageUnavailable(DomainError):
    problem = _BY_SLUG["storage-unavailable"]


class UpstreamUnavailable(DomainError):
    """Another service (or every provider) is down: 503 with Retry-After, so a client waits
    instead of giving up or hammering it. `upstream` names it."""

    problem = _BY_SLUG["upstream-unavailable"]

    def __init__(self, detail: str, upstream: str, **extensions: Any) -> None:
        super().__init__(
            detail, title=f"{upstream.capitalize()} unavailable", upstream=upstream, **extensions
        )


class UpstreamFailed(DomainError):
    """Another service answered a failure or broke its contract: 502. `upstream` names it."""

    problem = _BY_SLUG["upstream-failed"]

    def __init__(self, detail: str, upstream: str, **extensions: Any) -> None:
        super().__init__(detail, upstream=upstream, **extensions)


class ProblemError(DomainError):
    """An ad-hoc problem with its own status (prefer a `DomainError` subclass: it has a type)."""

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
        super().__init__(detail, **extensions)
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.type = type_
        self.headers = headers


def upstream_unavailable(detail: str, upstream: str, **extensions: Any) -> UpstreamUnavailable:
    """Kept for callers not yet converted: `UpstreamUnavailable(detail, upstream)`."""
    return UpstreamUnavailable(detail, upstream, **extensions)


_BY_URI: dict[str, type[DomainError]] = {}


def _register(*classes: type[DomainError]) -> None:
    for cls in classes:
        assert cls.problem is not None
        _BY_URI[cls.problem.uri] = cls


_register(
    InvalidRequest, NotFound, UnknownSymbol, NoData, NoDataInRange, ModelNotTrained, ModelCorrupt,
    Conflict, EmbeddingModelMismatch, TooLarge, StorageUnavailable,
)  # fmt: skip


def passed_on_class(status: int | None, type_: str) -> type[DomainError]:
    """The domain error a client raises for another service's error answer (`status` None: it
    could not be reached), chosen by the problem `type` first: a type of the table travels as
    it is, so the same problem answers the same at every hop. Without a type it passes on:
    404 is `NotFound`, another 4xx `InvalidRequest` (the other service refused the values it
    was given), 503 or unreachable `UpstreamUnavailable`, anything else `UpstreamFailed`."""
    known = _BY_URI.get(type_)
    if status is not None and known is not None:
        return known
    if status == 404:
        return NotFound
    if status is not None and 400 <= status < 500:
        return InvalidRequest
    if status is None or status == 503:
        return UpstreamUnavailable
    return UpstreamFailed


def passed_on(status: int | None, detail: str, type_: str, upstream: str) -> DomainError:
    """Another service's problem as this service's own domain error (`upstream` names it), for
    a client to raise and a route to let through (see `core.http.raise_for_problem`)."""
    cls = passed_on_class(status, type_)
    if issubclass(cls, UpstreamUnavailable | UpstreamFailed):
        return cls(detail, upstream)
    return cls(detail, upstream=upstream)


def error_class(type_: str) -> type[DomainError] | None:
    """The domain error of a problem `type` another service answered, for a client that passes
    the problem on as its own (None for a type with no plain class: upstream-*, preparing, or
    about:blank)."""
    return _BY_URI.get(type_)


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
    """Answer problem+json for domain errors (the one place they become HTTP), HTTP errors,
    validation errors and crashes."""

    @app.exception_handler(DomainError)
    async def _problem(request: Request, exc: DomainError) -> JSONResponse:
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
            title="Invalid request",
            type_=INVALID_REQUEST,
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
