"""Re-plans with candidates: does ``planner replan --demand`` find a plan, at what cost in time.

    python benchmarks/replan_demand.py [--year 2027] [--from 03-01] [--limit 30] [--baseline SRC] [--demand-percent N]
                                       [--without-candidates [--base-with-estimate]] > benchmarks/RESULTS-replan-demand.md

The year's plan is made once with the shipped estimate (``planner plan --scenario baseline_next_year --demand``),
then re-planned as a draft from the given day under every shipped scenario of that year (closures, a new calendar,
more sessions …), with the same candidates: exit code, wall seconds, status and tiers (candidates disturbed,
sessions changed, days moved), and whether ``planner check --demand`` passes the new plan. *--baseline* runs the
same re-plans with another checkout's ``src`` (e.g. a ``git worktree`` of the commit before a change) beside this
one. *--demand-percent N* re-plans with the candidates ± N % (each scenario extended with ``demand_percent``) against
the plan made for the estimate as it is: a start that breaks a wait. *--without-candidates* plans and re-plans with
no demand at all (the re-plan every bureau makes); with *--base-with-estimate* the plan is made with the estimate
and re-planned without it (重新排期 without 按需求与考位, on a plan made with it). ``PLANNER_WALL_FACTOR=5`` lets the deterministic limit, not the machine's load, end each search.
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
from common import ROOT, log, md_table  # noqa: E402

DEMAND = str(ROOT / "constraints" / "demand.toml")


def _planner(src: str | None, *argv: str) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, PLANNER_WALL_FACTOR="5", PLANNER_PDF="0")
    if src:
        env["PYTHONPATH"] = src
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "planner", *argv], capture_output=True, text=True, cwd=ROOT, env=env)
    return time.perf_counter() - t, r


def scenarios(year: int) -> list[Path]:
    """The shipped scenarios of *year* that change something (every one but the baseline itself)."""
    from planner.scenario import load_scenario

    out = []
    for p in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = load_scenario(p)
        if sc.year == year and p.stem != "baseline_next_year" and sc.ctx.demand is None:
            out.append(p)
    return out


def replan(src: str | None, plan: Path, scenario: Path, start: str, limit: float, out: Path,
           demand: tuple[str, ...] = ("--demand", DEMAND)) -> dict:
    wall, r = _planner(src, "replan", str(plan), "--draft", "--from", start, "--scenario", str(scenario), *demand,
                       "--no-publish", "--time-limit", str(limit), "--out", str(out))
    row = {"exit": r.returncode, "wall": wall, "status": "", "tiers": "", "check": ""}
    if r.returncode == 0:
        s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        row["status"], row["tiers"] = s["status"], s.get("tiers", {})
        row["tiers"] = {k: f"{v} (deadlines only)" if k in s.get("tiers_unsearched", []) else v
                        for k, v in row["tiers"].items()}
        _, c = _planner(None, "check", str(out / "plan.csv"), "--scenario", str(scenario), *demand)
        row["check"] = "yes" if c.returncode == 0 else f"no ({c.returncode})"
    else:
        row["status"] = (r.stderr.strip().splitlines() or [""])[-1][:90]
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=2027)
    ap.add_argument("--from", dest="start", default="03-01", help="MM-DD of the plan year")
    ap.add_argument("--limit", type=float, default=30.0)
    ap.add_argument("--baseline", default=None, help="another checkout's src, run beside this one")
    ap.add_argument("--demand-percent", type=int, default=0, help="re-plan with the candidates ± this percent")
    ap.add_argument("--without-candidates", action="store_true",
                    help="the year planned and re-planned without candidates (no --demand anywhere)")
    ap.add_argument("--base-with-estimate", action="store_true",
                    help="with --without-candidates: the year's plan is still made with the shipped estimate")
    args = ap.parse_args()
    ap_demand = ("--demand", DEMAND)
    demand = () if args.without_candidates else ap_demand
    base_demand = ap_demand if (args.base_with_estimate or not args.without_candidates) else ()
    start = f"{args.year}-{args.start}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        load = os.getloadavg()[0]
        _, r = _planner(None, "plan", "--scenario", str(ROOT / "scenarios" / "baseline_next_year.toml"), "--year",
                        str(args.year), *base_demand, *(("--thorough",) if base_demand else ()), "--no-publish",
                        "--time-limit", str(args.limit), "--out", str(folder / "base"))
        if r.returncode != 0:
            raise SystemExit(f"the year's plan failed: {r.stderr.strip()}")
        plan = folder / "base" / "plan.csv"
        rows = []
        for sc in scenarios(args.year):
            if args.demand_percent:  # the scenario as it is, with more (or fewer) candidates
                wrapped = folder / sc.name
                wrapped.write_text(f'name = "{sc.stem}"\nextends = "{sc.as_posix()}"\n'
                                   f"demand_percent = {args.demand_percent}\n", encoding="utf-8")
                sc = wrapped
            for label, src in (("this", None), ("baseline", args.baseline)) if args.baseline else (("this", None),):
                log(f"{sc.stem} {label}")
                x = replan(src, plan, sc, start, args.limit, folder / f"{sc.stem}-{label}", demand)
                tiers = x["tiers"]
                rows.append([sc.stem, label, x["exit"], f"{x['wall']:.1f}", x["status"],
                             ", ".join(f"{k} {v}" for k, v in tiers.items()) if tiers else "", x["check"]])
    what = "without candidates" if args.without_candidates else "with candidates"
    print(f"# Re-plans {what}: measured {t0}, load average {load:.1f} at the start\n")
    print(f"The {args.year} plan of `baseline_next_year` made "
          + ("with the shipped estimate" if base_demand else "without candidates")
          + f" ({args.limit:g} s), re-planned as a draft from {start} under each shipped scenario of {args.year}, "
          + ("without candidates, " if args.without_candidates else
             f"with the candidates {args.demand_percent:+d} % (`demand_percent`), " if args.demand_percent else
             "with the same candidates, ")
          + f"`--time-limit {args.limit:g}`. Exit 0: a plan; 2: none within the limit (or a bad input, said in the "
          "status); 3: proven infeasible. Tiers: candidates disturbed (points), sessions changed, days moved; "
          "\"(deadlines only)\": the limit ended the run before that tier's search, and only the deadlines were searched for it.\n")
    print(md_table(["scenario", "code", "exit", "wall s", "status", "tiers",
                    "check" if args.without_candidates else "check --demand"], rows))


if __name__ == "__main__":
    main()
