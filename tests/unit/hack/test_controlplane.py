"""hack/controlplane/ without starting anything: the table of components and its loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.common import load_hack

cpm = load_hack("controlplane")
node = load_hack("node")


class RecordingControlPlane(cpm.ControlPlane):
    """A ControlPlane that records launches and waits instead of starting processes."""

    events: list[tuple[str, str]]

    def launch(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.events.append(("launch", name))

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        assert check()
        self.events.append(("ready", what))


def _start(tmp_path: Path, *, node: bool = False, kwok: bool = True) -> Any:
    cp = RecordingControlPlane(tmp_path, "https://127.0.0.1:1", tmp_path / "kc", tmp_path, "j")
    cp.events = []
    ports = dict.fromkeys(("apiserver", "etcd", "etcd-peer", "controller-manager"), 1)
    ports |= {"scheduler": 2, "kwok": 3}
    return cpm.Start(cp, ports, 5.0, kwok=kwok, node=node)


def test_a_component_starts_after_the_checks_of_those_it_needs(tmp_path: Path) -> None:
    def row(name: str, needs: tuple[str, ...] = (), enabled: bool = True) -> Any:
        ready = (cpm.Check(f"{name} ready", lambda s: True),)
        return cpm.Component(name, lambda s: [], ready, needs, enabled=lambda s: enabled)

    start = _start(tmp_path)
    table = [row("a"), row("b", needs=("a",)), row("off", enabled=False), row("c"), row("d")]
    table.append(row("e", needs=("c", "off")))
    cpm.run_components(start, table)
    assert start.cp.events == [
        ("launch", "a"),
        ("ready", "a ready"),  # b needs a
        ("launch", "b"),
        ("launch", "c"),  # c and d need nothing: no wait
        ("launch", "d"),
        ("ready", "c ready"),  # e needs c (and `off`, which never started)
        ("launch", "e"),
        ("ready", "b ready"),  # at the end, every check not waited for yet, in table order
        ("ready", "d ready"),
        ("ready", "e ready"),
    ]


def test_the_control_plane_table_without_kwok_leaves_kwok_out(tmp_path: Path) -> None:
    start = _start(tmp_path, kwok=False)
    start.cp.healthy = lambda: True
    start.cp.request = lambda method, path, body=None: {}
    cpm.run_components(start, cpm.CONTROL_PLANE)
    launched = [name for event, name in start.cp.events if event == "launch"]
    assert launched == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    # the controller-manager and the scheduler start once the apiserver answers
    assert start.cp.events.index(("ready", "kube-apiserver")) == 2


@pytest.mark.parametrize("with_node", [False, True])
def test_the_apiserver_listens_where_pods_reach_it(tmp_path: Path, with_node: bool) -> None:
    flags = cpm.CONTROL_PLANE[1].flags(_start(tmp_path, node=with_node))
    host = node.NODE_ADDR if with_node else "127.0.0.1"
    assert f"--bind-address={host}" in flags and f"--advertise-address={host}" in flags
    reconciler = "lease" if with_node else "none"  # the `kubernetes` Service only with pods
    assert f"--endpoint-reconciler-type={reconciler}" in flags


def test_the_real_node_adds_its_rows_to_the_same_table() -> None:
    table = [*cpm.CONTROL_PLANE, *node.components()]
    names = [row.name for row in table]
    assert names[len(cpm.CONTROL_PLANE) :] == [
        "containerd", "kubelet", "kube-proxy", "coredns", "traefik", "local-path-provisioner",
    ]  # fmt: skip
    for i, row in enumerate(table):  # a row needs only rows before it, and each is a binary
        assert set(row.needs) <= set(names[:i]), row.name
        assert row.name in cpm.BINARIES
    assert node.NODE_ADDR == cpm.NODE_ADDR  # the apiserver's certificate names the node
