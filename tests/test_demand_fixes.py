"""Candidates and seats, three confirmed bugs worked on hand instances:

1. a stream of the rule set with candidates and no sessions: the model sees that nobody can seat them (both faces
   of ``waiting`` agree; ``plan --demand`` exits 3 naming the category, the stream's site and count, not 70);
2. a dated licence adds its category to its site's seat split on its days only and takes no seat of that
   category from any other site (adding licensed capacity never removes seats);
3. returns shifted past the window's end leave the year (the next year's), none pile up on its last day, and
   the lines ``demand show`` reports add up to the queue.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import subprocess
import sys
from pathlib import Path

import pytest

from planner.api import make_context
from planner.check import check_plan
from planner.data import load_catalogue
from planner.demand import demand_from_dict, ready_profile, window_days
from planner.plan import Plan, Session
from planner.problem import License
from planner.queueing import evaluate
from planner.ruleset import ruleset_from_dict

from conftest import session, stated, tiny_doc

#: a demand stream's facts as the shipped estimate states them (假设, constraints/demand_basis.csv)
WEEKLY = {"arrival_every_days": 7, "retake_lag_days": 30}

D = dt.date
ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RULES = ROOT / "constraints" / "yuncheng.toml"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def small_doc(max_wait: int, managers: int) -> dict:
    """12 special-ops sessions rotating over 4 sites, *managers* managers' sessions, the waiting rules."""
    doc = tiny_doc(managers=managers, special_ops=12, rules={
        "working_day": {}, "plan_window": {}, "registration_gap": {"min_days": 4, "max_days": 14},
        "rotation": {"streams": ["special_ops"]}, "site_spacing": {"min_days": 2}, "daily_cap": {},
        "waiting": {"max_wait_days": max_wait}})
    doc["preferences"] = {"short_wait": {"weight": 1, "target_days": 30}}
    return doc


def context(cat, doc, demand: dict | None = None, licenses=(), year: int = 2024):
    ctx = make_context(year, ruleset_from_dict(stated(doc), "test.toml", cat), catalogue=cat, licenses=tuple(licenses))
    return ctx.with_demand(demand_from_dict(demand, "d.toml", cat)) if demand is not None else ctx


def spread_plan(ctx, managers: int = 0) -> Plan:
    """A session every four weeks rotating over the four sites (deadline 5 days before), and *managers* managers'
    sessions 150 days apart: valid under :func:`small_doc`'s rules."""
    cal, start = ctx.calendar, ctx.window[0]

    def working(d):
        while not cal.is_working_day(d):
            d += dt.timedelta(days=1)
        return d

    sites = ["huaan", "juteng", "ruiyang", "xinshiji"]
    ss = []
    for k in range(12):
        exam = working(start + dt.timedelta(days=8 + 27 * k))
        ss.append(session("special_ops", k + 1, exam - dt.timedelta(days=5), exam, sites[k % 4]))
    for k in range(managers):
        exam = working(start + dt.timedelta(days=60 + 150 * k))
        ss.append(session("managers", k + 1, exam - dt.timedelta(days=5), exam))
    return Plan(ctx.year, tuple(ss))


def category(first_time: int, profile=None, **rates) -> dict:
    return {"first_time": first_time, "profile": profile or [1] * 12, **rates}


# -- 1. a stream with candidates and no sessions ------------------------------------------------------------------
def test_candidates_of_a_stream_without_sessions_are_unseated_in_both_faces(cat):
    """No managers' session (count 0), 30 managers' candidates over the year: ``check`` finds them unseated at the
    window's end after more than 60 days, and the model with the plan pinned is infeasible (it used to have no
    queue for a stream without slots, so ``plan --demand`` produced a plan that failed its own check: exit 70).
    The same candidates all ready in the window's last month have not waited 60 days at its end: both faces
    accept the plan."""
    from test_faces import _mutations, assert_faces_agree

    sites = {i: {"seats_per_day": 20} for i in ("huaan", "juteng", "ruiyang", "xinshiji")}
    late = [1] + [0] * 11  # January: only 2025-01-01 … 01-27 lies in the 2024 window, within 60 days of its end
    seen = {}
    for profile in (None, late):
        demand = {"streams": {"special_ops": {**WEEKLY, "categories": {"electrical": category(60)}},
                              "managers": {**WEEKLY, "categories": {"managers": category(30, profile)}}}, "sites": sites}
        ctx = context(cat, small_doc(60, managers=0), demand)
        assert not [s for s in ctx.streams if s == "managers" and ctx.streams[s].count]  # no managers' session
        plan = spread_plan(ctx)
        report = check_plan(plan, ctx)
        seen[profile is None] = [v.detail for v in report.violations if v.rule == "waiting"]
        plans = [plan] + _mutations(plan, ctx, random.Random(1), 3)
        assert_faces_agree(ctx, plans)
    assert seen == {True: ["managers:managers"], False: []}


