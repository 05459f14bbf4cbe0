"""A re-plan prices the candidates a move strands (a site, or a day, that does not examine their operation type).

By hand from 附件4 (constraints/scope.csv): 聚腾 examines 制冷与空调作业 (both types) and 继电保护作业, 华安 and 瑞阳
制冷与空调作业 but not 继电保护作业, 新世纪 neither. A candidate of a category is stranded only when the new site
examines none of the category's types the old one did (which type each has is not known); one of a type when the
new site does not examine that type on the new day. Each stranded candidate pays the move and ``site`` (30) more.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from ortools.sat.python import cp_model

from planner.compare import diff_plans
from planner.model import build_model, pin_plan
from planner.plan import Plan, Session
from planner.problem import License
from planner.publish.revision import lost_operations
from planner.replan import Candidates, people_costs, people_tiers, replan, strand_days, stranded

from conftest import context_from_doc, session, tiny_doc

D = dt.date
FROM = D(2024, 5, 1)
ROTATION = ["huaan", "juteng", "ruiyang", "xinshiji"]


def _two_sessions() -> Plan:
    """期次1 at 聚腾 on Wed 15 May, 期次2 at 华安 on Wed 29 May 2024, deadlines 5 days before."""
    return Plan(2024, (session("special_ops", 1, D(2024, 5, 10), D(2024, 5, 15), "juteng"),
                       session("special_ops", 2, D(2024, 5, 24), D(2024, 5, 29), "huaan")), "two")


def _tiny(n: int, closures=(), licences=(), spacing=None):
    rules = {"working_day": {}, "registration_gap": {"min_days": 4, "max_days": 14}, "daily_cap": {},
             "scope": {}, "rotation": {}, "institution_open": {"closures": [
                 {"institution": i, "start": a, "end": b, "reason": "test"} for i, a, b in closures]}}
    if spacing:
        rules["stream_spacing"] = {"min_days": {"special_ops": spacing}}
    ctx = context_from_doc(tiny_doc(managers=0, special_ops=n, rules=rules))
    return dataclasses.replace(ctx, licenses=tuple(licences))


# -- worked by hand -------------------------------------------------------------------------------------------------

def test_a_move_that_strands_a_category_loses_to_one_that_does_not():
    """聚腾 closed April to June, 华安 and 瑞阳 from 13 to 17 May: 期次1 (15 May, 20 candidates: 10 制冷与空调作业, 10
    电工作业) can go to 新世纪 that day, or to 华安/瑞阳 four days earlier at the nearest (Saturday 11 May, a working day
    in lieu of the May holiday; the exam is within 30 days of the re-plan's first day, so days count double).

    Priced as site changes only: 新世纪 20 × 30 = 600, 华安/瑞阳 20 × (30 + 2 × 4) = 760: 新世纪. But 新世纪 examines
    no 制冷与空调 type: those 10 lose the session, 10 × 30 more: 900 against 760, so 华安 or 瑞阳 (which examine both
    制冷 types and 低压/高压电工). The 电工 candidates are not stranded at 新世纪 (it examines 低压/高压电工, and which
    type each has is not known). A plain count of 20 (no categories) is priced as before: 新世纪."""
    plan = _two_sessions()
    ctx = _tiny(2, closures=[("juteng", "2024-04-01", "2024-06-30"), ("huaan", "2024-05-13", "2024-05-17"),
                             ("ruiyang", "2024-05-13", "2024-05-17")])
    mixed = {("special_ops", 1): Candidates(20, {"refrigeration": 10, "electrical": 10}), ("special_ops", 2): 0}
    rp = replan(plan, ctx, FROM, people=mixed)
    s1 = rp.result.plan.by_key()[("special_ops", 1)]
    assert s1.institution in ("huaan", "ruiyang") and s1.exam_date == D(2024, 5, 11)
    assert rp.result.tiers["disturbance"] == rp.disturbance == 760
    assert rp.people[("special_ops", 1)].stranded == 0 and rp.candidates_affected == 20

    plain = replan(plan, ctx, FROM, people={("special_ops", 1): 20})
    s1 = plain.result.plan.by_key()[("special_ops", 1)]
    assert (s1.institution, s1.exam_date) == ("xinshiji", D(2024, 5, 15))
    assert plain.result.tiers["disturbance"] == 600
    # the same move priced with the categories: 10 stranded, 900 points; the notice names what they lose
    to_xinshiji = people_costs(plan, plain.result.plan, mixed, FROM, ctx=rp.ctx)[("special_ops", 1)]
    assert (to_xinshiji.candidates, to_xinshiji.stranded, to_xinshiji.points) == (20, 10, 900)
    (c,) = plain.changes
    assert {"refrig_operation", "refrig_repair"} <= set(lost_operations(c, rp.ctx))


def test_a_type_stranded_off_its_licence_days_and_a_category_kept_by_one_type(ctx2024):
    """Per type and per day: 继电保护作业 at 华安 only on the days of a dated 电工作业 licence; a 电工作业 candidate is
    kept wherever any 电工 type 聚腾 examined is examined; a cancelled session strands nobody."""
    lic = License("huaan", "electrical", D(2024, 6, 1), D(2024, 6, 30))
    ctx = dataclasses.replace(ctx2024, licenses=(lic,))
    old = Session("special_ops", 1, D(2024, 5, 10), D(2024, 5, 15), "juteng", "特种作业人员初、复训", "")
    days = strand_days(ctx, old, "elec_relay", "huaan")
    assert days is not None and D(2024, 6, 12) in days and D(2024, 7, 10) not in days
    assert strand_days(ctx, old, "electrical", "huaan") is None  # 低压电工 every day
    assert strand_days(ctx, old, "elec_relay", "xinshiji") == frozenset()
    assert strand_days(ctx, old, "coal_mine", "xinshiji") is None  # 聚腾 never examined it: nothing to lose
    who = Candidates(9, {"elec_relay": 4, "electrical": 5})
    assert stranded(ctx, old, dataclasses.replace(old, institution="huaan", exam_date=D(2024, 6, 12)), who) == 0
    assert stranded(ctx, old, dataclasses.replace(old, institution="huaan", exam_date=D(2024, 7, 10)), who) == 4
    assert stranded(ctx, old, None, who) == 0
    with pytest.raises(ValueError):
        Candidates(3, {"electrical": 4})


# -- both faces, on many random re-plans and plans --------------------------------------------------------------------

GROUPS = ["electrical", "welding", "height", "refrigeration", "elec_relay", "elec_cable", "refrig_repair", "elec_low"]


def _may_plan() -> Plan:
    days = [D(2024, 5, 8), D(2024, 5, 15), D(2024, 5, 22), D(2024, 5, 29)]
    return Plan(2024, tuple(session("special_ops", k + 1, d - dt.timedelta(days=5), d, ROTATION[k])
                            for k, d in enumerate(days)), "may")


def _drawn(rng: random.Random):
    """Two of the sites of 期次 2–4 closed for a while, dated licences that add types, candidates per group."""
    plan = _may_plan()
    closures = [(site, "2024-05-13", f"2024-05-{rng.randint(20, 31)}") for site in rng.sample(ROTATION[1:], 2)]
    licences = [License(rng.choice(["huaan", "ruiyang", "xinshiji"]), rng.choice(["electrical", "refrigeration"]),
                        D(2024, 5, rng.randint(1, 25)), D(2024, 6, rng.randint(1, 30)))
                for _ in range(rng.randint(0, 2))]
    ctx = _tiny(4, closures=closures, licences=licences, spacing=rng.choice([None, 11, 15, 22]))
    people = {}
    for s in plan.sessions:
        groups = {g: rng.randint(0, 15) for g in rng.sample(GROUPS, rng.randint(0, 4))}
        people[s.key] = Candidates(sum(groups.values()) + rng.randint(0, 5), groups)
    return plan, ctx, people


@pytest.mark.parametrize("seed", range(12))
def test_the_solvers_disturbance_is_people_costs_on_random_re_plans(seed):
    plan, ctx, people = _drawn(random.Random(seed))
    rp = replan(plan, ctx, FROM, people=people, time_limit=20)
    assert rp.result.plan is not None
    assert rp.result.tiers["disturbance"] == rp.disturbance == \
        sum(c.points for c in people_costs(plan, rp.result.plan, people, FROM, ctx=rp.ctx).values())
    for c in rp.changes:  # a stranded candidate's types are all among those the notice says are lost
        cost = rp.people.get((c.stream, c.no))
        if cost is not None and cost.stranded:
            assert lost_operations(c, rp.ctx)


def _random_plans(plan: Plan, ctx, rng: random.Random, n: int) -> list[Plan]:
    """Each session moved up to 3 days (in 期次 order, as numbering asks) and to any of the four sites; sometimes
    the last left out: cancelled."""
    out = []
    for _ in range(n):
        ss = []
        for s in plan.sessions:
            day = s.exam_date + dt.timedelta(days=rng.randint(-3, 3))
            ss.append(dataclasses.replace(s, exam_date=day, registration_deadline=day - dt.timedelta(days=5),
                                          institution=rng.choice(ROTATION)))
        out.append(plan.with_sessions(ss[:-1] if rng.random() < 0.15 else ss))
    return out


def test_both_faces_price_random_plans_alike():
    """The CP-SAT expression with each plan pinned (only the structural rules hold) against people_costs, on 20 drawn
    problems × 12 plans; a good share of them strand someone, some through a dated licence's days."""
    rng = random.Random(7)
    compared = with_stranded = 0
    for _ in range(20):
        plan, ctx, people = _drawn(rng)
        ctx = ctx.revising(plan, FROM)
        mv = build_model(ctx, enabled=frozenset())
        (_, expr), = people_tiers(plan, people, FROM)(mv)
        plans = _random_plans(plan, ctx, rng, 12)
        guards = []
        for p in plans:
            guards.append(mv.model.new_bool_var("plan"))
            pin_plan(mv, p, [guards[-1]])
        for p, g in zip(plans, guards):
            m = mv.model.clone()
            m.add(g == 1)
            m.minimize(expr)
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            status = solver.solve(m)
            assert status == cp_model.OPTIMAL, solver.status_name(status)
            costs = people_costs(plan, p, people, FROM, ctx=ctx)
            assert round(solver.objective_value) == sum(c.points for c in costs.values()), diff_plans(plan, p)
            compared += 1
            with_stranded += any(c.stranded for c in costs.values())
    assert compared == 240 and with_stranded >= 40, (compared, with_stranded)


# -- where the categories come from -----------------------------------------------------------------------------------

def test_the_export_keeps_each_session_s_categories_and_types(tmp_path, plan2024, catalogue):
    """The exam system's export, summed per session as before, keeps who is who: a type where the row names one (in
    操作项目, or in 类别), else the category; the short form (a number per session) has no groups."""
    from planner.replan import read_people

    f = tmp_path / "export.csv"
    f.write_text("期次,类别,操作项目,报名人数\n第1期,电工作业,继电保护作业,4\n第1期,电工作业,,30\n"
                 "第1期,制冷与空调作业,,6\n第2期,低压电工作业,,5\n第1期,电工作业,继电保护作业,1\n", encoding="utf-8")
    people = read_people(f, plan2024, catalogue)
    assert people == {("special_ops", 1): 41, ("special_ops", 2): 5}
    assert people[("special_ops", 1)].groups == {"elec_relay": 5, "electrical": 30, "refrigeration": 6}
    assert people[("special_ops", 2)].groups == {"elec_low": 5}
    short = tmp_path / "short.csv"
    short.write_text("stream,no,报名人数\nspecial_ops,1,41\n", encoding="utf-8")
    assert getattr(read_people(short, plan2024, catalogue)[("special_ops", 1)], "groups", {}) == {}


def test_expected_candidates_come_per_category_as_the_queue_seats_them(ctx2024, plan2024):
    from planner.data import constraints_dir
    from planner.demand import load_demand
    from planner.queueing import evaluate
    from planner.replan import expected_people

    ctx = ctx2024.with_demand(load_demand(constraints_dir() / "demand.toml", ctx2024.catalogue))
    people = expected_people(plan2024, ctx)
    load = evaluate(plan2024, ctx)
    assert people and all(people[k] == load.by_key[k].candidates == sum(n.groups.values()) for k, n in people.items())
    assert all(n.groups == {c: k for c, k in load.by_key[key].served.items() if k} for key, n in people.items())
    assert any(len(n.groups) > 1 for n in people.values())


def test_the_workbench_keeps_the_uploaded_groups(tmp_path):
    """An upload's rows carry the groups as a 4th item to the solve process; rows of three (older jobs) still read."""
    import pickle

    from planner.web.jobs import replan_people

    got = replan_people({"people": [["special_ops", 1, 41, {"elec_relay": 5, "electrical": 36}],
                                    ["special_ops", 2, 5]]}, None)
    assert got == {("special_ops", 1): 41, ("special_ops", 2): 5}
    assert got[("special_ops", 1)].groups == {"elec_relay": 5, "electrical": 36}
    assert got[("special_ops", 2)].groups == {}
    back = pickle.loads(pickle.dumps(got[("special_ops", 1)]))
    assert back == 41 and back.groups == {"elec_relay": 5, "electrical": 36}


def test_a_session_kept_at_its_site_on_a_day_outside_a_licence_tells_its_candidates(ctx2024, plan2024):
    """A dated licence ends between the published day and the new one at the same site: the types it gave are lost,
    said as the site's on the new date (the cost strands them alike)."""
    from planner.publish.revision import lost_text

    s = next(s for s in plan2024.sessions if s.stream == "special_ops" and s.institution == "xinshiji"
             and s.exam_date.month == 6)
    lic = License("xinshiji", "refrigeration", D(2024, 6, 1), D(2024, 6, 30))
    ctx = dataclasses.replace(ctx2024, licenses=(lic,))
    later = dataclasses.replace(s, exam_date=D(2024, 7, 10), registration_deadline=D(2024, 7, 5))
    (c,) = diff_plans(plan2024, plan2024.with_sessions([x for x in plan2024.sessions if x.key != s.key] + [later]))
    assert lost_operations(c, ctx) == ["refrig_operation", "refrig_repair"]
    assert lost_text(c, ctx).startswith("调整后的考试时间，本考点不承担制冷与空调设备运行操作作业")
    assert stranded(ctx, s, later, Candidates(12, {"refrigeration": 7, "electrical": 5})) == 7
    assert lost_operations(c, ctx2024) == []
