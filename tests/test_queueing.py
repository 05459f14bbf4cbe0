"""The queue of candidates (planner.queueing): worked by hand, against a plain candidate-by-candidate
simulation, and the two faces of the rules that read it (waiting, short_wait)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from types import MappingProxyType

import pytest

from planner.check import check_plan
from planner.demand import Demand, DemandFacts, StreamFacts
from planner.plan import Plan, Session
from planner.queueing import evaluate_stream, wait_percentile

from conftest import context_from_doc, session, tiny_doc

#: a demand stream's facts as the shipped estimate states them (假设, constraints/demand_basis.csv)
WEEKLY = {"arrival_every_days": 7, "retake_lag_days": 30}

D = dt.date


def facts(ready, arrivals: dict[str, list[int]], quota: dict[tuple[str, str], int], days=None, stream="special_ops",
          licence_days=None) -> StreamFacts:
    sites = {i for i, _ in quota}
    return StreamFacts(stream, tuple(ready), MappingProxyType({c: tuple(a) for c, a in arrivals.items()}),
                       MappingProxyType(dict(quota)), MappingProxyType(days or {i: 1 for i in sites}),
                       MappingProxyType({i: 5 for i in sites}), MappingProxyType({i: 100 for i in sites}),
                       MappingProxyType(licence_days or {}))


def with_facts(ctx, *stream_facts: StreamFacts):
    demand = Demand(MappingProxyType({}), MappingProxyType({}), "估计")
    return dataclasses.replace(ctx, demand=DemandFacts(demand, MappingProxyType({f.stream: f for f in stream_facts}),
                                                       ctx.window))


# -- by hand ------------------------------------------------------------------------------------------------------
def test_two_sessions_worked_by_hand():
    # 10 candidates ready on 3月1日, 5 on 3月8日; 8 seats a day at 华安, 6 at 聚腾 (one category).
    f = facts([D(2024, 3, 1), D(2024, 3, 8)], {"electrical": [10, 5]}, {("huaan", "electrical"): 8,
                                                                      ("juteng", "electrical"): 6})
    s1 = session("special_ops", 1, D(2024, 3, 5), D(2024, 3, 10), "huaan")  # deadline before the second batch
    s2 = session("special_ops", 2, D(2024, 3, 12), D(2024, 3, 16), "juteng")
    loads, cats = evaluate_stream(f, [s2, s1], D(2024, 12, 31))
    # session 1 seats 8 of the first 10 (waits 9 days); session 2 seats the other 2 (15 days) and 4 of the
    # 5 of 3月8日 (8 days), leaving 1 carried over
    assert [ld.served["electrical"] for ld in loads] == [8, 6]
    c = cats[0]
    assert c.waits == {9: 8, 15: 2, 8: 4}
    assert c.carried == {D(2024, 3, 8): 1}
    assert c.max_wait == 15 and c.seated == 14 and c.carried_over == 1
    assert c.percentile(0.95) == 15 and c.percentile(0.5) == 9
    assert c.seated_by == (0, 8)


def test_a_site_without_the_category_seats_nobody_of_it_and_a_dated_licence_counts_only_on_its_days():
    f = facts([D(2024, 3, 1)], {"metal_mine": [3], "electrical": [3]},
              {("huaan", "metal_mine"): 5, ("huaan", "electrical"): 5, ("juteng", "electrical"): 5,
               ("ruiyang", "metal_mine"): 5},
              licence_days={("ruiyang", "metal_mine"): frozenset({D(2024, 4, 1)})})
    s1 = session("special_ops", 1, D(2024, 3, 2), D(2024, 3, 6), "juteng")
    s2 = session("special_ops", 2, D(2024, 3, 8), D(2024, 3, 12), "ruiyang")  # not licensed on 3月12日
    s3 = session("special_ops", 3, D(2024, 3, 20), D(2024, 3, 25), "huaan")
    loads, cats = evaluate_stream(f, [s1, s2, s3], D(2024, 12, 31))
    assert [(ld.served.get("metal_mine"), ld.served.get("electrical")) for ld in loads] == [(0, 3), (0, 0), (3, 0)]
    assert {c.category: c.max_wait for c in cats} == {"metal_mine": 24, "electrical": 5}


def test_a_deadline_before_the_candidates_are_ready_seats_nobody():
    f = facts([D(2024, 3, 10)], {"electrical": [4]}, {("huaan", "electrical"): 10})
    s1 = session("special_ops", 1, D(2024, 3, 5), D(2024, 3, 11), "huaan")
    _, cats = evaluate_stream(f, [s1], D(2024, 12, 31))
    assert cats[0].seated == 0 and cats[0].carried == {D(2024, 3, 10): 4}


def test_percentile_is_the_smallest_wait_covering_the_share():
    assert wait_percentile({3: 90, 10: 10}, 0.95) == 10
    assert wait_percentile({3: 95, 10: 5}, 0.95) == 3
    assert wait_percentile({}, 0.95) is None


# -- against a plain simulation -------------------------------------------------------------------------------------
def simulate(f: StreamFacts, sessions):
    """Candidate by candidate: each session, in 期次 order, takes the earliest-ready waiting candidates of each
    category who were ready by its deadline, up to its seats for the category."""
    waiting = {c: [r for r, n in zip(f.ready_days, f.arrivals[c]) for _ in range(n)] for c in f.categories}
    served, waits = [], {c: {} for c in f.categories}
    for s in sorted(sessions, key=lambda s: s.no):
        got = {}
        for c in f.categories:
            seats = f.seats(s.institution, c, s.exam_date)
            take = [r for r in waiting[c] if r <= s.registration_deadline][:seats]
            for r in take:
                waiting[c].remove(r)
                w = (s.exam_date - r).days
                waits[c][w] = waits[c].get(w, 0) + 1
            got[c] = len(take)
        served.append(got)
    carried = {c: {} for c in f.categories}
    for c, rs in waiting.items():
        for r in rs:
            carried[c][r] = carried[c].get(r, 0) + 1
    return served, waits, carried


def random_case(rng: random.Random):
    start = D(2024, 2, 20)
    ready = sorted(rng.sample(range(0, 300), rng.randint(1, 12)))
    cats = rng.sample(["electrical", "welding", "height", "metal_mine"], rng.randint(1, 3))
    sites = ["huaan", "juteng", "ruiyang"]
    quota = {(i, c): rng.randint(0, 6) for i in sites for c in cats}
    f = facts([start + dt.timedelta(days=d) for d in ready], {c: [rng.randint(0, 9) for _ in ready] for c in cats},
              quota, days={i: rng.randint(1, 3) for i in sites})
    sessions, day = [], 0
    for no in range(1, rng.randint(1, 14)):
        day += rng.randint(0, 40)
        exam = start + dt.timedelta(days=day)
        sessions.append(session("special_ops", no, exam - dt.timedelta(days=rng.randint(-3, 20)), exam,
                                rng.choice(sites)))
    rng.shuffle(sessions)
    return f, sessions


def test_the_queue_equals_a_candidate_by_candidate_simulation():
    rng = random.Random(17)
    for _ in range(300):
        f, sessions = random_case(rng)
        loads, cats = evaluate_stream(f, sessions, D(2025, 1, 20))
        served, waits, carried = simulate(f, sessions)
        assert [ld.served for ld in loads] == served
        assert {c.category: c.waits for c in cats} == waits
        assert {c.category: c.carried for c in cats} == carried


def test_the_candidates_waiting_longer_than_a_limit_are_the_simulation_s():
    """``CategoryLoad.over`` (the 候考超过N天 of 对比 and ``compare --demand``): the simulation's candidates seated more
    than *limit* days after they were ready, plus those still waiting at the window's end who were ready more than
    *limit* days before it."""
    rng = random.Random(23)
    end = D(2025, 1, 20)
    for _ in range(300):
        f, sessions = random_case(rng)
        limit = rng.randint(0, 60)
        _, cats = evaluate_stream(f, sessions, end)
        _, waits, carried = simulate(f, sessions)
        for c in cats:
            late = sum(n for w, n in waits[c.category].items() if w > limit)
            late += sum(n for r, n in carried[c.category].items() if (end - r).days > limit)
            assert c.over(limit) == late


def test_the_wait_preference_s_cost_is_the_candidates_over_its_target(small_year, small_plan):
    """short_wait prices exactly the candidates ``over`` counts (what 对比 and the plan page say in people)."""
    from test_faces import _mutations

    from planner.queueing import evaluate

    rng = random.Random(9)
    costs = set()
    ready = [small_year.window[0] + dt.timedelta(days=5 * i) for i in range(70)]
    for trial in range(3):
        f = facts(ready, {"electrical": [rng.randint(0, 3) for _ in ready], "metal_mine": [rng.randint(0, 2) for _ in ready]},
                  {("huaan", "electrical"): 8, ("juteng", "electrical"): 8, ("ruiyang", "electrical"): 8,
                   ("xinshiji", "electrical"): 8, ("huaan", "metal_mine"): 2 + trial})
        ctx = with_facts(small_year, f)
        for plan in [small_plan] + _mutations(small_plan, ctx, rng, 8):
            cost = check_plan(plan, ctx).costs["short_wait"][1]
            assert cost == sum(c.over(30) for c in evaluate(plan, ctx).categories)
            costs.add(cost)
    assert len(costs) > 5  # many different counts compared, not a run of zeros


# -- the rules' two faces -----------------------------------------------------------------------------------------
def small_doc(max_wait: int) -> dict:
    """A small rule set (2 managers' sessions, 12 special-ops sessions rotating over 4 sites) with the waiting rules."""
    doc = tiny_doc(managers=2, special_ops=12, rules={
        "working_day": {}, "plan_window": {}, "registration_gap": {"min_days": 4, "max_days": 14},
        "rotation": {"streams": ["special_ops"]}, "site_spacing": {"min_days": 2}, "daily_cap": {},
        "waiting": {"max_wait_days": max_wait}})
    doc["preferences"] = {"short_wait": {"weight": 1, "target_days": 30}}
    return doc


@pytest.fixture(scope="module")
def small_year():
    return context_from_doc(small_doc(75))


@pytest.fixture(scope="module")
def small_plan(small_year):
    """The small year spread by hand (a session every four weeks, rotating; two managers' sessions), valid under
    its rules: the plans the faces are compared on are this one and its mutations."""
    cal = small_year.calendar
    start = small_year.window[0]

    def working(d):
        while not cal.is_working_day(d):
            d += dt.timedelta(days=1)
        return d

    sites = ["huaan", "juteng", "ruiyang", "xinshiji"]
    ss = [session("special_ops", k + 1, working(start + dt.timedelta(days=8 + 27 * k)) - dt.timedelta(days=5),
                  working(start + dt.timedelta(days=8 + 27 * k)), sites[k % 4]) for k in range(12)]
    ss = [Session(s.stream, s.no, s.exam_date - dt.timedelta(days=5), s.exam_date, s.institution, s.kind) for s in ss]
    ss += [session("managers", k + 1, working(start + dt.timedelta(days=60 + 150 * k)) - dt.timedelta(days=5),
                   working(start + dt.timedelta(days=60 + 150 * k))) for k in range(2)]
    plan = Plan(small_year.year, tuple(ss))
    assert check_plan(plan, small_year).ok, [str(v) for v in check_plan(plan, small_year).violations]
    return plan


def test_faces_of_waiting_agree_on_a_small_year_and_its_mutations(small_year, small_plan):
    from test_faces import _mutations, assert_faces_agree

    rng = random.Random(5)
    seen = {True: 0, False: 0}
    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    for trial in range(2):
        f = facts(ready, {"electrical": [rng.randint(0, 2) for _ in ready], "metal_mine": [rng.randint(0, 1) for _ in ready]},
                  {("huaan", "electrical"): 10, ("juteng", "electrical"): 10, ("ruiyang", "electrical"): 10,
                   ("xinshiji", "electrical"): 10, ("huaan", "metal_mine"): 3 + trial,
                   ("ruiyang", "metal_mine"): 3, ("juteng", "metal_mine"): 3})
        ctx = with_facts(small_year, f)
        plans = [small_plan] + _mutations(small_plan, ctx, rng, 5)
        assert_faces_agree(ctx, plans)
        for p in plans:
            seen[check_plan(p, ctx).per_rule["waiting"] == 0] += 1
    assert seen[True] and seen[False]  # both verdicts were compared


def test_a_plan_hints_every_variable_of_its_queue_on_a_dated_licence_too(small_year, small_plan):
    """A valid plan's hint (its decisions, and the queue computed from them) is a solution of the model: fixed to
    every hinted value, the model is feasible. On a dated licence (瑞阳 examines 金属非金属矿山 only on its days, here
    the first half of the year) the hint once gave the licensed sessions no seats, the plan could not complete its
    own hint, and `plan --demand` fell back to a repair search it did not need."""
    from planner.model import build_model
    from planner.solver import _Clock, _complete_hint, _hint

    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    half = frozenset(small_year.window[0] + dt.timedelta(days=i) for i in range(180))
    f = facts(ready, {"electrical": [1] * 48, "metal_mine": [1 if i % 4 == 1 else 0 for i in range(48)]},
              {("huaan", "electrical"): 10, ("juteng", "electrical"): 10, ("ruiyang", "electrical"): 10,
               ("xinshiji", "electrical"): 10, ("huaan", "metal_mine"): 4, ("juteng", "metal_mine"): 4,
               ("xinshiji", "metal_mine"): 4, ("ruiyang", "metal_mine"): 4},
              licence_days={("ruiyang", "metal_mine"): half})
    ctx = with_facts(small_year, f)
    on = [s for s in small_plan.stream("special_ops") if s.institution == "ruiyang" and s.exam_date in half]
    assert on and check_plan(small_plan, ctx).ok  # a licensed session seats someone; the plan keeps every rule
    mv = build_model(ctx)
    _hint(mv, small_plan)
    assert _complete_hint(mv, _Clock(10), 0)


def test_short_wait_cost_equals_the_model_on_pinned_plans_minimised_or_maximised(small_plan):
    """The preference's model face with a plan pinned equals the cost the check face computes, minimised and
    maximised alike: the plan decides the queue and the cost (the model states the greedy fill, not a possible
    seating), so every plan the search finds is priced as ``check`` prices it. On a solved plan and its mutations,
    under demand that leaves some candidates late."""
    from ortools.sat.python import cp_model
    from test_faces import _mutations

    from planner.model import build_model, pin_plan

    small_year = context_from_doc(small_doc(366))  # waits are priced, hardly ever forbidden
    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    rng = random.Random(3)
    compared = late = 0
    for _ in range(2):
        f = facts(ready, {"electrical": [rng.randint(0, 3) for _ in ready], "welding": [rng.randint(0, 2) for _ in ready]},
                  {("huaan", "electrical"): 9, ("juteng", "electrical"): 7, ("ruiyang", "electrical"): 7,
                   ("xinshiji", "electrical"): 7, ("huaan", "welding"): 5, ("juteng", "welding"): 4})
        ctx = with_facts(small_year, f)
        for plan in [small_plan] + _mutations(small_plan, ctx, rng, 10):
            report = check_plan(plan, ctx)
            if not report.ok:
                continue
            mv = build_model(ctx)
            pin_plan(mv, plan)
            for sense in (mv.model.minimize, mv.model.maximize):
                sense(mv.objective_expr())
                solver = cp_model.CpSolver()
                solver.parameters.num_workers = 1
                assert solver.solve(mv.model) == cp_model.OPTIMAL
                assert round(solver.objective_value) == report.objective
            compared += 1
            late += report.costs["short_wait"][1] > 0
    assert compared >= 3 and late >= 1


def test_the_waiting_rule_sees_late_candidates_and_out_of_order_deadlines(small_year):
    f = facts([small_year.window[0]], {"electrical": [5]}, {("huaan", "electrical"): 2})
    ctx = with_facts(small_year, f)
    w0 = small_year.window[0]
    day = lambda n: w0 + dt.timedelta(days=n)  # noqa: E731
    plan = Plan(2024, (session("special_ops", 1, day(5), day(10), "huaan"),
                       session("special_ops", 2, day(3), day(90), "huaan")))  # 2 left after 2 sessions, and late
    found = [v for v in check_plan(plan, ctx).violations if v.rule == "waiting"]
    msgs = [v.message for v in found]
    assert any("registration closes before" in m for m in msgs)
    assert any("waited more than 75 days" in m for m in msgs)
    # the workbench's sentence is the rule's own, with its figures (it was a table of patterns over the English
    # messages in the web layer's messages.toml)
    pytest.importorskip("fastapi")
    from planner.web import i18n

    lines = [i18n.violation_line(v, plan, ctx) for v in found]
    assert any(line.endswith("——报名截止早于上一期，考生无法按期次顺序报考") for line in lines)
    assert any("——电工作业有" in line and "名考生到本期考试时已候考超过75天" in line for line in lines), lines


def test_the_model_has_the_same_size_at_a_thousand_and_a_hundred_thousand_candidates(small_year):
    """The queue is one integer per session and category, so the model's size follows the categories the demand
    file lists, not how many candidates they bring; at 1 000 candidates the estimate's 8 冶金 candidates round to
    none, and the category stays (issue 17 item 7)."""
    from planner.demand import compile_demand, load_demand
    from planner.model import build_model

    demand = load_demand(None, small_year.catalogue)
    total = sum(c.registrations for sd in demand.streams.values() for c in sd.categories.values())
    sizes, empty = [], []
    for n in (1_000, 100_000):
        scaled = demand.scaled(candidates=n / total)
        facts = compile_demand(scaled, small_year)
        empty.append(sorted(c for f in facts.streams.values() for c in f.categories if not f.total(c)))
        proto = build_model(dataclasses.replace(small_year, demand=facts)).model.proto
        sizes.append((len(proto.variables), len(proto.constraints)))
    assert empty[0] and not empty[1]  # the small demand does leave a listed category without candidates
    assert sizes[0] == sizes[1]


def test_a_plan_that_breaks_the_waiting_limit_is_repaired_and_its_cost_bounds_the_plan_with_candidates():
    """The plan without candidates holds its two managers' sessions on 2月 and 8月; 40 candidates ready in September
    may wait 20 days. Repaired (every rule, the calendar preferences only, from that plan), the best plan costs more
    than the plan without candidates, and no more than the best plan with them (here, where nobody waits past the
    target, exactly as much): a valid, stronger bound for ``plan --demand``."""
    from planner.demand import demand_from_dict
    from planner.model import build_model
    from planner.solver import _Clock, _complete_hint, _hint, _repair_hint, solve

    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 20}},
                   prefs={"even_spread": {"weight": 2, "streams": ["managers"]}, "preferred_gap": {"weight": 3, "days": 5},
                          "short_wait": {"weight": 1, "target_days": 30}})
    ctx = context_from_doc(doc)
    demand = demand_from_dict({"status": "估计", "streams": {"managers": {**WEEKLY, "categories": {
        "managers": {"first_time": 40, "profile": [0] * 8 + [1, 0, 0, 0], "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 100}}}, "t.toml", ctx.catalogue)
    plain = solve(ctx, time_limit=10)
    with_candidates = ctx.with_demand(demand)
    assert plain.status.value == "OPTIMAL" and not check_plan(plain.plan, with_candidates).ok
    mv = build_model(with_candidates)
    _hint(mv, plain.plan)
    clock = _Clock(10)
    assert not _complete_hint(mv, clock, 0)
    found, floor = _repair_hint(mv, with_candidates, clock, 0)
    assert found
    best = solve(with_candidates, time_limit=10)
    assert best.status.value == "OPTIMAL" and best.parts["short_wait"][1] == 0
    assert plain.objective < floor == best.objective


def test_implied_spans_keep_every_valid_plan_and_its_cost(small_plan):
    """``implied_spans`` narrows each slot's exam days, deadlines and sites to what the rules without the queue
    allow, before the queue's per-day literals are built. Exact: every valid plan (the hand-spread year and its
    mutations) lies inside them, and pinned into the narrowed model it is feasible exactly when check finds it
    valid, with the preferences' cost check computes."""
    from ortools.sat.python import cp_model
    from test_faces import _mutations

    from planner.model import build_model, implied_spans, pin_plan

    small_year = context_from_doc(small_doc(75))
    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    rng = random.Random(11)
    f = facts(ready, {"electrical": [rng.randint(0, 2) for _ in ready], "metal_mine": [rng.randint(0, 1) for _ in ready]},
              {("huaan", "electrical"): 10, ("juteng", "electrical"): 10, ("ruiyang", "electrical"): 10,
               ("xinshiji", "electrical"): 10, ("huaan", "metal_mine"): 3, ("juteng", "metal_mine"): 3,
               ("ruiyang", "metal_mine"): 3})
    ctx = with_facts(small_year, f)
    spans = implied_spans(ctx)
    plain = build_model(ctx)
    narrowed = build_model(ctx, spans=spans)
    # the rotation leaves each special-ops slot one site, the registration gap bounds each deadline: both narrow
    assert all(len(spans[s.key][2]) == 1 for s in plain.stream_slots("special_ops"))
    assert all(narrowed.deadline_span(s)[0] > plain.deadline_span(s)[0] for s in plain.all_slots())
    valid = invalid = 0
    for plan in [small_plan] + _mutations(small_plan, ctx, rng, 4):
        report = check_plan(plan, ctx)
        if report.ok:
            for s in plan.sessions:
                (x_lo, x_hi), (d_lo, d_hi), sites = spans[s.key]
                assert x_lo <= plain.day(s.exam_date) <= x_hi and d_lo <= plain.day(s.registration_deadline) <= d_hi
                assert s.institution in sites
        mv = build_model(ctx, spans=spans)
        pin_plan(mv, plan)
        mv.model.minimize(mv.objective_expr())
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        status = solver.solve(mv.model)
        assert (status == cp_model.OPTIMAL) == report.ok
        if report.ok:
            assert round(solver.objective_value) == report.objective
        valid += report.ok
        invalid += not report.ok
    assert valid >= 1 and invalid >= 2


def test_implied_spans_keep_the_optimum():
    """Three managers' sessions, one every 150 days at most (the window's edges included), 30 candidates a
    week: the best plan with the queue built inside the implied spans is the best plan without them, and the
    spans do narrow the first and last session's days."""
    from ortools.sat.python import cp_model

    from planner.demand import demand_from_dict
    from planner.model import build_model, implied_spans

    doc = tiny_doc(managers=3, rules={"working_day": {}, "plan_window": {},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "coverage": {"max_days_between_opportunities": 150, "include_window_edges": True,
                                                   "streams": {"managers": "all"}},
                                      "waiting": {"max_wait_days": 150}},
                   prefs={"preferred_gap": {"weight": 3, "days": 5}, "short_wait": {"weight": 1, "target_days": 30}})
    ctx = context_from_doc(doc)
    ctx = ctx.with_demand(demand_from_dict({"status": "估计", "streams": {"managers": {"arrival_every_days": 7, "retake_lag_days": 30,
        "categories": {"managers": {"first_time": 1500, "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 300}}}, "t.toml", ctx.catalogue))
    spans = implied_spans(ctx)
    best = []
    for sp in (None, spans):
        mv = build_model(ctx, spans=sp)
        mv.model.minimize(mv.objective_expr())
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(mv.model) == cp_model.OPTIMAL
        best.append(round(solver.objective_value))
    assert best[0] == best[1] > 0
    first, last = (spans[("managers", k)][0] for k in (1, 3))
    lo, hi = mv.x_span
    assert first[1] < hi and last[0] > lo


def test_a_replan_with_candidates_holds_the_tiers_of_the_replan_without_them_when_its_plan_keeps_every_wait(
        small_year, small_plan):
    """A re-plan with candidates (a reference) starts from the same re-plan without them; when that plan keeps every
    rule with the candidates and is proven optimal, its tiers are held, not searched again. On mutations of the
    small year as references, under few candidates (the shortcut is taken) and many (it is not), the tiers and the
    cost equal those of the search that proves every tier itself (started from the reference: the path before)."""
    from test_faces import _mutations

    from planner.solver import Status, solve

    rng = random.Random(31)
    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    held = []
    for many in (False, True):
        f = facts(ready, {"electrical": [rng.randint(0, 1 + many) for _ in ready],
                          "metal_mine": [int(rng.random() < (.5 if many else .2)) for _ in ready]},
                  {("huaan", "electrical"): 10, ("juteng", "electrical"): 10, ("ruiyang", "electrical"): 10,
                   ("xinshiji", "electrical"): 10, ("huaan", "metal_mine"): 4, ("ruiyang", "metal_mine"): 3})
        ctx = with_facts(small_year, f)
        for reference in _mutations(small_plan, ctx, rng, 4):
            fast = solve(ctx, reference=reference, time_limit=20, explain=False)
            slow = solve(ctx, reference=reference, hint=reference, time_limit=20, explain=False)
            assert fast.status == slow.status == Status.OPTIMAL
            assert (fast.tiers, fast.objective) == (slow.tiers, slow.objective)
            plain = solve(ctx.with_demand(None), reference=reference, time_limit=20, explain=False)
            held.append(check_plan(plain.plan, ctx).ok)
    assert any(held) and not all(held)  # both paths compared


def test_a_replan_infeasible_without_candidates_is_infeasible_with_them_for_the_same_reason(small_year, small_plan):
    """Proven infeasible without the candidates, a re-plan with them is too: the same conflict, explained on the model
    without the queue (before, the search with the queue ran out of time: exit 2 instead of 3)."""
    from planner.solver import Status, solve

    ready = [small_year.window[0] + dt.timedelta(days=7 * i) for i in range(48)]
    ctx = with_facts(small_year, facts(ready, {"electrical": [1] * len(ready)}, {("huaan", "electrical"): 10,
                                                                              ("juteng", "electrical"): 10}))
    first = min(small_plan.stream("special_ops"), key=lambda s: s.no)
    # the first session pinned on a weekend: the working-day rule cannot hold, candidates or not
    day = next(first.exam_date + dt.timedelta(days=k) for k in range(7)
               if not small_year.calendar.is_working_day(first.exam_date + dt.timedelta(days=k)))
    pin = Session(first.stream, first.no, day - dt.timedelta(days=5), day, first.institution, first.kind)
    with_them = solve(ctx, reference=small_plan, pins=[pin], time_limit=20)
    without = solve(ctx.with_demand(None), reference=small_plan, pins=[pin], time_limit=20)
    assert with_them.status == without.status == Status.INFEASIBLE
    assert with_them.conflict_keys == without.conflict_keys and with_them.conflict_keys


def test_a_replan_without_candidates_keeps_its_tiers_when_it_starts_nearest_by_days_moved(small_year, small_plan,
                                                                                           monkeypatch):
    """The start of a re-plan without candidates whose search finds no first plan at once (``solver._warm_start``:
    the plan that moves the fewest days; forced here) only changes where the search starts: on 8 mutations of the
    small year as references, every tier and the cost, proven, equal those of the search from the reference."""
    from test_faces import _mutations

    from planner.solver import Status, solve
    import planner.solver as S

    rng = random.Random(47)
    proven = 0
    for reference in _mutations(small_plan, small_year, rng, 8):
        with monkeypatch.context() as mp:
            mp.setattr(S, "_first_plan", lambda *a: False)
            fast = solve(small_year, reference=reference, time_limit=20, explain=False)
        with monkeypatch.context() as mp:
            mp.setattr(S, "_first_plan", lambda *a: True)
            slow = solve(small_year, reference=reference, time_limit=20, explain=False)
        assert fast.status == slow.status
        if fast.status == Status.OPTIMAL:
            assert (fast.tiers, fast.objective) == (slow.tiers, slow.objective)
            assert check_plan(fast.plan, small_year).ok
            proven += 1
    assert proven >= 6  # the comparison is made, not skipped
