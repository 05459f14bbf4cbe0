"""More proof that the rules' two faces agree, on inputs ``tests/test_faces.py`` does not draw.

``test_faces.py`` draws rule parameters in narrow ranges on the 2024 year, compares the preferences' *total* on
solved plans only, and mutates plans without renumbering a session. Here, seeded and small:

* a small year under parameters drawn over their documented ranges (a zero stream spacing, either or no long
  holiday, coverage of some streams or categories only, several closures, dated licences, exam-free days), its
  plans mutated also by renumbering a 期次 and by deadlines months early: per rule, the model with the plan pinned
  can hold the rule exactly when ``check`` finds it unbroken;
* every preference on its own, on those plans (valid or not): its terms with the plan pinned, minimised and
  maximised, equal the cost ``check`` reports for it;
* the rule ``waiting`` on a plan with a gap in its 期次 (the model compared a slot with its empty neighbour);
* the claim in ``rules/waiting.py`` that, for a plan in date order, its check face says exactly "every seated
  candidate waited at most the limit and nobody carried over waited longer" (what the 需求与考位 page, compare and
  the charts count with ``CategoryLoad.over``).
"""
from __future__ import annotations

import datetime as dt
import random

import pytest
from ortools.sat.python import cp_model

from planner.calendar import CalendarOverride
from planner.check import check_plan
from planner.errors import PlannerError
from planner.model import build_model, pin_plan
from planner.plan import Plan, Session
from planner.problem import License
from planner.queueing import evaluate_stream
from planner.rules.waiting import overdue_at_sessions

from conftest import context_from_doc, stated, tiny_doc
from test_faces import _verdicts_free, assert_faces_agree, vary
from test_queueing import facts, random_case, small_doc, small_plan, small_year, with_facts  # noqa: F401 (fixtures)

D = dt.date
MANAGERS, SPECIAL = 3, 8


def small_rules(rng: random.Random | None) -> dict:
    """Every hard rule and preference over a small year (3 managers', 8 special-ops sessions, an on-demand site);
    parameters drawn from their documented ranges when *rng* is given, else the 2024 values."""
    r = rng or random.Random(0)
    draw = rng is not None
    lo = r.randint(0, 10) if draw else 4
    doc = tiny_doc(managers=MANAGERS, special_ops=SPECIAL, rules={
        "working_day": {},
        "plan_window": {"registration_open_days": r.randint(0, 20) if draw else 4},
        "registration_gap": {"min_days": lo, "max_days": r.randint(lo, 20) if draw else 14},
        "holiday_deadline": {"min_block_days": r.randint(1, 8) if draw else 3,
                             "holidays": r.choice([[], ["national_day"], ["spring_festival"],
                                                   ["national_day", "spring_festival"]]) if draw
                             else ["national_day", "spring_festival"]},
        "daily_cap": {"max_exams_per_day": r.randint(1, 3) if draw else 1},
        "rotation": {"streams": ["special_ops"], "start": r.choice(["", "juteng", "xinshiji"]) if draw else ""},
        "scope": {},
        "institution_open": {"closures": []},
        "site_spacing": {"min_days": r.randint(1, 10) if draw else 2},
        "stream_spacing": {"min_days": {"managers": r.randint(0, 40) if draw else 14,
                                        "special_ops": r.randint(0, 30) if draw else 11}},
        "coverage": {"max_days_between_opportunities": r.randint(40, 240) if draw else 200,
                     "include_window_edges": r.random() < 0.5 if draw else True,
                     "streams": r.choice([{"managers": "all", "special_ops": "all"}, {"special_ops": ["welding"]},
                                          {"managers": "all"}, {"special_ops": "all", "on_demand": "all"}]) if draw
                     else {"managers": "all", "special_ops": "all"}},
    }, prefs={
        "monthly_cycle": {"weight": r.randint(0, 9) if draw else 50},
        "even_spread": {"weight": r.randint(0, 9) if draw else 2,
                        "streams": r.choice([["managers", "special_ops"], ["special_ops", "on_demand"]]) if draw
                        else ["managers", "special_ops"],
                        "end_margin_days": r.randint(0, 20) if draw else 10,
                        "full_month_min_working_days": r.randint(1, 22) if draw else 15},
        "preferred_gap": {"weight": r.randint(0, 9) if draw else 3, "days": r.randint(0, 15) if draw else 5},
        "refresher_first_cycle": {"weight": r.randint(0, 9) if draw else 5, "cycles": r.randint(0, 3) if draw else 1,
                                  "streams": r.choice([["special_ops"], ["managers"], ["special_ops", "on_demand"]])
                                  if draw else ["special_ops"]},
    })
    doc["streams"]["on_demand"] = {"sites": ["fengxi", "crrc_yongji", "yvu"]}
    doc["rules"]["session_count"]["sessions"]["on_demand"] = {"yvu": {"min": 0, "max": r.randint(0, 2) if draw else 1}}
    doc["preferences"]["even_spread"]["position"] = {s: r.choice([0.0, 0.3, 0.5, 0.99]) if draw else 0.5
                                                     for s in doc["preferences"]["even_spread"]["streams"]}
    if draw:
        for _ in range(r.choice([0, 1, 2, 3])):
            start = D(2024, 2, 1) + dt.timedelta(days=r.randint(0, 360))
            doc["rules"]["institution_open"]["closures"].append({
                "institution": r.choice(["huaan", "juteng", "ruiyang", "xinshiji", "yvu"]),
                "start": start.isoformat(), "end": (start + dt.timedelta(days=r.randint(0, 60))).isoformat()})
    return doc


