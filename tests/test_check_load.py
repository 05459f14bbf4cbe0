"""`planner check --demand` reports the plan's candidates, seats and waits (issue 17 item 2: check reports overflows
and waits for any plan and demand), from the same queue the waiting rules judge."""
from __future__ import annotations

import subprocess
import sys

from pathlib import Path

from planner.data import constraints_dir

PLAN = str(Path(__file__).resolve().parents[1] / "scenarios" / "plan_2024.csv")


def run(*args):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, timeout=300)


def test_check_with_a_demand_reports_the_queue_it_judges(plan2024, catalogue):
    from planner.api import make_context
    from planner.demand import load_demand
    from planner.queueing import evaluate

    demand = constraints_dir() / "demand.toml"
    rules = constraints_dir() / "yuncheng.toml"
    r = run("check", PLAN, "--demand", str(demand), "--rules", str(rules))
    assert r.returncode in (0, 1), r.stderr
    ctx = make_context(2024, str(rules)).with_demand(load_demand(demand, catalogue))
    t = evaluate(plan2024, ctx).summary()
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("Candidates and seats"))
    assert line.startswith(f"Candidates and seats ({t['status']}): {t['expected_candidates']} expected, "
                           f"{t['seated']} seated in {t['seats']} seats, {t['unserved']} carried over")
    assert f"longest wait {t['max_wait_days']} days, 95th percentile {t['p95_wait_days']} days" in line
    assert "电工作业" in r.stdout and "估计" in r.stdout


def test_check_without_a_demand_says_nothing_of_candidates():
    r = run("check", PLAN)
    assert r.returncode == 0 and "Candidates and seats" not in r.stdout


def test_a_category_counts_the_sessions_that_seat_it_not_every_session_of_its_stream(plan2024, catalogue):
    """场次 per category (sizing.csv, report.html, the workbench): 危险化学品 is examined only where a site is licensed
    for it, so its row counts those sessions — in 2024 华安's 12 of the 48 — and its seats are theirs (it said 48)."""
    from planner.api import make_context
    from planner.demand import load_demand
    from planner.queueing import category_rows, evaluate

    ctx = make_context(2024, str(constraints_dir() / "yuncheng.toml")).with_demand(
        load_demand(constraints_dir() / "demand.toml", catalogue))
    load = evaluate(plan2024, ctx)
    rows = {r[1]: r for r in category_rows(load, plan2024, ctx)}
    for c in load.categories:
        seating = [s for s in load.sessions if s.stream == c.stream and s.offered.get(c.category, 0) > 0]
        row = rows[catalogue.category_name(c.category)]
        assert row[3] == len(seating) and row[4] == sum(s.offered[c.category] for s in seating)
    hazchem = rows[catalogue.category_name("hazchem")]
    assert hazchem[3] == sum(1 for s in plan2024.stream("special_ops") if s.institution == "huaan") < 48
