from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tradingstack.data.app import create_app
from tradingstack.data.settings import DataSettings


@pytest.fixture
def data_settings(tmp_path: Path) -> DataSettings:
    return DataSettings(dir=tmp_path / "data", cache_ttl_seconds=60)


@pytest.fixture
def client(data_settings: DataSettings) -> Iterator[TestClient]:
    with TestClient(create_app(data_settings), raise_server_exceptions=False) as c:
        yield c
