"""Each rule's CP-SAT face on a tiny instance whose answer can be worked out by hand.

Most cases repair a hand-made plan: ``solve(reference=...)`` keeps as much of it as the rule allows
(fewest sessions changed, then fewest days moved), so the expected answer is the nearest legal day.
"""
from __future__ import annotations

import datetime as dt

import pytest

from planner.check import check_plan
from planner.errors import PlannerError
from planner.plan import Plan
from planner.solver import Status, solve

from conftest import context_from_doc, session, tiny_doc

D = dt.date
WD = {"working_day": {}}


def repair(doc, sessions, year=2024):
    ctx = context_from_doc(doc, year)
    res = solve(ctx, reference=Plan(year, tuple(sessions)), time_limit=10)
    assert res.status == Status.OPTIMAL
    assert check_plan(res.plan, ctx).ok
    return res


def test_working_day_moves_to_nearest_working_day():
    # 2024-10-03 is a National Day holiday; nearest working days: Mon 9-30 (3 days), Sun 9-29 is a make-up day (4)
    res = repair(tiny_doc(1, rules=WD), [session("managers", 1, D(2024, 9, 28), D(2024, 10, 3))])
    assert res.plan.sessions[0].exam_date == D(2024, 9, 30)
    assert res.tiers == {"sessions_changed": 1, "days_moved": 3}


def test_registration_gap_bounds():
    low = tiny_doc(2, rules={"registration_gap": {"min_days": 4, "max_days": 14}},
                   prefs={"preferred_gap": {"weight": 1, "days": 0}})
    ctx = context_from_doc(low)
    res = solve(ctx)
    assert [(s.exam_date - s.registration_deadline).days for s in res.plan.sessions] == [4, 4]
    high = tiny_doc(2, rules={"registration_gap": {"min_days": 4, "max_days": 14}},
                    prefs={"preferred_gap": {"weight": 1, "days": 30}})
    res = solve(context_from_doc(high))
    assert [(s.exam_date - s.registration_deadline).days for s in res.plan.sessions] == [14, 14]
    assert res.parts["preferred_gap"] == (1, 32)


def test_daily_cap_separates_two_exams_by_one_day():
    ss = [session("managers", 1, D(2024, 3, 1), D(2024, 3, 6)), session("managers", 2, D(2024, 3, 1), D(2024, 3, 6))]
    res = repair(tiny_doc(2, rules={**WD, "daily_cap": {"max_exams_per_day": 1}}), ss)
    days = [s.exam_date for s in res.plan.sessions]
    assert len(set(days)) == 2 and res.tiers == {"sessions_changed": 1, "days_moved": 1}
    res2 = repair(tiny_doc(2, rules={**WD, "daily_cap": {"max_exams_per_day": 2}}), ss)
    assert res2.tiers == {"sessions_changed": 0, "days_moved": 0}


def test_site_spacing_moves_the_later_session():
    # min 5 days at 华安: keep 3-6 and push 3-7 to Mon 3-11 (4 days) rather than 3-6 back to Fri 3-1 (5 days)
    ss = [session("managers", 1, D(2024, 2, 28), D(2024, 3, 6)), session("managers", 2, D(2024, 3, 2), D(2024, 3, 7))]
    res = repair(tiny_doc(2, rules={**WD, "site_spacing": {"min_days": 5}}), ss)
    assert [s.exam_date for s in res.plan.sessions] == [D(2024, 3, 6), D(2024, 3, 11)]


def test_rotation_order_and_start():
    doc = tiny_doc(0, 6, rules={"rotation": {"streams": ["special_ops"]}})
    res = solve(context_from_doc(doc))
    assert [s.institution for s in res.plan.sessions] == ["huaan", "juteng", "ruiyang", "xinshiji", "huaan", "juteng"]
    doc["rules"]["rotation"]["start"] = "ruiyang"
    res = solve(context_from_doc(doc))
    assert [s.institution for s in res.plan.sessions][:3] == ["ruiyang", "xinshiji", "huaan"]


