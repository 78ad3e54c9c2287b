"""The model on disk: weights as safetensors, metadata as JSON, both replaced atomically.

`model.safetensors` holds the state_dict (tensors only: no pickle); `model.json` holds the
architecture, the classes, how and on what the model was trained, the calibrated rules (each
pattern's threshold, false-hit rate, lift over chance and whether it is served), the
probability calibration (temperature, logit correction), its held-out metrics and quality,
and the SHA-256 of the weights file. Each file is written to a temporary file in the same folder
and moved into place with `os.replace`; the JSON goes last and names the weights' checksum, so
a crash between the two, a truncated file or a bit flip is reported as a corrupt model (with
how to fix it) instead of crashing the service.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from tradingstack.core.errors import ModelCorrupt
from tradingstack.core.schemas import ModelQuality
from tradingstack.tcn.calibration import Calibration
from tradingstack.tcn.model import TCNClassifier, TCNConfig

FORMAT_VERSION = 2
"""2: vol-unit features (3 channels), calibrated rules, temperature and quality."""


class ModelCorruptError(ModelCorrupt):
    """The saved model cannot be loaded; the message says why (409 `model-corrupt` where it
    reaches a route: training again replaces it)."""


class ModelMeta(BaseModel):
    format_version: int = FORMAT_VERSION
    trained_at: datetime
    config: TCNConfig
    weights_sha256: str
    device: str
    duration_seconds: float
    torch_version: str = Field(default_factory=lambda: str(torch.__version__))
    temperature: float = Field(default=1.0, gt=0, description="divides the logits")
    logit_bias: list[float] | None = Field(
        default=None, description="added to the logits before the temperature (label shift)"
    )
    calibration: Calibration | None = Field(
        default=None, description="the calibrated rules the network was distilled from"
    )
    quality: ModelQuality | None = Field(
        default=None, description="served macro-F1 on held-out real windows"
    )
    training: dict[str, Any] = Field(default_factory=dict, description="settings and data used")
    metrics: dict[str, Any] = Field(default_factory=dict, description="validation metrics")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """The TCN model in `directory` (TS_TCN_DIR)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.weights_path = self.directory / "model.safetensors"
        self.meta_path = self.directory / "model.json"

    def exists(self) -> bool:
        return self.meta_path.exists()

    def save(self, model: TCNClassifier, meta: ModelMeta) -> ModelMeta:
        state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        _atomic_write(self.weights_path, lambda p: save_file(state, str(p)))
        meta = meta.model_copy(update={"weights_sha256": _sha256(self.weights_path)})
        text = meta.model_dump_json(indent=2)
        _atomic_write(self.meta_path, lambda p: p.write_text(text, encoding="utf-8"))
        return meta

    def read_meta(self) -> ModelMeta:
        try:
            return ModelMeta.model_validate(json.loads(self.meta_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            raise ModelCorruptError(
                f"the model metadata {self.meta_path.name} cannot be read "
                f"({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc

    def load(self, device: torch.device | str = "cpu") -> tuple[TCNClassifier, ModelMeta]:
        meta = self.read_meta()
        if meta.format_version != FORMAT_VERSION:
            raise ModelCorruptError(
                f"the saved model has format {meta.format_version}, this service reads "
                f"{FORMAT_VERSION}"
            )
        if not self.weights_path.exists():
            raise ModelCorruptError(f"the weights {self.weights_path.name} are missing")
        if _sha256(self.weights_path) != meta.weights_sha256:
            raise ModelCorruptError(
                f"the weights {self.weights_path.name} do not match their checksum in "
                f"{self.meta_path.name} (a partial write or a damaged file)"
            )
        model = TCNClassifier(meta.config)
        try:
            model.load_state_dict(load_file(str(self.weights_path), device="cpu"), strict=True)
        except (SafetensorError, RuntimeError, OSError) as exc:
            raise ModelCorruptError(
                f"the weights {self.weights_path.name} cannot be loaded "
                f"({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc
        model.to(device).eval()
        return model, meta
