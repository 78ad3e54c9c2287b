"""`python -m bench [name ...]`: run the benchmarks (all by default); results in bench/results/."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in ("common", "__main__")
    )
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            module.main()
        except Exception as exc:  # keep going; report at the end
            print(f"!! {name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - start:.1f}s", flush=True)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
