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
