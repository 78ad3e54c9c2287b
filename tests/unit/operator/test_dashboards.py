"""Every metric a Grafana dashboard of the chart queries is one the project exports: the
operator's registry (by type: _total, _bucket/_sum/_count) and the metrics the services
define in their source (Counter/Gauge/Histogram/Summary), plus Prometheus' own `up`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tradingstack_operator import metrics as m

REPO = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((REPO / "charts" / "tradingstack" / "dashboards").glob("*.json"))
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}


def series_names(kind: str, name: str) -> set[str]:
    base = name.removesuffix("_total") if kind == "counter" else name
    return {base + suffix for suffix in SUFFIXES[kind]}


def operator_series() -> set[str]:
    out: set[str] = set()
    for family in m.REGISTRY.collect():
        out |= series_names(family.type, family.name)
    return out


SOURCE_METRIC = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\""
)


def service_series() -> set[str]:
    out: set[str] = set()
    for path in (REPO / "services" / "tradingstack").rglob("*.py"):
        for kind, name in SOURCE_METRIC.findall(path.read_text(encoding="utf-8")):
            out |= series_names(kind.lower(), name)
    return out


def metrics_in(expr: str) -> set[str]:
    """Metric names used by a PromQL expression."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        token = match.group(0)
        after = text[match.end() :].lstrip()
        if after.startswith("(") or token.lower() in KEYWORDS:
            continue  # a function or an operator
        names.add(token)
    return names


def queries(dashboard: dict[str, Any]) -> list[str]:
    out = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if t.get("expr")]
    for v in dashboard.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        found = re.match(r"label_values\((.*),\s*[a-zA-Z_]+\)$", q or "")
        if found:
            out.append(found.group(1))
    return out


def test_the_extractor_finds_metric_names() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, service) (rate(a_seconds_bucket{x=~"y"}[5m])))'
        ' / on (job) group_left b_total + count(c{namespace="n"} == 0) or vector(0)'
    )
    assert metrics_in(expr) == {"a_seconds_bucket", "b_total", "c"}


def test_the_exported_names_are_collected() -> None:
    ops, svcs = operator_series(), service_series()
    assert "tradingstack_operator_reconciliations_total" in ops
    assert "tradingstack_workload_probe_duration_seconds_bucket" in ops
    assert "tradingstack_http_requests_total" in svcs
    assert "tradingstack_forecast_latency_seconds_bucket" in svcs
    assert "tradingstack_tcn_training_duration_seconds_sum" not in svcs  # a Gauge


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_dashboard_queries_use_exported_metrics(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    exported = operator_series() | service_series() | PROMETHEUS_OWN
    used: set[str] = set()
    for expr in queries(dashboard):
        used |= metrics_in(expr)
    assert used, f"{path.name} queries nothing"
    unknown = sorted(used - exported)
    assert not unknown, f"{path.name} uses metrics nobody exports: {unknown}"
    for panel in dashboard["panels"]:
        assert panel.get("targets"), f"{path.name}: panel {panel['title']!r} has no query"


def test_three_dashboards_cover_stacks_operator_and_models() -> None:
    names = {p.stem for p in DASHBOARDS}
    assert {"overview", "operator", "models"} <= names
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids))
    overview = json.dumps(json.loads((DASHBOARDS[0].parent / "overview.json").read_text()))
    for metric in ("tradingstack_workload_up", "tradingstack_alerts_sent_total"):
        assert metric in overview
