"""The house rules of the code's layout, read from the imports themselves (docs/architecture.md):

    hitstream (CLI, local runner)  ──►  ingest, processors, sink, dashboard  ──►  schemas  ──►  common

`common` (the kernel) imports no stage and no contract; `schemas` (the contracts) imports only
the kernel; a stage imports the kernel and the contracts, never another stage; only the CLI on top
sees everything. And no module imports itself back through others (no import loops).
"""

from __future__ import annotations

import ast
from pathlib import Path

from common.settings import REPO_ROOT

PACKAGES = ("common", "schemas", "ingest", "processors", "sink", "dashboard", "hitstream")
ALLOWED = {
    "common": {"common"},
    "schemas": {"schemas", "common"},
    "ingest": {"ingest", "schemas", "common"},
    "processors": {"processors", "schemas", "common"},
    "sink": {"sink", "schemas", "common"},
    "dashboard": {"dashboard", "schemas", "common"},
    "hitstream": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules `path` imports, anywhere in the file (function-level imports count too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import submodule` imports the submodule, not the package's own names.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names = subs + ([node.module] if any(s not in modules for s in subs) else [])
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def test_no_import_runs_up_into_a_stage_or_across_stages() -> None:
    modules = _modules()
    wrong = [
        f"{name} imports {target}"
        for name, path in modules.items()
        for target in _imports(path, modules)
        if target.split(".")[0] not in ALLOWED[name.split(".")[0]]
    ]
    assert wrong == []


def test_no_import_loops() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    # A package's __init__ is imported with each of its modules; it imports none of ours here.
    loops: list[list[str]] = []

    def visit(node: str, trail: list[str], done: set[str]) -> None:
        if node in trail:
            loops.append([*trail[trail.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            if not (nxt == node.rpartition(".")[0] and nxt in PACKAGES):
                visit(nxt, [*trail, node], done)
        done.add(node)

    done: set[str] = set()
    for name in sorted(graph):
        visit(name, [], done)
    assert loops == []