def some_drawn_context(rng: random.Random):
    """The first of a few draws that makes a problem: a test that fails, rather than loops, when none does (a
    rule set every draw of which is refused is a fault of the draws)."""
    for _ in range(50):
        ctx = drawn_context(rng)
        if ctx is not None:
            return ctx
    pytest.fail("50 draws in a row made no problem: the drawn rule sets are refused")


def drawn_context(rng: random.Random):
    """A small year under drawn parameters, dated licences and exam-free days (None when the draw is refused)."""
    doc = small_rules(rng)
    licences = tuple(
        License(rng.choice(["ruiyang", "juteng", "yvu", "fengxi"]), rng.choice(["metal_mine", "hazchem", "welding"]),
                start, start + dt.timedelta(days=rng.randint(0, 120)))
        for start in (D(2024, 2, 1) + dt.timedelta(days=rng.randint(0, 360)) for _ in range(rng.choice([0, 1, 2]))))
    overrides = None
    if rng.random() < 0.4:
        first = D(2024, 2, 18) + dt.timedelta(days=rng.randint(0, 300))
        overrides = {2024: CalendarOverride(2024, closed_days=frozenset(
            first + dt.timedelta(days=i) for i in range(rng.randint(1, 10))))}
    from planner.api import make_context
    from planner.data import load_catalogue
    from planner.ruleset import ruleset_from_dict

    cat = load_catalogue()
    try:
        return make_context(2024, ruleset_from_dict(stated(doc), "drawn.toml", cat), catalogue=cat, overrides=overrides,
                            licenses=licences)
    except PlannerError:
        return None  # a draw the rule set refuses (e.g. more sessions than a spacing leaves room for)


