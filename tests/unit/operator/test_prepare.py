"""spec.prepare: the models nhits, tcn and hmm train at first start (TS_JOBS_PREPARE), as the
local stack does (tradingstack.local.prepare's default)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tradingstack.core import jobs
from tradingstack.local import prepare as local_prepare
from tradingstack_operator import builders, crd, spec

STACK = builders.Stack(name="demo", namespace="trading", uid="uid-1")


def _env(ts: spec.TradingStackSpec, workload: str) -> dict[str, str]:
    dep = next(
        m
        for m in builders.build(STACK, ts)
        if m["kind"] == "Deployment" and m["metadata"]["name"] == f"demo-{workload}"
    )
    env: list[dict[str, Any]] = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value", "") for e in env}


def test_default_is_the_local_default() -> None:
    ts = spec.TradingStackSpec()
    assert ",".join(ts.prepare) == local_prepare.DEFAULT_PREPARE
    for name in ("nhits", "tcn", "hmm"):
        value = _env(ts, name)[jobs.PREPARE_ENV]
        assert jobs.prepare_pairs(value) == [("BTCUSD", "H1")]


def test_only_the_model_services_get_it() -> None:
    ts = spec.TradingStackSpec()
    for name in ("data", "llm", "ui", "ollama"):
        assert jobs.PREPARE_ENV not in _env(ts, name)


def test_spec_list_is_passed_and_empty_prepares_nothing() -> None:
    ts = spec.TradingStackSpec.model_validate({"prepare": ["NVDA:D1", "EURUSD:H1"]})
    assert jobs.prepare_pairs(_env(ts, "tcn")[jobs.PREPARE_ENV]) == [
        ("NVDA", "D1"),
        ("EURUSD", "H1"),
    ]
    empty = spec.TradingStackSpec.model_validate({"prepare": []})
    assert jobs.prepare_pairs(_env(empty, "hmm")[jobs.PREPARE_ENV]) == []


def test_a_malformed_entry_is_refused() -> None:
    with pytest.raises(ValidationError):
        spec.TradingStackSpec.model_validate({"prepare": ["BTC USD,H1"]})


def test_the_crd_carries_the_field_and_its_default() -> None:
    props = crd.crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    prepare = props["spec"]["properties"]["prepare"]
    assert prepare["default"] == ["BTCUSD:H1"]
    assert prepare["items"]["pattern"] == spec.PREPARE_PATTERN
