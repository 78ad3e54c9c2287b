"""Benchmark of the container images (hack/images.py): each image's size and build and export
times from the build index, and the arm64 image for the Jetson, built here under qemu-user and
proved by importing the project and torch in it; written to bench/results/images.json.

    .venv/bin/python -m bench.images            # the host's images (built when missing)
    .venv/bin/python -m bench.images --arm64    # also the arm64 torch image and its proof
                                                # (tens of minutes: every RUN step emulated)

Without --arm64, the arm64 figures of the previous result file are kept (with their date).
The arm64 image is built, not exported, unless --export: its archive is another 7 GB on disk;
it is removed from the build storage after its proof (15 GB with its build stages) unless
--keep. The arm64 run goes first, so the host's images are measured after that space is back.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import load_hack, write_result

REPO = Path(__file__).resolve().parent.parent
RESULT = REPO / "bench" / "results" / "images.json"
PROOF = (
    "import json, platform, time; t = time.perf_counter(); "
    "import tradingstack, torch, neuralforecast, sentence_transformers; "
    "x = torch.ones(64, 64); "
    "print(json.dumps({'machine': platform.machine(), 'torch': torch.__version__, "
    "'cuda_build': torch.version.cuda, 'matmul_sum': float((x @ x).sum()), "
    "'import_seconds': round(time.perf_counter() - t, 1)}))"
)


def arm64(images: ModuleType, export: bool, keep: bool) -> dict[str, Any]:
    image = images.BY_NAME["services-torch"]
    start = time.monotonic()
    entry = images.build_image(image, "arm64", export=export)
    build_wall = time.monotonic() - start
    t0 = time.monotonic()
    out = images.run_in(image, "arm64", ["python", "-c", PROOF])
    proof_wall = time.monotonic() - t0
    if out.returncode != 0:
        raise RuntimeError(f"the arm64 proof failed: {out.stderr[-2000:]}")
    proof = json.loads(out.stdout.strip().splitlines()[-1])
    if proof["machine"] != "aarch64":
        raise RuntimeError(f"the proof did not run as aarch64: {proof}")
    if not keep:
        ref = images._arch_ref(image, "arm64")
        images.buildah("rmi", ref, f"{ref}-build", capture=True)
        images.prune()
    return {
        "measured": time.strftime("%Y-%m-%d"),
        "image": entry,
        "build_wall_seconds": round(build_wall, 1),
        "proof_command": f'python -c "{PROOF}"',
        "proof": proof,
        "proof_wall_seconds": round(proof_wall, 1),
        "emulated": images.host_arch() != "arm64",
        "kept": keep,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm64", action="store_true", help="build and prove the arm64 image")
    parser.add_argument("--export", action="store_true", help="also export the arm64 archive")
    parser.add_argument("--keep", action="store_true", help="keep the arm64 image afterwards")
    args = parser.parse_args(argv if argv is not None else [])
    images = load_hack("images")
    host = images.host_arch()
    previous = json.loads(RESULT.read_text()) if RESULT.is_file() else {}
    arm = arm64(images, args.export, args.keep) if args.arm64 else previous.get("arm64")
    result: dict[str, Any] = {"host_arch": host, "images": {}}
    for name in images.BY_NAME:
        entry = images.build_image(images.BY_NAME[name], host)
        result["images"][name] = {
            "ref": entry["ref"],
            "archive_mib": round(int(entry["archive_bytes"]) / 2**20),
            "build_seconds": entry["build_seconds"],
            "export_seconds": entry["export_seconds"],
        }
    result["arm64"] = arm
    print(json.dumps(result, indent=2))
    write_result("images", result)


if __name__ == "__main__":
    main(sys.argv[1:])
