"""Generate the TradingStack CRD from the pydantic models in `spec`.

    python -m tradingstack_operator.crd > crds/tradingstack.dev_tradingstacks.yaml
    python -m tradingstack_operator.crd --write     # crds/ and charts/tradingstack/crds/

The pydantic JSON schema is turned into a Kubernetes structural schema: `$ref`s inlined,
`Optional[X]` reduced to `X` (an absent field), titles dropped, `additionalProperties: false`
dropped (the API server prunes and, with strict field validation, refuses unknown fields).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from tradingstack_operator import spec

CRD_FILE = f"{spec.GROUP}_{spec.PLURAL}.yaml"


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        merged = _resolve(target, defs)
        merged.update(_resolve(extra, defs))
        return merged
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) != 1:
            raise ValueError(f"cannot express anyOf {node['anyOf']} structurally")
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if rest.get("default", ...) is None:
            rest.pop("default")
        merged = _resolve(options[0], defs)
        # the outer node's description and default win over the inner model's
        merged.update(_resolve(rest, defs))
        return merged
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs"):
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key == "properties":
            out[key] = {name: _resolve(v, defs) for name, v in value.items()}
        else:
            out[key] = _resolve(value, defs)
    if out.get("default", ...) is None:
        out.pop("default")
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _order(node: Any) -> Any:
    """Stable key order: description first, then the rest alphabetically (readable diffs)."""
    if isinstance(node, list):
        return [_order(x) for x in node]
    if not isinstance(node, dict):
        return node
    keys = sorted(node, key=lambda k: (k != "description", k != "type", k))
    return {k: (node[k] if k in ("default", "enum") else _order(node[k])) for k in keys}


def openapi_schema(model: type[Any]) -> dict[str, Any]:
    """The structural OpenAPI v3 schema of a pydantic model (by alias)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.get("$defs", {})
    resolved: dict[str, Any] = _resolve(raw, defs)
    return resolved


def crd() -> dict[str, Any]:
    """The CustomResourceDefinition as a dict."""
    spec_schema = openapi_schema(spec.TradingStackSpec)
    spec_schema["description"] = (spec.TradingStackSpec.__doc__ or "").strip()
    status_schema = openapi_schema(spec.TradingStackStatus)
    status_schema["description"] = (spec.TradingStackStatus.__doc__ or "").strip()
    schema = {
        "type": "object",
        "description": "A TradingStack: the nine workloads of the AI trading-analysis stack, "
        "their storage, network policies and Ingress, run by the tradingstack operator.",
        "properties": {
            "apiVersion": {"type": "string", "description": "API version of the object."},
            "kind": {"type": "string", "description": "Kind of the object."},
            "metadata": {"type": "object"},
            "spec": {**spec_schema, "default": {}},
            "status": status_schema,
        },
    }
    ready = '.status.conditions[?(@.type=="Ready")].status'
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{spec.PLURAL}.{spec.GROUP}",
            "labels": {"app.kubernetes.io/part-of": "tradingstack"},
        },
        "spec": {
            "group": spec.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": spec.KIND,
                "listKind": f"{spec.KIND}List",
                "plural": spec.PLURAL,
                "singular": spec.SINGULAR,
                "shortNames": spec.SHORT_NAMES,
                "categories": ["all", "tradingstack"],
            },
            "versions": [
                {
                    "name": spec.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Ready", "type": "string", "jsonPath": ready},
                        {"name": "Services", "type": "string", "jsonPath": ".status.servicesReady"},
                        {"name": "URL", "type": "string", "jsonPath": ".status.url"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {"openAPIV3Schema": _order(schema)},
                }
            ],
        },
    }


def render() -> str:
    """The CRD as YAML text, exactly as committed in crds/."""
    header = (
        "# Generated by `python -m tradingstack_operator.crd` from the pydantic models in\n"
        "# operator/tradingstack_operator/spec.py. Do not edit by hand.\n"
    )
    return header + yaml.safe_dump(crd(), sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> None:
    """Print the CRD; with --write, write it into crds/ and the chart's crds/ (the two copies
    the tests compare) under the repository root (default: the current directory)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "--write":
        sys.stdout.write(render())
        return
    root = Path(args[1]) if len(args) > 1 else Path.cwd()
    text = render()
    for directory in (root / "crds", root / "charts" / "tradingstack" / "crds"):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CRD_FILE).write_text(text)
        print(f"wrote {directory / CRD_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