def test_rotation_skips_a_closed_site():
    doc = tiny_doc(0, 5, rules={
        "rotation": {"streams": ["special_ops"]},
        "institution_open": {"closures": [{"institution": "juteng", "start": "2024-01-01", "end": "2025-12-31"}]}})
    res = solve(context_from_doc(doc))
    assert [s.institution for s in res.plan.sessions] == ["huaan", "ruiyang", "xinshiji", "huaan", "ruiyang"]


def test_institution_open_moves_out_of_a_closure():
    doc = tiny_doc(1, rules={**WD, "scope": {}, "institution_open": {"closures": [
        {"institution": "huaan", "start": "2024-03-01", "end": "2024-03-31", "reason": "inspection"}]}})
    res = repair(doc, [session("managers", 1, D(2024, 3, 1), D(2024, 3, 6))])
    assert res.plan.sessions[0].exam_date == D(2024, 2, 29)


def test_plan_window_pulls_a_session_into_the_window():
    # window opens 2024-02-18; the session was changed anyway, so the nearest legal exam is 2-18 itself
    res = repair(tiny_doc(1, rules={"plan_window": {}}), [session("managers", 1, D(2024, 1, 27), D(2024, 2, 1))])
    s = res.plan.sessions[0]
    assert s.exam_date == D(2024, 2, 18) and s.registration_deadline >= D(2024, 2, 18)


def test_on_demand_site_counts():
    doc = tiny_doc(0, rules={"session_count": {"sessions": {"on_demand": {"yvu": {"min": 2, "max": 3}}}}})
    doc["streams"]["on_demand"] = {"sites": ["fengxi", "crrc_yongji", "yvu"]}
    res = solve(context_from_doc(doc))
    assert 2 <= len(res.plan.sessions) <= 3 and {s.institution for s in res.plan.sessions} == {"yvu"}


def test_coverage_needs_enough_sessions_and_names_the_conflict():
    rules = {**WD, "plan_window": {}, "coverage": {"max_days_between_opportunities": 60, "streams": {"managers": "all"}}}
    res = solve(context_from_doc(tiny_doc(2, rules=rules)))
    assert res.status == Status.INFEASIBLE
    names = " ".join(res.conflict)
    assert "coverage" in names and "session_count" in names
    res = solve(context_from_doc(tiny_doc(6, rules=rules)))  # 340-day window / 60 → 6 sessions suffice
    assert res.status == Status.OPTIMAL and check_plan(res.plan, context_from_doc(tiny_doc(6, rules=rules))).ok


def test_scope_rejects_an_unlicensed_site_in_the_rule_set():
    doc = tiny_doc(1, rules={"scope": {}})
    doc["streams"]["managers"]["sites"] = ["huaan", "juteng"]
    with pytest.raises(PlannerError, match="juteng.*not licensed"):
        context_from_doc(doc)


def test_refresher_first_cycle_sets_kinds():
    doc = tiny_doc(0, 6, rules={"rotation": {"streams": ["special_ops"]}},
                   prefs={"refresher_first_cycle": {"weight": 1}})
    res = solve(context_from_doc(doc))
    assert [s.kind for s in res.plan.sessions] == ["特种作业人员复训"] * 4 + ["特种作业人员初、复训"] * 2


def test_solver_objective_equals_the_checked_cost(ctx2024, plan2024):
    """Preferences' two faces agree: the solver's objective is what `cost` computes on the plan it returns."""
    res = solve(ctx2024)
    assert res.status == Status.OPTIMAL
    assert res.solver_objective == res.objective == check_plan(res.plan, ctx2024).objective
    assert res.bound == res.objective and res.gap == 0.0  # proven: the bound meets the plan's cost


def test_a_plan_cut_short_is_time_limit_with_its_proven_bound_and_gap(ctx2024, monkeypatch):
    """Stopped before the proof (here: after its first plan, so the test does not depend on the machine's
    speed), the result is TIME_LIMIT, carries CP-SAT's proven bound, and summary() and summary.json show both."""
    from planner import solver as solver_mod
    from planner.runinfo import summary_dict

    optimum = solve(ctx2024).objective
    light = solver_mod._light_presolve

    def first_plan_only(s):
        light(s)
        s.parameters.stop_after_first_solution = True

    monkeypatch.setattr(solver_mod, "_light_presolve", first_plan_only)
    res = solve(ctx2024)
    assert res.status == Status.TIME_LIMIT and res.status.has_plan and res.stopped_by
    assert res.bound <= optimum < res.objective
    assert res.gap == pytest.approx((res.objective - res.bound) / res.objective) and 0 < res.gap < 1
    assert f"bound: {res.bound:g}, gap: {100 * res.gap:.2f} %" in res.summary()
    d = summary_dict(res, ctx2024)
    assert (d["status"], d["bound"], d["gap"]) == ("TIME_LIMIT", res.bound, round(res.gap, 6))


