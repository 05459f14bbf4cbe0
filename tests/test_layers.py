"""The package's dependency arrows run one way: data → calendar → problem → rules → model → solver →
services → publish → commands. Every import of a planner module, at the top of a file or inside a
function, is checked against that order, so a lazy import cannot hide a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "planner"

LAYERS = [
    ("errors", "textio", "outset", "children"),
    ("data", "plan", "calendar", "holiday_forecast", "targets", "demand", "regulation", "wave_estimate"),
    ("problem", "queueing"),
    ("rules", "ruleset"),
    ("model", "check", "lns", "descent"),
    ("solver",),
    ("api", "scenario", "replan", "compare", "sweep", "reproduce", "runinfo", "sizing", "demand_import",
     "demand_estimate"),
    ("publish", "charts", "report", "planio"),
    ("commands", "cli", "__main__", "__init__", "web", "calibration"),
]


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"module {module!r} has no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Planner modules imported anywhere in *path* (relative imports resolved)."""
    me = module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # annotations only: no runtime arrow
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                target = ".".join(base + ([node.module] if node.module else []))
                if not target:
                    target = "__init__"  # `from .. import x`: the package's own facade
            elif node.module and node.module.startswith("planner"):
                target = node.module.removeprefix("planner").lstrip(".")
            else:
                continue
            out.add(target or "__init__")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("planner."):
                    out.add(a.name.removeprefix("planner."))
    return out


def test_dependency_arrows_run_one_way():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if "_data" in path.parts:
            continue
        me = module_name(path)
        mine = layer_of(me)
        for target in imports(path):
            if target.split(".")[0] == me.split(".")[0]:
                continue  # within one package (rules.*, publish.*): checked for cycles below
            if layer_of(target) > mine:
                bad.append(f"{me} (layer {mine}) imports {target} (layer {layer_of(target)})")
    assert not bad, "\n".join(bad)


def test_no_cycles_between_modules():
    graph = {}
    for path in sorted(SRC.rglob("*.py")):
        if "_data" in path.parts:
            continue
        graph[module_name(path)] = {t for t in imports(path) if t != module_name(path)}
    seen, stack, cycles = set(), [], []

    def visit(n):
        if n in stack:
            cycles.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if m in graph:
                visit(m)
        stack.pop()

    for n in sorted(graph):
        if n != "__init__":
            visit(n)
    cycles = [c for c in cycles if "__init__" not in c]
    assert not cycles, cycles


#: the longest a function in src/ may be (issue 20): one a reader can hold in their head
MAX_FUNCTION_LINES = 120


def test_no_function_is_longer_than_a_reader_can_hold():
    long = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []
