"""The operator's configuration: one OperatorSettings for every environment variable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from tradingstack_operator.settings import TELEGRAM_API, OperatorSettings

PACKAGE = Path(__file__).resolve().parents[3] / "operator" / "tradingstack_operator"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TS_OPERATOR_PROBE_URLS", "TS_OPERATOR_METRICS_PORT", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = OperatorSettings()
    assert settings.resync_seconds == 10.0 and settings.debounce_seconds == 0.0
    assert settings.health_checks is True and settings.metrics_port == 8081
    assert settings.probe_urls == {} and settings.telegram_api_url == TELEGRAM_API


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("{}")
    monkeypatch.setenv("TS_OPERATOR_RESYNC_SECONDS", "2")
    monkeypatch.setenv("TS_OPERATOR_HEALTH_CHECKS", "false")
    monkeypatch.setenv("TS_OPERATOR_METRICS_PORT", "off")
    monkeypatch.setenv("TS_OPERATOR_PROBE_URLS", '{"*": "http://127.0.0.1:{port}/health"}')
    monkeypatch.setenv("TS_OPERATOR_LOG_LEVEL", "debug")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    settings = OperatorSettings()
    assert settings.resync_seconds == 2.0 and settings.health_checks is False
    assert settings.metrics_port is None and settings.log_level == "DEBUG"
    assert settings.probe_urls == {"*": "http://127.0.0.1:{port}/health"}
    assert settings.kubeconfig_path() == str(config)
    assert not settings.use_service_account()  # a kubeconfig given wins
    monkeypatch.setenv("TS_OPERATOR_PROBE_URLS", "not json")
    monkeypatch.setenv("TS_OPERATOR_METRICS_PORT", "0")
    monkeypatch.delenv("KUBECONFIG")
    settings = OperatorSettings()
    assert settings.probe_urls == {} and settings.metrics_port == 0
    assert settings.use_service_account()


def test_nothing_else_reads_the_environment() -> None:
    """Every variable goes through OperatorSettings: no os.environ / getenv elsewhere."""
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_modules_are_imported_by_their_full_names() -> None:
    """No `from tradingstack_operator import x as y` (builders.py's `spec as s` is the one
    left: that file is being changed by other work)."""
    aliased = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "tradingstack_operator":
                aliased += [f"{path.name}: {a.name} as {a.asname}" for a in node.names if a.asname]
    assert set(aliased) <= {"builders.py: spec as s"}


def test_chart_readme_lists_every_operator_variable() -> None:
    """charts/tradingstack/README.md names each OperatorSettings variable, and no other."""
    import re
    from pathlib import Path

    from tradingstack_operator.settings import OperatorSettings

    readme = (Path(__file__).resolve().parents[3] / "charts/tradingstack/README.md").read_text()
    fields = {
        f"TS_OPERATOR_{name.upper()}"
        for name, info in OperatorSettings.model_fields.items()
        if info.validation_alias is None
    }
    assert fields <= set(re.findall(r"TS_OPERATOR_[A-Z_]+", readme)) <= fields
