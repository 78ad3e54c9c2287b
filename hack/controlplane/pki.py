"""Certificates (the openssl CLI) and kubeconfigs: a CA, the apiserver's serving certificate,
one client certificate per component (as kubeadm makes them), the service-account key."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

SERVICE_CIDR = "10.43.0.0/16"  # K3s' default service range
SERVICE_IP = "10.43.0.1"  # the `kubernetes` Service
POD_CIDR = "10.42.0.0/16"  # K3s' default pod range; kwok hands pod IPs out of it
NODE_IP = "10.42.0.1"  # the simulated node's InternalIP (data only; nothing binds it)


_REQ_CONFIG = "[req]\ndistinguished_name = dn\n[dn]\n"  # no default extensions from openssl.cnf
_EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl_all(pki: Path, commands: Sequence[Sequence[str]]) -> None:
    """Run `openssl` commands in parallel in `pki`; fail with openssl's message."""
    procs = [
        (cmd, subprocess.Popen(["openssl", *cmd], cwd=pki, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True))
        for cmd in commands
    ]  # fmt: skip
    for cmd, proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(cmd)} failed: {err.strip()}")


def _leaf(name: str, subject: str, *extensions: str) -> list[str]:
    """`openssl req` that makes key `name`.key and certificate `name`.crt signed by the CA."""
    cmd = ["req", "-config", "req.cnf", "-x509", "-new", *_EC, "-keyout", f"{name}.key"]
    cmd += ["-subj", subject, "-days", "3650", "-sha256", "-CA", "ca.crt", "-CAkey", "ca.key"]
    for extension in ("basicConstraints=critical,CA:FALSE", *extensions):
        cmd += ["-addext", extension]
    return [*cmd, "-out", f"{name}.crt"]


CLIENT_USAGE = ("keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth")

# Client identities: admin for people and tests, one per component (as kubeadm does).
CLIENTS = {
    "admin": "/O=system:masters/CN=kubernetes-admin",
    "kube-controller-manager": "/CN=system:kube-controller-manager",
    "kube-scheduler": "/CN=system:kube-scheduler",
    "kwok": "/O=system:masters/CN=kwok-controller",
    # the real node (hack/node.py)
    "kubelet": "/O=system:nodes/CN=system:node:tradingstack-node",
    "kube-proxy": "/CN=system:kube-proxy",
    "apiserver-kubelet-client": "/O=system:masters/CN=kube-apiserver-kubelet-client",
}
NODE_ADDR = "10.41.0.1"  # node.NODE_ADDR: the real node's address, on a dummy link


def make_pki(pki: Path) -> None:
    """A CA, the apiserver's serving certificate, client certificates, the service-account
    signing key (ECDSA P-256 throughout: fast to make, accepted everywhere)."""
    pki.mkdir(parents=True, exist_ok=True)
    (pki / "req.cnf").write_text(_REQ_CONFIG)
    ca = ["req", "-config", "req.cnf", "-x509", "-new", *_EC, "-keyout", "ca.key"]
    ca += ["-subj", "/CN=tradingstack-test-ca", "-days", "3650", "-sha256", "-out", "ca.crt"]
    ca += ["-addext", "basicConstraints=critical,CA:TRUE"]
    ca += ["-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]
    sa_key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    _openssl_all(pki, [ca, [*sa_key, "-out", "sa.key"]])
    sans = [
        "IP:127.0.0.1",
        f"IP:{NODE_ADDR}",
        f"IP:{SERVICE_IP}",
        "DNS:localhost",
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
    ]
    serving = _leaf(
        "apiserver",
        "/CN=kube-apiserver",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        f"subjectAltName={','.join(sans)}",
    )
    clients = [_leaf(name, subject, *CLIENT_USAGE) for name, subject in CLIENTS.items()]
    sa_pub = ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]
    _openssl_all(pki, [serving, *clients, sa_pub])
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    """A self-contained kubeconfig (certificates embedded); JSON is valid YAML."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "tradingstack-test",
                "cluster": {"server": server, "certificate-authority-data": _b64(pki / "ca.crt")},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(pki / f"{user}.crt"),
                    "client-key-data": _b64(pki / f"{user}.key"),
                },
            }
        ],
        "contexts": [
            {"name": "tradingstack-test", "context": {"cluster": "tradingstack-test", "user": user}}
        ],
        "current-context": "tradingstack-test",
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)
