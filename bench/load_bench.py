"""Load through the gateway of the real local stack (the launcher's processes, as `make up`):

1. **readers**: 50 concurrent clients (one keep-alive connection each) read OHLCV, 500 bars of
   BTCUSD H1/D1 and the bundled stocks' D1, for `--seconds`;
2. **writers**: 20 concurrent writers, each in a loop: create a symbol, import its CSV
   (30 daily bars whose prices encode writer and round), read the bars back and compare them
   bar by bar; at the end every symbol is listed and every one's bars read again;
3. **rag**: adders and queriers at once: documents added (each with a unique marker), queries
   answered; at the end every added document is read back and found in the index (a query
   filtered on its id).

Every answer is checked (status, and the body where a body is known); an error is any other
status, a transport error or a mismatch; "lost" is a write that was acknowledged and then not
found. Latencies are per request, client side, in ms (p50/p90/p99/max).

    python -m bench.load_bench [--seconds 60] [--readers 50] [--writers 20]

Writes bench/results/load.json. The client and the stack share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import write_result
from tests.local_stack import RunningStack, start_stack

TOKEN = "load-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SERVICES = ["data", "embedder", "rag"]
ENV = {"TS_API_TOKEN": TOKEN}
READS = [("BTCUSD", "H1"), ("BTCUSD", "D1"), ("NVDA", "D1"), ("MSFT", "D1"), ("AMZN", "D1")]
READ_LIMIT = 500
BARS_PER_IMPORT = 30
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass
class Tally:
    """Latencies (s) by operation, errors by kind, and how many writes went missing."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    lost: int = 0

    def ok(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def error(self, op: str, why: str) -> None:
        self.errors[f"{op}: {why[:80]}"] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{op}: {why[:300]}")

    def report(self, seconds: float) -> dict[str, Any]:
        return {
            "seconds": round(seconds, 1),
            "operations": {op: _stats(lat, seconds) for op, lat in self.latencies.items()},
            "requests": sum(len(v) for v in self.latencies.values()) + sum(self.errors.values()),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "error_examples": self.examples,
            "lost": self.lost,
        }


def _stats(samples: list[float], seconds: float) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 1)

    return {
        "n": len(ms),
        "per_second": round(len(ms) / seconds, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(ms[-1], 1),
    }


async def _call(
    tally: Tally,
    op: str,
    client: httpx.AsyncClient,
    method: str,
    url: str,
    expect: int | tuple[int, ...],
    **kw: Any,
) -> httpx.Response | None:
    """One request; its latency on success, an error (and None) otherwise."""
    t0 = time.perf_counter()
    try:
        resp = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        tally.error(op, f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - t0
    if resp.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
        tally.error(op, f"HTTP {resp.status_code} {resp.text[:200]}")
        return None
    tally.ok(op, elapsed)
    return resp


# --- 1. readers -------------------------------------------------------------------------------
async def readers(base: str, clients: int, seconds: float) -> dict[str, Any]:
    tally = Tally()
    url = base + "/data/api/v1/ohlcv/{}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as warm:
        expected = {}
        for sym, tf in READS:  # warm the cache; the bar counts every answer must have
            r = await warm.get(url.format(sym), params={"timeframe": tf, "limit": READ_LIMIT})
            r.raise_for_status()
            expected[(sym, tf)] = len(r.json()["bars"])
    deadline = time.monotonic() + seconds

    async def one(n: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as c:
            i = n
            while time.monotonic() < deadline:
                sym, tf = READS[i % len(READS)]
                i += 1
                params = {"timeframe": tf, "limit": READ_LIMIT}
                r = await _call(tally, "get_ohlcv", c, "GET", url.format(sym), 200, params=params)
                if r is not None:
                    got = len(r.json()["bars"])
                    if got != expected[(sym, tf)]:
                        tally.error("get_ohlcv", f"{sym} {tf}: {got} bars, not {expected}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(clients)))
    return {
        "clients": clients,
        "request": f"GET /data/api/v1/ohlcv/<symbol>?limit={READ_LIMIT}",
        "symbols": [f"{s} {t}" for s, t in READS],
        **tally.report(time.perf_counter() - t0),
    }


# --- 2. writers -------------------------------------------------------------------------------
def _csv(writer: int, round_: int) -> tuple[str, list[float]]:
    closes = [round(100 + writer + round_ / 1000 + d, 4) for d in range(BARS_PER_IMPORT)]
    rows = [
        f"2024-01-{d + 1:02d},{c - 0.5},{c + 1},{c - 1},{c},{1000 + d}"
        for d, c in enumerate(closes)
    ]
    return "Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n", closes


async def writers(base: str, count: int, seconds: float, run_id: str) -> dict[str, Any]:
    tally = Tally()
    api = base + "/data/api/v1"
    written: dict[str, list[float]] = {}
    deadline = time.monotonic() + seconds

    async def one(w: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits, headers=AUTH) as c:
            i = 0
            while time.monotonic() < deadline:
                sym = f"L{run_id}W{w:02d}R{i:04d}"
                csv, closes = _csv(w, i)
                i += 1
                # the user's own data: no provider has it
                body: dict[str, Any] = {
                    "symbol": sym,
                    "name": f"load {w}/{i}",
                    "category": "stock",
                    "provider_order": [],
                }
                if (
                    await _call(tally, "create_symbol", c, "POST", api + "/symbols", 201, json=body)
                    is None
                ):
                    continue
                r = await _call(
                    tally,
                    "import_csv",
                    c,
                    "POST",
                    f"{api}/ohlcv/{sym}/import",
                    200,
                    params={"timeframe": "D1"},
                    files={"file": (f"{sym}.csv", csv, "text/csv")},
                )
                if r is None:
                    continue
                if r.json()["rows"] != BARS_PER_IMPORT:
                    tally.error("import_csv", f"{sym}: {r.json()['rows']} rows acknowledged")
                written[sym] = closes
                r = await _call(
                    tally,
                    "read_back",
                    c,
                    "GET",
                    f"{api}/ohlcv/{sym}",
                    200,
                    params={"timeframe": "D1", "limit": 100},
                )
                if r is not None and [b["close"] for b in r.json()["bars"]] != closes:
                    tally.lost += 1
                    tally.error("read_back", f"{sym}: the bars read back differ")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(w) for w in range(count)))
    elapsed = time.perf_counter() - t0
    # Afterwards: every acknowledged symbol is listed, and its bars are all there.
    async with httpx.AsyncClient(timeout=TIMEOUT) as c:
        r = await c.get(api + "/symbols", params={"q": f"L{run_id}W"})
        r.raise_for_status()
        body = r.json()
        listed = {s["symbol"] for s in (body["items"] if isinstance(body, dict) else body)}
        missing = sorted(set(written) - listed)
        sem = asyncio.Semaphore(count)

        async def check(sym: str, closes: list[float]) -> None:
            async with sem:
                r = await c.get(f"{api}/ohlcv/{sym}", params={"timeframe": "D1", "limit": 100})
                if r.status_code != 200 or [b["close"] for b in r.json()["bars"]] != closes:
                    tally.lost += 1
                    tally.error("final_check", f"{sym}: HTTP {r.status_code}")

        await asyncio.gather(*(check(s, v) for s, v in written.items()))
    tally.lost += len(missing)
    for sym in missing[:5]:
        tally.error("final_list", f"{sym} acknowledged but not listed")
    return {
        "writers": count,
        "loop": "POST /symbols, POST /ohlcv/<symbol>/import (CSV, 30 D1 bars), GET it back",
        "symbols_written": len(written),
        "bars_written": len(written) * BARS_PER_IMPORT,
        "symbols_listed_after": len(listed),
        **tally.report(elapsed),
    }


# --- 3. rag -----------------------------------------------------------------------------------
async def rag(base: str, adders: int, queriers: int, seconds: float) -> dict[str, Any]:
    tally = Tally()
    api = base + "/rag/api/v1"
    added: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    topics = ["rates", "earnings", "momentum", "volatility", "liquidity", "guidance"]
    symbols = [s for s, _ in READS]

    async def add(a: int) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT, headers=AUTH) as c:
            i = 0
            while time.monotonic() < deadline:
                marker = uuid.uuid4().hex
                i += 1
                doc = {
                    "text": f"Load note {marker}: {symbols[i % len(symbols)]} "
                    f"{topics[(a + i) % len(topics)]} outlook, round {i} of adder {a}. "
                    "Analysts expect the move to continue while the trend holds.",
                    "symbol": symbols[i % len(symbols)],
                    "source": "load-bench",
                    "metadata": {"marker": marker, "adder": a},
                }
                r = await _call(tally, "add_document", c, "POST", api + "/documents", 201, json=doc)
                if r is not None:
                    added[r.json()["id"]] = marker

    async def query(q: int) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT, headers=AUTH) as c:
            i = q
            while time.monotonic() < deadline:
                i += 1
                body = {"text": f"{topics[i % len(topics)]} outlook", "k": 5}
                if i % 2:
                    body["filters"] = {"symbol": symbols[i % len(symbols)]}
                await _call(tally, "query", c, "POST", api + "/query", 200, json=body)

    t0 = time.perf_counter()
    await asyncio.gather(*(add(a) for a in range(adders)), *(query(q) for q in range(queriers)))
    elapsed = time.perf_counter() - t0
    # Afterwards: every acknowledged document is stored and in the index.
    async with httpx.AsyncClient(timeout=TIMEOUT, headers=AUTH) as c:
        sem = asyncio.Semaphore(8)

        async def check(doc_id: str, marker: str) -> None:
            async with sem:
                r = await c.get(f"{api}/documents/{doc_id}")
                if r.status_code != 200 or r.json()["metadata"].get("marker") != marker:
                    tally.lost += 1
                    tally.error("final_get", f"{doc_id}: HTTP {r.status_code}")
                    return
                q = {"text": f"Load note {marker}", "k": 1, "filters": {"document_id": [doc_id]}}
                r = await c.post(f"{api}/query", json=q)
                hits = r.json().get("results", []) if r.status_code == 200 else []
                if not hits or hits[0]["document_id"] != doc_id:
                    tally.lost += 1
                    tally.error("final_index", f"{doc_id}: not found in the index")

        await asyncio.gather(*(check(i, m) for i, m in added.items()))
    return {
        "adders": adders,
        "queriers": queriers,
        "documents_added": len(added),
        **tally.report(elapsed),
    }


