"""Proof that every rule's two faces agree, and that every preference prices a plan as the solver does.

Hard rules: a plan pinned into the CP-SAT model is feasible exactly when ``check`` finds no
violation — per rule (free model: each rule instance guarded by its literal; all literals are
maximised at once, and because the rules share no variables beyond the pinned ones, a rule's
literals all come out true exactly when its constraints can hold) and for the whole rule set (the
plan-mode model the planner solves). The plans: the published 2024 plan and generated years, each
randomly mutated (dates, deadlines, sites, kinds, sessions dropped or added), under rule
parameters drawn by hypothesis. Preferences: the solver's objective equals the cost recomputed on
the plan it returns, under drawn weights and settings, including an on-demand stream whose count
is a range and a single-kind stream in the refresher preference.
"""
from __future__ import annotations

import copy
import datetime as dt
import random
import zlib

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from planner.check import check_plan
from planner.model import build_model, pin_plan
from planner.plan import Plan, Session
from planner.solver import solve

from conftest import context_from_doc

D = dt.date


def vary(plan: Plan, rng: random.Random, n: int, edit) -> list[Plan]:
    """*n* random variants of *plan*, each made by 1–3 calls of ``edit(sessions, i, rng)`` on a random session *i*
    of the list being varied (which *edit* changes in place): the loop every random face test shares, each with its
    own edits."""
    out = []
    for _ in range(n):
        ss = list(plan.sessions)
        for _ in range(rng.randint(1, 3)):
            edit(ss, rng.randrange(len(ss)), rng)
        out.append(plan.with_sessions(ss))
    return out


def _mutations(plan: Plan, ctx, rng: random.Random, n: int) -> list[Plan]:
    """*n* random variants of *plan*: 1–3 edits each, dates kept inside the calendar's horizon."""
    first, last = ctx.calendar.first_day, ctx.calendar.last_day
    insts = sorted(ctx.catalogue.institutions)

    def clamp(d):
        return min(max(d, first), last)

    def edit(ss, i, rng):
        s = ss[i]
        op = rng.choice(["move", "move", "deadline", "site", "kind", "drop", "add", "swap"])
        if op == "move":
            d = rng.randint(-20, 20)
            keep_gap = rng.random() < 0.7
            exam = clamp(s.exam_date + dt.timedelta(days=d))
            dl = clamp(exam - (s.exam_date - s.registration_deadline)) if keep_gap else s.registration_deadline
            ss[i] = Session(s.stream, s.no, dl, exam, s.institution, s.kind, s.notes)
        elif op == "deadline":
            dl = clamp(s.registration_deadline + dt.timedelta(days=rng.randint(-8, 8)))
            ss[i] = Session(s.stream, s.no, dl, s.exam_date, s.institution, s.kind, s.notes)
        elif op == "site":
            ss[i] = Session(s.stream, s.no, s.registration_deadline, s.exam_date, rng.choice(insts), s.kind, s.notes)
        elif op == "kind":
            kinds = list(ctx.catalogue.streams[s.stream].kinds) + ["特种作业人员初训"]
            ss[i] = Session(s.stream, s.no, s.registration_deadline, s.exam_date, s.institution, rng.choice(kinds),
                            s.notes)
        elif op == "drop" and len(ss) > 2:
            ss.pop(i)
        elif op == "add":
            no = max(x.no for x in ss if x.stream == s.stream) + 1
            exam = clamp(s.exam_date + dt.timedelta(days=rng.randint(1, 30)))
            ss.append(Session(s.stream, no, exam - dt.timedelta(days=5), exam, s.institution, s.kind, ""))
        elif op == "swap":
            j = rng.randrange(len(ss))
            a, b = ss[i], ss[j]
            ss[i] = Session(a.stream, a.no, b.registration_deadline, b.exam_date, a.institution, a.kind, a.notes)
            ss[j] = Session(b.stream, b.no, a.registration_deadline, a.exam_date, b.institution, b.kind, b.notes)

    return vary(plan, rng, n, edit)


