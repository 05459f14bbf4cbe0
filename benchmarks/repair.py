"""The years whose plan without candidates breaks the waiting limit: does ``plan --demand`` find a plan, at what cost.

    python benchmarks/repair.py [--limits 10,30] [--baseline SRC] [--jobs 2] > benchmarks/RESULTS-repair.md

With candidates, ``planner plan`` first plans the year without them; where that plan keeps every wait within the
limit, the search starts from it. Where it does not, the search must first find some plan that keeps the limit
(``solver._repair_hint``), and that is where a run can end without any plan. This benchmark finds those cases
itself, among the years 2025-2030 and every shipped scenario, with the shipped estimate's candidates at -20 %, as
they are and +20 % (the what-if's ``demand_percent``, ``demand.scale_candidates``), and runs ``planner plan
--demand --no-publish`` on each at each limit: exit code, cost, whether ``planner check`` passes the plan, wall
seconds. ``PLANNER_WALL_FACTOR=5`` lets the deterministic limit, not the machine's load, end every search, so
the costs repeat; the wall seconds do not. *--baseline* runs the same cases with another checkout's ``src``
(e.g. a ``git worktree`` of the commit before a change) beside this one.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, md_table  # noqa: E402

LIVE = str(ROOT / "constraints" / "yuncheng.toml")
DEMAND = str(ROOT / "constraints" / "demand.toml")
YEARS = range(2025, 2031)
PERCENTS = (-20, 0, 20)


def _demand_file(folder: Path, percent: int) -> str:
    from planner.data import load_catalogue
    from planner.demand import demand_to_toml, load_demand, scale_candidates

    if percent == 0:
        return DEMAND
    p = folder / f"demand{percent:+d}.toml"
    p.write_text(demand_to_toml(scale_candidates(load_demand(DEMAND, load_catalogue()), percent)), encoding="utf-8")
    return str(p)


def repair_cases(folder: Path) -> list[tuple[str, int, list[str]]]:
    """(label, percent, the command's context arguments) of every case whose plan without candidates, proven or
    the best in 15 s, breaks a rule once the candidates join (the waiting limit)."""
    from planner import make_context
    from planner.check import check_plan
    from planner.data import scenarios_dir
    from planner.demand import load_demand
    from planner.scenario import load_scenario
    from planner.solver import solve

    contexts = [(f"{y}", ["--year", str(y), "--rules", LIVE], make_context(year=y, rules=LIVE)) for y in YEARS]
    for p in sorted(scenarios_dir().glob("*.toml")):
        sc = load_scenario(p)
        if sc.ctx.demand is None:
            contexts.append((p.stem, ["--scenario", str(p)], sc.ctx))
    out = []
    for label, args, ctx in contexts:
        plain = solve(ctx, time_limit=15, explain=False)
        if plain.plan is None:
            continue  # infeasible without candidates: nothing to repair
        for pct in PERCENTS:
            with_candidates = ctx.with_demand(load_demand(_demand_file(folder, pct), ctx.catalogue))
            if not check_plan(plain.plan, with_candidates).ok:
                out.append((label, pct, args))
    return out


def run(src: str | None, args: list[str], demand: str, limit: int, out: Path, extra: tuple[str, ...] = ()) -> dict:
    """``planner plan --demand --no-publish`` (with *extra* arguments), then ``planner check`` of its plan."""
    env = dict(os.environ, PLANNER_WALL_FACTOR="5", PLANNER_PDF="0")
    if src:
        env["PYTHONPATH"] = src
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "planner", "plan", *args, "--demand", demand, "--no-publish",
                        "--time-limit", str(limit), "--out", str(out), *extra], capture_output=True, text=True,
                       env=env)
    wall = time.perf_counter() - t
    cost, ok = "", ""
    if r.returncode == 0:
        cost = json.loads((out / "summary.json").read_text(encoding="utf-8"))["objective"]
        c = subprocess.run([sys.executable, "-m", "planner", "check", str(out / "plan.csv"), *args, "--demand",
                            demand], capture_output=True, text=True, env=env)
        ok = "yes" if c.returncode == 0 else f"no ({c.returncode})"
    return {"rc": r.returncode, "cost": cost, "check": ok, "wall": wall}


def _limits(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",")]
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"not whole seconds separated by commas: {text!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", default=[10, 30], type=_limits, help="time limits to run, comma-separated (default: 10,30)")
    ap.add_argument("--baseline", default=None, metavar="SRC", help="another checkout's src folder, run beside")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time (default: 2, the reference machine's cores)")
    args = ap.parse_args(argv)
    limits = args.limits
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="bench-repair-") as tmp:
        folder = Path(tmp)
        cases = repair_cases(folder)
        log(f"{len(cases)} cases need the repair")
        srcs = [("this", None)] + ([("baseline", args.baseline)] if args.baseline else [])
        todo = [(c, lim, name, src) for c in cases for lim in limits for name, src in srcs]

        def one(item):
            (label, pct, cargs), lim, name, src = item
            out = folder / f"{name}-{label}{pct:+d}-{lim}"
            res = run(src, cargs, _demand_file(folder, pct), lim, out)
            log(f"{name} {label} {pct:+d}% {lim}s: {res}")
            return item, res

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = {(i[0][0], i[0][1], i[1], i[2]): r for i, r in pool.map(one, todo)}
    header = ["year or scenario", "candidates", "limit s"]
    for name, _ in srcs:
        header += [f"{name}: exit", f"{name}: cost", f"{name}: check", f"{name}: wall s"]
    rows = []
    for label, pct, _ in cases:
        for lim in limits:
            row = [label, f"{pct:+d} %", lim]
            for name, _ in srcs:
                r = results[(label, pct, lim, name)]
                row += [r["rc"], r["cost"], r["check"], f"{r['wall']:.1f}"]
            rows.append(row)
    found = {name: sum(1 for k, r in results.items() if k[3] == name and r["rc"] == 0) for name, _ in srcs}
    print(f"# Years that need the repair: measured {started}, load average {os.getloadavg()[0]:.1f} at the end\n")
    print(f"{len(cases)} cases (of the years {YEARS.start}-{YEARS.stop - 1} and the shipped scenarios, the estimate's "
          f"candidates at {', '.join(f'{p:+d} %' for p in PERCENTS)}) whose plan without candidates breaks the "
          "waiting limit. Exit 0: a plan; 2: none within the limit; 3: proven infeasible. "
          "`PLANNER_WALL_FACTOR=5`: the deterministic limit ends each search, so the costs repeat.\n")
    print("Plans found: " + "; ".join(f"{name} {n} of {len(cases) * len(limits)} runs" for name, n in found.items())
          + "\n")
    print(md_table(header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
