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


def test_with_candidates_a_year_the_rules_alone_rule_out_is_explained_without_building_the_queue(monkeypatch):
    """The closure conflicts with the rules before any candidate is counted: with the shipped estimate the year is
    infeasible for the same, minimal reason, and no model with the candidates' queue is built (each trial of the
    explanation built one, four times dearer: 115 s at a limit of 10 before)."""
    import planner.solver as S
    from planner.demand import load_demand

    sc = load_scenario(scenarios_dir() / "juteng_closed_quarter.toml")
    alone = solve(sc.ctx, time_limit=10)
    built = []
    build = S.build_model

    def counted(ctx, *a, **kw):
        built.append(ctx.demand is not None)
        return build(ctx, *a, **kw)

    monkeypatch.setattr(S, "build_model", counted)
    r = solve(sc.ctx.with_demand(load_demand(None, sc.ctx.catalogue)), time_limit=10)
    assert r.status == Status.INFEASIBLE and r.conflict_minimal and r.plan is None
    assert r.conflict_keys == alone.conflict_keys and built and not any(built)


def test_the_explanation_tries_nothing_once_its_time_is_spent(monkeypatch):
    """Every trial builds a model, which takes time the solver's own limit does not see: with the clock spent, the
    deletion filter keeps the items it has not tried, undecided, and says the set is not proven minimal."""
    import planner.solver as S

    sc = load_scenario(scenarios_dir() / "juteng_closed_quarter.toml")
    tried = []
    trial = S.trial_status
    monkeypatch.setattr(S, "trial_status", lambda *a, **kw: tried.append(1) or trial(*a, **kw))
    first = ["institution_open[juteng]", "coverage[special_ops:elec_cable]", "plan_window"]
    monkeypatch.setattr(S, "_first_core", lambda *a, **kw: list(first))
    clock = _Clock(10)
    clock.det_used = clock.limit  # spent
    keys, minimal = S.explain_infeasibility(sc.ctx, clock=clock)
    assert keys == first and not minimal and not tried


def test_each_trial_with_candidates_is_charged_so_the_limit_not_the_wall_clock_ends_the_explanation(monkeypatch):
    """A trial on the model with candidates builds the queue and presolves it, work CP-SAT counts as almost nothing:
    each is charged ``TRIAL_OVERHEAD_UNITS``, so a clock with room for about two of them ends the deletion filter
    after two or three trials (uncharged, all eight ran, and only the wall clock could stop them), the set is said
    not proven minimal, and the command line and the workbench say so."""
    import planner.solver as S
    from planner.demand import load_demand
    from planner.web import i18n

    sc = load_scenario(scenarios_dir() / "juteng_closed_quarter.toml")
    ctx = sc.ctx.with_demand(load_demand(None, sc.ctx.catalogue))
    tried = []
    trial = S.trial_status
    monkeypatch.setattr(S, "trial_status", lambda *a, **kw: tried.append(1) or trial(*a, **kw))
    first = ["institution_open[juteng]", "coverage[special_ops:elec_cable]", "plan_window", "working_day",
             "registration_gap", "daily_cap", "site_spacing", "numbering"]
    monkeypatch.setattr(S, "_first_core", lambda *a, **kw: list(first))
    clock = _Clock(1000)
    clock.limit = 2.2 * S.TRIAL_OVERHEAD_UNITS  # room for two charged trials; the wall clock is far away
    keys, minimal = S.explain_infeasibility(ctx, clock=clock)
    assert not minimal and 2 <= len(tried) <= 3 and len(keys) > 2
    result = S.Result(Status.INFEASIBLE, None, conflict=keys, conflict_minimal=minimal)
    assert S.NOT_MINIMAL in result.summary()
    page = i18n.error_view({"type": "infeasible", "conflict": keys, "minimal": minimal}, ctx.catalogue)
    assert page["headline"].startswith("以下规则无法同时满足（") and "求解时限" in page["headline"]
    assert i18n.error_view({"type": "infeasible", "conflict": keys}, ctx.catalogue)["headline"] == "以下规则无法同时满足："


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
