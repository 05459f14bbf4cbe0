"""The benchmark peers work on a small instance: the HiGHS MIP finds the same optimum as planner's
CP-SAT and its plan passes ``check_plan``; the clerk fills every session on working days.

No timing here (the machine is shared); ``python benchmarks/run_all.py`` measures.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path[:0] = [str(BENCH), str(BENCH / "peers")]


def small_context(year: int = 2025):
    """Yuncheng with 2 managers' and 8 special-operations sessions, no coverage rule (too few sessions)."""
    from planner import make_context
    from planner.ruleset import default_ruleset_path, read_toml, ruleset_from_dict

    doc = read_toml(default_ruleset_path())
    doc["rules"]["session_count"]["sessions"].update(managers=2, special_ops=8)
    del doc["rules"]["coverage"]
    return make_context(year, ruleset_from_dict(doc, "<small>"))


def test_highs_peer_matches_cpsat_and_passes_check():
    pytest.importorskip("highspy")
    from highs_mip import solve_mip

    from planner import check_plan, solve

    ctx = small_context()
    r = solve_mip(ctx, time_limit=60)
    assert r.status == "Optimal" and r.plan is not None
    rep = check_plan(r.plan, ctx)
    assert rep.ok, [v.message for v in rep.violations if v.hard]
    assert round(r.mip_objective) == rep.objective  # the MIP prices exactly what check prices
    assert solve(ctx, explain=False).objective == rep.objective  # and CP-SAT agrees on the optimum
    assert len(r.plan.sessions) == 10


def test_highs_peer_refuses_closures():
    pytest.importorskip("highspy")
    from highs_mip import NotModelled, slot_data

    from planner import make_context
    from planner.ruleset import default_ruleset_path, read_toml, ruleset_from_dict

    doc = read_toml(default_ruleset_path())
    doc["rules"]["institution_open"]["closures"] = [{"institution": "ruiyang", "start": "2025-04-01",
                                                     "end": "2025-04-30"}]
    ctx = make_context(2025, ruleset_from_dict(doc, "<closure>"))
    with pytest.raises(NotModelled):
        slot_data(ctx)


def test_highs_peer_takes_the_live_rule_set_and_refuses_a_demand():
    """The live configuration's waiting rules speak only with a demand: without one the peer formulates the
    year (the benchmarks run it on the live file), with one it refuses rather than ignore the candidates."""
    pytest.importorskip("highspy")
    from highs_mip import NotModelled, slot_data

    from planner import make_context
    from planner.data import constraints_dir
    from planner.demand import load_demand
    from planner.ruleset import read_toml, ruleset_from_dict

    live = ruleset_from_dict(read_toml(constraints_dir() / "yuncheng.toml"), "<live>")
    assert {"waiting", "short_wait"} <= {r.name for r in [*live.rules, *live.preferences]}
    ctx = make_context(2025, live)
    assert slot_data(ctx)
    with pytest.raises(NotModelled, match="waiting"):
        slot_data(ctx.with_demand(load_demand(None, ctx.catalogue)))


def test_clerk_fills_every_session_on_working_days():
    from clerk import clerk_plan

    from planner import check_plan, make_context

    ctx = make_context(2025)
    plan = clerk_plan(ctx)
    assert len(plan.stream("managers")) == 11 and len(plan.stream("special_ops")) == 48
    rep = check_plan(plan, ctx)
    for rule in ("working_day", "daily_cap", "site_spacing", "stream_spacing", "numbering", "rotation",
                 "registration_gap", "holiday_deadline"):
        assert rep.per_rule[rule] == 0, rule
    assert rep.objective > 0  # priced by check, not by the clerk
