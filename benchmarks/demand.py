"""Candidates in the plan (issue 17): sizing, the cost of --demand, the model's size and memory, sensitivity.

    python benchmarks/demand.py [--time-limit S] [--year Y] > benchmarks/RESULTS-demand.md

Parts, each a subprocess or a fresh model so one does not warm the next:

* ``planner size`` on the shipped estimate (constraints/demand.toml): wall time, sessions, proven bound, gap;
* ``planner plan --demand --no-publish`` against plain ``planner plan --no-publish`` (median of interleaved runs);
* the CP-SAT model's size (variables, constraints) at 1 000 and 100 000 expected candidates: the queue is one
  integer per session and category, so the size must not change;
* peak memory of a year of 240 sessions with candidates (own process, VmHWM);
* sensitivity: the estimate's candidates and seats ±20 % -> sessions, waits and carried-over candidates.
Figures depend on the machine's load: the header says the load average at the start.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, md_table, med, planner_cmd  # noqa: E402

LIVE = str(ROOT / "constraints" / "yuncheng.toml")
DEMAND = str(ROOT / "constraints" / "demand.toml")


def _scaled_demand(folder: Path, candidates: float = 1.0, seats: float = 1.0) -> str:
    from planner.data import load_catalogue
    from planner.demand import demand_to_toml, load_demand

    d = load_demand(DEMAND, load_catalogue()).scaled(candidates=candidates, seats=seats)
    p = folder / f"demand_c{candidates:g}_s{seats:g}.toml"
    p.write_text(demand_to_toml(d), encoding="utf-8")
    return str(p)


def size_run(folder: Path, demand: str, year: int, limit: float) -> dict:
    out = folder / ("size-" + Path(demand).stem)
    t = time.perf_counter()
    r = subprocess.run(planner_cmd() + ["size", "--year", str(year), "--rules", LIVE, "--demand", demand, "--out",
                                        str(out), "--no-publish", "--time-limit", str(limit)],
                       capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        return {"wall": wall, "error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"}
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall": wall, "sizing": s["sizing"], "demand": s["demand"]}


def plan_ratio(folder: Path, year: int, runs: int, limit: float) -> tuple[float, float]:
    plain, with_demand = [], []
    for i in range(runs):
        for case, extra in (("plain", []), ("demand", ["--demand", DEMAND])):
            t = time.perf_counter()
            subprocess.run(planner_cmd() + ["plan", "--year", str(year), "--rules", LIVE, "--no-publish", "--out",
                                            str(folder / f"p-{case}-{i}"), "--time-limit", str(limit)] + extra,
                           capture_output=True, text=True, cwd=ROOT)
            (plain if case == "plain" else with_demand).append(time.perf_counter() - t)
    return med(plain), med(with_demand)


def model_size(candidates: int, year: int) -> tuple[int, int]:
    from planner.api import make_context
    from planner.data import load_catalogue
    from planner.demand import load_demand
    from planner.model import build_model

    cat = load_catalogue()
    d = load_demand(DEMAND, cat)
    total = sum(c.registrations for sd in d.streams.values() for c in sd.categories.values())
    ctx = make_context(year, LIVE, demand=d.scaled(candidates=candidates / total))
    mv = build_model(ctx)
    proto = mv.model.proto
    return len(proto.variables), len(proto.constraints)


def memory_240(year: int, limit: float) -> float | None:
    code = ("import sys; sys.path.insert(0, %r); from growth import scaled_context; "
            "from planner.demand import load_demand; from planner.solver import solve; "
            "ctx = scaled_context(240, %d); ctx = ctx.with_demand(load_demand(%r, ctx.catalogue)); "
            "r = solve(ctx, time_limit=%s, explain=False); print(r.status.value)") % (
        str(Path(__file__).resolve().parent), year, DEMAND, limit)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    peak = 0.0
    while p.poll() is None:
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.05)
    return peak or None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    lines = [f"# Candidates in the plan: measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"year {args.year}, time limit {args.time_limit:g} s, load average {load:.2f} at the start", ""]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log("size on the estimate")
        base = size_run(folder, DEMAND, args.year, args.time_limit)
        rows = []
        for label, c, s in (("estimate", 1, 1), ("candidates +20 %", 1.2, 1), ("candidates −20 %", 0.8, 1),
                            ("seats +20 %", 1, 1.2), ("seats −20 %", 1, 0.8)):
            log(f"sensitivity: {label}")
            r = base if (c, s) == (1, 1) else size_run(folder, _scaled_demand(folder, c, s), args.year,
                                                      args.time_limit)
            if "error" in r:
                rows.append([label, "—", "—", "—", "—", "—", "—", f"{r['wall']:.1f}", r["error"][:80]])
                continue
            z, dm = r["sizing"], r["demand"]
            rows.append([label, " + ".join(f"{k} {v}" for k, v in z["sessions"].items()), z["sessions_lower_bound"],
                         f"{100 * z['gap']:.1f} %", dm["max_wait_days"], dm["p95_wait_days"], dm["unserved"],
                         f"{r['wall']:.1f}", z["status"]])
        lines += ["## planner size on the shipped estimate, and its sensitivity", "",
                  md_table(["demand", "sessions", "lower bound", "gap", "longest wait", "p95 wait", "carried over",
                            "wall s", "status"], rows), ""]
        log("plan --demand against plain plan")
        plain, dem = plan_ratio(folder, args.year, args.runs, args.time_limit)
        lines += ["## planner plan --no-publish, with and without --demand (median of "
                  f"{args.runs} interleaved runs)", "",
                  md_table(["plain s", "--demand s", "ratio"], [[f"{plain:.2f}", f"{dem:.2f}", f"{dem / plain:.2f}×"]]),
                  ""]
    log("model size")
    sizes = [[n, *model_size(n, args.year)] for n in (1_000, 100_000)]
    lines += ["## The model's size does not grow with the candidates", "",
              md_table(["expected candidates", "variables", "constraints"], sizes), ""]
    log("memory at 240 sessions")
    peak = memory_240(args.year, args.time_limit)
    lines += ["## Peak memory, 240 sessions with candidates (own process)", "",
              f"{peak:.0f} MiB" if peak else "not measured (no /proc)", ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