def mutations(plan: Plan, ctx, rng: random.Random, n: int) -> list[Plan]:
    """1-3 edits each: dates moved by days to months, deadlines moved or months early, sites (any or the stream's),
    kinds, sessions dropped, added or renumbered; exams kept inside the model's horizon (a plan file's reader
    refuses others)."""
    insts = sorted(ctx.catalogue.institutions)
    first, last = ctx.calendar.first_day, ctx.calendar.last_day

    def edit(ss, i, rng):
        s = ss[i]
        op = rng.choice(["move", "move", "deadline", "early", "site", "site", "kind", "drop", "add", "renumber"])
        if op == "move":
            k = rng.choice([1, 2, 3, 5, 7, 14, 30, 60]) * rng.choice([-1, 1])
            exam = s.exam_date + dt.timedelta(days=k)
            keep = rng.random() < 0.7
            ss[i] = Session(s.stream, s.no, exam - dt.timedelta(days=s.gap_days) if keep else s.registration_deadline,
                            exam, s.institution, s.kind, s.notes)
        elif op in ("deadline", "early"):
            d = rng.randint(-10, 10) if op == "deadline" else -rng.randint(30, 200)
            ss[i] = Session(s.stream, s.no, s.registration_deadline + dt.timedelta(days=d), s.exam_date,
                            s.institution, s.kind, s.notes)
        elif op == "site":
            where = insts if rng.random() < 0.5 else (ctx.sites(s.stream) or insts)
            ss[i] = Session(s.stream, s.no, s.registration_deadline, s.exam_date, rng.choice(where), s.kind, s.notes)
        elif op == "kind":
            kinds = list(ctx.catalogue.streams[s.stream].kinds) + ["特种作业人员初训", "特种作业人员复训"]
            ss[i] = Session(s.stream, s.no, s.registration_deadline, s.exam_date, s.institution,
                            rng.choice(kinds), s.notes)
        elif op == "drop" and len(ss) > 2:
            ss.pop(i)
        elif op == "add":
            no = max(x.no for x in ss if x.stream == s.stream) + 1
            exam = s.exam_date + dt.timedelta(days=rng.randint(1, 40))
            ss.append(Session(s.stream, no, exam - dt.timedelta(days=rng.randint(0, 9)), exam, s.institution,
                              s.kind, ""))
        elif op == "renumber":
            taken = {x.no for x in ss if x.stream == s.stream}
            no = rng.choice([k for k in range(1, max(taken) + 3) if k not in taken])
            ss[i] = Session(s.stream, no, s.registration_deadline, s.exam_date, s.institution, s.kind, s.notes)

    return [p.with_sessions([x for x in p.sessions if first <= x.exam_date <= last])
            for p in vary(plan, rng, n, edit)]


def preference_disagreements(ctx, plan: Plan) -> list:
    """Per preference: its own terms with *plan* pinned (free model, so that any plan can be pinned), minimised
    and maximised, against the cost ``check`` gives it. The plan decides the cost, so both must be that cost."""
    costs = check_plan(plan, ctx).costs
    mv = build_model(ctx, explain=True)
    for p in ctx.preferences:
        p.post(mv, ctx)
    pin_plan(mv, plan)
    out = []
    for name, (_, terms) in mv.penalties.items():
        for sense in ("min", "max"):
            m = mv.model.clone()
            (m.minimize if sense == "min" else m.maximize)(sum(terms))
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            solver.parameters.max_deterministic_time = 30
            status = solver.solve(m)
            got = round(solver.objective_value) if status == cp_model.OPTIMAL else solver.status_name(status)
            if got != costs[name][1]:
                out.append((name, sense, got, costs[name][1]))
    return out


@pytest.fixture(scope="module")
def small_base():
    """A plan of the small year under the 2024 values, the one every draw judges (with its mutations)."""
    from planner.solver import solve

    ctx = context_from_doc(small_rules(None))
    plan = solve(ctx, time_limit=5).plan
    assert plan is not None and check_plan(plan, ctx).ok
    extra = [s for s in plan.sessions if s.stream == "on_demand"]
    if not extra:  # one on-demand session, so that the drawn maxima 0 … 2 judge it too
        exam = D(2024, 6, 12)
        plan = plan.with_sessions(list(plan.sessions) + [Session("on_demand", 1, exam - dt.timedelta(days=5), exam, "yvu",
                                                                 "特种作业人员初、复训", "")])
    return plan


@pytest.mark.parametrize("seed", range(6))
def test_faces_agree_under_parameters_drawn_over_their_ranges(seed, small_base):
    rng = random.Random(1000 + seed)
    ctx = some_drawn_context(rng)
    plans = [small_base] + mutations(small_base, ctx, rng, 5)
    assert_faces_agree(ctx, plans)
    for plan in plans[:3]:
        assert preference_disagreements(ctx, plan) == []


def test_every_preference_alone_prices_mutated_plans_as_check_does(small_base):
    """Not only the total on solved plans (test_faces.py): each preference, on plans that break rules too."""
    rng = random.Random(7)
    compared = set()
    for _ in range(3):
        ctx = some_drawn_context(rng)
        for plan in mutations(small_base, ctx, rng, 3):
            assert preference_disagreements(ctx, plan) == []
            compared.add(check_plan(plan, ctx).objective)
    assert len(compared) > 3  # different costs, not a run of equal ones


