"""The dashboard's TypeScript types come from the services' OpenAPI documents (issue 12).

`hack/ui_types.py` builds each service's app in-process, dumps `app.openapi()` and runs
openapi-typescript over it into `services/tradingstack/ui/frontend/src/generated/`. Here:

- the committed types are the ones the services' current documents give (a changed schema
  without `make ui-types` fails);
- the frontend's sources compile (`tsc --noEmit`, the frontend's own tsconfig) against types
  generated just now, so a renamed route or field of a service breaks this test, not a trader;
- and that check can fail: a document whose regime answer renames `current_regime` (as a
  producer's schema change would) makes `tsc` name the broken view.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.common import load_hack

ui_types = load_hack("ui_types")
FRONTEND: Path = ui_types.FRONTEND
TSC = FRONTEND / "node_modules/typescript/bin/tsc"


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    if not TSC.is_file() or not (FRONTEND / "node_modules/openapi-typescript").is_dir():
        pytest.fail("the frontend's npm packages are missing: run `make ui-assets`")
    if shutil.which("node") is None:
        pytest.fail("node is missing: install Node.js 20.19+ (see hack/ui.mk)")
    documents: dict[str, dict[str, Any]] = ui_types.documents()
    return documents


def typecheck(docs: dict[str, dict[str, Any]], tmp: Path) -> subprocess.CompletedProcess[str]:
    """`tsc --noEmit` over a copy of the frontend's sources with types generated from `docs`."""
    shutil.copytree(FRONTEND / "src", tmp / "src")
    shutil.copyfile(FRONTEND / "tsconfig.json", tmp / "tsconfig.json")
    (tmp / "node_modules").symlink_to(FRONTEND / "node_modules")
    shutil.rmtree(tmp / "src/generated")
    ui_types.generate(docs, tmp / "src/generated")
    return subprocess.run(
        ["node", str(TSC), "--noEmit", "-p", str(tmp)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_service_the_dashboard_calls_has_its_types(docs: dict[str, dict[str, Any]]) -> None:
    committed = {p.stem for p in ui_types.GENERATED.glob("*.ts")}
    assert committed == set(ui_types.SERVICES) == set(docs)


def test_the_committed_types_match_the_services_openapi(docs: dict[str, dict[str, Any]]) -> None:
    diff = ui_types.stale(docs)
    assert not diff, "src/generated/ is stale: run `make ui-types` and commit it\n" + diff[:4000]


def test_the_views_compile_against_types_generated_now(
    docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    done = typecheck(docs, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_renamed_field_of_a_producer_fails_the_type_check(
    docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    renamed = copy.deepcopy(docs)
    regime = renamed["hmm"]["components"]["schemas"]["RegimeResult"]
    regime["properties"]["regime_now"] = regime["properties"].pop("current_regime")
    regime["required"] = [
        "regime_now" if f == "current_regime" else f for f in regime.get("required", [])
    ]
    done = typecheck(renamed, tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "current_regime" in out and "src/views/symbol/regime.ts" in out, out
