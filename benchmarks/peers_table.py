#!/usr/bin/env python
"""CP-SAT (planner) beside two peers for one city-year: a HiGHS MIP and the greedy clerk.

    python benchmarks/peers_table.py [--years 2024-2028] [--highs-limit 60]

Every plan is priced by ``planner.check_plan``: *cost* is the preference cost check reports,
*hard* the number of hard-rule violations. *solve s* is the optimiser alone (planner: ``solve()``,
median of N; HiGHS: ``Highs.run``; clerk: the fill). *process s* is the whole command as a
subprocess, interpreter start to exit: ``planner plan --year Y --no-publish`` (writes plan.csv)
and the peers' scripts (build, solve, extract, check, no file written).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from cityyear import measure, parse_years
from common import HERE, fmt_s, log, md_table, planner_cmd, run_timed

PEERS = HERE / "peers"


def highs_available() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def peer(script: str, year: int, *extra: str) -> dict:
    wall, rc, out = run_timed([sys.executable, str(PEERS / script), "--year", str(year), "--json", *extra])
    if rc != 0:
        return {"error": f"exit {rc}", "process": wall}
    d = json.loads(out.strip().splitlines()[-1])
    d["process"] = wall
    return d


def table(years: list[int], runs: int, highs_limit: float) -> tuple[str, list[dict]]:
    rows, raw = [], []
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp:
        for y in years:
            cp = measure(y, runs)
            cp["process"], rc, _ = run_timed(planner_cmd() + ["plan", "--year", str(y), "--no-publish",
                                                              "--out", str(Path(tmp) / str(y))])
            hi = peer("highs_mip.py", y, "--time-limit", str(highs_limit)) if highs_available() else {"error": "highspy missing"}
            cl = peer("clerk.py", y)
            raw.append({"year": y, "cpsat": cp, "highs": hi, "clerk": cl})
            log(f"  peers {y}: CP-SAT {cp['cost']} {cp['wall']:.2f}s; HiGHS {hi.get('status')} {hi.get('cost')} "
                f"{fmt_s(hi.get('solve_s'))}s; clerk {cl.get('cost')} hard {cl.get('hard')}")

            def hs(d: dict) -> str:
                if "error" in d:
                    return d["error"]
                opt = d["status"] == "Optimal"
                return f"{d['solve_s']:.2f}" + ("" if opt else f" ({d['status']})")

            hcost = hi.get("cost", "-")
            if hi.get("mip_objective") is not None and round(hi["mip_objective"]) != hi.get("cost"):
                hcost = f"{hcost} (MIP objective {hi['mip_objective']:.0f})"  # would be a formulation gap
            rows.append([y,
                         f"{cp['wall']:.2f}", f"{cp['process']:.2f}", cp["cost"], cp["hard"],
                         hs(hi), fmt_s(hi.get("process")), hcost, hi.get("hard", "-"),
                         f"{cl['fill_s']:.3f}", fmt_s(cl.get("process")), cl["cost"],
                         f"{cl['hard']}" + (" (" + ", ".join(f"{k} {v}" for k, v in cl["by_rule"].items()) + ")"
                                            if cl["by_rule"] else "")])
    header = ["year", "CP-SAT solve s (optimal)", "CP-SAT process s", "CP-SAT cost", "CP-SAT hard",
              "HiGHS solve s", "HiGHS process s", "HiGHS cost", "HiGHS hard",
              "clerk fill s", "clerk process s", "clerk cost", "clerk hard"]
    return md_table(header, rows), raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--years", default="2024-2028")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--highs-limit", type=float, default=60.0)
    a = ap.parse_args(argv)
    print(table(parse_years(a.years), a.runs, a.highs_limit)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