def test_waiting_orders_the_deadlines_of_the_sessions_held_across_a_gap(small_plan):
    """期次 3 missing, 期次 4 closing before 期次 2: ``check`` breaks ``waiting`` (deadlines out of 期次 order). The
    model compared slot 4 with the empty slot 3, whose deadline is free, and let the rule hold."""
    ctx0 = context_from_doc(small_doc(366))
    f = facts([ctx0.window[0]], {"electrical": [1]},
              {(i, "electrical"): 5 for i in ("huaan", "juteng", "ruiyang", "xinshiji")})
    ctx = with_facts(ctx0, f)
    by_key = small_plan.by_key()
    s2, s4 = by_key[("special_ops", 2)], by_key[("special_ops", 4)]
    early = Session(s4.stream, 4, s2.registration_deadline - dt.timedelta(days=1), s4.exam_date, s4.institution,
                    s4.kind, "")
    plan = small_plan.with_sessions([early if s.key == s4.key else s for s in small_plan.sessions
                                     if s.key != ("special_ops", 3)])
    assert check_plan(plan, ctx).per_rule["waiting"] == 1
    assert _verdicts_free(ctx, [plan])[0]["waiting"] is False
    # and the same with 期次 3 present (the neighbour comparison that always worked), and a clean plan still holds
    assert assert_faces_agree(ctx, [small_plan, plan]) >= 1


def test_waiting_faces_agree_on_plans_with_gaps_in_their_numbers(small_plan):
    rng = random.Random(11)
    ctx0 = context_from_doc(small_doc(45))
    ready = [ctx0.window[0] + dt.timedelta(days=7 * i) for i in range(40)]
    f = facts(ready, {"electrical": [rng.randint(0, 2) for _ in ready], "welding": [rng.randint(0, 1) for _ in ready]},
              {("huaan", "electrical"): 6, ("juteng", "electrical"): 6, ("ruiyang", "electrical"): 6,
               ("xinshiji", "electrical"): 6, ("huaan", "welding"): 3, ("ruiyang", "welding"): 3})
    ctx = with_facts(ctx0, f)
    plans = [small_plan]
    for _ in range(6):
        ss = [s for s in small_plan.sessions if not (s.stream == "special_ops" and s.no == rng.randint(2, 11))]
        i = rng.randrange(len(ss))
        s = ss[i]
        ss[i] = Session(s.stream, s.no, s.registration_deadline - dt.timedelta(days=rng.randint(0, 60)), s.exam_date,
                        s.institution, s.kind, s.notes)
        plans.append(small_plan.with_sessions(ss))
    assert assert_faces_agree(ctx, plans) > 6


def test_the_waiting_check_is_every_wait_within_the_limit_for_a_plan_in_date_order():
    """rules/waiting.py: "for a plan in date order that is exactly every seated candidate waited at most
    max_wait_days, and nobody carried over to the next year has already waited longer" — the figure the
    需求与考位 page, ``compare`` and the waits chart show (``CategoryLoad.over``). Compared on random queues."""
    rng = random.Random(29)
    end = D(2025, 1, 20)
    seen = {True: 0, False: 0}
    for _ in range(400):
        f, sessions = random_case(rng)  # exam dates follow the 期次 (date order); deadlines anywhere before
        limit = rng.randint(0, 90)
        _, cats = evaluate_stream(f, sessions, end)
        for c in cats:
            late, carried = overdue_at_sessions(c, f, sessions, limit)
            holds = not late and not carried
            assert holds == (c.over(limit) == 0), (limit, c.category)
            seen[holds] += 1
    assert min(seen.values()) > 50


def test_a_rule_set_without_scope_lets_the_model_take_any_institution():
    """No [rules.scope]: ``check`` accepts a session at any institution, so the plan-mode model (what ``planner
    plan`` solves) must too. model.py drops the variables of the sites scope forbids whether or not the rule
    set has the rule, and refuses the plan (found by the random cases of the waiting rule's small year)."""
    from test_faces import _feasible_plan_mode

    doc = tiny_doc(managers=1)
    del doc["rules"]["scope"]
    ctx = context_from_doc(doc)  # numbering, kind and session_count only
    plan = Plan(2024, (Session("managers", 1, D(2024, 4, 13), D(2024, 4, 18), "fengxi", "高危行业主要负责人、安管员", ""),))
    assert check_plan(plan, ctx).ok
    assert _feasible_plan_mode(ctx, [plan]) == [True]
    # with the rule, both refuse it
    doc = tiny_doc(managers=1, rules={"scope": {}})
    assert assert_faces_agree(context_from_doc(doc), [plan]) == 1
