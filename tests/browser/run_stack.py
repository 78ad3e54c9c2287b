"""`tradingstack up` for the browser tests, with an explicit list of services.

The CLI's `up` runs only the catalog's `implemented` workloads; while services are still being
integrated, the browser tests also want the ones that exist in the tree. This runs the very same
launcher (`tradingstack.local.launcher.Stack`: one process per service, the gateway, the health
loop, Ctrl-C/SIGTERM stops everything) with the names given.

    python -m tests.browser.run_stack --port 3900 --state-dir /tmp/s --services ui,data,nhits
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from tradingstack.core import catalog
from tradingstack.local.launcher import Stack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--services", required=True, help="comma list of catalog workloads")
    parser.add_argument("--health-interval", type=float, default=2.0)
    args = parser.parse_args()
    workloads = [catalog.get(n.strip()) for n in args.services.split(",") if n.strip()]
    stack = Stack(workloads, state_dir=args.state_dir, gateway_port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        asyncio.run(stack.serve(health_interval=args.health_interval, ready_timeout=150))
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
