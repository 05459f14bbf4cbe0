"""Explanations of infeasible inputs are irreducible: every named item is needed, and together they conflict.

Minimality is asserted, not assumed: for each explanation, the plan-mode model with exactly the
named items is infeasible, and with any one of them removed it is feasible (``trial_status``).
"""
from __future__ import annotations


from ortools.sat.python import cp_model

from planner.data import scenarios_dir
from planner.scenario import load_scenario
from planner.solver import Status, _Clock, solve, trial_status

from scenario_fixtures import tiny_scenario, write

FEASIBLE = (cp_model.FEASIBLE, cp_model.OPTIMAL)


def assert_irreducible(ctx, keys, pins=()) -> None:
    clock = _Clock(60)
    assert trial_status(ctx, keys, list(pins), clock, share=0.5) == cp_model.INFEASIBLE
    for k in keys:
        rest = [c for c in keys if c != k]
        assert trial_status(ctx, rest, list(pins), clock, share=0.5) in FEASIBLE, f"{k} is not needed"


def test_closing_juteng_names_its_electrical_coverage_and_the_closure():
    sc = load_scenario(scenarios_dir() / "juteng_closed_quarter.toml")
    r = solve(sc.ctx, time_limit=30)
    assert r.status == Status.INFEASIBLE and r.conflict_minimal
    assert len(r.conflict_keys) == 2 and "institution_open[juteng]" in r.conflict_keys
    (cov,) = [k for k in r.conflict_keys if k.startswith("coverage[special_ops:")]
    op = cov.split(":")[1].rstrip("]")
    assert op in {"elec_relay", "elec_cable", "elec_hv_test", "elec_explosion_proof"}  # types only 聚腾 offers
    assert_irreducible(sc.ctx, r.conflict_keys)


def test_too_many_sessions_for_the_spacing_is_irreducible(tmp_path):
    """3 managers' sessions 200 days apart need 400 days; the window has 344: window, count and spacing."""
    tiny_scenario(tmp_path)
    path = write(tmp_path, "spaced.toml", 'extends = "tiny_base.toml"\n[ruleset.rules.plan_window]\n'
                 '[ruleset.rules.stream_spacing.min_days]\nmanagers = 200\n')
    sc = load_scenario(path)
    r = solve(sc.ctx, time_limit=30)
    assert r.status == Status.INFEASIBLE and r.conflict_minimal, r.conflict
    # stream_spacing is per site, so every other institution the managers could move to is named too: scope
    others = {f"scope[managers@{i}]" for i in sc.ctx.catalogue.institutions if i != "huaan"}
    assert set(r.conflict_keys) == {"plan_window", "session_count[managers]", "stream_spacing[managers]"} | others
    assert any(line.startswith("scope[managers@") and line.count(",") >= 5 for line in r.conflict)  # one line
    assert_irreducible(sc.ctx, r.conflict_keys)


def test_a_pin_against_the_rotation_names_the_pin_and_the_rotation(tmp_path):
    """Special-ops 期次 2 pinned at 瑞阳 where the rotation expects 聚腾: both are named, nothing else."""
    tiny_scenario(tmp_path)
    path = write(tmp_path, "pin.toml", """extends = "tiny_base.toml"
[sessions]
special_ops = 4
[ruleset.rules.rotation]
streams = ["special_ops"]
[[pins]]
stream = "special_ops"
no = 2
exam_date = 2024-04-10
registration_deadline = 2024-04-03
institution = "ruiyang"
""")
    sc = load_scenario(path)
    r = solve(sc.ctx, time_limit=30)
    assert r.status == Status.INFEASIBLE and r.conflict_minimal
    assert set(r.conflict_keys) == {"pin[special_ops#2]", "rotation[special_ops]"}
    assert_irreducible(sc.ctx, r.conflict_keys, sc.pins)
