"""The knowledge base on disk: documents, chunks and vectors in SQLite, the FAISS index beside.

Layout under TS_RAG_DIR: `rag.db` (SQLite: documents with metadata, chunks with their vectors,
the source of truth) and `index.faiss` (written with faiss.write_index to a temporary file,
then os.replace). No pickle anywhere. A file that cannot be read is reported (CorruptStoreError),
never reset; `rebuild_index()` rebuilds the index from the SQLite store on request.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from tradingstack.core.errors import EmbeddingModelMismatch, StorageUnavailable
from tradingstack.core.schemas import to_utc
from tradingstack.rag import index as fx

log = logging.getLogger("tradingstack.rag")
faiss: Any = _faiss

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    symbol TEXT,
    source TEXT,
    time TEXT,
    time_ts REAL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_symbol ON documents(symbol);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_time ON documents(time_ts);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
-- The metadata's scalars, one row per (document, key, value; a list's items one row each):
-- what metadata filters search, by index. `type` is JSON's: text, integer, real, true, false,
-- null, or object/array for a value no filter matches (the key is still known).
CREATE TABLE IF NOT EXISTS doc_meta (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    value
);
CREATE INDEX IF NOT EXISTS doc_meta_key_value ON doc_meta(key, value);
CREATE INDEX IF NOT EXISTS doc_meta_doc ON doc_meta(doc_id);
"""


class CorruptStoreError(StorageUnavailable):
    """A file of the knowledge base cannot be read; the message says which and what to do."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, title="Knowledge base unavailable")


class DimensionMismatchError(EmbeddingModelMismatch):
    """The embedder's vectors do not fit the index (another model built it)."""


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _json_type(value: Any) -> tuple[str, Any]:
    if value is True or value is False:
        return ("true" if value else "false"), None
    if value is None:
        return "null", None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:  # SQLite's integers are 64-bit
            return "bigint", str(value)
        return "integer", value
    if isinstance(value, float):
        return "real", value
    if isinstance(value, str):
        return "text", value
    return ("array" if isinstance(value, list) else "object"), None


