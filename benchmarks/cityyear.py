#!/usr/bin/env python
"""One city-year of the real Yuncheng rule set, solved by ``planner.solve`` to proven optimality.

    python benchmarks/cityyear.py [--years 2024-2028] [--runs 5]

``solve()`` wall is the ``planner plan`` code path (build, solve, extract, re-check), median of N
runs; CP-SAT's deterministic time; the model's size from ``planner.model.build_model``.
"""
from __future__ import annotations

import argparse
import sys
import time

from common import log, md_table, med


def parse_years(s: str) -> list[int]:
    out: list[int] = []
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def measure(year: int, runs: int) -> dict:
    """Status, objective, check cost and timings of planner's solve for *year*."""
    from planner import check_plan, make_context, solve
    from planner.model import build_model

    ctx = make_context(year)
    walls, dets, res = [], [], None
    for _ in range(runs):
        res = solve(ctx, seed=0, explain=False)
        walls.append(res.solve_seconds)
        dets.append(res.deterministic_time)
    t0 = time.perf_counter()
    mv = build_model(ctx)
    build = time.perf_counter() - t0
    rep = check_plan(res.plan, ctx) if res.plan is not None else None
    return {"year": year, "calendar": ctx.calendar.status(), "status": res.status.value, "objective": res.objective,
            "cost": rep.objective if rep else None, "hard": sum(v.hard for v in rep.violations) if rep else None,
            "wall": med(walls), "wall_min": min(walls), "wall_max": max(walls), "det": med(dets), "build": build,
            "vars": len(mv.model.proto.variables), "cons": len(mv.model.proto.constraints),
            "sessions": len(res.plan.sessions) if res.plan else 0}


def table(years: list[int], runs: int) -> tuple[str, list[dict]]:
    raw = []
    for y in years:
        raw.append(measure(y, runs))
        log(f"  city-year {y}: {raw[-1]['status']} {raw[-1]['objective']} in {raw[-1]['wall']:.3f} s")
    rows = [[r["year"], r["calendar"], r["status"], r["objective"], r["sessions"],
             f"{r['wall']:.3f} ({r['wall_min']:.3f}-{r['wall_max']:.3f})", f"{r['build']:.3f}", f"{r['det']:.3f}",
             f"{r['vars']} / {r['cons']}"] for r in raw]
    return md_table(["year", "calendar", "status", "objective", "sessions", f"solve() wall s, median of {runs} (min-max)",
                     "build_model s", "det. time", "variables / constraints"], rows), raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--years", default="2024-2028")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    print(table(parse_years(a.years), a.runs)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
