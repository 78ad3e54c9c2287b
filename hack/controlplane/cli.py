"""The command line: `python3 hack/controlplane build|pin|up|down|status|bin|bin-dir`."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence

from .base import CLUSTER_DIR, log
from .build import BINARIES, MODULES, bin_dir, binary, build, pin
from .components import start
from .process import ControlPlane


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="controlplane", description="the test control plane: build, start, stop"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the pinned binaries into the cache")
    p_build.add_argument("--force", action="store_true", help="rebuild even when present")
    p_pin = sub.add_parser("pin", help="change a pinned version (rewrites its go.mod)")
    p_pin.add_argument("module", choices=[m.name for m in MODULES])
    p_pin.add_argument("version", help="e.g. v1.36.3 for kubernetes")
    p_up = sub.add_parser("up", help="start the control plane; writes .cluster/kubeconfig")
    p_up.add_argument(
        "--no-node", action="store_true", help="only kwok's simulated Jetson, no real node"
    )
    sub.add_parser("down", help="stop the control plane started by `up`")
    sub.add_parser("status", help="what runs, where")
    p_bin = sub.add_parser("bin", help="print the path of a cached binary")
    p_bin.add_argument("name", choices=BINARIES)
    sub.add_parser("bin-dir", help="print the cache directory of the binaries")
    return parser


def _up(no_node: bool) -> int:
    with_node = not no_node
    if with_node and os.geteuid() != 0:
        log("not root: no real node (kwok's simulated Jetson only)")
        with_node = False
    cp = start(node=with_node)
    if cp.ingress_url:
        log(f"Ingress: {cp.ingress_url} (also in {CLUSTER_DIR / 'ingress-url'})")
    print(f"export KUBECONFIG={cp.kubeconfig}")
    return 0


def _down() -> int:
    recorded = ControlPlane.load(CLUSTER_DIR.resolve())
    if recorded is None:
        log("no control plane recorded in .cluster/")
    else:
        recorded.stop()
        log("control plane stopped")
    return 0


def _status() -> int:
    recorded = ControlPlane.load(CLUSTER_DIR.resolve())
    if recorded is None:
        print("not running")
        return 1
    healthy = recorded.healthy()
    print(json.dumps({"server": recorded.server, "healthy": healthy, **recorded.running()}))
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        build(force=args.force)
    elif args.command == "pin":
        pin(args.module, args.version)
    elif args.command == "up":
        return _up(args.no_node)
    elif args.command == "down":
        return _down()
    elif args.command == "status":
        return _status()
    elif args.command == "bin":
        print(binary(args.name))
    elif args.command == "bin-dir":
        print(bin_dir())
    return 0
