"""Fixtures of the browser tests: the real local stack in a subprocess, headless Chromium.

Chromium is Debian's (`make test-deps` installs it; Playwright never downloads a browser) and
is driven by Python Playwright through its `executable_path`. The stack is the launcher's (one
process per service behind the gateway, like `tradingstack up`) with the services that exist in
the tree; `TS_BROWSER_SERVICES=ui,data` picks them by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = "/usr/bin/chromium"
STATIC_INDEX = REPO / "services/tradingstack/ui/static/index.html"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            "Debian's chromium is missing: `make test-deps` installs it "
            "(or: apt-get install chromium)"
        )
    if not STATIC_INDEX.is_file():
        pytest.fail("the dashboard is not built: run `make ui-assets`")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
