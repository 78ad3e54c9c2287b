"""The dashboard's TypeScript types, generated from the services' OpenAPI documents.

Each service's FastAPI app is built in-process (as its container builds it, with a throwaway
state directory; no server, no network) and its `app.openapi()` is written to JSON; the
frontend's `openapi-types.mjs` turns each document into `src/generated/<service>.ts` with
openapi-typescript (pinned by the frontend's package-lock.json).

    python hack/ui_types.py            # regenerate src/generated/ (`make ui-types`)
    python hack/ui_types.py --check    # exit 1 with a diff when the committed types are stale
    python hack/ui_types.py --docs DIR # also keep the OpenAPI JSON documents in DIR
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "services/tradingstack/ui/frontend"
GENERATED = FRONTEND / "src/generated"
GENERATOR = FRONTEND / "openapi-types.mjs"
# the services the dashboard talks to (through the gateway's /<service>/ prefixes)
SERVICES = ("data", "nhits", "tcn", "hmm", "rag", "llm")


def build_apps(state: Path) -> dict[str, Any]:
    """Each service's app with its settings pointing at `state` (nothing is started)."""
    from tradingstack.data.app import create_app as data
    from tradingstack.data.settings import DataSettings
    from tradingstack.hmm.app import create_app as hmm
    from tradingstack.hmm.settings import HmmSettings
    from tradingstack.llm.app import create_app as llm
    from tradingstack.nhits.app import create_app as nhits
    from tradingstack.nhits.settings import NhitsSettings
    from tradingstack.rag.app import create_app as rag
    from tradingstack.rag.settings import RagSettings
    from tradingstack.tcn.app import create_app as tcn
    from tradingstack.tcn.settings import TcnSettings

    makers: dict[str, Callable[[], Any]] = {
        "data": lambda: data(DataSettings(dir=state / "data")),
        "nhits": lambda: nhits(NhitsSettings(dir=state / "nhits")),
        "tcn": lambda: tcn(TcnSettings(dir=state / "tcn")),
        "hmm": lambda: hmm(HmmSettings(dir=state / "hmm")),
        "rag": lambda: rag(RagSettings(dir=state / "rag")),
        "llm": lambda: llm(),
    }
    return {name: makers[name]() for name in SERVICES}


def documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, as its app serves it at /openapi.json."""
    with tempfile.TemporaryDirectory(prefix="ts-openapi-") as tmp:
        return {name: app.openapi() for name, app in build_apps(Path(tmp)).items()}


def write_documents(docs: dict[str, dict[str, Any]], into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        text = json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
        (into / f"{name}.json").write_text(text, encoding="utf-8")


def generate(docs: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    """openapi-typescript over `docs` into `out/<service>.ts` (replacing what is there)."""
    if not (FRONTEND / "node_modules/openapi-typescript").is_dir():
        raise SystemExit(
            "openapi-typescript is not installed: run `make ui-assets` "
            "(npm ci in services/tradingstack/ui/frontend)"
        )
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is missing: install Node.js 20.19+ to generate the types")
    with tempfile.TemporaryDirectory(prefix="ts-openapi-json-") as tmp:
        write_documents(docs, Path(tmp))
        tmp_out = Path(tmp) / "out"
        subprocess.run(
            [node, str(GENERATOR), tmp, str(tmp_out)],
            cwd=FRONTEND,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.ts"):
            old.unlink()
        written = []
        for f in sorted(tmp_out.glob("*.ts")):
            target = out / f.name
            shutil.copyfile(f, target)
            written.append(target)
    return written


def stale(docs: dict[str, dict[str, Any]], committed: Path = GENERATED) -> str:
    """The unified diff between the committed types and freshly generated ones ('' if equal)."""
    with tempfile.TemporaryDirectory(prefix="ts-types-") as tmp:
        fresh = Path(tmp)
        generate(docs, fresh)
        names = sorted({p.name for p in [*fresh.glob("*.ts"), *committed.glob("*.ts")]})
        out: list[str] = []
        for name in names:
            a = committed / name
            b = fresh / name
            old = a.read_text(encoding="utf-8").splitlines(keepends=True) if a.exists() else []
            new = b.read_text(encoding="utf-8").splitlines(keepends=True) if b.exists() else []
            out.extend(
                difflib.unified_diff(old, new, f"committed/{name}", f"generated/{name}", n=2)
            )
        return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when src/generated is stale")
    parser.add_argument("--docs", type=Path, help="also write the OpenAPI JSON documents here")
    args = parser.parse_args(argv)
    docs = documents()
    if args.docs:
        write_documents(docs, args.docs)
    if args.check:
        diff = stale(docs)
        if diff:
            sys.stdout.write(diff)
            print(
                "\nthe dashboard's generated types are stale: run `make ui-types` and commit "
                "services/tradingstack/ui/frontend/src/generated/",
                file=sys.stderr,
            )
            return 1
        print("the dashboard's generated types match the services' OpenAPI documents")
        return 0
    for path in generate(docs, GENERATED):
        print(f"  {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
