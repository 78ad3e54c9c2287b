"""Data-flow rule 1 in code: only the data service touches market-data providers.

Every other package gets market data through `tradingstack.core.data_client`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tradingstack

PACKAGE = Path(tradingstack.__file__).parent
PROVIDER_HOSTS = (
    "twelvedata.com",
    "finance.yahoo.com",
    "query1.finance",
    "query2.finance",
    "easyinsight",
)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_nothing_outside_data_imports_the_data_service() -> None:
    offenders = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "data":
            continue
        for mod in _imports(path):
            if mod == "tradingstack.data" or mod.startswith("tradingstack.data."):
                offenders.append(f"{rel} imports {mod}")
    assert not offenders, "only the data service may use providers:\n" + "\n".join(offenders)


def test_no_provider_host_appears_outside_data() -> None:
    offenders = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "data":
            continue
        text = path.read_text().lower()
        offenders += [f"{rel} mentions {h}" for h in PROVIDER_HOSTS if h in text]
    assert not offenders, "\n".join(offenders)


def test_the_contract_test_sees_the_packages() -> None:
    # guards against the walk silently finding nothing
    names = {p.relative_to(PACKAGE).parts[0] for p in _modules()}
    assert {"core", "data", "local"} <= names