def _pinned_solves(mv, plans: list[Plan]):
    """Pin each plan under its own guard literal; yield (a solved clone with that plan on, its status)."""
    guards = []
    for p in plans:
        g = mv.model.new_bool_var("plan")
        pin_plan(mv, p, [g])
        guards.append(g)
    for g in guards:
        m = mv.model.clone()
        m.add(g == 1)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        # a deterministic budget, not the wall clock: the verdict must not depend on the machine's load
        solver.parameters.max_deterministic_time = 120
        status = solver.solve(m)
        assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE), solver.status_name(status)
        yield solver, status


def _verdicts_free(ctx, plans: list[Plan]) -> list[dict[str, bool]]:
    """Per plan: rule name -> can the rule's CP-SAT face hold with the plan pinned (free model)?"""
    mv = build_model(ctx, explain=True)
    lits = dict(mv.enforcement)
    mv.model.maximize(sum(lits.values()))
    out = []
    for solver, status in _pinned_solves(mv, plans):
        assert status == cp_model.OPTIMAL, solver.status_name(status)
        holds: dict[str, bool] = {}
        for key, lit in lits.items():
            name = key.partition("[")[0]
            holds[name] = holds.get(name, True) and bool(solver.value(lit))
        out.append(holds)
    return out


def _feasible_plan_mode(ctx, plans: list[Plan]) -> list[bool]:
    """Per plan: is the plan-mode model (what `planner plan` solves) feasible with the plan pinned?"""
    mv = build_model(ctx)
    mv.model.clear_objective()
    return [status != cp_model.INFEASIBLE for _, status in _pinned_solves(mv, plans)]


def assert_faces_agree(ctx, plans: list[Plan]) -> int:
    """Both comparisons for every plan and rule; returns how many (plan, rule) verdicts were violations."""
    free = _verdicts_free(ctx, plans)
    whole = _feasible_plan_mode(ctx, plans)
    broken = 0
    for p, holds, feasible in zip(plans, free, whole):
        report = check_plan(p, ctx)
        for rule in ctx.rules:
            checked_ok = report.per_rule[rule.name] == 0
            broken += not checked_ok
            assert holds.get(rule.name, True) == checked_ok, (
                rule.name, [str(v) for v in report.violations if v.rule == rule.name][:3])
        assert feasible == report.ok, [str(v) for v in report.violations][:3]
    return broken


def test_faces_agree_on_2024_and_its_mutations(ctx2024, plan2024):
    plans = [plan2024] + _mutations(plan2024, ctx2024, random.Random(2024), 24)
    broken = assert_faces_agree(ctx2024, plans)
    assert broken > 20  # the mutations do break rules: the test compares verdicts, not only clean plans


def test_faces_agree_on_generated_years():
    from planner.api import make_context

    for year in (2025, 2027):
        ctx = make_context(year)
        plan = solve(ctx, time_limit=20).plan
        assert plan is not None
        assert_faces_agree(ctx, [plan] + _mutations(plan, ctx, random.Random(year), 8))


@st.composite
def rule_params(draw):
    lo = draw(st.integers(0, 6))
    return {
        "registration_gap": {"min_days": lo, "max_days": draw(st.integers(lo, 16))},
        "site_spacing": {"min_days": draw(st.integers(1, 4))},
        "stream_spacing": {"min_days": {"managers": draw(st.integers(7, 21)), "special_ops": draw(st.integers(4, 14))}},
        "coverage": {"max_days_between_opportunities": draw(st.integers(30, 90)),
                     "include_window_edges": draw(st.booleans())},
        "daily_cap": {"max_exams_per_day": draw(st.integers(1, 2))},
        "rotation": {"start": draw(st.sampled_from(["", "juteng", "ruiyang"]))},
        "plan_window": {"registration_open_days": draw(st.integers(0, 8))},
        "holiday_deadline": {"min_block_days": draw(st.integers(2, 5))},
        "closure": draw(st.sampled_from([None, "huaan", "juteng", "ruiyang", "xinshiji"])),
        "on_demand": draw(st.tuples(st.integers(0, 2), st.integers(0, 3))),
    }


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(params=rule_params())
def test_faces_agree_under_drawn_parameters(params, default_doc, plan2024):
    doc = copy.deepcopy(default_doc)
    for rule in ("registration_gap", "site_spacing", "stream_spacing", "coverage", "daily_cap", "rotation",
                 "plan_window", "holiday_deadline"):
        doc["rules"].setdefault(rule, {}).update(params[rule])
    if params["closure"]:
        doc["rules"]["institution_open"]["closures"] = [
            {"institution": params["closure"], "start": "2024-06-01", "end": "2024-07-15"}]
    lo, extra = params["on_demand"]
    doc["rules"]["session_count"]["sessions"]["on_demand"]["yvu"] = {"min": lo, "max": lo + extra}
    ctx = context_from_doc(doc)
    seed = zlib.crc32(repr(sorted(params.items(), key=str)).encode())  # hash() of a str changes per process
    rng = random.Random(seed)
    extra_sessions = [Session("on_demand", k, D(2024, 3, 4) + dt.timedelta(days=30 * k),
                              D(2024, 3, 9) + dt.timedelta(days=30 * k), "yvu", "特种作业人员初、复训")
                      for k in range(1, lo + 1)]
    base = plan2024.with_sessions(list(plan2024.sessions) + extra_sessions)
    assert_faces_agree(ctx, [base] + _mutations(base, ctx, rng, 8))


