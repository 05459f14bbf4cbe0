"""The neighbourhood search that ends the search with candidates (planner.lns): its windows, that it never
makes the plan worse or invalid, that the plan it returns costs what check says, and that it repeats."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from planner.check import check_plan
from planner.model import build_model

from conftest import context_from_doc
from test_queueing import facts, small_doc, small_plan, with_facts  # noqa: F401  (small_plan is a fixture)

#: a demand stream's facts as the shipped estimate states them (假设, constraints/demand_basis.csv)
WEEKLY = {"arrival_every_days": 7, "retake_lag_days": 30}


@pytest.fixture(scope="module")
def small_year():
    return context_from_doc(small_doc(75))


def demand_year(small_year, seed: int):
    """The small year with random weekly arrivals of two categories (metal_mine only at three sites)."""
    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    rng = random.Random(seed)
    f = facts(ready, {"electrical": [rng.randint(0, 3) for _ in ready], "metal_mine": [rng.randint(0, 1) for _ in ready]},
              {("huaan", "electrical"): 12, ("juteng", "electrical"): 12, ("ruiyang", "electrical"): 12,
               ("xinshiji", "electrical"): 12, ("huaan", "metal_mine"): 3, ("juteng", "metal_mine"): 3,
               ("ruiyang", "metal_mine"): 3})
    return with_facts(small_year, f)


def start(ctx, plan):
    """The model of *ctx* with its objective, and every variable's value at *plan*."""
    from planner.solver import _Clock, _complete_hint, _hint

    mv = build_model(ctx)
    _hint(mv, plan)
    assert _complete_hint(mv, _Clock(10), 0)
    hint = mv.model.proto.solution_hint
    values = dict(zip(hint.vars, hint.values))
    expr = mv.objective_expr()
    mv.model.minimize(expr)
    return mv, expr, [values[i] for i in range(len(mv.model.proto.variables))]


def test_windows_by_date_take_turns_with_each_sites_sessions_and_reach_the_last_session(small_year, small_plan):
    from planner import lns

    mv, _, values = start(small_year, small_plan)
    by_date = [s.key for s in sorted(small_plan.sessions, key=lambda s: (s.exam_date, s.stream, s.no))]
    # the hand-spread plan: special_ops 1-12 rotate huaan, juteng, ruiyang, xinshiji; managers 1-2 at huaan
    at = {site: [("special_ops", k) for k in range(i + 1, 13, 4)]
          for i, site in enumerate(["huaan", "juteng", "ruiyang", "xinshiji"])}
    managers = [("managers", 1), ("managers", 2)]
    ws = [[s.key for s in w] for w in lns.windows(mv, values, 8)]
    # 14 sessions by date: windows start at 0, 4 and (flush with the end) 6; each stream's sessions at one site
    # (two or three, fewer than 8) are one window each, in (stream, site) order, taking turns with those by date
    assert ws == [by_date[0:8], managers, by_date[4:12], at["huaan"], by_date[6:14], at["juteng"], at["ruiyang"],
                  at["xinshiji"]]
    ws4 = [[s.key for s in w] for w in lns.windows(mv, values, 4)]
    assert ws4[:6] == [by_date[0:4], managers, by_date[2:6], at["huaan"], by_date[4:8], at["juteng"]]
    assert ws4[-1] == by_date[10:14]  # the last window by date is flush with the end
    # a window holding the whole year is the only one
    assert [[s.key for s in w] for w in lns.windows(mv, values, 20)] == [by_date]


def test_a_window_that_frees_the_same_sessions_as_an_earlier_one_is_dropped(small_year, small_plan):
    """One session a window: every site window is a date window already, so each session is freed once."""
    from planner import lns

    mv, _, values = start(small_year, small_plan)
    by_date = [s.key for s in sorted(small_plan.sessions, key=lambda s: (s.exam_date, s.stream, s.no))]
    ws = [[s.key for s in w] for w in lns.windows(mv, values, 1)]
    assert sorted(ws) == sorted([k] for k in by_date)  # each session once, not twice
    assert ws[:3] == [[by_date[0]], [("managers", 1)], [by_date[1]]]  # still taking turns