def test_a_search_the_wall_clock_stopped_says_so_with_or_without_a_plan():
    """``stopped_by`` names the wall clock whenever it ended a search before a proof, also when a plan was found
    (it used to say "deterministic limit" then, so a run that may differ on another load did not say so)."""
    from types import SimpleNamespace

    from ortools.sat.python import cp_model

    from planner.solver import _Clock

    def account(status, wall: float, det: float) -> bool:
        clock = _Clock(10)
        params = SimpleNamespace(max_time_in_seconds=1.0, max_deterministic_time=10.0)
        clock.account(SimpleNamespace(deterministic_time=det, wall_time=wall, parameters=params), status)
        return clock.wall_stop

    for status in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        assert account(status, wall=1.0, det=0.3)  # its wall seconds ran out first
        assert not account(status, wall=0.4, det=10.0)  # its deterministic budget did
    for status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        assert not account(status, wall=1.0, det=0.3)  # proven: nothing stopped it


def test_stream_spacing_moves_the_second_session_of_a_stream_away():
    # two managers' sessions at 华安 on Wed 3-6 and Fri 3-8: 14 days apart means Wed 3-20 for the second
    # (3-16/17 are a weekend, 3-18 and 3-19 are 12 and 13 days after 3-6); site_spacing alone would accept 3-8
    ss = [session("managers", 1, D(2024, 3, 1), D(2024, 3, 6)), session("managers", 2, D(2024, 3, 3), D(2024, 3, 8))]
    rules = {**WD, "registration_gap": {"min_days": 0, "max_days": 30}, "stream_spacing": {"min_days": {"managers": 14}}}
    res = repair(tiny_doc(2, rules=rules), ss)
    assert [s.exam_date for s in res.plan.sessions] == [D(2024, 3, 6), D(2024, 3, 20)]
    assert res.tiers == {"sessions_changed": 1, "days_moved": 12}


def test_holiday_deadline_moves_a_deadline_out_of_national_day():
    # exam Thu 2024-10-10, deadline 10-05 falls in 国庆 (10-01..10-07, days off). With a preferred gap of 5 days the
    # nearest allowed deadlines are Tue 10-08 (gap 2, cost 3) and Mon 9-30 (gap 10, cost 5): 10-08. The deadline
    # 5-02 inside the May Day break stays: May Day is not a long holiday for this rule.
    ss = [session("managers", 1, D(2024, 5, 2), D(2024, 5, 10)), session("managers", 2, D(2024, 10, 5), D(2024, 10, 10))]
    rules = {**WD, "registration_gap": {"min_days": 0, "max_days": 30}, "holiday_deadline": {}}
    res = repair(tiny_doc(2, rules=rules, prefs={"preferred_gap": {"weight": 1, "days": 5}}), ss)
    s1, s2 = res.plan.sessions
    assert s1.registration_deadline == D(2024, 5, 2)
    assert s2.registration_deadline == D(2024, 10, 8) and s2.exam_date == D(2024, 10, 10)
    assert res.tiers == {"sessions_changed": 1, "days_moved": 0}


@pytest.mark.parametrize("value", ["abc", True, 1.0, -0.1])
def test_a_bad_month_position_is_bad_input_naming_its_key(default_doc, value):
    """The month targets are laid out only from validated parameters (a string once reached float(): exit 70)."""
    import copy

    doc = copy.deepcopy(default_doc)
    doc["preferences"]["even_spread"]["position"]["special_ops"] = value
    with pytest.raises(PlannerError) as e:
        context_from_doc(doc)
    assert e.value.field == "preferences.even_spread.position.special_ops"
