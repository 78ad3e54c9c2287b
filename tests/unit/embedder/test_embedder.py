"""The embedder service, real models: MiniLM text embeddings, LM sentiment, OHLCV windows."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from tradingstack.embedder import timeseries as ts

from tests.unit.embedder.helpers import serve_data, serve_embedder


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with serve_data(tmp_path_factory.mktemp("emb") / "data") as data_url:
        with serve_embedder(data_url, cache_size=64) as emb_url:
            yield data_url, emb_url


@pytest.fixture(scope="module")
def c(urls: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=urls[1], timeout=120) as client:
        yield client


def _embed(c: httpx.Client, texts: list[str], **kw: object) -> np.ndarray:
    r = c.post("/api/v1/embed/text", json={"texts": texts, **kw})
    assert r.status_code == 200, r.text
    return np.asarray(r.json()["embeddings"])


def test_health_and_models(c: httpx.Client) -> None:
    h = c.get("/health").json()
    assert h["status"] == "healthy" and h["service"] == "embedder"
    assert h["details"]["sentiment_method"] == "loughran-mcdonald"
    models = {m["kind"]: m for m in c.get("/api/v1/models").json()["models"]}
    assert models["text"]["name"] == "all-MiniLM-L6-v2"
    assert models["text"]["dimension"] == 384 and models["text"]["device"] == "cpu"
    assert models["sentiment"]["method"] == "loughran-mcdonald"
    assert models["timeseries"]["dimension"] == ts.DIMENSION == 32


def test_text_embeddings_dimension_and_similarity(c: httpx.Client) -> None:
    v = _embed(
        c,
        [
            "The central bank raised interest rates to fight inflation.",
            "To curb rising prices, the central bank increased its policy rate.",
            "My grandmother grows tomatoes in her garden every summer.",
            "Nvidia's data-center revenue surged on demand for AI chips.",
            "Sales of GPUs for artificial-intelligence servers drove Nvidia's record results.",
        ],
    )
    assert v.shape == (5, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2] + 0.3  # paraphrases far closer than unrelated text
    assert sim[3, 4] > max(sim[3, 0], sim[3, 2]) + 0.2
    raw = _embed(c, ["The central bank raised interest rates to fight inflation."], normalize=False)
    assert np.allclose(raw[0] / np.linalg.norm(raw[0]), v[0], atol=1e-4)


def test_cache_hits_and_metrics(c: httpx.Client) -> None:
    text = "cache me: a sentence embedded twice"
    first = c.post("/api/v1/embed/text", json={"texts": [text, "another one"]}).json()
    second = c.post("/api/v1/embed/text", json={"texts": [text, text]}).json()
    assert first["cached"] == 0 and second["cached"] == 2
    assert second["embeddings"][0] == first["embeddings"][0]
    metrics = c.get("/metrics").text
    hits = [ln for ln in metrics.splitlines() if ln.startswith("tradingstack_embedder_cache_hits")]
    assert hits and float(hits[0].split()[-1]) >= 2
    assert "tradingstack_embedder_cache_misses_total" in metrics


def test_sentiment_loughran_mcdonald(c: httpx.Client) -> None:
    texts = [
        "Revenue grew strongly and the company achieved record profitability, beating estimates.",
        "The firm reported heavy losses, a fraud probe and declining sales; default risk rose.",
        "The meeting is scheduled for Tuesday in the main building.",
        "Management said margins did not improve this quarter.",
    ]
    r = c.post("/api/v1/sentiment", json={"texts": texts})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "loughran-mcdonald"
    labels = [i["label"] for i in body["items"]]
    assert labels[:3] == ["positive", "negative", "neutral"]
    assert body["items"][0]["score"] > 0 > body["items"][1]["score"]
    assert "losses" in body["items"][1]["details"]["negative_words"]
    # LM's negation rule: "not improve" counts as negative
    assert body["items"][3]["score"] < 0 and body["items"][3]["label"] == "negative"


def _bars(closes: np.ndarray, vol: float = 0.002) -> list[dict[str, float]]:
    return [
        {"open": c, "high": c * (1 + vol), "low": c * (1 - vol), "close": c, "volume": 100 + i}
        for i, c in enumerate(closes.tolist())
    ]


def test_timeseries_embedding_inline_and_fetched(c: httpx.Client) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(64)
    up = 100 * np.exp(0.004 * t + rng.normal(0, 0.002, 64))
    up2 = 50 * np.exp(0.0035 * t + rng.normal(0, 0.002, 64))
    down = 100 * np.exp(-0.004 * t + rng.normal(0, 0.002, 64))
    windows = [_bars(up), _bars(up * 10), _bars(up2), _bars(down)]
    r = c.post("/api/v1/embed/timeseries", json={"windows": windows})
    assert r.status_code == 200, r.text
    e = np.asarray(r.json()["embeddings"])
    assert e.shape == (4, 32) and r.json()["method"] == "ts-stat-v1"
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert np.allclose(e[0], e[1], atol=1e-5)  # scale-free: prices x10, same window
    assert e[0] @ e[2] > 0.8 > e[0] @ e[3]  # two up-trends alike, an up- and a down-trend not

    fetched = c.post(
        "/api/v1/embed/timeseries", json={"symbol": "NVDA", "timeframe": "D1", "window": 40}
    )
    assert fetched.status_code == 200, fetched.text
    info = fetched.json()["windows"][0]
    assert info["bars"] == 40 and info["start"] < info["end"]


def test_similar_windows(c: httpx.Client, urls: tuple[str, str]) -> None:
    r = c.post(
        "/api/v1/embed/timeseries/similar",
        json={"symbol": "BTCUSD", "timeframe": "H1", "window": 48, "k": 4, "history": 1500},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    matches = body["matches"]
    assert len(matches) == 4 and body["searched"] > 1000
    sims = [m["similarity"] for m in matches]
    assert sims == sorted(sims, reverse=True) and sims[0] <= 1.0 + 1e-6
    assert all(m["end"] < body["query"]["start"] for m in matches)  # strictly in the past
    # the reported similarity is the cosine of the two windows' embeddings
    best = matches[0]
    q = c.post(
        "/api/v1/embed/timeseries", json={"symbol": "BTCUSD", "timeframe": "H1", "window": 48}
    )
    m = c.post(
        "/api/v1/embed/timeseries",
        json={"symbol": "BTCUSD", "timeframe": "H1", "window": 48, "end": best["end"]},
    )
    qv, mv = np.asarray(q.json()["embeddings"][0]), np.asarray(m.json()["embeddings"][0])
    assert m.json()["windows"][0]["end"] == best["end"]
    assert abs(float(qv @ mv) - best["similarity"]) < 1e-4


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/api/v1/embed/text", {"texts": []}, 422, "texts"),
        ("/api/v1/embed/text", {"texts": ["ok", "   "]}, 422, "texts[1] is empty"),
        ("/api/v1/embed/text", {"texts": ["x"] * 300}, 422, "at most 256"),
        ("/api/v1/embed/text", {"text": "wrong field"}, 422, "texts"),
        ("/api/v1/sentiment", {"texts": [""]}, 422, "empty"),
        ("/api/v1/embed/timeseries", {}, 422, "either"),
        ("/api/v1/embed/timeseries", {"symbol": "NVDA", "windows": [[]]}, 422, "either"),
        (
            "/api/v1/embed/timeseries",
            {"windows": [[{"open": 1, "high": 1, "low": 1, "close": 1}]]},
            422,
            "give 17",
        ),
        ("/api/v1/embed/timeseries", {"symbol": "NOPE", "timeframe": "D1"}, 404, "NOPE"),
        ("/api/v1/embed/timeseries", {"symbol": "NVDA", "timeframe": "W1"}, 422, "timeframe"),
        (
            "/api/v1/embed/timeseries/similar",
            {"symbol": "NVDA", "window": 64, "history": 100},
            422,
            "2 x window",
        ),
        ("/api/v1/embed/timeseries/similar", {"symbol": "NVDA", "k": 0}, 422, "k"),
    ],
)
def test_bad_input(
    c: httpx.Client, path: str, body: dict[str, object], status: int, words: str
) -> None:
    r = c.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert words in r.text


def test_high_below_low_is_rejected(c: httpx.Client) -> None:
    bars = _bars(np.linspace(100, 110, 20))
    bars[5]["high"], bars[5]["low"] = 90.0, 120.0
    r = c.post("/api/v1/embed/timeseries", json={"windows": [bars]})
    assert r.status_code == 422 and "high is below its low" in r.json()["detail"]