@pytest.mark.parametrize("seed", [1, 2])
def test_the_rounds_never_worsen_the_plan_and_return_one_check_prices_alike(small_year, small_plan, seed):
    """From the hand-spread plan, rounds of eight sessions: the plan returned keeps every rule, costs what
    check_plan says, and no more than where it started."""
    from planner import lns
    from planner.solver import _Clock, _extract

    ctx = demand_year(small_year, seed)
    before = check_plan(small_plan, ctx)
    assert before.ok
    mv, expr, values = start(ctx, small_plan)
    clock = _Clock(2)
    out = lns.improve(mv, expr, values, before.objective, clock, 0)
    assert out.rounds >= 1 and out.cost <= before.objective
    solver = lns.load(mv.model, out.values, clock, 0)
    plan = _extract(mv, solver, ctx, None)
    after = check_plan(plan, ctx)
    assert after.ok and after.objective == out.cost


def test_the_rounds_improve_a_poor_plan_and_repeat(small_year, small_plan):
    """The hand-spread plan leaves candidates waiting where a session a few days earlier would seat them: the
    rounds find better, and the same rounds from the same plan give the same plan."""
    from planner import lns
    from planner.solver import _Clock

    ctx = demand_year(small_year, 1)
    cost = check_plan(small_plan, ctx).objective
    runs = []
    for _ in range(2):
        mv, expr, values = start(ctx, small_plan)
        runs.append(lns.improve(mv, expr, values, cost, _Clock(2), 0))
    assert runs[0].improved >= 1 and runs[0].cost < cost
    assert (runs[0].values, runs[0].cost, runs[0].rounds) == (runs[1].values, runs[1].cost, runs[1].rounds)


def test_solve_with_candidates_runs_the_rounds_and_repeats(small_year):
    """``solve`` with candidates runs the rounds from the plan in hand: its plan keeps every rule, costs what check
    says and no more than the rounds' best (the whole model gets what they leave, which may prove it optimal),
    its bound is at most its cost, and the same run twice gives the same plan."""
    from unittest import mock

    from planner import lns
    from planner.solver import Status, solve

    ctx = demand_year(small_year, 2)
    rounds = []
    improve = lns.improve
    with mock.patch.object(lns, "improve", lambda *a, **kw: rounds.append(improve(*a, **kw)) or rounds[-1]):
        runs = [solve(ctx, time_limit=3) for _ in range(2)]
    assert len(rounds) == 2 and rounds[0].rounds >= 1
    r = runs[0]
    assert r.status in (Status.OPTIMAL, Status.TIME_LIMIT) and r.report.ok
    assert r.objective == r.solver_objective <= rounds[0].cost
    assert r.bound <= r.objective
    assert runs[0].plan.sessions == runs[1].plan.sessions and runs[0].objective == runs[1].objective


def test_a_plan_in_hand_survives_a_whole_model_search_that_returns_none(small_year, small_plan, monkeypatch):
    """A short time limit can leave the whole-model search too little to return even its hint: the plan the
    search started from (here the hand-spread one) is still the answer, improved by whatever rounds fit."""
    from ortools.sat.python import cp_model

    from planner.solver import _Clock, _search_with_neighbourhoods, _extract

    ctx = demand_year(small_year, 1)
    cost = check_plan(small_plan, ctx).objective
    mv, expr, _ = start(ctx, small_plan)
    solve = cp_model.CpSolver.solve
    whole = []

    def none_from_the_whole_model(self, model, *a, **kw):
        p = self.parameters
        if not p.fix_variables_to_their_hinted_value and p.max_deterministic_time > 0.3:
            whole.append(1)
            solve(self, cp_model.CpModel())  # the solver's counters set, as after a search that found nothing
            return cp_model.UNKNOWN
        return solve(self, model, *a, **kw)

    monkeypatch.setattr(cp_model.CpSolver, "solve", none_from_the_whole_model)
    status, solver, _ = _search_with_neighbourhoods(mv, expr, _Clock(6), 0, started=True)
    assert whole and status == cp_model.FEASIBLE
    plan = _extract(mv, solver, ctx, None)
    report = check_plan(plan, ctx)
    assert report.ok and report.objective == int(solver.value(expr)) <= cost


