"""A real PostgreSQL server for tests, from Debian's `postgresql` package.

The session fixture `postgres_url` runs initdb in a temporary directory, starts the server on
a free loopback port, and stops it afterwards. As root it runs the server as `postgres`
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.servers import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries are missing; `make test` installs Debian's postgresql "
            "package (or: apt-get install postgresql)"
        )
    return found[-1]


def _as_user() -> tuple[list[str], int | None, int | None]:
    if os.geteuid() != 0:
        return [], None, None
    pw = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    prefix, uid, gid = _as_user()
    root = Path(tempfile.mkdtemp(prefix="ts-pg-"))
    data = root / "data"
    if uid is not None and gid is not None:
        os.chown(root, uid, gid)
    port = free_port()
    subprocess.run(
        [*prefix, _bin("initdb"), "-D", str(data), "-U", "ts", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *prefix,
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                *prefix,
                _bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "ts",
                "tradingstack",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://ts@127.0.0.1:{port}/tradingstack"
    finally:
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
