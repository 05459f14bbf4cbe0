"""`planner plan --start` and ``solve(start=…)``: an earlier run continued, never returned dearer than it started."""
from __future__ import annotations

import datetime as dt
import json

from planner.check import check_plan
from planner.cli import main
from planner.data import load_catalogue, scenarios_dir
from planner.planio import read_plan

PLAN_2024 = scenarios_dir() / "plan_2024.csv"


def test_a_continued_search_returns_its_start_when_it_finds_nothing_cheaper(capsys, tmp_path):
    """With a limit too short to find any plan, a run without --start has none (exit 2); continued from the
    published 2024 plan it returns a plan no dearer than that one, and summary.json says where it started."""
    from planner.api import make_context

    ctx = make_context(2024)
    start = read_plan(PLAN_2024, load_catalogue(), year=2024)
    cost = check_plan(start, ctx).objective
    out = tmp_path / "o"
    code = main(["plan", "--year", "2024", "--no-publish", "--time-limit", "0.001", "--start", str(PLAN_2024),
                 "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0 and f"starting from {PLAN_2024}: cost {cost}" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["start"] == {"file": str(PLAN_2024), "objective": cost}
    plan = read_plan(out / "plan.csv", load_catalogue(), year=2024)
    assert check_plan(plan, ctx).ok and summary["objective"] == check_plan(plan, ctx).objective <= cost
    assert main(["plan", "--year", "2024", "--no-publish", "--time-limit", "0.001", "--out",
                 str(tmp_path / "none")]) == 2
    capsys.readouterr()


def test_solve_from_a_start_is_no_dearer_and_keeps_every_rule():
    """Given time, the search from the 2024 plan finds the year's optimum, as a fresh run does; the start's cost is
    an upper bound on every result."""
    from planner.api import make_context
    from planner.solver import Status, solve

    ctx = make_context(2024)
    start = read_plan(PLAN_2024, load_catalogue(), year=2024)
    fresh = solve(ctx, time_limit=30)
    continued = solve(ctx, time_limit=30, start=start)
    assert fresh.status == continued.status == Status.OPTIMAL
    assert continued.objective == fresh.objective <= check_plan(start, ctx).objective


def test_a_start_of_another_year_or_missing_is_one_line_and_exit_2(capsys, tmp_path):
    for argv, words in ((["--year", "2025", "--start", str(PLAN_2024)], "the plan is for 2024, the run plans 2025"),
                        (["--year", "2024", "--start", str(tmp_path / "missing.csv")], "missing.csv")):
        code = main(["plan", "--no-publish", "--out", str(tmp_path / "o")] + argv)
        err = capsys.readouterr().err
        assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err, err
        assert not (tmp_path / "o").exists()


def test_a_start_that_breaks_a_pin_is_never_returned(tmp_path):
    """The rules' check does not see a scenario's pins: a start plan that moves a pinned session keeps every rule
    and may cost less than anything the search finds in time, yet it is not the scenario's plan. With a limit too
    short for any plan, the run has none (rather than the start); the same start without the pin comes back."""
    import dataclasses

    from planner.api import make_context
    from planner.solver import Status, solve

    ctx = make_context(2024)
    start = read_plan(PLAN_2024, load_catalogue(), year=2024)
    first = start.by_key()[("managers", 1)]
    # the start's own first session, a week later: a pin the start does not keep
    moved = dataclasses.replace(first, exam_date=first.exam_date + dt.timedelta(days=7),
                                registration_deadline=first.registration_deadline + dt.timedelta(days=7))
    r = solve(ctx, time_limit=0.001, start=start, pins=[moved])
    assert r.plan is None or r.plan.by_key()[("managers", 1)].exam_date == moved.exam_date
    r = solve(ctx, time_limit=0.001, start=start, pins=[first])
    assert r.status == Status.TIME_LIMIT and r.plan is not None and r.plan.by_key()[first.key] == first


def test_an_infeasible_verdict_without_probing_is_checked_with_it():
    """CP-SAT 9.15, after a presolve without probing (solver._light_presolve), called this feasible model
    infeasible: a re-plan's second tier (fewest sessions changed given the disturbance of 1 700 points the first
    tier's plan reached; calendar_2027_official on the 2027 estimate's plan), which that plan satisfies. The run then
    said the year could not be planned. confirm_infeasible has the verdict checked with probing; a model that is
    infeasible stays so."""
    import gzip
    from pathlib import Path

    from ortools.sat.python import cp_model

    from planner.solver import _Clock, _light_presolve, confirm_infeasible

    model = cp_model.CpModel()
    model.proto.parse_text_format(
        gzip.decompress((Path(__file__).parent / "data" / "probing0_infeasible.pb.txt.gz").read_bytes()).decode())
    clock = _Clock(10)
    solver = clock.solver(0)
    _light_presolve(solver)
    status = solver.solve(model)
    clock.account(solver, status)
    solver, status = confirm_infeasible(model, clock, solver, status)
    assert status == cp_model.OPTIMAL
    bad = cp_model.CpModel()
    x = bad.new_int_var(0, 5, "x")
    bad.add(x >= 3)
    bad.add(x <= 2)
    solver = clock.solver(0)
    _light_presolve(solver)
    assert confirm_infeasible(bad, clock, solver, solver.solve(bad))[1] == cp_model.INFEASIBLE