def meta_rows(doc_id: str, metadata: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """The doc_meta rows of a document: each key's scalar, or each scalar item of its list."""
    rows = []
    for key, value in metadata.items():
        items = value if isinstance(value, list) else [value]
        kinds = [_json_type(v) for v in items]
        scalars = [(t, v) for t, v in kinds if t not in ("array", "object")]
        for t, v in scalars or [_json_type(value)]:
            rows.append((doc_id, str(key), t, v))
    return rows


def _match(values: list[Any], *, upper: bool = False) -> tuple[str, list[Any]]:
    """SQL that a doc_meta row `m` equals one of `values`, type for type (the string "1" is
    not the number 1, true is not 1)."""
    strs = [v for v in values if isinstance(v, str)]
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    big = [str(v) for v in nums if isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX]
    nums = [v for v in nums if not (isinstance(v, int) and str(v) in big)]
    parts: list[str] = []
    args: list[Any] = []
    if big:
        parts.append(f"(m.type = 'bigint' AND m.value IN ({','.join('?' * len(big))}))")
        args += big
    if strs:
        col = "UPPER(m.value)" if upper else "m.value"
        parts.append(f"(m.type = 'text' AND {col} IN ({','.join('?' * len(strs))}))")
        args += [v.upper() for v in strs] if upper else strs
    if nums:
        parts.append(
            f"(m.type IN ('integer', 'real') AND m.value IN ({','.join('?' * len(nums))}))"
        )
        args += nums
    for flag, kind in ((True, "true"), (False, "false")):
        if any(v is flag for v in values):
            parts.append(f"m.type = '{kind}'")
    if any(v is None for v in values):
        parts.append("m.type = 'null'")
    return "(" + (" OR ".join(parts) or "0") + ")", args


def metadata_sql(key: str, values: list[Any], *, upper: bool = False) -> tuple[str, list[Any]]:
    """SQL that document `d`'s metadata has `key` with one of `values` (or, when its value is
    a list, an item equal to one of them), through the doc_meta index."""
    match, args = _match(values, upper=upper)
    sql = f"d.id IN (SELECT m.doc_id FROM doc_meta m WHERE m.key = ? AND {match})"
    return sql, [key, *args]


@dataclass
class Filters:
    symbols: list[str] | None = None
    sources: list[str] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    document_ids: list[str] | None = None
    # metadata key -> the values it may have (equality with one, "in" with several)
    metadata: dict[str, list[Any]] | None = None

    def empty(self) -> bool:
        return not (
            self.symbols
            or self.sources
            or self.time_from
            or self.time_to
            or self.document_ids
            or self.metadata
        )

    def sql(self) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        # symbol and source: the document's field, or the same key of its metadata
        for col, values, upper in (
            ("symbol", self.symbols, True),
            ("source", self.sources, False),
        ):
            if values:
                meta, meta_args = metadata_sql(col, values, upper=upper)
                where.append(f"(d.{col} IN ({','.join('?' * len(values))}) OR {meta})")
                args += [*values, *meta_args]
        if self.document_ids:
            where.append(f"d.id IN ({','.join('?' * len(self.document_ids))})")
            args.extend(self.document_ids)
        for key, values in (self.metadata or {}).items():
            meta, meta_args = metadata_sql(key, values)
            where.append(meta)
            args += meta_args
        if self.time_from:
            where.append("d.time_ts >= ?")
            args.append(_ts(self.time_from))
        if self.time_to:
            where.append("d.time_ts <= ?")
            args.append(_ts(self.time_to))
        return (" AND ".join(where) or "1=1"), args


def _ts(t: datetime) -> float:
    return to_utc(t).timestamp()


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class NewDocument:
    text: str
    content_hash: str
    symbol: str | None
    source: str | None
    time: datetime | None
    metadata: dict[str, Any]
    chunks: list[tuple[int, str]]


class RagStore:
    """Documents + chunks (SQLite) and one FAISS index whose ids are chunk ids."""

    def __init__(
        self,
        directory: Path,
        *,
        ann_threshold: int = 50_000,
        ann_kind: str = "ivf",
        hnsw_m: int = 32,
        hnsw_ef_search: int = 128,
        hnsw_ef_construction: int = 80,
        ivf_nprobe: int = 32,
        exact_filter_limit: int = 200_000,
        gpu: bool = True,
        search_threads: int = 1,
    ) -> None:
        self.search_threads = search_threads
        self.dir = Path(directory)
        self.db_path = self.dir / "rag.db"
        self.index_path = self.dir / "index.faiss"
        self.ann_threshold = ann_threshold
        self.ann_kind = ann_kind
        self.hnsw_m = hnsw_m
        self.hnsw_ef_search = hnsw_ef_search
        self.hnsw_ef_construction = hnsw_ef_construction
        self.ivf_nprobe = ivf_nprobe
        self.exact_filter_limit = exact_filter_limit
        self.faiss_gpus = fx.gpu_count()
        self.faiss_build = fx.faiss_build()
        if "," in self.faiss_build:
            log.warning(
                "rag: several faiss wheels are installed (%s): their files overwrite each "
                "other; keep one (see the rag README)",
                self.faiss_build,
            )
        # the device is chosen here, at run time: the GPU when faiss has GPUs and sees one
        self.use_gpu = gpu and self.faiss_gpus > 0
        self.gpu_error: str | None = None
        self._meta_keys: set[str] | None = None
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self.index: Any = None
        self._gpu_index: Any = None
        self.dimension: int | None = None
        self.model: str | None = None
        self.error: str | None = None
        self.repaired: str | None = None
        self._trained_at = 0

    # --- opening and persistence -----------------------------------------------------------
    def open(self) -> None:
        """Open (or create) the store; a corrupt file sets `error` and raises CorruptStoreError."""
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            try:
                db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA foreign_keys=ON")
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
                check = db.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(check)
            except sqlite3.DatabaseError as exc:
                self._fail(
                    f"the document store {self.db_path} is corrupt ({exc}); restore it from "
                    "a backup or move it away to start an empty knowledge base"
                )
            self._db = db
            self._meta_keys = None
            self._index_metadata(db)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            self.dimension = int(meta["dimension"]) if "dimension" in meta else None
            self.model = meta.get("model")
            count = self.chunk_count()
            if self.index_path.exists():
                try:
                    self.index = faiss.read_index(str(self.index_path))
                except Exception as exc:
                    self._fail(
                        f"the FAISS index {self.index_path} is corrupt ({exc}); the documents "
                        "are safe in rag.db: rebuilding the index restores it from them"
                    )
                if self.dimension is not None and self.index.d != self.dimension:
                    self._fail(
                        f"the FAISS index {self.index_path} has dimension {self.index.d} but "
                        f"the documents have {self.dimension}; rebuild the index"
                    )
                if self.index.ntotal != count:
                    # a crash between the SQLite commit and the index write: the documents
                    # are the source of truth, so the index is rebuilt from them (logged).
                    self.repaired = (
                        f"index had {self.index.ntotal} vectors, the store {count}: "
                        "rebuilt from the store"
                    )
                    log.warning("rag: %s", self.repaired)
                    self._rebuild_locked()
            elif count:
                self.repaired = f"index file missing with {count} chunks stored: rebuilt"
                log.warning("rag: %s", self.repaired)
                self._rebuild_locked()
            self._trained_at = self.index.ntotal if self.index is not None else 0
            self.error = None

    @staticmethod
    def _index_metadata(db: sqlite3.Connection) -> None:
        """Fill doc_meta once for a store written before it existed."""
        if db.execute("SELECT 1 FROM meta WHERE key='doc_meta'").fetchone():
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM doc_meta")
            for doc_id, metadata in db.execute("SELECT id, metadata FROM documents").fetchall():
                db.executemany(
                    "INSERT INTO doc_meta VALUES (?,?,?,?)", meta_rows(doc_id, json.loads(metadata))
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('doc_meta', '1')")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _fail(self, message: str) -> None:
        self.error = message
        raise CorruptStoreError(message)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self.error:
            raise CorruptStoreError(self.error)
        if self._db is None:
            raise CorruptStoreError("the knowledge base is not open")
        return self._db

    def _save_index(self) -> None:
        self._gpu_index = None
        if self.index is None:
            if self.index_path.exists():
                self.index_path.unlink()
            return
        fx.write_atomic(self.index, self.index_path)

    # --- index maintenance ------------------------------------------------------------------
    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        dim = self.dimension or 0
        vecs = (
            np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(-1, dim)
            if rows
            else np.zeros((0, dim), dtype=np.float32)
        )
        return vecs, ids

    def _rebuild_locked(self) -> None:
        if self.dimension is None:
            self.index = None
            self._save_index()
            return
        vecs, ids = self._all_vectors()
        if len(ids) > self.ann_threshold:
            self.index = fx.build_ann(
                self.ann_kind,
                vecs,
                ids,
                hnsw_m=self.hnsw_m,
                ef_construction=self.hnsw_ef_construction,
                gpu=self.use_gpu,
            )
        else:
            self.index = fx.build_flat_with(vecs, ids)
        self._trained_at = len(ids)
        self._save_index()

    def rebuild_index(self) -> dict[str, Any]:
        """Rebuild the FAISS index from the document store (also clears a corrupt index)."""
        with self._lock:
            if self._db is None:
                self.error = None
                try:
                    self.open()
                    return self.stats()
                except CorruptStoreError:
                    if not self.index_path.exists() or self._db is None:
                        raise
                    # the index is what is broken: rebuild it from the store
            self.error = None
            self._rebuild_locked()
            self.repaired = None
            return self.stats()

    def _after_growth(self) -> None:
        n = self.index.ntotal
        kind = fx.kind_of(self.index)
        if (kind == "flat" and n > self.ann_threshold) or (
            kind == "ivf" and n > 4 * max(self._trained_at, 1)
        ):
            log.info("rag: %d vectors: building a %s index", n, self.ann_kind)
            self._rebuild_locked()

    # --- documents ---------------------------------------------------------------------------
    def find_hash(self, digest: str) -> str | None:
        row = self.db.execute("SELECT id FROM documents WHERE content_hash=?", (digest,)).fetchone()
        return str(row[0]) if row else None

    def check_dimension(self, dim: int, model: str) -> None:
        if self.dimension is not None and dim != self.dimension:
            raise DimensionMismatchError(
                f"the knowledge base holds {self.dimension}-d vectors (model {self.model}) but the "
                f"embedder now answers {dim}-d (model {model}); configure the embedder with the "
                "original model or start a new TS_RAG_DIR"
            )

    def add(
        self,
        docs: Sequence[NewDocument],
        vectors: np.ndarray,
        model: str,
        replace_id: str | None = None,
    ) -> list[tuple[str, bool, int]]:
        """Add documents (their chunks' vectors in order); (id, duplicate, chunks) per doc.
        With `replace_id`, the one document replaces that one (same id)."""
        with self._lock:
            db = self.db
            dim = int(vectors.shape[1]) if len(vectors) else (self.dimension or 0)
            if len(vectors):
                self.check_dimension(dim, model)
            out: list[tuple[str, bool, int]] = []
            new_ids: list[int] = []
            new_vecs: list[np.ndarray] = []
            removed: list[int] = []
            pos = 0
            db.execute("BEGIN IMMEDIATE")
            try:
                if self.dimension is None and len(vectors):
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('dimension', ?)", (str(dim),))
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (model,))
                for doc in docs:
                    n = len(doc.chunks)
                    doc_vecs = vectors[pos : pos + n]
                    pos += n
                    existing = self.find_hash_in(db, doc.content_hash)
                    if existing is not None and existing != replace_id:
                        out.append((existing, True, 0))
                        continue
                    now = _now()
                    fields = (
                        doc.text,
                        doc.content_hash,
                        doc.symbol,
                        doc.source,
                        to_utc(doc.time).isoformat() if doc.time else None,
                        _ts(doc.time) if doc.time else None,
                        json.dumps(doc.metadata),
                    )
                    if replace_id is not None:
                        removed += [
                            r[0]
                            for r in db.execute(
                                "SELECT id FROM chunks WHERE doc_id=?", (replace_id,)
                            )
                        ]
                        db.execute("DELETE FROM chunks WHERE doc_id=?", (replace_id,))
                        db.execute("DELETE FROM doc_meta WHERE doc_id=?", (replace_id,))
                        db.execute(
                            "UPDATE documents SET text=?, content_hash=?, symbol=?, source=?, "
                            "time=?, time_ts=?, metadata=?, updated_at=? WHERE id=?",
                            (*fields, now, replace_id),
                        )
                        doc_id = replace_id
                    else:
                        doc_id = uuid.uuid4().hex
                        db.execute(
                            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (doc_id, fields[1], fields[0], *fields[2:], now, now),
                        )
                    db.executemany(
                        "INSERT INTO doc_meta VALUES (?,?,?,?)", meta_rows(doc_id, doc.metadata)
                    )
                    for seq, ((start, text), vec) in enumerate(
                        zip(doc.chunks, doc_vecs, strict=True)
                    ):
                        cur = db.execute(
                            "INSERT INTO chunks (doc_id, seq, start, text, vector) "
                            "VALUES (?,?,?,?,?)",
                            (doc_id, seq, start, text, np.asarray(vec, np.float32).tobytes()),
                        )
                        new_ids.append(int(cur.lastrowid or 0))
                        new_vecs.append(vec)
                    out.append((doc_id, False, n))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if self.dimension is None and len(vectors):
                self.dimension, self.model = dim, model
            if any(doc.metadata for doc in docs) or replace_id is not None:
                self._meta_keys = None
            self._apply(removed, new_ids, new_vecs)
            return out

    @staticmethod
    def find_hash_in(db: sqlite3.Connection, digest: str) -> str | None:
        row = db.execute("SELECT id FROM documents WHERE content_hash=?", (digest,)).fetchone()
        return str(row[0]) if row else None

    def _apply(self, removed: list[int], new_ids: list[int], new_vecs: list[np.ndarray]) -> None:
        if self.dimension is None:
            return
        if self.index is None:
            self.index = fx.build_flat(self.dimension)
        if removed and fx.kind_of(self.index) == "hnsw":
            # HNSW cannot remove: rebuild from the store, which already holds the new chunks
            self._rebuild_locked()
            return
        if removed:
            self._remove(removed)
        if new_ids:
            self.index.add_with_ids(
                np.ascontiguousarray(np.stack(new_vecs), dtype=np.float32),
                np.array(new_ids, dtype=np.int64),
            )
            self._after_growth()
        self._save_index()

    def _remove(self, ids: list[int]) -> None:
        if fx.kind_of(self.index) == "hnsw":  # HNSW cannot remove: rebuild from the store
            self._rebuild_locked()
        else:
            self.index.remove_ids(np.array(ids, dtype=np.int64))

    def delete(self, filters: Filters) -> list[str]:
        """Delete the documents matching `filters`; their ids."""
        with self._lock:
            db = self.db
            where, args = filters.sql()
            db.execute("BEGIN IMMEDIATE")
            try:
                doc_ids = [
                    r[0] for r in db.execute(f"SELECT d.id FROM documents d WHERE {where}", args)
                ]
                chunk_ids: list[int] = []
                for i in range(0, len(doc_ids), 500):
                    part = doc_ids[i : i + 500]
                    marks = ",".join("?" * len(part))
                    chunk_ids += [
                        r[0]
                        for r in db.execute(
                            f"SELECT id FROM chunks WHERE doc_id IN ({marks})", part
                        )
                    ]
                    db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
                    db.execute(f"DELETE FROM doc_meta WHERE doc_id IN ({marks})", part)
                    db.execute(f"DELETE FROM documents WHERE id IN ({marks})", part)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if doc_ids:
                self._meta_keys = None
            if chunk_ids and self.index is not None:
                self._remove(chunk_ids)
                self._save_index()
            return doc_ids

    def get(self, doc_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id=d.id) FROM documents d "
            "WHERE d.id=?",
            (doc_id,),
        ).fetchone()
        return _doc(row, with_text=True) if row else None

    def list_documents(
        self, filters: Filters, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        where, args = filters.sql()
        total = self.db.execute(f"SELECT COUNT(*) FROM documents d WHERE {where}", args).fetchone()[
            0
        ]
        rows = self.db.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id=d.id) FROM documents d "
            f"WHERE {where} ORDER BY d.created_at, d.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [_doc(r, with_text=False) for r in rows], int(total)

    def metadata_keys(self) -> set[str]:
        """Every key of every stored document's metadata (cached until a write)."""
        with self._lock:
            if self._meta_keys is None:
                self._meta_keys = {
                    str(r[0]) for r in self.db.execute("SELECT DISTINCT key FROM doc_meta")
                }
            return set(self._meta_keys)

    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def document_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    # --- search --------------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, filters: Filters
    ) -> tuple[list[tuple[int, float]], dict[str, Any]]:
        """Top-k (chunk id, cosine) with the filters applied before ranking: when at least k
        chunks match, k come back."""
        with self._lock:
            if not self.search_threads:
                return self._search(query, k, filters)
            threads = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(self.search_threads)
            try:
                return self._search(query, k, filters)
            finally:
                faiss.omp_set_num_threads(threads)

    def _search(
        self, query: np.ndarray, k: int, filters: Filters
    ) -> tuple[list[tuple[int, float]], dict[str, Any]]:
        """Top-k (chunk id, cosine) with the filters applied before ranking: when at least k
        chunks match, k come back."""
        with self._lock:
            info: dict[str, Any] = {"index": fx.kind_of(self.index) if self.index else "empty"}
            if self.index is None or self.index.ntotal == 0:
                return [], {**info, "matched": 0, "exact": True}
            q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
            if q.shape[1] != self.index.d:
                raise DimensionMismatchError(
                    f"the query vector has {q.shape[1]} dimensions, the index {self.index.d}: "
                    "the embedder's model differs from the index's"
                )
            kind = fx.kind_of(self.index)
            if filters.empty():
                k = min(k, self.index.ntotal)
                hits = self._search_index(q, k, None)
                if len(hits) < k and kind != "flat":  # ANN came short: exact over everything
                    vecs, ids = self._all_vectors()
                    hits = _exact(q, vecs, ids, k)
                    info["fallback"] = "exact"
                return hits, {**info, "matched": self.index.ntotal, "exact": kind == "flat"}
            where, args = filters.sql()
            ids = np.array(
                [
                    r[0]
                    for r in self.db.execute(
                        "SELECT c.id FROM chunks c JOIN documents d ON d.id=c.doc_id "
                        f"WHERE {where}",
                        args,
                    )
                ],
                dtype=np.int64,
            )
            info["matched"] = len(ids)
            if len(ids) == 0:
                return [], {**info, "exact": True}
            k = min(k, len(ids))
            if kind == "flat":  # exact search restricted to the matching ids
                return self._search_index(q, k, ids), {**info, "exact": True}
            if len(ids) <= self.exact_filter_limit:
                vecs = self._vectors_of(ids)
                return _exact(q, vecs, ids, k), {**info, "exact": True, "strategy": "subset"}
            hits = self._search_index(q, k, ids)
            if len(hits) < k:
                hits = _exact(q, self._vectors_of(ids), ids, k)
                info["fallback"] = "exact"
            return hits, {**info, "exact": False}

    def _search_index(
        self, q: np.ndarray, k: int, ids: np.ndarray | None
    ) -> list[tuple[int, float]]:
        params = fx.search_params(
            self.index, k=k, nprobe=self.ivf_nprobe, ef_search=self.hnsw_ef_search, ids=ids
        )
        index = self.index
        if ids is None and self.use_gpu and fx.kind_of(index) != "hnsw":
            if self._gpu_index is None:
                try:
                    self._gpu_index = fx.to_gpu(index, nprobe=self.ivf_nprobe)
                except Exception as exc:  # out of GPU memory, an index faiss cannot copy
                    self.use_gpu = False
                    self.gpu_error = f"{type(exc).__name__}: {exc}"
                    log.error("rag: the index cannot go to the GPU (%s): searching on the CPU", exc)
            if self._gpu_index is not None:
                index, params = self._gpu_index, None
        scores, found = (
            index.search(q, k, params=params) if params is not None else index.search(q, k)
        )
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if i != -1]

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        out = np.empty((len(ids), self.dimension or 0), dtype=np.float32)
        pos = {int(i): n for n, i in enumerate(ids)}
        id_list = [int(i) for i in ids]
        for s in range(0, len(id_list), 900):
            part = id_list[s : s + 900]
            for cid, blob in self.db.execute(
                f"SELECT id, vector FROM chunks WHERE id IN ({','.join('?' * len(part))})", part
            ):
                out[pos[cid]] = np.frombuffer(blob, dtype=np.float32)
        return out

    def chunks(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.db.execute(
            "SELECT c.id, c.doc_id, c.seq, c.text, d.symbol, d.source, d.time, d.metadata "
            "FROM chunks c JOIN documents d ON d.id=c.doc_id "
            f"WHERE c.id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        return {
            r[0]: {
                "chunk_id": r[0],
                "document_id": r[1],
                "chunk": r[2],
                "text": r[3],
                "symbol": r[4],
                "source": r[5],
                "time": r[6],
                "metadata": json.loads(r[7]),
            }
            for r in rows
        }

    def stats(self) -> dict[str, Any]:
        return {
            "documents": self.document_count(),
            "chunks": self.chunk_count(),
            "vectors": int(self.index.ntotal) if self.index is not None else 0,
            "index": fx.kind_of(self.index) if self.index is not None else "empty",
            "dimension": self.dimension,
            "model": self.model,
            "ann_threshold": self.ann_threshold,
            "ann_kind": self.ann_kind,
            "gpu": self.use_gpu,
            "device": "gpu" if self.use_gpu else "cpu",
            "faiss_gpus": self.faiss_gpus,
            "faiss_build": self.faiss_build,
            **({"gpu_error": self.gpu_error} if self.gpu_error else {}),
        }


def _exact(q: np.ndarray, vecs: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[int, float]]:
    scores = vecs @ q[0]
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(ids[i]), float(scores[i])) for i in top]


def _doc(row: sqlite3.Row | tuple[Any, ...], *, with_text: bool) -> dict[str, Any]:
    out = {
        "id": row[0],
        "content_hash": row[1],
        "symbol": row[3],
        "source": row[4],
        "time": row[5],
        "metadata": json.loads(row[7]),
        "created_at": row[8],
        "updated_at": row[9],
        "chunks": row[10],
        "chars": len(row[2]),
    }
    if with_text:
        out["text"] = row[2]
    return out
