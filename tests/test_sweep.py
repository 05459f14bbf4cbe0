"""Sweeps: every scenario runs, an infeasible one shows its conflict, exit 0; unreadable ones exit 2."""
from __future__ import annotations

from planner.cli import main
from planner.sweep import sweep

from scenario_fixtures import closure, tiny_scenario, write


def _scenarios(tmp_path):
    base = tiny_scenario(tmp_path)
    moved = write(tmp_path, "closed_may.toml", 'extends = "tiny_base.toml"\n'
                  + closure("huaan", "2024-03-01", "2024-06-30"))
    dead = write(tmp_path, "closed_all_year.toml", 'extends = "tiny_base.toml"\n'
                 + closure("huaan", "2024-01-01", "2025-12-31"))
    return base, moved, dead


def test_sweep_rows(tmp_path):
    base, moved, dead = _scenarios(tmp_path)
    rows = sweep([base, moved, dead], time_limit=10)
    by = {r.scenario: r for r in rows}
    assert by["tiny_base"].baseline and by["tiny_base"].moves == 0 and by["tiny_base"].sessions == 3
    closed = by["closed_may"]
    assert closed.feasible and closed.moves is not None and closed.moves >= 0
    assert "huaan" in closed.longest_gap
    infeasible = by["closed_all_year"]
    assert infeasible.status == "INFEASIBLE" and "institution_open[huaan]" in infeasible.note


def test_sweep_cli_exit_0_with_an_infeasible_scenario(capsys, tmp_path):
    base, moved, dead = _scenarios(tmp_path)
    code = main(["sweep", str(base), str(moved), str(dead), "--out", str(tmp_path / "o"), "--time-limit", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "INFEASIBLE" in out and "institution_open[huaan]" in out
    csv = (tmp_path / "o" / "sweep.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("scenario,year,status,feasible,sessions,longest gap huaan")
    assert len(csv) == 4 and (tmp_path / "o" / "plans" / "tiny_base.csv").exists()


def test_sweep_cli_exit_2_when_a_scenario_cannot_be_read(capsys, tmp_path):
    base, _, _ = _scenarios(tmp_path)
    bad = write(tmp_path, "broken.toml", 'extends = "tiny_base.toml"\ncolour = "red"\n')
    code = main(["sweep", str(base), str(bad), "--out", str(tmp_path / "o")])
    cap = capsys.readouterr()
    assert code == 2
    assert "ERROR" in cap.out and "broken.toml" in cap.err and "field 'colour'" in cap.err


def test_sweep_with_demand_says_what_each_plan_does_to_the_candidates(capsys, tmp_path):
    """``sweep --demand``: each scenario planned with the candidates (scaled by its demand_percent); its row's
    candidates, seats, carried over and waits are its plan's queue under that demand; without --demand the
    columns are absent; a bad demand file is one line and exit 2 before any scenario runs."""
    import csv

    from planner.data import constraints_dir
    from planner.demand import load_demand
    from planner.planio import read_plan
    from planner.queueing import evaluate
    from planner.scenario import load_scenario

    base, moved, _ = _scenarios(tmp_path)
    more = write(tmp_path, "more_candidates.toml", 'extends = "tiny_base.toml"\ndemand_percent = 50\n')
    demand = str(constraints_dir() / "demand.toml")
    assert main(["sweep", str(base), str(moved), str(more), "--demand", demand, "--out", str(tmp_path / "o"),
                 "--time-limit", "10"]) == 0
    rows = list(csv.DictReader((tmp_path / "o" / "sweep.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 3
    for row, path in zip(rows, (base, moved, more)):
        sc = load_scenario(path)
        ctx = sc.ctx.with_demand(sc.scale_demand(load_demand(demand, sc.ctx.catalogue)))
        plan = read_plan(tmp_path / "o" / "plans" / f"{sc.name}.csv", ctx.catalogue)
        want = evaluate(plan, ctx).summary()
        assert [row["candidates"], row["seats"], row["carried over"], row["longest wait"], row["p95 wait"]] == [
            "" if want[k] is None else str(want[k])
            for k in ("expected_candidates", "seats", "unserved", "max_wait_days", "p95_wait_days")]
    assert int(rows[2]["candidates"]) > int(rows[0]["candidates"])  # 需求 +50 %
    assert {r["demand"] for r in rows} == {"估计"}  # every figure from the estimate says so
    assert rows[0]["moves vs baseline"] == "0" and rows[1]["moves vs baseline"] != ""  # against the baseline
    capsys.readouterr()
    assert main(["sweep", str(base), "--out", str(tmp_path / "plain"), "--time-limit", "10"]) == 0
    assert "candidates" not in (tmp_path / "plain" / "sweep.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    bad = tmp_path / "bad.toml"
    bad.write_text("[sites.huaan]\nseats_per_day = 0\n", encoding="utf-8")
    assert main(["sweep", str(base), "--demand", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "b").exists() and "seats_per_day" in capsys.readouterr().err


def test_the_late_column_names_one_target_in_its_header_and_several_in_their_cells():
    from planner.sweep import SweepRow, table_rows

    def row(name, late, days):
        return SweepRow(name, name, 2025, "OPTIMAL", 3, people={
            "status": "估计", "expected_candidates": 10, "seats": 20, "unserved": 1, "max_wait_days": 40, "p95_wait_days": 35,
            "late": late, "late_days": days})

    header, cells = table_rows([row("a", 4, 30), row("b", 0, 30), SweepRow("c", "c")])
    assert "waiting > 30 days" in header
    col = header.index("waiting > 30 days")
    assert [c[col] for c in cells] == ["4", "0", ""]
    header, cells = table_rows([row("a", 4, 30), row("b", 2, 45)])
    col = header.index("waiting > target days")
    assert [c[col] for c in cells] == ["4 (>30)", "2 (>45)"]
    header, _ = table_rows([SweepRow("c", "c")])
    assert "candidates" not in header


def test_a_quick_answer_says_so_in_the_status_cell():
    """A row whose plan is the quick answer (``solve(quick=True)``, sweep without --thorough) is told apart from one the
    time limit stopped."""
    from planner.solver import QUICK_STOP
    from planner.sweep import SweepRow, table_rows

    header, cells = table_rows([SweepRow("a", "a", 2027, "TIME_LIMIT", 59, stopped_by=QUICK_STOP),
                                SweepRow("b", "b", 2027, "TIME_LIMIT", 59, stopped_by="deterministic limit")])
    col = header.index("status")
    assert [c[col] for c in cells] == [f"TIME_LIMIT ({QUICK_STOP})", "TIME_LIMIT"]
    assert [c[header.index("feasible")] for c in cells] == ["yes", "yes"]
