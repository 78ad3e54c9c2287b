"""Run the operator: `python -m tradingstack_operator` or `tradingstack operator`."""

from __future__ import annotations

import argparse
import asyncio
import logging

import kopf

from tradingstack_operator.settings import OperatorSettings


def run(
    namespace: str | None = None, all_namespaces: bool = False, liveness: str | None = None
) -> None:
    """Run the operator until interrupted, against $KUBECONFIG or the in-cluster account.

    `namespace`: watch only this namespace; `all_namespaces` (or neither given): every
    namespace. `liveness`: kopf's probe endpoint, e.g. http://0.0.0.0:8080/healthz.
    """
    from tradingstack_operator import handlers  # noqa: F401  (registers the handlers)

    settings = OperatorSettings()  # every env var, read once; the handlers get it in the memo
    level = settings.log_level
    kopf.configure(debug=level == "DEBUG", log_format=kopf.LogFormat.PLAIN)
    logging.getLogger().setLevel(getattr(logging, level, logging.INFO))
    clusterwide = all_namespaces or not namespace
    asyncio.run(
        kopf.operator(
            clusterwide=clusterwide,
            namespaces=[] if clusterwide else [namespace or ""],
            standalone=True,
            liveness_endpoint=liveness,
            memo=kopf.Memo(settings=settings),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="tradingstack-operator", description=run.__doc__)
    parser.add_argument("--namespace", "-n", help="watch only this namespace")
    parser.add_argument("--all-namespaces", "-A", action="store_true", help="watch all namespaces")
    parser.add_argument("--liveness", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz")
    args = parser.parse_args()
    run(args.namespace, args.all_namespaces, args.liveness)


if __name__ == "__main__":
    main()
