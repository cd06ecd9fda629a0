"""Import rules that import-linter cannot check (run by `make lint` and `make test`).

1. No app imports another app's private names or modules: `from apps.routing.actions import _x`,
   `from apps.billing.actions._common import y` and `import apps.x._y` fail when written outside
   `apps.routing` / `apps.billing` / `apps.x`. An app keeps its internals; what others may use it
   names without an underscore (or offers through a hook).
2. No two modules of `apps` import each other, directly or through others (function-level imports
   included: a local import hides a circle from Python, not from the design). Package `__init__`
   modules re-exporting their own submodules are not circles.

The layer order itself is import-linter's contract in pyproject.toml (`lint-imports`).

Usage: python -m ccaas.check_imports [root]   (exit 1 and a list of findings when a rule is broken)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _app_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and parts[0] == "apps" else module


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted((root / "apps").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def check(root: Path) -> list[str]:
    findings: list[str] = []
    modules = {_module_name(root, p): p for p in _python_files(root)}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        own_app = _app_of(module)
        for node in ast.walk(tree):
            targets: list[tuple[str, list[str]]] = []
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, is_package, node)
                targets.append((target, [a.name for a in node.names]))
            else:
                targets.extend((a.name, []) for a in node.names)
            for target, names in targets:
                if not target.startswith("apps."):
                    continue
                where = f"{path.relative_to(root)}:{node.lineno}"
                if _app_of(target) != own_app:
                    private_parts = [p for p in target.split(".")[2:] if p.startswith("_") and p != "__init__"]
                    private_names = [n for n in names if n.startswith("_")]
                    if private_parts or private_names:
                        what = ", ".join([*(f"module {target}" for _ in private_parts[:1]), *private_names])
                        findings.append(f"{where}: {module} imports private {what} of {_app_of(target)}")
                # The edge goes to the deepest module that exists (`from apps.x import y` may name a submodule).
                for name in names or [""]:
                    candidate = f"{target}.{name}" if name else target
                    if candidate in modules:
                        edges[module].add(candidate)
                    elif target in modules:
                        edges[module].add(target)
    findings.extend(_cycles(edges))
    return findings


def _cycles(edges: dict[str, set[str]]) -> list[str]:
    """Strongly connected components of more than one module (Tarjan), ignoring a package's edges
    to its own submodules (re-exports)."""

    def counts(src: str, dst: str) -> bool:
        return not dst.startswith(src + ".")

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[str] = []
    counter = 0

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if not counts(v, w):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append("import cycle: " + " <-> ".join(sorted(component)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    findings = check(root)
    for line in findings:
        print(line)
    if findings:
        print(f"{len(findings)} import rule(s) broken (see ccaas/check_imports.py)")
        return 1
    print("imports: no private cross-app imports, no cycles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
