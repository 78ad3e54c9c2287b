from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings

from tests.unit.servers import serve_app


@pytest.fixture(scope="package")
def data_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The REAL data service (bundled bars) on a loopback port."""
    settings = DataSettings(dir=Path(tmp_path_factory.mktemp("hmm-data")) / "data")
    with serve_app(create_data_app(settings)) as url:
        yield url
