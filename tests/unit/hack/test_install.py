"""`make install` builds nothing: every package it installs comes as a wheel for Linux x86_64
and aarch64 (the Jetson), so a new user's first start has no compile step (issue 18). It used
to compile llama-cpp-python from its sdist (about 8 minutes on two cores)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _install_command() -> list[str]:
    """The `uv sync` that `make install` runs, as the Makefile has it."""
    plan = subprocess.run(
        ["make", "-n", "-B", "install"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    syncs = [line for line in plan.splitlines() if re.search(r"\buv sync\b", line)]
    assert len(syncs) == 1, plan
    return shlex.split(syncs[0])


def _wheel_for(filenames: list[str], arch: str) -> bool:
    return any(
        name.endswith("-none-any.whl")
        or (
            re.search(rf"manylinux(\d+|_\d+_\d+)_{arch}\.", name) is not None
            and re.search(r"-(cp311-|cp3\d+-abi3-|py3-)", name) is not None
        )
        for name in filenames
    )


def test_make_install_installs_wheels_only(tmp_path: Path) -> None:
    cmd = _install_command()
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    dry = subprocess.run([*cmd, "--dry-run"], cwd=REPO, capture_output=True, text=True, env=env)
    assert dry.returncode == 0, dry.stderr
    planned = re.findall(r"^ \+ ([A-Za-z0-9_.-]+)==", dry.stderr, re.M)
    assert len(planned) > 100 and "xllamacpp" in planned, dry.stderr  # the whole stack
    lock = {p["name"]: p for p in tomllib.loads((REPO / "uv.lock").read_text())["package"]}
    built = []
    for name in planned:
        package = lock[name]
        if package.get("source", {}).get("editable"):
            continue  # the project itself
        wheels = [w["url"].rsplit("/", 1)[-1] for w in package.get("wheels", [])]
        missing = [arch for arch in ("x86_64", "aarch64") if not _wheel_for(wheels, arch)]
        if missing:
            built.append(f"{name} (no wheel for {', '.join(missing)})")
    assert not built, f"make install would build: {built}"
