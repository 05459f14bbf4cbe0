"""继续优化 / ``planner plan --start``: what continuing a run that stopped at its time limit buys, against one longer run.

    python benchmarks/continued.py [--limit 30] [--jobs 2] > benchmarks/RESULTS-continued.md

For the shipped estimate of each year 2025-2030, and for the +20 % cases of ``benchmarks/RESULTS-repair.md`` whose
30 s plans were dearest, it runs ``planner plan --demand --no-publish`` for *limit* seconds (A), continues A's plan
for another *limit* (B: ``--start``, as the workbench's 继续优化 does), and runs once for twice the limit (C): the
costs, whether ``planner check`` passes each plan, and the wall seconds. ``PLANNER_WALL_FACTOR=5`` (as in
``repair.py``) lets the deterministic limit end every search, so the costs repeat.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, md_table  # noqa: E402
from repair import LIVE, YEARS, _demand_file, run  # noqa: E402

SCENARIOS = ROOT / "scenarios"
#: (label, percent, context arguments): the estimate of every year, and three dear +20 % cases of the repair run
CASES = [(str(y), 0, ["--year", str(y), "--rules", LIVE]) for y in YEARS] + [
    ("2026", 20, ["--year", "2026", "--rules", LIVE]),
    ("on_demand_coverage", 20, ["--scenario", str(SCENARIOS / "on_demand_coverage.toml")]),
    ("huaan_closed_ruiyang_licensed", 0, ["--scenario", str(SCENARIOS / "huaan_closed_ruiyang_licensed.toml")]),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=30, help="seconds of the first run and of the continuation")
    ap.add_argument("--jobs", type=int, default=2, help="cases at a time (default: 2, the reference machine's cores)")
    args = ap.parse_args(argv)
    if args.limit < 1:
        ap.error("--limit: at least 1 second")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="bench-continued-") as tmp:
        folder = Path(tmp)

        def one(case):
            label, pct, cargs = case
            demand = _demand_file(folder, pct)
            name = f"{label}{pct:+d}"
            a = run(None, cargs, demand, args.limit, folder / f"{name}-a")
            b = (run(None, cargs, demand, args.limit, folder / f"{name}-b",
                     ("--start", str(folder / f"{name}-a" / "plan.csv"))) if a["rc"] == 0 else None)
            c = run(None, cargs, demand, 2 * args.limit, folder / f"{name}-c")
            log(f"{name}: {a} {b} {c}")
            return case, a, b, c

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(one, CASES))
    lim = args.limit
    rows = []
    for (label, pct, _), a, b, c in results:
        b = b or {"rc": "", "cost": "", "check": "", "wall": 0.0}
        rows.append([label, f"{pct:+d} %", a["cost"], a["check"], f"{a['wall']:.1f}", b["cost"], b["check"],
                     f"{b['wall']:.1f}", c["cost"], c["check"], f"{c['wall']:.1f}"])
    print(f"# Continuing a run: measured {started}, load average {os.getloadavg()[0]:.1f} at the end\n")
    print(f"A: `planner plan --demand --no-publish --time-limit {lim}`; B: A's plan continued with `--start` for "
          f"another {lim} s (the workbench's 继续优化); C: one run of {2 * lim} s. Costs are the plans' objective "
          "(lower is better); `PLANNER_WALL_FACTOR=5`: the deterministic limit ends each search, so they repeat.\n")
    print(md_table(["year or scenario", "candidates", "A: cost", "A: check", "A: wall s", "B: cost", "B: check",
                    "B: wall s", "C: cost", "C: check", "C: wall s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
