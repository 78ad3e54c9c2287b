"""The model registry on disk (the models volume).

Layout, one directory per model (symbol, timeframe):

    <dir>/models/<SYMBOL>/<TF>/current.json           {"version": "..."}  (the pointer)
    <dir>/models/<SYMBOL>/<TF>/<version>/weights.safetensors
    <dir>/models/<SYMBOL>/<TF>/<version>/meta.json    trained at, data range, settings,
                                                      evaluation, sha256 of the weights

A save writes a new version directory under a temporary name, renames it into place, then
replaces `current.json` with os.replace: readers see the old model or the new one, never half
of one. Nothing is pickled: weights are safetensors, everything else JSON. A model whose files
are missing, truncated or altered raises `CorruptModelError`, a `ModelCorrupt` (409
`model-corrupt`: train it again).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradingstack.core.errors import ModelCorrupt, ModelNotTrained
from tradingstack.core.timeframes import Timeframe

WEIGHTS = "weights.safetensors"
META = "meta.json"
POINTER = "current.json"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=^-]{0,39}$")


class ModelNotFoundError(ModelNotTrained):
    """No model is saved for this symbol and timeframe."""


class CorruptModelError(ModelCorrupt):
    """A model is saved but its files are missing, damaged or altered."""


def safe_symbol(symbol: str) -> str:
    """The symbol as a directory name; ValueError when it could escape the registry."""
    sym = symbol.upper()
    if not _SAFE.match(sym) or ".." in sym:
        raise ValueError(
            f"Symbol {symbol!r} is not valid: use 1-40 letters, digits or . _ - = ^ characters."
        )
    return sym


@dataclass
class Stored:
    meta: dict[str, Any]
    weights: bytes
    path: Path


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "models"
        self.root.mkdir(parents=True, exist_ok=True)

    def model_dir(self, symbol: str, timeframe: Timeframe) -> Path:
        return self.root / safe_symbol(symbol) / str(timeframe)

    def save(
        self, symbol: str, timeframe: Timeframe, weights: bytes, meta: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new version and make it current; returns the metadata written."""
        base = self.model_dir(symbol, timeframe)
        base.mkdir(parents=True, exist_ok=True)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        meta = {**meta, "version": version, "weights_sha256": hashlib.sha256(weights).hexdigest()}
        staging = Path(tempfile.mkdtemp(dir=base, prefix=".staging-"))
        try:
            (staging / WEIGHTS).write_bytes(weights)
            (staging / META).write_text(json.dumps(meta, indent=2, sort_keys=True))
            for name in (WEIGHTS, META):
                with open(staging / name, "rb") as f:
                    os.fsync(f.fileno())
            os.replace(staging, base / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _write_atomic(base / POINTER, json.dumps({"version": version}).encode())
        self._prune(base, keep=version)
        return meta

    def _prune(self, base: Path, keep: str) -> None:
        for child in base.iterdir():
            if child.is_dir() and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def current_version(self, symbol: str, timeframe: Timeframe) -> str:
        pointer = self.model_dir(symbol, timeframe) / POINTER
        if not pointer.exists():
            raise ModelNotFoundError(f"no model for {symbol} {timeframe}")
        try:
            version = str(json.loads(pointer.read_text())["version"])
        except (ValueError, KeyError, TypeError, OSError) as exc:
            msg = f"the model pointer {pointer.name} is unreadable: {exc}"
            raise CorruptModelError(msg) from exc
        if "/" in version or version.startswith("."):
            raise CorruptModelError("the model pointer names an invalid version")
        return version

    def signature(self, symbol: str, timeframe: Timeframe) -> tuple[Any, ...]:
        """Changes whenever the current model's files change (for caches): version + stats."""
        version = self.current_version(symbol, timeframe)
        base = self.model_dir(symbol, timeframe) / version
        try:
            stats = [(base / n).stat() for n in (WEIGHTS, META)]
        except OSError as exc:
            raise CorruptModelError(f"the model files are missing: {exc}") from exc
        return (version, *((st.st_mtime_ns, st.st_size, st.st_ino) for st in stats))

    def meta(self, symbol: str, timeframe: Timeframe) -> dict[str, Any]:
        version = self.current_version(symbol, timeframe)
        path = self.model_dir(symbol, timeframe) / version / META
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptModelError(f"the model metadata is missing or not JSON: {exc}") from exc
        if not isinstance(meta, dict) or "hyper" not in meta:
            raise CorruptModelError("the model metadata lacks its hyper-parameters")
        return meta

    def load(self, symbol: str, timeframe: Timeframe) -> Stored:
        meta = self.meta(symbol, timeframe)
        path = self.model_dir(symbol, timeframe) / meta["version"] / WEIGHTS
        try:
            weights = path.read_bytes()
        except OSError as exc:
            raise CorruptModelError(f"the weights file is missing: {exc}") from exc
        if hashlib.sha256(weights).hexdigest() != meta.get("weights_sha256"):
            raise CorruptModelError("the weights file does not match its recorded sha256")
        return Stored(meta=meta, weights=weights, path=path)

    def weights_path(self, symbol: str, timeframe: Timeframe) -> Path:
        return self.model_dir(symbol, timeframe) / self.current_version(symbol, timeframe) / WEIGHTS

    def delete(self, symbol: str, timeframe: Timeframe) -> bool:
        base = self.model_dir(symbol, timeframe)
        if not base.exists():
            return False
        shutil.rmtree(base)
        return True

    def entries(self) -> list[tuple[str, Timeframe]]:
        out: list[tuple[str, Timeframe]] = []
        for sym_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for tf_dir in sorted(p for p in sym_dir.iterdir() if p.is_dir()):
                if tf_dir.name in Timeframe.__members__ and (tf_dir / POINTER).exists():
                    out.append((sym_dir.name, Timeframe(tf_dir.name)))
        return out
