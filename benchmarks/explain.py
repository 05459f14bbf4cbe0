"""How long an infeasible input takes to be explained, and whether the explanation is irreducible (issue 8).

For each case: wall seconds of ``planner.solve`` (the plain solve that proves infeasibility plus the
explanation), the items named, and whether every trial of the deletion filter was decided (proven
minimal). Cases: every shipped scenario that is infeasible, and 240 sessions in one year (229 special-ops
+ 11 managers, more than the 2024 window's working days).

    python benchmarks/explain.py [--runs 3]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time


def cases():
    from planner.api import make_context
    from planner.data import constraints_dir, load_catalogue, scenarios_dir
    from planner.ruleset import read_toml, ruleset_from_dict
    from planner.scenario import load_scenario
    from planner.solver import solve

    for path in sorted(scenarios_dir().glob("*.toml")):
        sc = load_scenario(path)
        if solve(sc.ctx, explain=False).status.value == "INFEASIBLE":
            yield path.name, sc.ctx
    doc = copy.deepcopy(read_toml(constraints_dir() / "yuncheng.toml"))
    doc["rules"]["session_count"]["sessions"]["special_ops"] = 229
    cat = load_catalogue()
    yield "240 sessions in 2024", make_context(2024, ruleset_from_dict(doc, "240.toml", cat), catalogue=cat)


def measure(runs: int = 3) -> list[dict]:
    from planner.solver import solve

    out = []
    for name, ctx in cases():
        times, result = [], None
        for _ in range(runs):
            t0 = time.perf_counter()
            result = solve(ctx, time_limit=30)
            times.append(time.perf_counter() - t0)
        out.append({"case": name, "median_s": statistics.median(times), "max_s": max(times),
                    "items": result.conflict_keys, "minimal": result.conflict_minimal})
    return out


def markdown(rows: list[dict], runs: int) -> str:
    lines = [f"| infeasible input | solve + explanation, s (median of {runs}; max) | named | proven minimal |",
             "| --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['median_s']:.2f} ({r['max_s']:.2f}) | {'; '.join(r['items'])} | "
                     f"{'yes' if r['minimal'] else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    print(markdown(measure(a.runs), a.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