def test_a_plan_that_costs_its_proven_floor_is_optimal_without_rounds(monkeypatch):
    """Waits limited but not priced (no ``short_wait``): the plan without candidates breaks the limit, the repair
    proves the best plan that keeps it, and that plan costs its own floor, so ``solve`` returns it as proven
    optimal without rounds; a whole search from scratch finds the same cost."""
    from planner import lns
    from planner.demand import demand_from_dict
    from planner.solver import Status, solve

    from conftest import tiny_doc

    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 20}},
                   prefs={"even_spread": {"weight": 2, "streams": ["managers"]}, "preferred_gap": {"weight": 3, "days": 5}})
    ctx = context_from_doc(doc)
    demand = demand_from_dict({"status": "估计", "streams": {"managers": {**WEEKLY, "categories": {
        "managers": {"first_time": 40, "profile": [0] * 8 + [1, 0, 0, 0], "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 100}}}, "t.toml", ctx.catalogue)
    with_candidates = ctx.with_demand(demand)
    assert not check_plan(solve(ctx, time_limit=10).plan, with_candidates).ok
    calls = []
    improve = lns.improve
    monkeypatch.setattr(lns, "improve", lambda *a, **kw: calls.append(1) or improve(*a, **kw))
    r = solve(with_candidates, time_limit=10)
    assert r.status == Status.OPTIMAL and r.report.ok and r.bound == r.objective and not calls
    monkeypatch.setattr(lns, "improve", improve)
    from planner.model import build_model
    from planner.solver import _Clock

    from ortools.sat.python import cp_model

    mv = build_model(with_candidates)
    expr = mv.objective_expr()
    mv.model.minimize(expr)
    scratch = _Clock(10).solver(0)
    assert scratch.solve(mv.model) == cp_model.OPTIMAL and scratch.value(expr) == r.objective


def test_a_wall_clock_that_runs_out_between_rounds_is_said_as_such(small_year, monkeypatch):
    """A machine so loaded that the wall clock ends the run between two neighbourhood rounds (no CP-SAT call sees
    it): the plan then depends on the load, and summary.json's ``stopped_by`` must say "wall-clock limit", not
    "deterministic limit" with work left (audit 2026-12-05: 2.99 of 4.5 units used, said deterministic)."""
    from planner import lns
    from planner import solver as S

    ctx = demand_year(small_year, 2)
    real, jump = S.time.perf_counter, {"after": None}
    improve = lns.improve

    def late_at_the_rounds(*a, **kw):
        # the wall clock jumps past the limit as the rounds start, as if the machine stalled there
        jump["after"] = 10_000.0
        return improve(*a, **kw)

    monkeypatch.setattr(S.time, "perf_counter", lambda: real() + (jump["after"] or 0.0))
    monkeypatch.setattr(lns, "improve", late_at_the_rounds)
    r = S.solve(ctx, time_limit=3)
    assert r.plan is not None and r.report.ok
    assert r.stopped_by == "wall-clock limit", (r.stopped_by, r.deterministic_time)


def test_the_clock_says_wall_stop_only_with_work_left(monkeypatch):
    from planner import solver as S

    now = {"t": 0.0}
    monkeypatch.setattr(S.time, "perf_counter", lambda: now["t"])
    clock = S._Clock(2.0, rate=1.0, start=0.0)
    assert clock.left > 0 and not clock.wall_stop
    clock.det_used = 2.0  # the work is done: the deterministic limit ends the run, whatever the wall clock says
    now["t"] = 1e6
    assert clock.left <= 0 and not clock.wall_stop
    clock.det_used = 1.0  # work left when the wall clock ran out
    assert clock.left <= 0 and clock.wall_stop
