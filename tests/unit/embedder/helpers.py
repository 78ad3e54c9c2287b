"""Real services for the knowledge tests: data and the embedder (its model loaded once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tradingstack.core.data_client import DataClient
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings
from tradingstack.embedder.app import create_app as create_embedder_app
from tradingstack.embedder.sentiment import LoughranMcDonald
from tradingstack.embedder.settings import EmbedderSettings
from tradingstack.embedder.text import TextEncoder

from tests.unit.servers import serve_app


@contextmanager
def serve_data(directory: Path) -> Iterator[str]:
    """The real data service (bundled market data) on a free loopback port."""
    with serve_app(create_data_app(DataSettings(dir=directory))) as url:
        yield url


@contextmanager
def serve_embedder(
    data_url: str = "http://127.0.0.1:9", *, cache_size: int = 1024
) -> Iterator[str]:
    """The real embedder: the bundled all-MiniLM-L6-v2 and the Loughran-McDonald lists."""
    settings = EmbedderSettings(cache_size=cache_size, device="cpu")
    app = create_embedder_app(
        settings,
        encoder=TextEncoder(device="cpu", cache_size=cache_size),
        sentiment_model=LoughranMcDonald(),
        data_client=DataClient(data_url, attempts=1),
    )
    with serve_app(app) as url:
        yield url