def run(
    seconds: float, readers_n: int, writers_n: int, adders: int, queriers: int
) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:4].upper()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as state:
        stack: RunningStack = start_stack(SERVICES, Path(state), ENV)
        try:
            missing = [s for s in SERVICES if s not in stack.services]
            if missing:
                raise RuntimeError(f"{missing} did not start: {stack.dropped}")
            parts: dict[str, dict[str, Any]] = {}
            for name, start in (
                ("readers", lambda: readers(stack.base, readers_n, seconds)),
                ("writers", lambda: writers(stack.base, writers_n, seconds, run_id)),
                ("rag", lambda: rag(stack.base, adders, queriers, seconds)),
            ):
                # the machine's load, since the client and the stack share it with others
                before = os.getloadavg()[0]
                parts[name] = asyncio.run(start())
                parts[name]["load_average_1m"] = [round(before, 1), round(os.getloadavg()[0], 1)]
        finally:
            stack.stop()
    for name, done in parts.items():
        print(name, {k: v for k, v in done.items() if k != "error_examples"}, flush=True)
    return {
        "through": "the local gateway of the real stack (tests.local_stack: data, embedder, rag)",
        "seconds_per_part": seconds,
        "parts": parts,
        "total_errors": sum(p["errors"] for p in parts.values()),
        "total_lost": sum(p["lost"] for p in parts.values()),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--rag-adders", type=int, default=4)
    parser.add_argument("--rag-queriers", type=int, default=8)
    args = parser.parse_args([] if argv is None else argv)
    result = run(args.seconds, args.readers, args.writers, args.rag_adders, args.rag_queriers)
    path = write_result("load", result)
    print(f"{result['total_errors']} errors, {result['total_lost']} lost -> {path}")
    if result["total_errors"] or result["total_lost"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
