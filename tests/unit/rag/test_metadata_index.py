"""The metadata index (doc_meta) behind the metadata filters: kept with every write, and
filled once for a store written before it existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from tradingstack.rag.chunking import content_hash
from tradingstack.rag.store import Filters, NewDocument, RagStore


def _doc(text: str, metadata: dict[str, object], symbol: str | None = None) -> NewDocument:
    return NewDocument(text, content_hash(text), symbol, None, None, metadata, [(0, text)])


def _ids(store: RagStore, filters: Filters) -> list[str]:
    return [d["metadata"].get("n") for d in store.list_documents(filters, 100, 0)[0]]


def test_the_metadata_index_follows_writes_and_is_filled_for_old_stores(tmp_path: Path) -> None:
    store = RagStore(tmp_path / "rag")
    store.open()
    docs = [
        _doc("a", {"n": "a", "symbol": "eurusd", "tags": ["x", 1, True, None, {"deep": 1}]}),
        _doc("b", {"n": "b", "sector": "fx"}, symbol="GBPUSD"),
        _doc("c", {"n": "c", "nested": {"k": 1}, "big": 10**30}),
    ]
    store.add(docs, np.eye(3, 4, dtype=np.float32), "m")
    assert _ids(store, Filters(symbols=["EURUSD"])) == ["a"]  # metadata symbol, any case
    assert _ids(store, Filters(symbols=["GBPUSD", "EURUSD"])) == ["a", "b"]
    for value in ("x", 1, True, None):
        assert _ids(store, Filters(metadata={"tags": [value]})) == ["a"], value
    assert _ids(store, Filters(metadata={"tags": [False, "1"]})) == []
    # integers past SQLite's 64 bits (they were an OverflowError: a 500 on add and on query)
    assert _ids(store, Filters(metadata={"big": [10**30]})) == ["c"]
    assert _ids(store, Filters(metadata={"big": [10**30 + 1, "1" + "0" * 30]})) == []
    assert _ids(store, Filters(metadata={"tags": [2**70]})) == []
    assert {"n", "symbol", "tags", "sector", "nested", "big"} == store.metadata_keys()
    # a replaced document's old metadata is gone, a deleted one's too
    b_id = store.list_documents(Filters(symbols=["GBPUSD"]), 1, 0)[0][0]["id"]
    store.add(
        [_doc("b2", {"n": "b", "sector": "rates"})], np.eye(1, 4, dtype=np.float32), "m", b_id
    )
    assert _ids(store, Filters(metadata={"sector": ["fx"]})) == []
    assert _ids(store, Filters(metadata={"sector": ["rates"]})) == ["b"]
    store.delete(Filters(metadata={"sector": ["rates"]}))
    assert "sector" not in store.metadata_keys()
    store.close()
    # a store from before the index: no doc_meta rows, no flag
    db = sqlite3.connect(tmp_path / "rag" / "rag.db")
    db.execute("DELETE FROM doc_meta")
    db.execute("DELETE FROM meta WHERE key='doc_meta'")
    db.commit()
    db.close()
    again = RagStore(tmp_path / "rag")
    again.open()
    assert _ids(again, Filters(symbols=["EURUSD"])) == ["a"]
    assert again.metadata_keys() == {"n", "symbol", "tags", "nested", "big"}
    again.close()
