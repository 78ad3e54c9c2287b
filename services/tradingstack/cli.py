"""The `tradingstack` command."""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradingstack.core import catalog

app = typer.Typer(
    help="TradingStack: the local stack, single services, the operator.", no_args_is_help=True
)
console = Console()


@app.command()
def up(
    only: Annotated[
        str | None, typer.Option(help="comma list of services to run (default: every built one)")
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            envvar="TS_GATEWAY_PORT",
            min=0,
            max=65535,
            help="gateway port (0: any free one); the services take free ports when theirs "
            "are taken",
        ),
    ] = 3000,
    state_dir: Annotated[Path, typer.Option(help="databases, models, logs")] = Path(".state"),
    prepare: Annotated[
        str,
        typer.Option(
            envvar="TS_JOBS_PREPARE",
            help="models trained in the background when the state has none, one at a time "
            "(SYMBOL:TIMEFRAME, comma-separated; empty: none)",
        ),
    ] = "BTCUSD:H1",
) -> None:
    """Run the stack locally behind one gateway on 127.0.0.1 (Ctrl-C stops it)."""
    from tradingstack.local import launcher

    names = [n.strip() for n in only.split(",")] if only else None
    if names:
        for n in names:
            w = catalog.get(n)
            if w.app is None or not w.implemented:
                raise typer.BadParameter(f"{n} cannot run locally (not built yet, or not ours)")
    try:
        launcher.run(names, state_dir=state_dir, gateway_port=port, prepare=prepare)
    except launcher.PortInUse as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help="a workload of the catalog, e.g. data")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default: the catalog's)")] = None,
    fd: Annotated[
        int | None,
        typer.Option(help="serve on this inherited listening socket (the local launcher's)"),
    ] = None,
) -> None:
    """Run one service (the entry point of its container image too)."""
    import socket

    import uvicorn

    w = catalog.get(name)
    if w.app is None:
        raise typer.BadParameter(f"{name} is a third-party server, not a TradingStack service")
    module, _, func = w.app.partition(":")
    try:
        factory = getattr(importlib.import_module(module), func)
    except ModuleNotFoundError as exc:
        raise typer.BadParameter(f"{name} is not built yet ({exc.name} missing)") from None
    from tradingstack.core.http import SERVER_KEEP_ALIVE_SECONDS

    config = uvicorn.Config(
        factory(),
        host=host,
        port=port or w.port,
        log_config=None,
        proxy_headers=True,
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
    )
    # the launcher binds the port and hands the socket over: no race for a free port
    sockets = [socket.socket(fileno=fd)] if fd is not None else None
    uvicorn.Server(config).run(sockets=sockets)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    host: Annotated[str, typer.Option(help="where the local services listen")] = "127.0.0.1",
    state_dir: Annotated[
        Path, typer.Option(help="the running stack's state (its stack.json says the ports)")
    ] = Path(".state"),
) -> None:
    """Probe every service of the local stack and print its health."""
    from tradingstack.core.health import probe_many
    from tradingstack.local.launcher import local_port, read_stack_file

    running = read_stack_file(state_dir) or {}
    urls: dict[str, str] = running.get("services") or {}
    # the services the running stack started, where they listen; else every one on its port
    targets = {
        w.name: urls.get(w.name, f"http://{host}:{local_port(w)}") + w.health_path
        for w in catalog.WORKLOADS
        if w.app is not None and w.implemented and (not urls or w.name in urls)
    }
    results = asyncio.run(probe_many(targets, timeout=3.0, retries=0))
    if as_json:
        typer.echo(json.dumps({n: r.model_dump(mode="json") for n, r in results.items()}, indent=2))
    else:
        table = Table(title="TradingStack services")
        for col in ("service", "status", "version", "uptime", "training", "latency", "error"):
            table.add_column(col)
        for w in catalog.WORKLOADS:
            r = results.get(w.name)
            if r is None:
                why = (
                    "not built yet"
                    if not w.implemented
                    else "not in this stack"
                    if urls and w.app is not None
                    else "runs in a cluster only"
                )
                table.add_row(w.name, f"[dim]{why}[/]", "", "", "", "", "")
                continue
            colour = "green" if r.healthy else "red"
            table.add_row(
                w.name,
                f"[{colour}]{r.status}[/]",
                r.version or "",
                f"{r.uptime_seconds:.0f}s" if r.uptime_seconds is not None else "",
                "yes" if r.training_in_progress else "",
                f"{r.latency_seconds * 1000:.0f} ms" if r.latency_seconds is not None else "",
                r.error or "",
            )
        console.print(table)
    if not all(r.healthy for r in results.values()):
        raise typer.Exit(1)


@app.command()
def operator(
    namespace: Annotated[
        str | None, typer.Option(help="watch only this namespace (default: all namespaces)")
    ] = None,
    liveness: Annotated[
        str | None,
        typer.Option(help="serve kopf's liveness probe, e.g. http://0.0.0.0:8080/healthz"),
    ] = None,
) -> None:
    """Run the operator against the current kubeconfig (or the in-cluster account)."""
    try:
        from tradingstack_operator.main import run
    except ModuleNotFoundError as exc:
        raise typer.BadParameter(
            f"the operator needs the 'operator' extra ({exc.name} is missing): "
            "pip install 'tradingstack[operator]'"
        ) from None
    run(namespace=namespace, all_namespaces=namespace is None, liveness=liveness)


@app.command("catalog")
def show_catalog() -> None:
    """Print the workload catalog as JSON."""
    typer.echo(json.dumps([w.model_dump(mode="json") for w in catalog.WORKLOADS], indent=2))


if __name__ == "__main__":
    app()