@st.composite
def preference_settings(draw):
    return {
        "weights": {p: draw(st.integers(0, 9)) for p in ("monthly_cycle", "even_spread", "preferred_gap",
                                                         "refresher_first_cycle")},
        "spread_streams": draw(st.sampled_from([["managers", "special_ops"], ["special_ops", "on_demand"],
                                                ["managers", "special_ops", "on_demand"]])),
        "position": draw(st.sampled_from([0.0, 0.3, 0.5, 0.9])),
        "refresher_streams": draw(st.sampled_from([["special_ops"], ["managers", "special_ops"], ["managers"]])),
        "cycles": draw(st.integers(0, 2)),
        "gap": draw(st.integers(4, 8)),
        "on_demand": draw(st.tuples(st.integers(0, 2), st.integers(1, 3))),
    }


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(pref=preference_settings())
def test_solver_objective_equals_cost_under_drawn_settings(pref, default_doc):
    doc = copy.deepcopy(default_doc)
    for name, w in pref["weights"].items():
        doc["preferences"][name]["weight"] = w
    doc["preferences"]["even_spread"]["streams"] = pref["spread_streams"]
    doc["preferences"]["even_spread"]["position"] = {s: pref["position"] for s in pref["spread_streams"]}
    doc["preferences"]["refresher_first_cycle"]["streams"] = pref["refresher_streams"]
    doc["preferences"]["refresher_first_cycle"]["cycles"] = pref["cycles"]
    doc["preferences"]["preferred_gap"]["days"] = pref["gap"]
    lo, extra = pref["on_demand"]
    doc["rules"]["session_count"]["sessions"]["on_demand"]["yvu"] = {"min": lo, "max": lo + extra}
    ctx = context_from_doc(doc)
    result = solve(ctx, time_limit=5)  # solve() itself raises InternalError when the two numbers differ
    assert result.plan is not None
    assert result.solver_objective == result.objective == check_plan(result.plan, ctx).objective


@pytest.mark.parametrize("day", [dt.date(2024, 6, 17), dt.date(2024, 9, 2)])
def test_faces_agree_on_a_re_plan_from_a_day(ctx2024, plan2024, day):
    """A re-plan from a day: nothing that changes may lie in the days already past (rule plan_window). The two faces
    agree on the published plan's mutations, some of which move a session, or its deadline, before the day."""
    import dataclasses

    ctx = ctx2024.revising(plan2024, day)
    rnd = random.Random(day.toordinal())
    plans = [plan2024] + _mutations(plan2024, ctx, rnd, 16)
    later = [s for s in plan2024.sessions if s.exam_date >= day]
    for s in rnd.sample(later, 6):  # moved into the past, deadline and exam, or the deadline alone
        back = (s.exam_date - day).days + rnd.randint(1, 10)
        plans.append(plan2024.with_sessions([dataclasses.replace(
            x, registration_deadline=x.registration_deadline - dt.timedelta(days=back),
            exam_date=x.exam_date - dt.timedelta(days=back)) if x.key == s.key else x for x in plan2024.sessions]))
    broken = assert_faces_agree(ctx, plans)
    assert broken > 6
    assert any(v.rule == "plan_window" and "already past" in v.message
               for p in plans for v in check_plan(p, ctx).violations)
