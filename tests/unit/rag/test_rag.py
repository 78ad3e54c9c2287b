"""The RAG service over FAISS, with the real embedder service (MiniLM) over HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tradingstack.rag.app import create_app
from tradingstack.rag.chunking import chunk_text, content_hash
from tradingstack.rag.settings import RagSettings

from tests.unit.embedder.helpers import serve_embedder
from tests.unit.servers import free_port, serve_app

DOCS = [
    (
        "NVDA",
        "news",
        "2024-05-22T20:00:00Z",
        "Nvidia reported record data-center revenue as demand for its AI GPUs surged.",
    ),
    (
        "NVDA",
        "filing",
        "2024-02-21T12:00:00Z",
        "Nvidia's annual report lists supply constraints in advanced chip packaging as a risk.",
    ),
    (
        "MSFT",
        "news",
        "2024-04-25T20:00:00Z",
        "Microsoft Azure cloud revenue grew 31 percent, helped by AI services.",
    ),
    (
        "MSFT",
        "news",
        "2024-01-30T20:00:00Z",
        "Microsoft's gaming division grew after the Activision Blizzard acquisition closed.",
    ),
    (
        "MSFT",
        "filing",
        "2023-07-27T12:00:00Z",
        "Microsoft expects capital expenditure on data centers to keep rising.",
    ),
    (
        "BTCUSD",
        "news",
        "2024-01-23T08:00:00Z",
        "Bitcoin fell below 40,000 dollars as spot ETF outflows weighed on crypto prices.",
    ),
    (
        "BTCUSD",
        "note",
        "2021-11-10T08:00:00Z",
        "Bitcoin reached an all-time high near 69,000 dollars in November 2021.",
    ),
]


def _doc(symbol: str, source: str, time: str, text: str) -> dict[str, object]:
    return {
        "symbol": symbol,
        "source": source,
        "time": time,
        "text": text,
        "metadata": {"lang": "en"},
    }


@pytest.fixture(scope="module")
def embedder_url() -> Iterator[str]:
    with serve_embedder() as url:
        yield url


@contextmanager
def rag(directory: Path, embedder_url: str, **kw: object) -> Iterator[httpx.Client]:
    settings = RagSettings(dir=directory, embedder_url=embedder_url, **kw)  # type: ignore[arg-type]
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def _load(c: httpx.Client) -> dict[str, str]:
    r = c.post("/api/v1/documents/batch", json={"documents": [_doc(*d) for d in DOCS]})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == len(DOCS)
    return {d[3]: res["id"] for d, res in zip(DOCS, r.json()["results"], strict=True)}


def _query(c: httpx.Client, text: str, k: int = 3, **filters: object) -> dict[str, object]:
    r = c.post("/api/v1/query", json={"text": text, "k": k, "filters": filters})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_chunking_overlaps_on_word_boundaries() -> None:
    text = " ".join(f"word{i}" for i in range(400))
    chunks = chunk_text(text, 200, 50)
    assert len(chunks) > 10
    for (s1, c1), (s2, _c2) in itertools.pairwise(chunks):
        assert len(c1) <= 200 and s1 < s2 < s1 + len(c1)  # each starts inside the previous one
        assert text[s2 - 1] == " "  # cut at a word boundary
    assert chunks[-1][1].endswith("word399")
    assert content_hash("a  b\nc") == content_hash("a b c")


def test_add_get_list_dedupe(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url, chunk_size=200, chunk_overlap=40) as c:
        first = c.post("/api/v1/documents", json=_doc(*DOCS[0]))
        assert first.status_code == 201, first.text
        doc_id = first.json()["id"]
        assert first.headers["location"].endswith(f"/api/v1/documents/{doc_id}")
        # the same content, whitespace aside, is a duplicate: 200 and the stored id
        again = c.post("/api/v1/documents", json={"text": "  " + DOCS[0][3].replace(" ", "  ")})
        assert again.status_code == 200 and again.json() == {
            "id": doc_id,
            "duplicate": True,
            "chunks": 0,
        }
        long_text = " ".join(f"Sentence {i} about Nvidia's quarterly results." for i in range(60))
        long = c.post("/api/v1/documents", json={"text": long_text, "symbol": "nvda"}).json()
        assert long["chunks"] > 5
        got = c.get(f"/api/v1/documents/{doc_id}").json()
        assert got["text"] == DOCS[0][3] and got["symbol"] == "NVDA" and got["source"] == "news"
        assert got["metadata"] == {"lang": "en"} and got["time"].startswith("2024-05-22T20:00:00")
        listed = c.get("/api/v1/documents", params={"symbol": "NVDA"}).json()
        assert listed["total"] == 2 and all(
            "text" not in i or i["text"] is None for i in listed["items"]
        )
        stats = c.get("/api/v1/index").json()
        assert stats["documents"] == 2 and stats["vectors"] == stats["chunks"] == 1 + long["chunks"]
        assert stats["dimension"] == 384 and stats["index"] == "flat"


def test_query_ranks_and_filters_keep_k(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        ids = _load(c)
        top = _query(c, "demand for AI graphics chips", k=2)
        assert top["results"][0]["document_id"] == ids[DOCS[0][3]] and top["exact"] is True
        # the NVDA documents rank first overall, yet a MSFT filter still yields k=3 MSFT hits
        msft = _query(c, "demand for AI graphics chips", k=3, symbol="MSFT")
        assert len(msft["results"]) == 3 and msft["matched"] == 3
        assert {r["symbol"] for r in msft["results"]} == {"MSFT"}
        scores = [r["score"] for r in msft["results"]]
        assert scores == sorted(scores, reverse=True)
        news = _query(c, "crypto prices", k=10, source=["news"], time_from="2024-01-01T00:00:00Z")
        assert {r["source"] for r in news["results"]} == {"news"}
        assert len(news["results"]) == 4 and news["results"][0]["symbol"] == "BTCUSD"
        window = _query(
            c, "anything", k=5, time_from="2021-01-01T00:00:00Z", time_to="2021-12-31T00:00:00Z"
        )
        assert [r["document_id"] for r in window["results"]] == [ids[DOCS[6][3]]]
        none = _query(c, "anything", k=5, symbol="TSLA")
        assert none["results"] == [] and none["matched"] == 0


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_ann_index_past_threshold(tmp_path: Path, embedder_url: str, kind: str) -> None:
    with rag(tmp_path / "rag", embedder_url, ann_threshold=30, ann_kind=kind) as c:
        _load(c)
        extra = [
            {
                "text": f"Market note {i}: index futures moved {i % 7} points in session {i}.",
                "symbol": "SPX",
                "source": "note",
            }
            for i in range(60)
        ]
        assert c.post("/api/v1/documents/batch", json={"documents": extra}).status_code == 200
        stats = c.get("/api/v1/index").json()
        assert stats["index"] == kind and stats["vectors"] == len(DOCS) + 60
        msft = _query(c, "demand for AI graphics chips", k=3, symbol="MSFT")
        assert len(msft["results"]) == 3 and {r["symbol"] for r in msft["results"]} == {"MSFT"}
        top = _query(c, "Nvidia data-center revenue and AI GPUs", k=5)
        assert len(top["results"]) == 5 and top["results"][0]["symbol"] == "NVDA"
        note = c.get("/api/v1/documents", params={"symbol": "SPX", "limit": 1}).json()["items"][0]
        new = {"text": "Index futures were halted after a circuit breaker.", "symbol": "SPX"}
        assert c.put(f"/api/v1/documents/{note['id']}", json=new).status_code == 200
        assert c.get("/api/v1/index").json()["vectors"] == len(DOCS) + 60
        assert _query(c, "circuit breaker halt", k=1)["results"][0]["document_id"] == note["id"]
        gone = c.delete("/api/v1/documents", params={"symbol": "NVDA"})
        assert gone.status_code == 200 and gone.json()["deleted"] == 2
        after = _query(c, "Nvidia data-center revenue and AI GPUs", k=5)
        assert "NVDA" not in {r["symbol"] for r in after["results"]}
        assert c.get("/api/v1/index").json()["vectors"] == len(DOCS) + 60 - 2


def test_restart_keeps_every_document(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        ids = _load(c)
        before = _query(c, "Bitcoin record high", k=3)
    with rag(tmp_path / "rag", embedder_url) as c:
        assert c.get("/api/v1/documents").json()["total"] == len(DOCS)
        assert c.get("/health").json()["status"] == "healthy"
        after = _query(c, "Bitcoin record high", k=3)
        assert after["results"] == before["results"]
        assert after["results"][0]["document_id"] == ids[DOCS[6][3]]
        # dedupe survives the restart too
        assert c.post("/api/v1/documents", json=_doc(*DOCS[1])).json()["duplicate"] is True


def test_delete_by_id_and_by_filter(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        ids = _load(c)
        target = ids[DOCS[0][3]]
        r = c.delete(f"/api/v1/documents/{target}")
        assert r.status_code == 200 and r.json() == {"deleted": 1, "ids": [target]}
        assert c.get(f"/api/v1/documents/{target}").status_code == 404
        assert c.delete(f"/api/v1/documents/{target}").status_code == 404
        hits = _query(c, "Nvidia data-center revenue AI GPUs", k=10)["results"]
        assert target not in {h["document_id"] for h in hits} and len(hits) == len(DOCS) - 1
        r = c.delete("/api/v1/documents", params={"symbol": "msft", "source": "news"})
        assert r.json()["deleted"] == 2
        assert c.get("/api/v1/documents", params={"symbol": "MSFT"}).json()["total"] == 1
        r = c.delete("/api/v1/documents", params={"time_to": "2022-01-01T00:00:00Z"})
        assert r.json()["ids"] == [ids[DOCS[6][3]]]
        assert c.get("/api/v1/index").json()["vectors"] == len(DOCS) - 4
        # the deletions persist
    with rag(tmp_path / "rag", embedder_url) as c:
        assert c.get("/api/v1/documents").json()["total"] == len(DOCS) - 4


def test_replace_document(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        ids = _load(c)
        target = ids[DOCS[5][3]]
        new = {
            "text": "Bitcoin miners sold reserves after the halving cut their rewards.",
            "symbol": "BTCUSD",
            "source": "news",
        }
        r = c.put(f"/api/v1/documents/{target}", json=new)
        assert r.status_code == 200 and r.json()["id"] == target
        hit = _query(c, "mining rewards halving", k=1)["results"][0]
        assert hit["document_id"] == target and "halving" in hit["text"]
        conflict = c.put(f"/api/v1/documents/{target}", json={"text": DOCS[0][3]})
        assert conflict.status_code == 409 and conflict.json()["duplicate_of"] == ids[DOCS[0][3]]
        assert c.put("/api/v1/documents/nope", json=new).status_code == 404


def test_corrupt_index_is_reported_not_reset(tmp_path: Path, embedder_url: str) -> None:
    directory = tmp_path / "rag"
    with rag(directory, embedder_url) as c:
        _load(c)
    (directory / "index.faiss").write_bytes(b"this is not a faiss index")
    with rag(directory, embedder_url) as c:
        h = c.get("/health")
        assert h.status_code == 503 and h.json()["status"] == "unhealthy"
        assert "index.faiss is corrupt" in h.json()["details"]["error"]
        q = c.post("/api/v1/query", json={"text": "bitcoin"})
        assert q.status_code == 503 and "corrupt" in q.json()["detail"]
        assert (directory / "index.faiss").read_bytes() == b"this is not a faiss index"
        # on request, the index is rebuilt from the document store: nothing lost
        r = c.post("/api/v1/index/rebuild")
        assert r.status_code == 200 and r.json()["vectors"] == len(DOCS)
        assert c.get("/health").json()["status"] == "healthy"
        assert len(_query(c, "bitcoin", k=10)["results"]) == len(DOCS)


def test_corrupt_document_store_is_reported(tmp_path: Path, embedder_url: str) -> None:
    directory = tmp_path / "rag"
    with rag(directory, embedder_url) as c:
        _load(c)
    for extra in ("rag.db-wal", "rag.db-shm"):
        (directory / extra).unlink(missing_ok=True)
    (directory / "rag.db").write_bytes(b"garbage" * 1000)
    with rag(directory, embedder_url) as c:
        h = c.get("/health")
        assert h.status_code == 503 and "rag.db is corrupt" in h.json()["details"]["error"]
        assert c.get("/api/v1/documents").status_code == 503
        r = c.post("/api/v1/index/rebuild")
        assert r.status_code == 503 and "backup" in r.json()["detail"]
    assert (directory / "rag.db").read_bytes() == b"garbage" * 1000


def test_lagging_index_is_repaired_from_the_store(tmp_path: Path, embedder_url: str) -> None:
    directory = tmp_path / "rag"
    with rag(directory, embedder_url) as c:
        _load(c)
        stale = (directory / "index.faiss").read_bytes()
        c.post(
            "/api/v1/documents",
            json={"text": "A late document about Tesla deliveries.", "symbol": "TSLA"},
        )
    (directory / "index.faiss").write_bytes(stale)  # as if the process died before writing it
    with rag(directory, embedder_url) as c:
        h = c.get("/health").json()
        assert h["status"] == "healthy" and "rebuilt" in h["details"]["repaired"]
        assert _query(c, "Tesla deliveries", k=1)["results"][0]["symbol"] == "TSLA"


def test_embedder_down(tmp_path: Path) -> None:
    with rag(tmp_path / "rag", f"http://127.0.0.1:{free_port()}") as c:
        r = c.post("/api/v1/documents", json={"text": "hello"})
        assert r.status_code == 503 and "embedder" in r.json()["detail"]
        assert r.json()["type"] == "urn:tradingstack:problem:upstream-unavailable"
        assert int(r.headers["Retry-After"]) > 0
        assert c.post("/api/v1/query", json={"text": "hello"}).status_code == 503
        assert c.get("/health").json()["status"] == "healthy"  # its own store is fine


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("POST", "/api/v1/documents", {"text": "   "}, 422, "blank"),
        ("POST", "/api/v1/documents", {"symbol": "X"}, 422, "text"),
        ("POST", "/api/v1/documents", {"text": "x", "time": "yesterday"}, 422, "time"),
        ("POST", "/api/v1/documents/batch", {"documents": []}, 422, "documents"),
        ("POST", "/api/v1/query", {"text": "x", "k": 0}, 422, "k"),
        ("POST", "/api/v1/query", {"text": "x", "k": 1000}, 422, "at most 100"),
        ("POST", "/api/v1/query", {"text": ""}, 422, "text"),
        (
            "POST",
            "/api/v1/query",
            {
                "text": "x",
                "filters": {"time_from": "2024-02-01T00:00:00Z", "time_to": "2024-01-01T00:00:00Z"},
            },
            422,
            "swap",
        ),
        ("GET", "/api/v1/documents/unknown", None, 404, "unknown"),
        ("DELETE", "/api/v1/documents", None, 422, "at least one filter"),
        ("GET", "/api/v1/documents?limit=0", None, 422, "limit"),
        # unbounded, an offset past SQLite's integer was a 500
        ("GET", f"/api/v1/documents?offset={10**30}", None, 422, "offset"),
        # in the query as in a body (a GET's filters were built in the route: a 500)
        (
            "GET",
            "/api/v1/documents?time_from=2024-02-01T00:00:00Z&time_to=2024-01-01T00:00:00Z",
            None,
            422,
            "swap",
        ),
        ("GET", "/api/v1/documents?symbol=../x", None, 422, "symbol"),
        # instants Python cannot move to UTC, or that no market history has: 500s before
        ("GET", "/api/v1/documents?time_from=0001-01-01T00:00:00%2B01:00", None, 422, "1900"),
        ("GET", "/api/v1/documents?time_to=9999-12-31T23:59:59-01:00", None, 422, "2200"),
        (
            "POST",
            "/api/v1/documents",
            {"text": "x", "time": "0001-01-01T00:00:00+01:00"},
            422,
            "1900",
        ),
        (
            "POST",
            "/api/v1/query",
            {"text": "x", "filters": {"time_from": "1500-01-01"}},
            422,
            "1900",
        ),
        # naive and aware together: naive is UTC (comparing them was a TypeError)
        (
            "POST",
            "/api/v1/query",
            {
                "text": "x",
                "filters": {"time_from": "2024-02-01T00:00:00", "time_to": "2024-01-01T00:00:00Z"},
            },
            422,
            "swap",
        ),
    ],
)
def test_bad_input(
    tmp_path: Path,
    embedder_url: str,
    method: str,
    path: str,
    body: dict[str, object] | None,
    status: int,
    words: str,
) -> None:
    with rag(tmp_path / "rag", embedder_url, max_batch=5) as c:
        r = c.request(method, path, json=body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert words in r.text
        if method == "POST" and path.endswith("batch"):
            big = {"documents": [{"text": f"doc {i}"} for i in range(6)]}
            assert c.post(path, json=big).status_code == 413


FX_DOCS = [
    # the example: the symbol only in the metadata
    {
        "text": "The euro rose against the dollar after the ECB meeting.",
        "metadata": {"symbol": "EURUSD"},
    },
    {
        "text": "Sterling slipped as the Bank of England signalled rate cuts.",
        "symbol": "GBPUSD",
        "metadata": {
            "sector": "fx",
            "tags": ["central-bank", "rates"],
            "rank": 2,
            "reviewed": True,
        },
    },
    {
        "text": "Bitcoin miners sold coins after the halving.",
        "metadata": {"source": "blog", "sector": "crypto", "rank": "2", "reviewed": False},
    },
]


def _hits(c: httpx.Client, filters: dict[str, object]) -> set[int]:
    """Which FX_DOCS (by position) a query with `filters` finds."""
    r = c.post("/api/v1/query", json={"text": "markets", "k": 10, "filters": filters})
    assert r.status_code == 200, r.text
    texts = [d["text"] for d in FX_DOCS]
    return {texts.index(h["text"]) for h in r.json()["results"]}


def test_metadata_filters(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        r = c.post("/api/v1/documents/batch", json={"documents": FX_DOCS})
        assert r.status_code == 200 and r.json()["added"] == 3
        # symbol and source match the document's field or the same metadata key
        assert _hits(c, {"symbol": "EURUSD"}) == {0}  # returned nothing before
        assert _hits(c, {"symbol": "eurusd"}) == {0}
        assert _hits(c, {"symbol": ["EURUSD", "GBPUSD"]}) == {0, 1}
        assert _hits(c, {"source": "blog"}) == {2}
        listed = c.get("/api/v1/documents", params={"symbol": "EURUSD"}).json()
        assert [d["metadata"] for d in listed["items"]] == [{"symbol": "EURUSD"}]
        # any metadata key: equality and "in", beside the named filters or under "metadata"
        assert _hits(c, {"sector": "fx"}) == {1}
        assert _hits(c, {"sector": ["fx", "crypto"]}) == {1, 2}
        assert _hits(c, {"sector": {"$in": ["crypto"]}}) == {2}
        assert _hits(c, {"sector": {"$eq": "crypto"}}) == {2}
        assert _hits(c, {"metadata": {"sector": "fx"}}) == {1}
        assert _hits(c, {"tags": "rates"}) == {1}  # a list value matches by its items
        # type for type: the number 2 is not the string "2", true is not 1
        assert _hits(c, {"rank": 2}) == {1}
        assert _hits(c, {"rank": "2"}) == {2}
        assert _hits(c, {"reviewed": True}) == {1}
        assert _hits(c, {"reviewed": False}) == {2}
        assert _hits(c, {"rank": 1}) == set()  # a known key, no match: an empty answer
        assert _hits(c, {"symbol": "GBPUSD", "sector": "fx"}) == {1}
        assert _hits(c, {"symbol": "EURUSD", "sector": "fx"}) == set()
        # an unknown key is a 422 that names the keys there are, not a silent empty answer
        r = c.post("/api/v1/query", json={"text": "x", "filters": {"sectr": "fx"}})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "unknown filter key 'sectr'" in r.text and "sector" in r.text
        assert r.json()["errors"][0]["field"].endswith("sectr")
        for bad, words in [
            ({"sector": {"$gt": 1}}, "$eq or $in"),
            ({"sector": []}, "empty"),
            ({"sector": [{"a": 1}]}, "not dict"),
            ({"sector": {"$in": "fx"}}, "list"),
            ({"sector": "fx", "metadata": {"sector": "fx"}}, "twice"),
        ]:
            r = c.post("/api/v1/query", json={"text": "x", "filters": bad})
            assert r.status_code == 422 and words in r.text, (bad, r.text)
        # the keys follow the documents: once none has "tags", it is unknown
        one = c.get("/api/v1/documents", params={"symbol": "GBPUSD"}).json()["items"][0]
        assert c.delete(f"/api/v1/documents/{one['id']}").status_code == 200
        r = c.post("/api/v1/query", json={"text": "x", "filters": {"tags": "rates"}})
        assert r.status_code == 422 and "unknown filter key 'tags'" in r.text


def test_health_names_the_index_device(tmp_path: Path, embedder_url: str) -> None:
    with rag(tmp_path / "rag", embedder_url) as c:
        details = c.get("/health").json()["details"]
        assert details["device"] == ("gpu" if details["faiss_gpus"] > 0 else "cpu")
        assert details["gpu"] is (details["device"] == "gpu")
        assert details["faiss_build"].startswith(("faiss-cpu ", "faiss-gpu"))
        assert "," not in details["faiss_build"]  # one faiss wheel, never a mix
        assert c.get("/api/v1/index").json()["device"] == details["device"]
    with rag(tmp_path / "rag2", embedder_url, gpu=False) as c:
        assert c.get("/health").json()["details"]["device"] == "cpu"