def test_plan_with_candidates_of_a_stream_without_sessions_exits_3_naming_category_and_site(tmp_path):
    """The auditor's case: 300 coal-mine candidates in the on-demand stream (no session in the rule set), seats
    at 运城职大 (yvu), the only site licensed for 煤矿安全作业. Exit 3, not 70, naming the waiting instance of the
    category, the site and the session count that bind."""
    demand = tmp_path / "coal.toml"
    demand.write_text('name = "coal on demand"\nstatus = "实际"\n'
                      "[streams.on_demand]\narrival_every_days = 7\nretake_lag_days = 30\n"
                      "[streams.on_demand.categories.coal_mine]\nfirst_time = 300\n"
                      "[sites.yvu]\nseats_per_day = 100\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "planner", "plan", "--year", "2025", "--rules", str(SHIPPED_RULES),
                        "--no-publish", "--demand", str(demand), "--out", str(tmp_path / "plan"),
                        "--time-limit", "10"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 3, r.stderr
    assert "waiting[on_demand:coal_mine]" in r.stderr and "session_count[on_demand@yvu]" in r.stderr, r.stderr
    assert "运城职大" in r.stderr and not (tmp_path / "plan").exists()


# -- 2. a dated licence ---------------------------------------------------------------------------------------------
LICENCE = License("juteng", "hazchem", D(2024, 5, 1), D(2024, 8, 31), "temporary licence")
SEATS_DEMAND = {"streams": {"special_ops": {**WEEKLY, "categories": {
    "electrical": category(400, show_rate=1, pass_rate=1), "hazchem": category(100, show_rate=1, pass_rate=1)}}},
    "sites": {"huaan": {"seats_per_day": 100}, "juteng": {"seats_per_day": 100}}}


def test_a_dated_licence_splits_seats_on_its_days_only_worked_by_hand(cat):
    """华安 examines 电工 and 危化 (附件4), 聚腾 电工 only; 100 seats a day each; 400 电工 and 100 危化 candidates.
    电工's weight is 400 / 2 sites = 200, 危化's 100 / 1. 华安: one seat each, 98 left: 65.33 and 32.67 → 66 电工,
    33 危化, and the last seat to the larger remainder, 危化: 66 / 34. 聚腾 alone: 100 电工.

    With 聚腾 licensed for 危化 from 5月1日 to 8月31日: on those days 聚腾 shares like 华安 (66 / 34); on every
    other day, and at 华安 every day, nothing changes. (The split used to count 聚腾 as a second 危化 site all
    year: 华安 fell to 21 危化 seats a day all year and 聚腾 to 79 电工.) Adding the licence removes no seat of
    危化 anywhere on any day."""
    without = context(cat, small_doc(60, 0), SEATS_DEMAND).demand.streams["special_ops"]
    with_ = context(cat, small_doc(60, 0), SEATS_DEMAND, [LICENCE]).demand.streams["special_ops"]
    on = lambda f, i, c, d: f.seats(i, c, d, days=1)  # noqa: E731  (a session of one exam day)
    may, dec = D(2024, 6, 3), D(2024, 12, 2)
    assert [on(without, "huaan", c, may) for c in ("electrical", "hazchem")] == [66, 34]
    assert [on(without, "juteng", c, may) for c in ("electrical", "hazchem")] == [100, 0]
    assert [on(with_, "huaan", c, d) for d in (may, dec) for c in ("electrical", "hazchem")] == [66, 34, 66, 34]
    assert [on(with_, "juteng", c, may) for c in ("electrical", "hazchem")] == [66, 34]
    assert [on(with_, "juteng", c, dec) for c in ("electrical", "hazchem")] == [100, 0]
    licensed = set(window_days((LICENCE.start, LICENCE.end)))
    for day in window_days(with_.ready_days[0:1] + with_.ready_days[-1:]):
        for site in ("huaan", "juteng"):
            assert on(with_, site, "hazchem", day) >= on(without, site, "hazchem", day), (site, day)
            if day not in licensed:
                assert all(on(with_, site, c, day) == on(without, site, c, day) for c in ("electrical", "hazchem"))


def test_a_dated_licence_never_lowers_a_plan_s_seats_of_its_category(cat):
    """The same plan (a session every four weeks over four sites, 聚腾's second one in 7月) offers 危化 at least as
    many seats with the licence as without, session by session, and more in the year; sessions outside the
    licence's days offer every category what they did."""
    ctx0 = context(cat, small_doc(60, 0), SEATS_DEMAND)
    ctx1 = context(cat, small_doc(60, 0), SEATS_DEMAND, [LICENCE])
    plan = spread_plan(ctx0)
    a, b = evaluate(plan, ctx0), evaluate(plan, ctx1)
    inside = 0
    for s0, s1 in zip(a.sessions, b.sessions):
        assert s1.offered["hazchem"] >= s0.offered["hazchem"], s0
        if LICENCE.covers(s0.exam_date) and s0.institution == "juteng":
            inside += 1
        else:
            assert s1.offered == s0.offered, s0
    assert inside == 1
    assert sum(s.offered["hazchem"] for s in b.sessions) > sum(s.offered["hazchem"] for s in a.sessions)


def test_the_model_seats_every_session_as_the_check_face_does_under_dated_licences(cat):
    """The model's seats per slot and category, with the plan pinned, are ``evaluate``'s: per period of the
    licences in force (a session of 聚腾 inside the licence and outside it), with the exam days fixed or chosen
    by the model (sizing's free days, pinned here to the file's); and the rule ``waiting`` agrees in both faces on
    the plan and its mutations, both verdicts seen."""
    from ortools.sat.python import cp_model
    from test_faces import _mutations, assert_faces_agree

    from planner.model import build_model, pin_plan
    from planner.queueing import model_flows

    # two licences at 聚腾 whose days overlap: three dated periods there (危化 only, both, 金属非金属矿山 only)
    licences = [LICENCE, License("juteng", "metal_mine", D(2024, 7, 1), D(2024, 10, 31), "")]
    demand = {"streams": {"special_ops": {**WEEKLY, "categories": {
        "electrical": category(300), "hazchem": category(20), "metal_mine": category(10)}}},
        "sites": {i: {"seats_per_day": 12, "days_per_session": 2, "max_days": 3}
                  for i in ("huaan", "juteng", "ruiyang", "xinshiji")}}
    ctx = context(cat, small_doc(120, 0), demand, licences)
    sf = ctx.demand.streams["special_ops"]
    assert len(sf.periods("juteng")) == 4 and len(sf.periods("huaan")) == 1
    plan = spread_plan(ctx)
    juteng = [s.exam_date for s in plan.sessions if s.institution == "juteng"]
    assert any(LICENCE.covers(d) for d in juteng) and not all(LICENCE.covers(d) for d in juteng)
    plans = [plan] + _mutations(plan, ctx, random.Random(7), 6)
    compared = {}
    for free in (False, True):
        fctx = dataclasses.replace(ctx, demand=dataclasses.replace(ctx.demand, free_days=free))
        for p in plans:
            mv = build_model(fctx)
            flows = model_flows(mv, fctx)["special_ops"]
            for site, var in mv.shared["queue"].get("site_days", {}).items():
                mv.model.add(var == sf.days[site])
            pin_plan(mv, p)
            mv.model.clear_objective()
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            status = solver.solve(mv.model)
            if status == cp_model.INFEASIBLE:
                assert not check_plan(p, fctx).ok
                continue
            assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            load = evaluate(p, fctx)
            for ld in load.sessions:
                k = ld.no - 1
                for c in sf.categories:
                    assert solver.value(flows.seats[c][k]) == ld.offered[c], (free, ld, c)
                period = next(g for g, (days, _) in enumerate(sf.periods(ld.institution))
                              if days is None or ld.exam_date in days)
                compared[(free, ld.institution, period)] = compared.get((free, ld.institution, period), 0) + 1
    # sessions at 聚腾 in a dated period and in its ordinary one were compared, with fixed and with free days
    assert all((free, "juteng", g) in compared for free in (False, True) for g in (1, 2, 3)), compared
    seen = {check_plan(p, ctx).per_rule["waiting"] == 0 for p in plans}
    assert_faces_agree(ctx, plans)
    assert seen == {True, False}, seen


def test_the_model_s_size_follows_the_licences_not_the_candidates(cat):
    """With a dated licence the model has as many variables and constraints with 50 电工 and no 危化 candidates (the
    licensed period then splits 聚腾's seats as its other days do) as with 200 000 and 12 345."""
    from planner.model import build_model

    sizes = []
    for elec, haz in ((50, 0), (200_000, 12_345)):
        demand = {"streams": {"special_ops": {**WEEKLY, "categories": {"electrical": category(elec),
                                                             "hazchem": category(haz)}}},
                  "sites": SEATS_DEMAND["sites"]}
        proto = build_model(context(cat, small_doc(60, 0), demand, [LICENCE])).model.proto
        sizes.append((len(proto.variables), len(proto.constraints)))
    assert sizes[0] == sizes[1]


# -- 3. returns after the window's end ------------------------------------------------------------------------------
def december(lag: int) -> dict:
    """620 managers' candidates, all in December; r = (1 − 0.5 × 0.8) × 1 = 0.6, no retake limit for managers:
    620 × 0.6 / 0.4 = 930 come back, ``lag`` days after their batch."""
    return {"streams": {"managers": {"arrival_every_days": 7, "retake_lag_days": lag, "categories": {"managers": category(
        620, [0] * 11 + [1], show_rate=0.5, pass_rate=0.8, retake_share=1.0)}}},
        "sites": {"huaan": {"seats_per_day": 100}}}


@pytest.mark.parametrize("lag, back", [(30, 930), (75, 30), (90, 0)])
def test_returns_after_the_window_s_end_leave_the_year_and_none_pile_up(cat, lag, back):
    """The 2025 window ends on 2026-02-14. December's candidates come back ``lag`` days later: after 30 days all
    within the window (12月31日 … 1月30日); after 75 days only those of 12月1日 (on 2月14日, the last day: 1/31 of
    930 = 30); after 90 days none. Those past the end are the next year's; the queue holds the rest, and its lines
    add up to it. (They used to be rescaled onto what was left: all 930 on 2月14日 at 75 days, then, at 90 days,
    none in the queue while the returning line still said 930.)"""
    ctx = make_context(2025, catalogue=cat, demand=demand_from_dict(december(lag), "d.toml", cat))
    assert ctx.window[1] == D(2026, 2, 14)
    sf = ctx.demand.streams["managers"]
    ln = sf.lines["managers"]
    assert sf.total("managers") == 620 + back
    assert sf.total("managers") == ln["entering"] + ln["renewal_wave"] - ln["renewal_replaced"] + ln["returning"]
    assert (ln["returning"], ln["returning_next_year"]) == (back, 930 - back)
    alone = make_context(2025, catalogue=cat, demand=demand_from_dict(
        {**december(lag), "streams": {"managers": {"arrival_every_days": 7, "retake_lag_days": lag, "categories": {"managers": category(
            620, [0] * 11 + [1])}}}}, "d.toml", cat)).demand.streams["managers"]
    returns = [a - b for a, b in zip(sf.arrivals["managers"], alone.arrivals["managers"])]
    assert min(returns) >= 0 and sum(returns) == back
    assert max(returns) <= 930 * 8 / 31 + 1  # at most a week's returns (the last ready day may close 8 days)
    if lag == 75:
        assert returns[-1] == 30 and sf.ready_days[-1] == D(2026, 2, 14)


def test_demand_show_adds_up_to_the_queue(tmp_path):
    """``demand show``'s row: entering + renewal wave + old renewals + returning = registrations (the queue's
    count), the returns after the window's end beside it."""
    f = tmp_path / "dec.toml"
    f.write_text('name = "december"\nstatus = "实际"\n[streams.managers]\narrival_every_days = 7\nretake_lag_days = 90\n'
                 "[streams.managers.categories.managers]\nfirst_time = 620\n"
                 "profile = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]\nshow_rate = 0.5\npass_rate = 0.8\n"
                 "retake_share = 1.0\n[sites.huaan]\nseats_per_day = 100\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "planner", "demand", "show", str(f), "--year", "2025"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "  returning  registrations  returning next year  " in lines[1]
    row = next(line for line in lines if line.startswith("managers ")).split()
    cells = dict(zip(["stream", "category", "entering", "wave", "old", "returning", "registrations", "next"],
                     row[:8]))
    assert (cells["entering"], cells["returning"], cells["registrations"], cells["next"]) == ("620", "0", "620", "930")


def test_a_spread_with_nowhere_to_go_is_refused_not_emptied():
    """``ready_profile`` never returns fewer candidates than asked: with no day left to put them on (all shifted
    past the window's end) it raises, instead of the zeros that silently dropped them."""
    days = [D(2025, 2, 5) + dt.timedelta(days=i) for i in range(60)]
    assert sum(ready_profile(days, (1,) * 12, 50, 7, lag=30)) == 50
    assert sum(ready_profile(days, (1,) * 12, 0, 7, lag=60)) == 0
    with pytest.raises(ValueError):
        ready_profile(days, (1,) * 12, 50, 7, lag=60)
