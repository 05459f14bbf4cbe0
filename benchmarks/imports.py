#!/usr/bin/env python
"""What each command imports: ``python -X importtime`` of ``planner check``, ``calendar`` and ``plan``.

    python benchmarks/imports.py

Total import time, the heavy libraries each command loads with the chain that pulls each one in,
and a finding for every heavy library a command imports without using it.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, md_table

#: libraries that cost real start-up time
HEAVY = ("ortools", "pandas", "numpy", "matplotlib", "openpyxl", "icalendar", "mplfonts", "google.protobuf", "scipy",
         "docx", "jinja2")
#: which heavy libraries each command needs itself (``plan`` publishes: xlsx, calendars, charts)
NEEDS = {"check": set(), "calendar": set(), "plan": {"ortools", "google.protobuf", "numpy", "pandas"},
         "plan --no-publish": {"ortools", "google.protobuf", "numpy", "pandas"}}


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(depth, self µs, cumulative µs, module) in -X importtime's order (children before parents)."""
    out = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            out.append((len(m.group(3)) // 2, int(m.group(1)), int(m.group(2)), m.group(4)))
    return out


def chain_of(entries, i: int) -> list[str]:
    """Import chain from the top-level import down to entry *i* (parents are printed after children)."""
    depth, _, _, name = entries[i]
    chain = [name]
    for j in range(i + 1, len(entries)):
        d, _, _, n = entries[j]
        if d < depth:
            chain.append(n)
            depth = d
            if d == 0:
                break
    return list(reversed(chain))


def audit(args: list[str]) -> tuple[float, list[tuple[str, float, str]], list[tuple[float, str]]]:
    """(total import seconds, [(library, seconds, chain)], largest top-level imports) of one command run."""
    code = f"import sys; from planner.cli import main; sys.exit(main({args!r}))"
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True)
    entries = parse_importtime(p.stderr)
    total = sum(c for d, _, c, _ in entries if d == 0) / 1e6

    def lib(name: str) -> str | None:
        return next((h for h in HEAVY if name == h or name.startswith(h + ".")), None)

    def parent(i: int) -> int | None:
        return next((j for j in range(i + 1, len(entries)) if entries[j][0] < entries[i][0]), None)

    cost: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    for i, (d, _, cum, name) in enumerate(entries):
        top = lib(name)
        if top is None:
            continue
        p_ = parent(i)
        if p_ is not None and lib(entries[p_][3]) == top:
            continue  # not the outermost entry of this library
        cost[top] = cost.get(top, 0.0) + cum / 1e6
        if cum > best.get(top, (-1, -1))[0]:
            best[top] = (cum, i)
    found = sorted(((t, cost[t], " → ".join(chain_of(entries, i))) for t, (_, i) in best.items()), key=lambda x: -x[1])
    tops = sorted(((c / 1e6, n) for d, _, c, n in entries if d == 0), reverse=True)[:4]
    return total, found, tops


def table(year: int = 2025) -> tuple[str, list[str]]:
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp:
        cmds = {"check": ["check", "scenarios/plan_2024.csv"], "calendar": ["calendar", "--year", str(year)],
                "plan": ["plan", "--year", str(year), "--no-pdf", "--out", str(Path(tmp) / "a")],
                "plan --no-publish": ["plan", "--year", str(year), "--no-publish", "--out", str(Path(tmp) / "b")]}
        rows, findings = [], []
        for name, args in cmds.items():
            total, found, tops = audit(args)
            rows.append([f"planner {name}", f"{total * 1000:.0f}",
                         ", ".join(f"{lib} {s * 1000:.0f} ms" for lib, s, _ in found) or "none",
                         ", ".join(f"{n} {c * 1000:.0f}" for c, n in tops)])
            findings += [f"`planner {name}` imports `{lib}` ({s * 1000:.0f} ms) via `{chain}`"
                         for lib, s, chain in found if lib not in NEEDS[name] and name != "plan"]
    return md_table(["command", "import time ms (top level)", "heavy libraries (nested ones count in their importer)",
                     "largest top-level imports, ms"], rows), findings


def main() -> int:
    tbl, findings = table()
    print(tbl + "\n\n" + ("\n".join(f"- {f}" for f in findings) or "- no light command imports a heavy library"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
