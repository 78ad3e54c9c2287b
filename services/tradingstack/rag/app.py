"""The RAG service: documents in, cosine-ranked chunks out, over FAISS.

Embeddings come from the embedder service over HTTP (docs/architecture.md, data-flow rule 3).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import Gauge, Histogram
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.errors import (
    Conflict,
    EmbeddingModelMismatch,
    InvalidRequest,
    NotFound,
    StorageUnavailable,
    TooLarge,
    UpstreamFailed,
    UpstreamUnavailable,
    problems,
)
from tradingstack.core.schemas import Instant
from tradingstack.core.settings import load_settings
from tradingstack.rag.chunking import chunk_text, content_hash
from tradingstack.rag.embedder_client import EmbedderClient
from tradingstack.rag.schemas import (
    BatchOut,
    DeleteResult,
    Document,
    DocumentBatch,
    DocumentIn,
    DocumentList,
    DocumentOut,
    IndexStats,
    QueryFilters,
    QueryHit,
    QueryRequest,
    QueryResponse,
)
from tradingstack.rag.settings import RagSettings
from tradingstack.rag.store import CorruptStoreError, Filters, NewDocument, RagStore

docs_router = APIRouter(prefix="/documents", tags=["documents"])
query_router = APIRouter(tags=["query"])


def _store(request: Request) -> RagStore:
    store: RagStore = request.app.state.store
    if store.error:
        raise CorruptStoreError(f"The knowledge base cannot be used: {store.error}")
    return store


# Domain errors (core.errors) answer for themselves through the kit's handler: the embedder
# client's EmbedderUnavailable/EmbedderFailed, the store's CorruptStoreError and
# DimensionMismatchError go through the routes uncaught.
STORE_PROBLEMS = problems(StorageUnavailable)
# What a route that embeds may answer: a store built with another model (409), a document too
# long (413), the embedder failing (502) or down (503), the store unusable (503).
EMBEDDING_PROBLEMS = problems(
    EmbeddingModelMismatch, TooLarge, UpstreamFailed, UpstreamUnavailable, StorageUnavailable
)
# Deeper than any store here holds; an unbounded offset overflowed SQLite's integer (a 500).
MAX_OFFSET = 10**9


def _no_document(doc_id: str) -> NotFound:
    return NotFound(f"No document {doc_id!r}.", title="Unknown document")


def _filters(f: QueryFilters) -> Filters:
    return Filters(
        symbols=f.symbol,
        sources=f.source,
        time_from=f.time_from,
        time_to=f.time_to,
        document_ids=f.document_id,
        metadata=f.metadata or None,
    )


def _check_metadata_keys(store: RagStore, filters: QueryFilters) -> None:
    """A metadata key that no stored document has is a 422 naming the keys there are: a typo
    would otherwise answer an empty list, as if nothing matched."""
    if not filters.metadata:
        return
    known = store.metadata_keys()
    unknown = [k for k in filters.metadata if k not in known]
    if not unknown:
        return
    listed = ", ".join(sorted(known)[:20]) or "none"
    raise RequestValidationError(
        [
            {
                "type": "unknown_filter_key",
                "loc": ("body", "filters", key),
                "msg": f"unknown filter key {key!r}: no stored document has it in its metadata; "
                "filter on symbol, source, time_from, time_to, document_id or a metadata key "
                f"(the documents have: {listed})",
                "input": filters.metadata[key],
            }
            for key in unknown
        ]
    )


async def _prepare(
    request: Request, docs: list[DocumentIn]
) -> tuple[list[NewDocument], np.ndarray, str]:
    """Chunk the documents and embed every new chunk (duplicates are not re-embedded)."""
    s: RagSettings = request.app.state.rag_settings
    store = _store(request)
    prepared: list[NewDocument] = []
    texts: list[str] = []
    seen: set[str] = set()
    for i, d in enumerate(docs):
        if len(d.text) > s.max_document_chars:
            raise TooLarge(
                f"documents[{i}] has {len(d.text)} characters; the limit is "
                f"{s.max_document_chars}: split it.",
            )
        digest = content_hash(d.text)
        dup = digest in seen or (await run_in_threadpool(store.find_hash, digest)) is not None
        seen.add(digest)
        chunks = [] if dup else chunk_text(d.text, s.chunk_size, s.chunk_overlap)
        prepared.append(NewDocument(d.text, digest, d.symbol, d.source, d.time, d.metadata, chunks))
        texts += [c[1] for c in chunks]
    if not texts:
        return prepared, np.zeros((0, store.dimension or 0), dtype=np.float32), store.model or ""
    client: EmbedderClient = request.app.state.embedder
    vecs, model = await client.embed(texts)
    return prepared, vecs, model


async def _add(
    request: Request, docs: list[DocumentIn], replace_id: str | None = None
) -> list[DocumentOut]:
    store = _store(request)
    prepared, vecs, model = await _prepare(request, docs)
    results = await run_in_threadpool(store.add, prepared, vecs, model, replace_id)
    return [DocumentOut(id=i, duplicate=dup, chunks=n) for i, dup, n in results]


@docs_router.post(
    "",
    response_model=DocumentOut,
    status_code=201,
    responses={
        200: {"model": DocumentOut, "description": "a duplicate: the stored document's id"},
        **EMBEDDING_PROBLEMS,
    },
)
async def add_document(request: Request, body: DocumentIn, response: Response) -> DocumentOut:
    """Add one document: chunked with overlap, embedded by the embedder, deduplicated by
    content hash (a duplicate answers 200 with the stored document's id)."""
    out = (await _add(request, [body]))[0]
    if out.duplicate:
        response.status_code = 200
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/api/v1/documents/{out.id}"
    return out


@docs_router.post("/batch", response_model=BatchOut, responses=EMBEDDING_PROBLEMS)
async def add_documents(request: Request, body: DocumentBatch) -> BatchOut:
    """Add many documents in one request."""
    limit = request.app.state.rag_settings.max_batch
    if len(body.documents) > limit:
        raise TooLarge(f"{len(body.documents)} documents; send at most {limit} per batch.")
    results = await _add(request, body.documents)
    dups = sum(r.duplicate for r in results)
    return BatchOut(results=results, added=len(results) - dups, duplicates=dups)


def _query_filters(**query: Any) -> QueryFilters:
    """The filters of a GET or DELETE from its query: invalid (a symbol outside the pattern,
    `time_from` after `time_to`) is the client's 422, as for a body."""
    try:
        return QueryFilters(**query)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


@docs_router.get("", response_model=DocumentList, responses=STORE_PROBLEMS)
async def list_documents(
    request: Request,
    symbol: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    time_from: Instant | None = None,
    time_to: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> DocumentList:
    """Documents (without their text) matching the filters."""
    f = _query_filters(symbol=symbol, source=source, time_from=time_from, time_to=time_to)
    items, total = await run_in_threadpool(
        _store(request).list_documents, _filters(f), limit, offset
    )
    return DocumentList(
        items=[Document(**i) for i in items], total=total, limit=limit, offset=offset
    )


@docs_router.get("/{doc_id}", response_model=Document, responses=STORE_PROBLEMS)
async def get_document(request: Request, doc_id: str) -> Document:
    doc = await run_in_threadpool(_store(request).get, doc_id)
    if doc is None:
        raise _no_document(doc_id)
    return Document(**doc)


@docs_router.put(
    "/{doc_id}", response_model=DocumentOut, responses={**EMBEDDING_PROBLEMS, **problems(Conflict)}
)
async def replace_document(request: Request, doc_id: str, body: DocumentIn) -> DocumentOut:
    """Replace a document's text and metadata (re-chunked and re-embedded, same id)."""
    store = _store(request)
    if await run_in_threadpool(store.get, doc_id) is None:
        raise _no_document(doc_id)
    other = await run_in_threadpool(store.find_hash, content_hash(body.text))
    if other is not None and other != doc_id:
        raise Conflict(
            f"Document {other} already has this content; delete one of them.",
            duplicate_of=other,
        )
    if other == doc_id:  # same text: only metadata changes, still re-chunked for simplicity
        pass
    store_doc = NewDocument(
        body.text,
        content_hash(body.text),
        body.symbol,
        body.source,
        body.time,
        body.metadata,
        chunk_text(
            body.text,
            request.app.state.rag_settings.chunk_size,
            request.app.state.rag_settings.chunk_overlap,
        ),
    )
    client: EmbedderClient = request.app.state.embedder
    vecs, model = await client.embed([c[1] for c in store_doc.chunks])
    res = await run_in_threadpool(store.add, [store_doc], vecs, model, doc_id)
    return DocumentOut(id=res[0][0], duplicate=False, chunks=res[0][2])


@docs_router.delete("/{doc_id}", response_model=DeleteResult, responses=STORE_PROBLEMS)
async def delete_document(request: Request, doc_id: str) -> DeleteResult:
    ids = await run_in_threadpool(_store(request).delete, Filters(document_ids=[doc_id]))
    if not ids:
        raise _no_document(doc_id)
    return DeleteResult(deleted=len(ids), ids=ids)


@docs_router.delete("", response_model=DeleteResult, responses=STORE_PROBLEMS)
async def delete_documents(
    request: Request,
    symbol: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    time_from: Instant | None = None,
    time_to: Instant | None = None,
) -> DeleteResult:
    """Delete every document matching the filters (at least one filter is required)."""
    f = _query_filters(symbol=symbol, source=source, time_from=time_from, time_to=time_to)
    filters = _filters(f)
    if filters.empty():
        raise InvalidRequest(
            "Give at least one filter (symbol, source, time_from, time_to); "
            "deleting everything needs each document's id or a new TS_RAG_DIR.",
        )
    ids = await run_in_threadpool(_store(request).delete, filters)
    return DeleteResult(deleted=len(ids), ids=ids)


@query_router.post("/query", response_model=QueryResponse, responses=EMBEDDING_PROBLEMS)
async def query(request: Request, body: QueryRequest) -> QueryResponse:
    """The k chunks most similar (cosine) to `text` among those that pass the filters.

    Filters: `symbol`, `source` (the document's field or the same metadata key), `time_from`,
    `time_to`, `document_id`, and any metadata key, by equality (`{"sector": "tech"}`) or "in"
    (`{"sector": ["tech", "energy"]}` or `{"sector": {"$in": [...]}}`). A metadata key that
    no stored document has is a 422 (a typo, not an empty answer)."""
    st = request.app.state
    s: RagSettings = st.rag_settings
    if body.k > s.max_k:
        raise InvalidRequest(f"k={body.k} is too large; at most {s.max_k}.")
    store = _store(request)
    await run_in_threadpool(_check_metadata_keys, store, body.filters)
    vecs, model = await st.embedder.embed([body.text])
    t0 = time.perf_counter()
    hits, info = await run_in_threadpool(store.search, vecs[0], body.k, _filters(body.filters))
    st.query_latency.labels(info["index"]).observe(time.perf_counter() - t0)
    rows = await run_in_threadpool(store.chunks, [h[0] for h in hits])
    results = [QueryHit(**rows[cid], score=round(score, 6)) for cid, score in hits if cid in rows]
    return QueryResponse(
        results=results,
        k=body.k,
        matched=info["matched"],
        index=info["index"],
        exact=info["exact"],
        model=store.model or model,
    )


@query_router.get("/index", response_model=IndexStats, responses=STORE_PROBLEMS)
async def index_stats(request: Request) -> IndexStats:
    return IndexStats(**await run_in_threadpool(_store(request).stats))


@query_router.post("/index/rebuild", response_model=IndexStats, responses=STORE_PROBLEMS)
async def rebuild(request: Request) -> IndexStats:
    """Rebuild the FAISS index from the document store (after a corrupt index, or to re-pick
    exact vs. ANN). A corrupt document store cannot be rebuilt: restore it from a backup."""
    store: RagStore = request.app.state.store
    return IndexStats(**await run_in_threadpool(store.rebuild_index))


def create_app(
    settings: RagSettings | None = None, *, embedder: EmbedderClient | None = None
) -> FastAPI:
    cfg = settings or load_settings(RagSettings)
    store = RagStore(
        cfg.dir,
        ann_threshold=cfg.ann_threshold,
        ann_kind=cfg.ann_kind,
        hnsw_m=cfg.hnsw_m,
        hnsw_ef_search=cfg.hnsw_ef_search,
        hnsw_ef_construction=cfg.hnsw_ef_construction,
        ivf_nprobe=cfg.ivf_nprobe,
        exact_filter_limit=cfg.exact_filter_limit,
        gpu=cfg.gpu,
        search_threads=cfg.search_threads,
    )
    if cfg.chunk_overlap >= cfg.chunk_size:
        raise ValueError("TS_RAG_CHUNK_OVERLAP must be smaller than TS_RAG_CHUNK_SIZE")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = embedder is None
        app.state.embedder = embedder or EmbedderClient(
            cfg.embedder_url, timeout=cfg.embedder_timeout_seconds, batch=cfg.embed_batch
        )
        try:
            await run_in_threadpool(store.open)
        except CorruptStoreError:
            pass  # store.error says what is wrong: /health and every route report it
        try:
            yield
        finally:
            await run_in_threadpool(store.close)
            if own:
                await app.state.embedder.aclose()

    async def health_check() -> tuple[Any, dict[str, Any]]:
        if store.error:
            return "unhealthy", {"error": store.error}
        if store._db is None:
            return "unhealthy", {"error": "the knowledge base is not open yet"}
        details = await run_in_threadpool(store.stats)
        if store.repaired:
            details["repaired"] = store.repaired
        return "healthy", details

    app = create_service_app(
        "rag", routers=[docs_router, query_router], lifespan=lifespan, health_check=health_check
    )
    app.state.rag_settings = cfg
    app.state.store = store
    reg = registry_of(app)
    app.state.query_latency = Histogram(
        "tradingstack_rag_query_latency_seconds",
        "FAISS search time per query, by index kind.",
        ["index"],
        registry=reg,
    )
    vectors = Gauge("tradingstack_rag_vectors", "Vectors in the FAISS index.", registry=reg)
    vectors.set_function(lambda: float(store.index.ntotal) if store.index is not None else 0.0)
    return app
